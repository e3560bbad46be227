// The canonical types as JSON text, written and read directly, without
// building an nlohmann::json tree in between. Every document crosses the
// plugin boundary as JSON twice (adapter out, hub in) and every event is stored
// and read back as JSON: going through the tree was a fifth of the hub's CPU per
// document (bench/, docs/performance.md).
//
// The writer's output is byte for byte what nlohmann::json(x).dump() gives
// (keys in byte order, the same escapes, strict UTF-8), so the stored text does
// not depend on which path wrote it; tests/unit/canonical_json_test.cpp holds
// the two side by side. The reader accepts any JSON text that from_json()
// accepts for the same type (unknown keys skipped, null for an absent optional)
// and throws CanonicalJsonError, naming the byte offset, for anything else.
#pragma once

#include <ketenhub/sdk/canonical.hpp>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ketenhub::sdk {

struct CanonicalJsonError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

namespace json_text {

// ---------------------------------------------------------------- writing

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not
// one (overlong forms, surrogates and code points above U+10FFFF included,
// as nlohmann's decoder refuses them).
inline size_t utf8_sequence_length(std::string_view s, size_t i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    const size_t left = s.size() - i;
    const auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(i + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3 || !cont(i + 1) || !cont(i + 2)) return 0;
        if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
        if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4 || !cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
        if (c == 0xF0 && b(i + 1) < 0x90) return 0;  // overlong
        if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

inline void append_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    size_t run = 0;  // start of the bytes copied as they are
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            const size_t n = utf8_sequence_length(s, i);
            if (n == 0)
                throw CanonicalJsonError("invalid UTF-8 byte at index " + std::to_string(i) + " of a string value");
            i += n;
            continue;
        }
        out.append(s.data() + run, i - run);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 0xF]);
        }
        run = ++i;
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

inline void append_integer(std::string& out, long v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

inline void append_bool(std::string& out, bool v) { out += v ? "true" : "false"; }

// Writes `"key":` after a comma when it is not the first member.
inline void key(std::string& out, bool& first, const char* k) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out += k;
    out += "\":";
}

inline void append_value(std::string& out, const Json& v) {
    switch (v.type()) {
        case Json::value_t::string: append_string(out, v.get_ref<const std::string&>()); break;
        case Json::value_t::boolean: append_bool(out, v.get<bool>()); break;
        case Json::value_t::number_integer: append_integer(out, v.get<long>()); break;
        case Json::value_t::array: {
            out.push_back('[');
            bool first = true;
            for (const auto& e : v) {
                if (!first) out.push_back(',');
                first = false;
                append_value(out, e);
            }
            out.push_back(']');
            break;
        }
        case Json::value_t::object: {
            out.push_back('{');
            bool first = true;
            for (const auto& [k, e] : v.items()) {
                if (!first) out.push_back(',');
                first = false;
                append_string(out, k);
                out.push_back(':');
                append_value(out, e);
            }
            out.push_back('}');
            break;
        }
        default: out += v.dump(); break;  // null, unsigned and floating-point numbers: as nlohmann writes them
    }
}

inline void append(std::string& out, Sensitivity s) {
    out.push_back('"');
    out += to_string(s);
    out.push_back('"');
}

inline void append(std::string& out, const Field& f) {
    out += "{\"sensitivity\":";
    append(out, f.sensitivity);
    out += ",\"value\":";
    append_value(out, f.value);
    out.push_back('}');
}

inline void append(std::string& out, const PartnerId& p) {
    out += "{\"scheme\":";
    append_string(out, p.scheme);
    out += ",\"value\":";
    append_string(out, p.value);
    out.push_back('}');
}

