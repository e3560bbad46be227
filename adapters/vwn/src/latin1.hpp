// Text for a partner whose system stores ISO-8859-1 (Latin-1) only.
//
// VWN's README: "Characters outside Latin-1 must be transliterated, because
// VWN's registration system cannot store them." libxml2 would write such a
// character as a character reference (&#351;) when it serialises a document
// in ISO-8859-1, and VWN's system cannot store that either. So the text is
// made Latin-1-safe before it goes into the document: the result is still
// UTF-8, but every code point in it is <= U+00FF.
//
// Done here rather than with iconv's //TRANSLIT, whose result depends on the
// process locale. Candidate for the SDK (any Latin-1 partner needs it).
#pragma once

#include <ketenhub/sdk/xml.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace vwn::latin1 {

namespace detail {

// Latin Extended-A (U+0100..U+017F): the letter without its mark.
inline const char* const kLatinExtendedA[128] = {
    "A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d",   // 0100
    "D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g",   // 0110
    "G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i",   // 0120
    "I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L", // 0130
    "l", "L", "l", "N", "n", "N", "n", "N", "n", "n", "N", "n", "O", "o", "O", "o",   // 0140
    "O", "o", "OE", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s", // 0150
    "S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u",   // 0160
    "U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s"};  // 0170

// A base letter followed by a combining mark (decomposed text, NFD) that
// Latin-1 has as one character: "e" + U+0308 -> "ë".
struct Composition {
    uint32_t mark;
    const char* bases;      // base letters ...
    const char* composed;   // ... and their Latin-1 code points, in the same order
};
inline const Composition kCompositions[] = {
    {0x0300, "AEIOUaeiou", "\xC0\xC8\xCC\xD2\xD9\xE0\xE8\xEC\xF2\xF9"},
    {0x0301, "AEIOUYaeiouy", "\xC1\xC9\xCD\xD3\xDA\xDD\xE1\xE9\xED\xF3\xFA\xFD"},
    {0x0302, "AEIOUaeiou", "\xC2\xCA\xCE\xD4\xDB\xE2\xEA\xEE\xF4\xFB"},
    {0x0303, "ANOano", "\xC3\xD1\xD5\xE3\xF1\xF5"},
    {0x0308, "AEIOUaeiouy", "\xC4\xCB\xCF\xD6\xDC\xE4\xEB\xEF\xF6\xFC\xFF"},
    {0x030A, "Aa", "\xC5\xE5"},
    {0x0327, "Cc", "\xC7\xE7"},
};

inline bool is_combining_mark(uint32_t cp) { return cp >= 0x0300 && cp <= 0x036F; }

inline uint32_t compose(uint32_t base, uint32_t mark) {
    if (base > 0x7F) return 0;
    for (const auto& c : kCompositions) {
        if (c.mark != mark) continue;
        for (size_t i = 0; c.bases[i]; ++i)
            if (static_cast<uint32_t>(c.bases[i]) == base) return static_cast<unsigned char>(c.composed[i]);
    }
    return 0;
}

inline std::vector<uint32_t> code_points(const std::string& utf8, const std::string& field) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > utf8.size())
            throw ketenhub::sdk::Rejection(0, field, "text is not valid UTF-8");
        uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
        for (size_t k = 1; k < len; ++k) {
            const auto cont = static_cast<unsigned char>(utf8[i + k]);
            if ((cont & 0xC0) != 0x80) throw ketenhub::sdk::Rejection(0, field, "text is not valid UTF-8");
            cp = (cp << 6) | (cont & 0x3F);
        }
        out.push_back(cp);
        i += len;
    }
    return out;
}

inline void append_utf8(std::string& out, uint32_t cp) {  // cp <= U+00FF
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace detail

// UTF-8 in, UTF-8 out with only Latin-1 code points: decomposed accents are
// composed where Latin-1 has the letter ("e"+U+0308 -> "ë"), letters of
// Latin Extended-A lose their mark ("ş" -> "s", "Œ" -> "OE"), Romanian
// comma-below letters likewise ("ș" -> "s"), typographic quotes and dashes
// become ASCII, and anything else becomes "?". `field` names the message
// field in the Rejection thrown for invalid UTF-8.
inline std::string transliterate(const std::string& utf8, const std::string& field) {
    const std::vector<uint32_t> cps = detail::code_points(utf8, field);
    std::string out;
    out.reserve(utf8.size());
    for (size_t i = 0; i < cps.size(); ++i) {
        uint32_t cp = cps[i];
        if (i + 1 < cps.size() && detail::is_combining_mark(cps[i + 1])) {
            if (uint32_t composed = detail::compose(cp, cps[i + 1])) {
                detail::append_utf8(out, composed);
                ++i;
                continue;
            }
        }
        if (detail::is_combining_mark(cp)) continue;  // a mark Latin-1 cannot carry: the base letter stays
        if (cp <= 0xFF)
            detail::append_utf8(out, cp);
        else if (cp < 0x180)
            out += detail::kLatinExtendedA[cp - 0x100];
        else if (cp == 0x0218 || cp == 0x021A)
            out += cp == 0x0218 ? 'S' : 'T';
        else if (cp == 0x0219 || cp == 0x021B)
            out += cp == 0x0219 ? 's' : 't';
        else if (cp == 0x2018 || cp == 0x2019 || cp == 0x201A)
            out += '\'';
        else if (cp == 0x201C || cp == 0x201D || cp == 0x201E)
            out += '"';
        else if (cp == 0x2013 || cp == 0x2014)
            out += '-';
        else if (cp == 0x2026)
            out += "...";
        else if (cp == 0x20AC)
            out += "EUR";
        else
            out += '?';
    }
    return out;
}

}  // namespace vwn::latin1
