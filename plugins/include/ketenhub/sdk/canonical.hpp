// The canonical case model as it crosses the plugin boundary: what an adapter
// produces when it decodes a partner document, and what it consumes when it
// encodes an outbound message. Both sides (hub and plugins) use these types;
// on the wire they are JSON (see docs/case-model.md for every field).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ketenhub::sdk {

using Json = nlohmann::json;

// How far a value may travel. Ordered from least to most restricted.
enum class Sensitivity {
    Public,           // not about a person (codes, message dates, organisations)
    Personal,         // identifies or describes a person
    SpecialCategory,  // health, psychosocial, ethnicity, religion
    Confidential,     // VWN flight-story level: never leaves the owning partner
};

inline std::string_view to_string(Sensitivity s) {
    switch (s) {
        case Sensitivity::Public: return "public";
        case Sensitivity::Personal: return "personal";
        case Sensitivity::SpecialCategory: return "special-category";
        case Sensitivity::Confidential: return "confidential";
    }
    return "confidential";
}

inline Sensitivity sensitivity_from_string(std::string_view s) {
    if (s == "public") return Sensitivity::Public;
    if (s == "personal") return Sensitivity::Personal;
    if (s == "special-category") return Sensitivity::SpecialCategory;
    if (s == "confidential") return Sensitivity::Confidential;
    throw std::invalid_argument("unknown sensitivity class '" + std::string(s) + "'");
}

// One value and how far it may travel. The value is JSON so a field can be a
// string, number, boolean or a list (e.g. organisations in a consent).
struct Field {
    Json value;
    Sensitivity sensitivity = Sensitivity::Personal;
};

inline void to_json(Json& j, const Field& f) {
    j = Json{{"value", f.value}, {"sensitivity", to_string(f.sensitivity)}};
}
inline void from_json(const Json& j, Field& f) {
    f.value = j.at("value");
    f.sensitivity = sensitivity_from_string(j.at("sensitivity").get<std::string>());
}

// An identifier a partner keeps for a person, e.g. {"coa","30415522"}.
// Schemes: "coa" (coaNummer), "vwn" (clientnummer), "iom" (caseNo), "mbt"
// (dossier nr). The V-nummer is not a partner id; it has its own slot.
struct PartnerId {
    std::string scheme;
    std::string value;
    bool operator==(const PartnerId&) const = default;
};
inline void to_json(Json& j, const PartnerId& p) { j = Json{{"scheme", p.scheme}, {"value", p.value}}; }
inline void from_json(const Json& j, PartnerId& p) {
    p.scheme = j.at("scheme").get<std::string>();
    p.value = j.at("value").get<std::string>();
}

// A person as one document describes them. Every attribute is optional
// because partners know different things; identity resolution in the hub
// combines them. Canonical codings: sex "M" | "F" | "X" (unknown); countries
// ISO 3166-1 alpha-2 with "XK" for Kosovo; dates YYYY-MM-DD, with
// birth_date_precision "year" when the partner only estimated the year.
struct PersonRef {
    std::optional<std::string> v_number;
    std::vector<PartnerId> partner_ids;
    std::optional<std::string> family_name;
    std::optional<std::string> given_names;
    std::optional<std::string> birth_date;
    std::string birth_date_precision = "day";
    std::optional<std::string> sex;
    std::optional<std::string> nationality;
    std::optional<std::string> country_of_return;
    // One class for the whole person block: every attribute above identifies
    // or describes the person.
    Sensitivity sensitivity = Sensitivity::Personal;
    bool operator==(const PersonRef&) const = default;
};

namespace detail {
template <class T>
void put_opt(Json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}
template <class T>
void get_opt(const Json& j, const char* key, std::optional<T>& v) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) v = it->get<T>();
}
}  // namespace detail

