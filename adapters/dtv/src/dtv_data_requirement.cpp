#include "dtv_data_requirement.hpp"

#include <algorithm>

namespace ketenhub::dtv {

using sdk::Rejection;

namespace {

// The canonical Field form: exactly {"value": ..., "sensitivity": "..."}.
bool is_field_form(const Json& v) {
    return v.is_object() && v.size() == 2 && v.contains("value") && v.contains("sensitivity") &&
           v["sensitivity"].is_string();
}

// Unwraps the Field form (also inside lists and objects) and refuses every
// value whose class may never reach DT&V.
Json unwrap(const Json& v, const std::string& path) {
    if (is_field_form(v)) {
        const std::string s = v["sensitivity"].get<std::string>();
        if (s == "special-category" || s == "confidential")
            throw Rejection(0, path,
                            "DT&V must not receive " + s + " data (DT&V data requirement: no health, psychosocial, "
                            "flight-story or future-plan data in documents to DT&V)");
        if (s != "public" && s != "personal")
            throw Rejection(0, path, "unknown sensitivity class '" + s + "': refused rather than sent to DT&V");
        return unwrap(v["value"], path);
    }
    if (v.is_array()) {
        Json out = Json::array();
        for (size_t i = 0; i < v.size(); ++i) out.push_back(unwrap(v[i], path + "[" + std::to_string(i) + "]"));
        return out;
    }
    return v;
}

// Stems of words that reveal what DT&V must not receive. Lower case; UTF-8.
// "Anywhere" stems are distinctive enough to match inside a word (Dutch
// compounds: "gezondheidsklachten", "traumaverwerking"); short ones match only
// at the start of a word, so that "ontvangst" does not hit "angst".
const std::vector<std::string>& anywhere_stems() {
    static const std::vector<std::string> s = {
        // health and psychological state
        "medisch", "medic", "gezondheid", "health", "psych", "trauma", "depress", "suïcid", "suicid", "therap",
        "verslav", "zwanger", "pregnan", "ziekte", "ziekenhuis", "handicap", "diagnos", "ptss", "ptsd",
        // specialist health partners
        "healthnet", "hntpo", "pharos",
        // religion and ethnicity
        "religi", "geloof", "moslim", "islam", "christ", "katholiek", "protestant", "moskee", "hindoe", "etnisch",
        "etnic", "ethnic",
        // the flight story and the client's plans
        "vluchtverhaal", "vluchtrelaas", "asielrelaas", "toekomst", "future"};
    return s;
}
const std::vector<std::string>& word_start_stems() {
    static const std::vector<std::string> s = {"ziek", "angst", "arts", "hiv", "aids", "mentale", "mentaal", "mental",
                                               "geestelijk", "kerk", "jood", "joods", "clan", "vva", "relaas"};
    return s;
}

// Words: runs of ASCII letters and UTF-8 multi-byte characters; ASCII is
// lower-cased.
std::vector<std::string> words_of(const std::string& text) {
    std::vector<std::string> words;
    std::string current;
    for (unsigned char c : text) {
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
        if (letter) {
            current += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        } else if (!current.empty()) {
            words.push_back(std::move(current));
            current.clear();
        }
    }
    if (!current.empty()) words.push_back(std::move(current));
    return words;
}

}  // namespace

OutboundFields::OutboundFields(const Json& object, std::string where, const std::vector<std::string>& allowed)
    : path_(std::move(where)) {
    if (!object.is_object()) throw Rejection(0, path_, "expected a JSON object");
    object_ = Json::object();
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            throw Rejection(0, path(it.key()),
                            "DT&V must not receive '" + it.key() + "': its document has room only for " + list +
                                " (DT&V data requirement: persons by V-nummer only, no health, psychosocial, "
                                "flight-story or future-plan data)");
        }
        object_[it.key()] = unwrap(it.value(), path(it.key()));
    }
}

bool OutboundFields::has(const std::string& name) const {
    return object_.contains(name) && !object_[name].is_null();
}

const Json& OutboundFields::value(const std::string& name) const { return object_.at(name); }

std::optional<std::string> OutboundFields::text(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    const Json& v = value(name);
    if (!v.is_string()) throw Rejection(0, path(name), "expected a string");
    if (v.get<std::string>().empty()) return std::nullopt;
    return v.get<std::string>();
}

std::string OutboundFields::required_text(const std::string& name) const {
    auto v = text(name);
    if (!v) throw Rejection(0, path(name), "'" + name + "' is required");
    return *v;
}

std::optional<long> OutboundFields::count(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    const Json& v = value(name);
    if (!v.is_number_integer() || v.get<long>() < 0) throw Rejection(0, path(name), "expected an integer >= 0");
    return v.get<long>();
}

long OutboundFields::required_count(const std::string& name) const {
    auto v = count(name);
    if (!v) throw Rejection(0, path(name), "'" + name + "' is required");
    return *v;
}

std::vector<std::string> OutboundFields::required_texts(const std::string& name) const {
    if (!has(name)) throw Rejection(0, path(name), "'" + name + "' is required");
    const Json& v = value(name);
    if (!v.is_array()) throw Rejection(0, path(name), "expected a list of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) throw Rejection(0, path(name) + "[" + std::to_string(i) + "]", "expected a string");
        out.push_back(v[i].get<std::string>());
    }
    return out;
}

std::vector<OutboundFields> OutboundFields::required_objects(const std::string& name,
                                                             const std::vector<std::string>& allowed) const {
    if (!has(name)) throw Rejection(0, path(name), "'" + name + "' is required (an empty list when there is no one)");
    const Json& v = value(name);
    if (!v.is_array()) throw Rejection(0, path(name), "expected a list");
    std::vector<OutboundFields> out;
    for (size_t i = 0; i < v.size(); ++i) out.emplace_back(v[i], path(name) + "[" + std::to_string(i) + "]", allowed);
    return out;
}

void screen_free_text(const std::string& text, const std::string& path) {
    for (const auto& word : words_of(text)) {
        const std::string* hit = nullptr;
        for (const auto& stem : anywhere_stems())
            if (word.find(stem) != std::string::npos) hit = &stem;
        for (const auto& stem : word_start_stems())
            if (word.rfind(stem, 0) == 0) hit = &stem;
        if (hit)
            throw Rejection(0, path,
                            "'" + word + "' may not be sent to DT&V: an explanation may state only facts about "
                            "eligibility and procedure (dates, country, chosen programme), never health, "
                            "psychological state, religion, ethnicity, the flight story or the client's plans");
    }
}

}  // namespace ketenhub::dtv
