// Reading values the way XML Schema reads them, and names the way partners
// write them. Shared by adapters so that every partner's quirk is handled
// once.
#pragma once

#include <ketenhub/sdk/canonical.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace ketenhub::sdk::text {

inline std::string trim(const std::string& s) {
    const char* space = " \t\r\n";
    const size_t b = s.find_first_not_of(space);
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(space) - b + 1);
}

// xs:boolean is whitespace-collapsed: " true " and "1" are true.
inline bool xs_boolean(const std::string& lexical) {
    const std::string v = trim(lexical);
    return v == "true" || v == "1";
}

// "+0003" -> "3": the canonical form of a schema-valid xs:integer, kept as
// text so that an absurdly long value cannot overflow anything.
inline std::string xs_integer(const std::string& lexical) {
    std::string s = trim(lexical);
    if (!s.empty() && s[0] == '+') s.erase(0, 1);
    s.erase(0, std::min(s.find_first_not_of('0'), s.size()));
    return s.empty() ? "0" : s;
}

// "Hussein Ali Jabbar": a one-field name in natural order (VWN, MbT). The
// last word is taken as the family name and the words before it as the given
// names; a single word is a family name only. Identity matching normalises
// the order and split of name parts, so this choice does not decide a match.
inline void split_natural_name(const std::string& name, PersonRef& p) {
    std::vector<std::string> words;
    for (size_t i = 0; i < name.size();) {
        const size_t start = name.find_first_not_of(" \t\r\n", i);
        if (start == std::string::npos) break;
        const size_t end = std::min(name.find_first_of(" \t\r\n", start), name.size());
        words.push_back(name.substr(start, end - start));
        i = end;
    }
    if (words.empty()) return;
    p.family_name = words.back();
    words.pop_back();
    if (words.empty()) return;
    std::string given = words.front();
    for (size_t i = 1; i < words.size(); ++i) given += " " + words[i];
    p.given_names = given;
}

}  // namespace ketenhub::sdk::text