inline void to_json(Json& j, const PersonRef& p) {
    j = Json::object();
    detail::put_opt(j, "v_number", p.v_number);
    j["partner_ids"] = p.partner_ids;
    detail::put_opt(j, "family_name", p.family_name);
    detail::put_opt(j, "given_names", p.given_names);
    detail::put_opt(j, "birth_date", p.birth_date);
    if (p.birth_date) j["birth_date_precision"] = p.birth_date_precision;
    detail::put_opt(j, "sex", p.sex);
    detail::put_opt(j, "nationality", p.nationality);
    detail::put_opt(j, "country_of_return", p.country_of_return);
    j["sensitivity"] = to_string(p.sensitivity);
}
inline void from_json(const Json& j, PersonRef& p) {
    detail::get_opt(j, "v_number", p.v_number);
    if (auto it = j.find("partner_ids"); it != j.end()) p.partner_ids = it->get<std::vector<PartnerId>>();
    detail::get_opt(j, "family_name", p.family_name);
    detail::get_opt(j, "given_names", p.given_names);
    detail::get_opt(j, "birth_date", p.birth_date);
    p.birth_date_precision = j.value("birth_date_precision", std::string("day"));
    detail::get_opt(j, "sex", p.sex);
    detail::get_opt(j, "nationality", p.nationality);
    detail::get_opt(j, "country_of_return", p.country_of_return);
    p.sensitivity = sensitivity_from_string(j.value("sensitivity", std::string("personal")));
}

// Where an event came from.
struct Source {
    std::string partner;        // hub partner code, e.g. "coa"
    std::string document_type;  // native root element, e.g. "HelpdeskVraag"
    std::string message_id;     // the partner's message id for the document
    std::string record_id;      // the record within a batch; == message_id otherwise
    long line = 0;              // line of the record in the native document
};
inline void to_json(Json& j, const Source& s) {
    j = Json{{"partner", s.partner}, {"document_type", s.document_type}, {"message_id", s.message_id},
             {"record_id", s.record_id}, {"line", s.line}};
}
inline void from_json(const Json& j, Source& s) {
    s.partner = j.at("partner").get<std::string>();
    s.document_type = j.at("document_type").get<std::string>();
    s.message_id = j.at("message_id").get<std::string>();
    s.record_id = j.at("record_id").get<std::string>();
    s.line = j.value("line", 0L);
}

// Event types of the shared case model (docs/case-model.md describes each).
namespace event_type {
inline constexpr const char* kHelpdeskQuestion = "helpdesk_question";
inline constexpr const char* kReferral = "referral";
inline constexpr const char* kReferralAnswer = "referral_answer";
inline constexpr const char* kContact = "contact";  // VWN contact moment, with phase
inline constexpr const char* kFrontOfficeRegistration = "front_office_registration";
inline constexpr const char* kSupportRequest = "support_request";
inline constexpr const char* kVoluntaryReturnDeclaration = "voluntary_return_declaration";
inline constexpr const char* kRegistration = "registration";  // IOM REGISTERED
inline constexpr const char* kTravelDocumentRequested = "travel_document_requested";
inline constexpr const char* kDeparture = "departure";
inline constexpr const char* kArrival = "arrival";
inline constexpr const char* kIntake = "intake";
inline constexpr const char* kReintegrationPlan = "reintegration_plan";
inline constexpr const char* kMonitoringVisit = "monitoring_visit";
inline constexpr const char* kCaseClosed = "case_closed";
inline constexpr const char* kDroppedOut = "dropped_out";
inline constexpr const char* kCountryList = "country_list";
}  // namespace event_type

// One thing that happened, as one partner reported it.
struct Event {
    std::string type;        // one of event_type::*
    std::string event_date;  // YYYY-MM-DD, Europe/Amsterdam calendar date
    Source source;
    std::optional<PersonRef> person;  // absent for events not about a person
    // The hub's referral id (SDT-YYYY-NNNNNN) when the partner echoes it.
    std::optional<std::string> hub_referral_id;
    // Everything else the document says, with its sensitivity class.
    std::map<std::string, Field> fields;
};
inline void to_json(Json& j, const Event& e) {
    j = Json{{"type", e.type}, {"event_date", e.event_date}, {"source", e.source}, {"fields", e.fields}};
    if (e.person) j["person"] = *e.person;
    if (e.hub_referral_id) j["hub_referral_id"] = *e.hub_referral_id;
}
inline void from_json(const Json& j, Event& e) {
    e.type = j.at("type").get<std::string>();
    e.event_date = j.at("event_date").get<std::string>();
    e.source = j.at("source").get<Source>();
    if (auto it = j.find("person"); it != j.end() && !it->is_null()) e.person = it->get<PersonRef>();
    detail::get_opt(j, "hub_referral_id", e.hub_referral_id);
    if (auto it = j.find("fields"); it != j.end()) e.fields = it->get<std::map<std::string, Field>>();
}

