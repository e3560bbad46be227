// referral_request -> Verwijzing: the hub's referral of a person to MbT,
// fetched by MbT from its mailbox on the hub.
#include "mbt_internal.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <vector>

namespace ketenhub::mbt {
namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;

[[noreturn]] void refuse(const std::string& field, const std::string& message) {
    throw Rejection(0, field, "referral_request: " + message);
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

const Json* find(const Json& object, const char* name) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(name);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string required_string(const Json& object, const char* name, const std::string& path) {
    const Json* v = find(object, name);
    if (!v || !v->is_string() || v->get<std::string>().empty()) refuse(path, "'" + path + "' is required");
    return v->get<std::string>();
}

std::optional<std::string> optional_string(const Json& object, const char* name, const std::string& path) {
    const Json* v = find(object, name);
    if (!v) return std::nullopt;
    if (!v->is_string()) refuse(path, "'" + path + "' must be a string");
    if (v->get<std::string>().empty()) return std::nullopt;
    return v->get<std::string>();
}

// One of a closed set of codes, matched case-insensitively so that the hub's
// lower-case partner codes ("dtv") work as well as MbT's upper-case ones.
std::string code_from(const Json& object, const char* name, const std::string& path,
                      const std::vector<std::string>& allowed) {
    const std::string value = upper(required_string(object, name, path));
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    refuse(path, "'" + path + "' must be one of " + list + ", not '" + value + "'");
}

bool is_hub_referral_id(const std::string& s) {
    if (s.size() != 15 || s.compare(0, 4, "SDT-") != 0 || s[8] != '-') return false;
    for (size_t i : {4, 5, 6, 7, 9, 10, 11, 12, 13, 14})
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
}

// A calendar date (YYYY-MM-DD) or a timestamp (its Europe/Amsterdam date) ->
// MbT's yyyymmdd.
std::string compact_date(const Json& object, const char* name, const std::string& path) {
    const std::string value = required_string(object, name, path);
    std::optional<dates::Civil> c = dates::parse_iso_date(value);
    if (!c) {
        if (auto day = dates::amsterdam_date_of(value)) c = dates::parse_iso_date(*day);
    }
    if (!c) refuse(path, "'" + path + "' must be a date YYYY-MM-DD or an RFC 3339 timestamp, not '" + value + "'");
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d%02u%02u", c->year, c->month, c->day);
    return buf;
}

std::string sequence_number(const Json& fields) {
    const Json* v = find(fields, "sequence_number");
    if (!v) refuse("fields.sequence_number", "'fields.sequence_number' is required (the hub's +1 counter of messages to MbT)");
    if (v->is_number_unsigned() && v->get<unsigned long long>() > 0) return std::to_string(v->get<unsigned long long>());
    if (v->is_number_integer() && v->get<long long>() > 0) return std::to_string(v->get<long long>());
    if (v->is_string()) {
        const std::string s = v->get<std::string>();
        if (!s.empty() && s[0] != '0' && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
            return s;
    }
    refuse("fields.sequence_number", "'fields.sequence_number' must be a positive integer, not " + v->dump());
}

// Canonical need names (the suffixes of COA's need_* fields where they exist)
// -> MbT behoefte/@code, per the Needs table in the partners' README.
const std::vector<std::pair<std::string, std::string>>& need_codes() {
    static const std::vector<std::pair<std::string, std::string>> kNeeds = {
        {"housing", "HUISVESTING"},   {"income", "INKOMEN"},   {"education", "ONDERWIJS"},
        {"business_start", "BEDRIJFSSTART"}, {"medical", "MEDISCH"}, {"psychosocial", "PSYCHOSOCIAAL"},
        {"young_adult", "JONGERE"},
    };
    return kNeeds;
}

struct Need {
    std::string code;                        // MbT code
    std::optional<std::string> explanation;  // behoefte/@toelichting
};

// fields.needs: a list of {"need": "business_start", "explanation": "..."}
// or plain need names. The order is kept (MbT's samples are not sorted).
std::vector<Need> needs_of(const Json& fields) {
    std::vector<Need> out;
    const Json* list = find(fields, "needs");
    if (!list) return out;
    if (!list->is_array()) refuse("fields.needs", "'fields.needs' must be a list");
    std::set<std::string> seen;
    for (size_t i = 0; i < list->size(); ++i) {
        const std::string path = "fields.needs[" + std::to_string(i) + "]";
        const Json& item = (*list)[i];
        std::string name;
        Need need;
        if (item.is_string()) {
            name = item.get<std::string>();
        } else if (item.is_object()) {
            name = required_string(item, "need", path + ".need");
            need.explanation = optional_string(item, "explanation", path + ".explanation");
        } else {
            refuse(path, "'" + path + "' must be a need name or {\"need\", \"explanation\"}");
        }
        auto it = std::find_if(need_codes().begin(), need_codes().end(),
                               [&](const auto& n) { return n.first == lower(name); });
        if (it == need_codes().end())
            refuse(path, "unknown need '" + name +
                             "' (housing, income, education, business_start, medical, psychosocial, young_adult)");
        if (!seen.insert(it->second).second) refuse(path, "need '" + name + "' is listed twice");
        need.code = it->second;
        out.push_back(std::move(need));
    }
    return out;
}

PersonRef person_of(const Json& fields) {
    const Json* p = find(fields, "person");
    if (!p || !p->is_object()) refuse("fields.person", "'fields.person' (a canonical person) is required");
    try {
        return p->get<PersonRef>();
    } catch (const Json::exception& e) {
        refuse("fields.person", std::string("'fields.person' is not a canonical person: ") + e.what());
    }
}

// Natural order, one attribute: "Fatmata Kamara".
std::string natural_name(const PersonRef& p) {
    if (!p.family_name || p.family_name->empty()) refuse("fields.person.family_name", "the person's family_name is required");
    if (p.given_names && !p.given_names->empty()) return *p.given_names + " " + *p.family_name;
    return *p.family_name;
}

struct BirthDate {
    std::string compact;       // yyyymmdd
    std::optional<int> year_only;  // set when only the year is known
};

// MbT has no notion of an estimated date of birth. A date known only by its
// year is written as 1 January (IOM's convention) and the remark says so, so
// that MbT does not take it for an exact date.
BirthDate birth_date_of(const PersonRef& p) {
    if (!p.birth_date) refuse("fields.person.birth_date", "the person's birth_date is required");
    const std::string& d = *p.birth_date;
    char buf[16];
    if (p.birth_date_precision == "year") {
        int year = 0;
        if (d.size() >= 4 && std::all_of(d.begin(), d.begin() + 4, [](unsigned char c) { return std::isdigit(c); }))
            year = std::stoi(d.substr(0, 4));
        if (year < 1900)
            refuse("fields.person.birth_date", "birth_date '" + d + "' does not start with a year");
        std::snprintf(buf, sizeof buf, "%04d0101", year);
        return {buf, year};
    }
    auto c = dates::parse_iso_date(d);
    if (!c) refuse("fields.person.birth_date", "birth_date must be YYYY-MM-DD, not '" + d + "'");
    std::snprintf(buf, sizeof buf, "%04d%02u%02u", c->year, c->month, c->day);
    return {buf, std::nullopt};
}

// Canonical M / F -> MbT M / V. MbT has no code for unknown.
std::string geslacht_of(const PersonRef& p) {
    if (!p.sex) refuse("fields.person.sex", "the person's sex is required");
    if (*p.sex == "M") return "M";
    if (*p.sex == "F") return "V";
    refuse("fields.person.sex", "MbT records sex as M or V only; '" + *p.sex + "' cannot be sent");
}

// Alpha-2 -> the crosswalk's English name, the only country coding MbT reads.
std::string country_name(const PersonRef& p, const CountryCatalog& countries) {
    const std::string path = "fields.person.country_of_return";
    if (!p.country_of_return || p.country_of_return->empty()) refuse(path, "the person's country_of_return is required");
    const std::string code = upper(*p.country_of_return);
    if (auto name = countries.english_name(code)) return *name;
    std::string hint = code == "SS" ? " (returns to South Sudan are recorded under Sudan, SD)" : "";
    refuse(path, "'" + code + "' has no English name in the agreed crosswalk (reference/country-names.txt)" + hint);
}

void require_consent_given(const Json& fields) {
    const Json* v = find(fields, "consent_given");
    const bool given = v && ((v->is_boolean() && v->get<bool>()) || (v->is_string() && v->get<std::string>() == "true"));
    if (!given) refuse("fields.consent_given", "a referral is only sent with consent: 'fields.consent_given' must be true");
}

// Space-separated list for toestemming/@delenMet; must include MBT.
std::string consent_organisations(const Json& fields) {
    static const std::vector<std::string> kOrganisations = {"SDT", "COA", "DTV", "IOM",   "MBT",
                                                            "HNTPO", "SMS", "VWN", "NIDOS", "PHAROS"};
    const std::string path = "fields.consent_organisations";
    const Json* list = find(fields, "consent_organisations");
    if (!list || !list->is_array() || list->empty()) refuse(path, "'" + path + "' (a list of organisations) is required");
    std::vector<std::string> orgs;
    for (size_t i = 0; i < list->size(); ++i) {
        const std::string item_path = path + "[" + std::to_string(i) + "]";
        if (!(*list)[i].is_string()) refuse(item_path, "'" + item_path + "' must be an organisation code");
        const std::string org = upper((*list)[i].get<std::string>());
        if (std::find(kOrganisations.begin(), kOrganisations.end(), org) == kOrganisations.end())
            refuse(item_path, "unknown organisation '" + org + "'");
        if (std::find(orgs.begin(), orgs.end(), org) == orgs.end()) orgs.push_back(org);
    }
    if (std::find(orgs.begin(), orgs.end(), "MBT") == orgs.end())
        refuse(path, "the consent does not cover MBT; a referral is sent only to a partner the consent covers");
    std::string out;
    for (const auto& o : orgs) out += (out.empty() ? "" : " ") + o;
    return out;
}

}  // namespace

std::string encode_referral_request(const OutboundMessage& m, const CountryCatalog& countries) {
    const Json& f = m.fields;
    const std::string kenmerk = required_string(f, "hub_referral_id", "fields.hub_referral_id");
    if (!is_hub_referral_id(kenmerk))
        refuse("fields.hub_referral_id", "'" + kenmerk + "' is not a hub referral id SDT-YYYY-NNNNNN");
    const std::string volgnr = sequence_number(f);
    const std::string datum = compact_date(f, "referral_date", "fields.referral_date");
    const std::string project = code_from(f, "project_suggestion", "fields.project_suggestion", {"MBT", "BB"});
    const std::string funding = code_from(f, "funding", "fields.funding", {"BZ", "ETF"});
    const std::string referred_by =
        code_from(f, "referred_by", "fields.referred_by", {"COA", "VWN", "DTV", "IOM", "SDT"});

    const PersonRef person = person_of(f);
    if (person.v_number && (person.v_number->size() != 10 ||
                            !std::all_of(person.v_number->begin(), person.v_number->end(),
                                         [](unsigned char c) { return std::isdigit(c); })))
        refuse("fields.person.v_number", "v_number must be 10 digits, not '" + *person.v_number + "'");
    const std::string naam = natural_name(person);
    const BirthDate geb = birth_date_of(person);
    const std::string geslacht = geslacht_of(person);
    const std::string land = country_name(person, countries);
    const std::vector<Need> needs = needs_of(f);

    require_consent_given(f);
    const std::string consent_date = compact_date(f, "consent_date", "fields.consent_date");
    const std::string shared_with = consent_organisations(f);

    std::optional<std::string> remarks = optional_string(f, "remarks", "fields.remarks");
    if (geb.year_only) {
        const std::string note =
            "Geboortedatum geschat: alleen het geboortejaar " + std::to_string(*geb.year_only) + " is bekend.";
        remarks = remarks ? *remarks + "\n" + note : note;
    }

    x::Writer w(kReferralDocument, kNamespace);
    xmlNode* root = w.root();
    w.set_attr(root, "kenmerk", kenmerk);
    w.set_attr(root, "volgnr", volgnr);
    w.set_attr(root, "datum", datum);
    w.set_attr(root, "land", land);
    w.set_attr(root, "projectSuggestie", project);
    w.set_attr(root, "financiering", funding);
    w.set_attr(root, "verwijzer", referred_by);

    xmlNode* persoon = w.add(root, "persoon");
    if (person.v_number) w.set_attr(persoon, "vnr", *person.v_number);
    w.set_attr(persoon, "naam", naam);
    w.set_attr(persoon, "geb", geb.compact);
    w.set_attr(persoon, "geslacht", geslacht);
    // MbT keeps only the country of return; persoon/@land is that country too.
    w.set_attr(persoon, "land", land);

    // MEDISCH and PSYCHOSOCIAAL are special-category: the hub puts them in
    // the message only when the consent covers MbT and MbT needs them; the
    // adapter writes what it is given and checks the consent covers MBT.
    for (const Need& need : needs) {
        xmlNode* b = w.add(root, "behoefte");
        w.set_attr(b, "code", need.code);
        if (need.explanation) w.set_attr(b, "toelichting", *need.explanation);
    }

    xmlNode* consent = w.add(root, "toestemming");
    w.set_attr(consent, "gegeven", "true");
    w.set_attr(consent, "datum", consent_date);
    w.set_attr(consent, "delenMet", shared_with);

    if (remarks) w.add(root, "opmerking", *remarks);
    return w.serialize();
}

}  // namespace ketenhub::mbt