inline void append(std::string& out, const PersonRef& p) {
    bool first = true;
    out.push_back('{');
    if (p.birth_date) {
        key(out, first, "birth_date");
        append_string(out, *p.birth_date);
        key(out, first, "birth_date_precision");
        append_string(out, p.birth_date_precision);
    }
    if (p.country_of_return) key(out, first, "country_of_return"), append_string(out, *p.country_of_return);
    if (p.family_name) key(out, first, "family_name"), append_string(out, *p.family_name);
    if (p.given_names) key(out, first, "given_names"), append_string(out, *p.given_names);
    if (p.nationality) key(out, first, "nationality"), append_string(out, *p.nationality);
    key(out, first, "partner_ids");
    out.push_back('[');
    for (size_t i = 0; i < p.partner_ids.size(); ++i) {
        if (i) out.push_back(',');
        append(out, p.partner_ids[i]);
    }
    out.push_back(']');
    key(out, first, "sensitivity");
    append(out, p.sensitivity);
    if (p.sex) key(out, first, "sex"), append_string(out, *p.sex);
    if (p.v_number) key(out, first, "v_number"), append_string(out, *p.v_number);
    out.push_back('}');
}

inline void append(std::string& out, const Source& s) {
    out += "{\"document_type\":";
    append_string(out, s.document_type);
    out += ",\"line\":";
    append_integer(out, s.line);
    out += ",\"message_id\":";
    append_string(out, s.message_id);
    out += ",\"partner\":";
    append_string(out, s.partner);
    out += ",\"record_id\":";
    append_string(out, s.record_id);
    out.push_back('}');
}

inline void append(std::string& out, const Event& e) {
    out += "{\"event_date\":";
    append_string(out, e.event_date);
    out += ",\"fields\":{";
    bool first = true;
    for (const auto& [name, field] : e.fields) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, name);
        out.push_back(':');
        append(out, field);
    }
    out.push_back('}');
    if (e.hub_referral_id) {
        out += ",\"hub_referral_id\":";
        append_string(out, *e.hub_referral_id);
    }
    if (e.person) {
        out += ",\"person\":";
        append(out, *e.person);
    }
    out += ",\"source\":";
    append(out, e.source);
    out += ",\"type\":";
    append_string(out, e.type);
    out.push_back('}');
}

inline void append(std::string& out, const Problem& p) {
    out += "{\"field\":";
    append_string(out, p.field);
    out += ",\"line\":";
    append_integer(out, p.line);
    out += ",\"message\":";
    append_string(out, p.message);
    out.push_back('}');
}

inline void append(std::string& out, const Record& r);

template <class T>
void append_list(std::string& out, const std::vector<T>& items) {
    out.push_back('[');
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out.push_back(',');
        append(out, items[i]);
    }
    out.push_back(']');
}

inline void append(std::string& out, const Record& r) {
    out += "{\"accepted\":";
    append_bool(out, r.accepted);
    out += ",\"events\":";
    append_list(out, r.events);
    out += ",\"line\":";
    append_integer(out, r.line);
    out += ",\"problems\":";
    append_list(out, r.problems);
    out += ",\"record_id\":";
    append_string(out, r.record_id);
    if (r.snapshot) {
        out += ",\"snapshot\":{\"scope\":";
        append_string(out, r.snapshot->scope);
        out += ",\"version\":";
        append_string(out, r.snapshot->version);
        out.push_back('}');
    }
    out.push_back('}');
}

inline void append(std::string& out, const DecodedDocument& d) {
    out += "{\"batch\":";
    append_bool(out, d.batch);
    out += ",\"document_type\":";
    append_string(out, d.document_type);
    out += ",\"message_id\":";
    append_string(out, d.message_id);
    out += ",\"records\":";
    append_list(out, d.records);
    out.push_back('}');
}