// What is wrong with an input, and where.
struct Problem {
    long line = 0;          // 1-based line in the native document; 0 when unknown
    std::string field;      // path of the element or attribute, e.g. "/HelpdeskVraag/land"
    std::string message;    // human explanation
};
inline void to_json(Json& j, const Problem& p) {
    j = Json{{"line", p.line}, {"field", p.field}, {"message", p.message}};
}
inline void from_json(const Json& j, Problem& p) {
    p.line = j.value("line", 0L);
    p.field = j.value("field", std::string());
    p.message = j.at("message").get<std::string>();
}

// A record that is a full snapshot of something the partner keeps (an MbT
// dossier): the newest version replaces the events of older versions of the
// same scope, and an older version arriving late changes nothing. Versions
// compare as strings, so use a sortable form ("20101103/EXP-0042").
struct Snapshot {
    std::string scope;    // e.g. "mbt-dossier:MBT-2010-0045"
    std::string version;  // e.g. the export date + export id
};

// One record of a document (a single document is one record) and what
// became of it in the adapter.
struct Record {
    std::string record_id;  // idempotency key of the record within its partner
    long line = 0;
    bool accepted = true;
    std::vector<Event> events;      // when accepted
    std::vector<Problem> problems;  // when rejected
    std::optional<Snapshot> snapshot;
};
inline void to_json(Json& j, const Record& r) {
    j = Json{{"record_id", r.record_id}, {"line", r.line}, {"accepted", r.accepted},
             {"events", r.events}, {"problems", r.problems}};
    if (r.snapshot) j["snapshot"] = Json{{"scope", r.snapshot->scope}, {"version", r.snapshot->version}};
}
inline void from_json(const Json& j, Record& r) {
    r.record_id = j.at("record_id").get<std::string>();
    r.line = j.value("line", 0L);
    r.accepted = j.at("accepted").get<bool>();
    if (auto it = j.find("events"); it != j.end()) r.events = it->get<std::vector<Event>>();
    if (auto it = j.find("problems"); it != j.end()) r.problems = it->get<std::vector<Problem>>();
    if (auto it = j.find("snapshot"); it != j.end() && !it->is_null())
        r.snapshot = Snapshot{it->at("scope").get<std::string>(), it->at("version").get<std::string>()};
}

// The result of decoding one native document that passed document-level
// checks (well-formed, no DOCTYPE, schema-valid, batch count right).
struct DecodedDocument {
    std::string document_type;
    // The partner's id for the whole document. Empty when the format has
    // none (VWN Export): the hub then keys the document by its content hash.
    std::string message_id;
    bool batch = false;
    std::vector<Record> records;
};
inline void to_json(Json& j, const DecodedDocument& d) {
    j = Json{{"document_type", d.document_type}, {"message_id", d.message_id}, {"batch", d.batch},
             {"records", d.records}};
}
inline void from_json(const Json& j, DecodedDocument& d) {
    d.document_type = j.at("document_type").get<std::string>();
    d.message_id = j.value("message_id", std::string());
    d.batch = j.value("batch", false);
    d.records = j.at("records").get<std::vector<Record>>();
}

// A message the hub wants delivered to a partner, in canonical terms. Each
// adapter documents the types it encodes and the fields each one reads.
struct OutboundMessage {
    std::string type;        // e.g. "referral_status", "referral_request"
    std::string message_id;  // hub-assigned id the native document carries
    std::string created_at;  // RFC 3339 timestamp with offset
    Json fields = Json::object();
};
inline void to_json(Json& j, const OutboundMessage& m) {
    j = Json{{"type", m.type}, {"message_id", m.message_id}, {"created_at", m.created_at}, {"fields", m.fields}};
}
inline void from_json(const Json& j, OutboundMessage& m) {
    m.type = j.at("type").get<std::string>();
    m.message_id = j.at("message_id").get<std::string>();
    m.created_at = j.at("created_at").get<std::string>();
    m.fields = j.value("fields", Json::object());
}

}  // namespace ketenhub::sdk