// ---------------------------------------------------------------- reading

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw CanonicalJsonError("malformed canonical JSON at byte " + std::to_string(pos_) + ": " + what);
    }

    void skip_ws() {
        while (pos_ < in_.size()) {
            const char c = in_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            ++pos_;
        }
    }
    char peek() {
        skip_ws();
        return pos_ < in_.size() ? in_[pos_] : '\0';
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    bool consume(char c) {
        if (peek() != c) return false;
        ++pos_;
        return true;
    }
    bool literal(std::string_view word) {
        skip_ws();
        if (in_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }
    void finish() {
        skip_ws();
        if (pos_ != in_.size()) fail("text after the end of the value");
    }

    // Calls member(name) for each member of an object; member reads the value.
    template <class F>
    void object(const char* what, F&& member) {
        if (peek() != '{') fail(std::string("expected an object for ") + what);
        ++pos_;
        if (consume('}')) return;
        do {
            if (peek() != '"') fail(std::string("expected a member name in ") + what);
            std::string name = string();
            expect(':');
            member(name);
        } while (consume(','));
        expect('}');
    }
    template <class F>
    void array(const char* what, F&& element) {
        if (peek() != '[') fail(std::string("expected an array for ") + what);
        ++pos_;
        if (consume(']')) return;
        do element();
        while (consume(','));
        expect(']');
    }

    bool null() { return literal("null"); }

    std::string string(const char* what = "a string") {
        if (peek() != '"') fail(std::string("expected ") + what);
        ++pos_;
        std::string out;
        size_t run = pos_;
        for (;;) {
            if (pos_ >= in_.size()) fail("unterminated string");
            const unsigned char c = static_cast<unsigned char>(in_[pos_]);
            if (c == '"') {
                out.append(in_.data() + run, pos_ - run);
                ++pos_;
                return out;
            }
            if (c < 0x20) fail("control character in a string");
            if (c >= 0x80) {
                const size_t n = utf8_sequence_length(in_, pos_);
                if (n == 0) fail("invalid UTF-8 in a string");
                pos_ += n;
                continue;
            }
            if (c != '\\') {
                ++pos_;
                continue;
            }
            out.append(in_.data() + run, pos_ - run);
            ++pos_;
            if (pos_ >= in_.size()) fail("unterminated escape");
            const char e = in_[pos_++];
            switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': append_utf8(out, code_point()); break;
                default: fail("invalid escape in a string");
            }
            run = pos_;
        }
    }

    bool boolean(const char* what) {
        if (literal("true")) return true;
        if (literal("false")) return false;
        fail(std::string("expected true or false for ") + what);
    }

    long integer(const char* what) {
        skip_ws();
        const char* b = in_.data() + pos_;
        const char* e = in_.data() + in_.size();
        const char* digits = b < e && *b == '-' ? b + 1 : b;
        long v = 0;
        auto r = std::from_chars(b, e, v);
        const bool plain = r.ec == std::errc() && !(r.ptr - digits > 1 && *digits == '0') &&
                           !(r.ptr < e && (*r.ptr == '.' || *r.ptr == 'e' || *r.ptr == 'E'));
        if (plain) {
            pos_ += static_cast<size_t>(r.ptr - b);
            return v;
        }
        // 3.0 or 3e0: what nlohmann's get<long>() would make of it.
        const size_t start = pos_;
        Json n = value();
        if (!n.is_number()) {
            pos_ = start;
            fail(std::string("expected an integer for ") + what);
        }
        return n.get<long>();
    }

    // Any JSON value (a field's value). Strings and literals directly; the
    // rest through nlohmann, so numbers keep the type nlohmann gives them.
    Json value() {
        const char c = peek();
        if (c == '"') return string();
        if (literal("true")) return true;
        if (literal("false")) return false;
        if (literal("null")) return nullptr;
        if (c == '[') {
            Json a = Json::array();
            array("a value", [&] { a.push_back(value()); });
            return a;
        }
        if (c == '{') {
            Json o = Json::object();
            object("a value", [&](const std::string& k) { o[k] = value(); });
            return o;
        }
        const size_t start = pos_;
        while (pos_ < in_.size() && (std::isdigit(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '-' ||
                                     in_[pos_] == '+' || in_[pos_] == '.' || in_[pos_] == 'e' || in_[pos_] == 'E'))
            ++pos_;
        if (pos_ == start) fail("expected a value");
        try {
            return Json::parse(in_.substr(start, pos_ - start));
        } catch (const Json::exception&) {
            pos_ = start;
            fail("malformed number");
        }
    }

    // Any value, not kept: a member this version does not know.
    void skip() { (void)value(); }

private:
    unsigned hex4() {
        if (pos_ + 4 > in_.size()) fail("short \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            const char h = in_[pos_++];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') v |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') v |= static_cast<unsigned>(h - 'A' + 10);
            else fail("invalid \\u escape");
        }
        return v;
    }
    unsigned code_point() {
        unsigned cp = hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (pos_ + 2 > in_.size() || in_[pos_] != '\\' || in_[pos_ + 1] != 'u') fail("lone high surrogate");
            pos_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        return cp;
    }
    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    std::string_view in_;
    size_t pos_ = 0;
};

// An optional string: absent or null leaves it empty.
inline void read_optional(Reader& r, std::optional<std::string>& v, const char* what) {
    if (r.null()) v.reset();
    else v = r.string(what);
}

inline Sensitivity read_sensitivity(Reader& r) {
    const std::string s = r.string("a sensitivity class");
    try {
        return sensitivity_from_string(s);
    } catch (const std::invalid_argument& e) {
        r.fail(e.what());
    }
}

inline Field read_field(Reader& r) {
    Field f;
    bool value = false, sensitivity = false;
    r.object("a field", [&](const std::string& k) {
        if (k == "value") f.value = r.value(), value = true;
        else if (k == "sensitivity") f.sensitivity = read_sensitivity(r), sensitivity = true;
        else r.skip();
    });
    if (!value || !sensitivity) r.fail("a field needs \"value\" and \"sensitivity\"");
    return f;
}

inline PartnerId read_partner_id(Reader& r) {
    PartnerId p;
    bool scheme = false, value = false;
    r.object("a partner id", [&](const std::string& k) {
        if (k == "scheme") p.scheme = r.string("scheme"), scheme = true;
        else if (k == "value") p.value = r.string("value"), value = true;
        else r.skip();
    });
    if (!scheme || !value) r.fail("a partner id needs \"scheme\" and \"value\"");
    return p;
}

inline PersonRef read_person(Reader& r) {
    PersonRef p;
    r.object("person", [&](const std::string& k) {
        if (k == "v_number") read_optional(r, p.v_number, "v_number");
        else if (k == "partner_ids") {
            p.partner_ids.clear();
            r.array("partner_ids", [&] { p.partner_ids.push_back(read_partner_id(r)); });
        } else if (k == "family_name") read_optional(r, p.family_name, "family_name");
        else if (k == "given_names") read_optional(r, p.given_names, "given_names");
        else if (k == "birth_date") read_optional(r, p.birth_date, "birth_date");
        else if (k == "birth_date_precision") p.birth_date_precision = r.string("birth_date_precision");
        else if (k == "sex") read_optional(r, p.sex, "sex");
        else if (k == "nationality") read_optional(r, p.nationality, "nationality");
        else if (k == "country_of_return") read_optional(r, p.country_of_return, "country_of_return");
        else if (k == "sensitivity") p.sensitivity = read_sensitivity(r);
        else r.skip();
    });
    return p;
}

inline Source read_source(Reader& r) {
    Source s;
    int required = 0;
    r.object("source", [&](const std::string& k) {
        if (k == "partner") s.partner = r.string("partner"), required |= 1;
        else if (k == "document_type") s.document_type = r.string("document_type"), required |= 2;
        else if (k == "message_id") s.message_id = r.string("message_id"), required |= 4;
        else if (k == "record_id") s.record_id = r.string("record_id"), required |= 8;
        else if (k == "line") s.line = r.integer("line");
        else r.skip();
    });
    if (required != 15) r.fail("a source needs \"partner\", \"document_type\", \"message_id\" and \"record_id\"");
    return s;
}

inline Event read_event(Reader& r) {
    Event e;
    int required = 0;
    r.object("an event", [&](const std::string& k) {
        if (k == "type") e.type = r.string("type"), required |= 1;
        else if (k == "event_date") e.event_date = r.string("event_date"), required |= 2;
        else if (k == "source") e.source = read_source(r), required |= 4;
        else if (k == "person") {
            if (r.null()) e.person.reset();
            else e.person = read_person(r);
        } else if (k == "hub_referral_id") read_optional(r, e.hub_referral_id, "hub_referral_id");
        else if (k == "fields") {
            e.fields.clear();
            r.object("fields", [&](const std::string& name) { e.fields.insert_or_assign(name, read_field(r)); });
        } else r.skip();
    });
    if (required != 7) r.fail("an event needs \"type\", \"event_date\" and \"source\"");
    return e;
}

inline Problem read_problem(Reader& r) {
    Problem p;
    bool message = false;
    r.object("a problem", [&](const std::string& k) {
        if (k == "line") p.line = r.integer("line");
        else if (k == "field") p.field = r.string("field");
        else if (k == "message") p.message = r.string("message"), message = true;
        else r.skip();
    });
    if (!message) r.fail("a problem needs \"message\"");
    return p;
}

inline Record read_record(Reader& r) {
    Record rec;
    bool id = false, accepted = false;
    r.object("a record", [&](const std::string& k) {
        if (k == "record_id") rec.record_id = r.string("record_id"), id = true;
        else if (k == "line") rec.line = r.integer("line");
        else if (k == "accepted") rec.accepted = r.boolean("accepted"), accepted = true;
        else if (k == "events") {
            rec.events.clear();
            r.array("events", [&] { rec.events.push_back(read_event(r)); });
        } else if (k == "problems") {
            rec.problems.clear();
            r.array("problems", [&] { rec.problems.push_back(read_problem(r)); });
        } else if (k == "snapshot") {
            if (r.null()) {
                rec.snapshot.reset();
                return;
            }
            Snapshot s;
            bool scope = false, version = false;
            r.object("snapshot", [&](const std::string& sk) {
                if (sk == "scope") s.scope = r.string("scope"), scope = true;
                else if (sk == "version") s.version = r.string("version"), version = true;
                else r.skip();
            });
            if (!scope || !version) r.fail("a snapshot needs \"scope\" and \"version\"");
            rec.snapshot = std::move(s);
        } else r.skip();
    });
    if (!id || !accepted) r.fail("a record needs \"record_id\" and \"accepted\"");
    return rec;
}

inline DecodedDocument read_decoded_document(Reader& r) {
    DecodedDocument d;
    bool type = false, records = false;
    r.object("the decoded document", [&](const std::string& k) {
        if (k == "document_type") d.document_type = r.string("document_type"), type = true;
        else if (k == "message_id") d.message_id = r.string("message_id");
        else if (k == "batch") d.batch = r.boolean("batch");
        else if (k == "records") {
            d.records.clear();
            r.array("records", [&] { d.records.push_back(read_record(r)); });
            records = true;
        } else r.skip();
    });
    if (!type || !records) r.fail("a decoded document needs \"document_type\" and \"records\"");
    return d;
}

}  // namespace json_text

// The canonical JSON text of a value (identical to Json(x).dump()).
template <class T>
std::string to_json_text(const T& value) {
    std::string out;
    out.reserve(1024);
    json_text::append(out, value);
    return out;
}

inline Event event_from_json_text(std::string_view text) {
    json_text::Reader r(text);
    Event e = json_text::read_event(r);
    r.finish();
    return e;
}

inline DecodedDocument decoded_document_from_json_text(std::string_view text) {
    json_text::Reader r(text);
    DecodedDocument d = json_text::read_decoded_document(r);
    r.finish();
    return d;
}

}  // namespace ketenhub::sdk
