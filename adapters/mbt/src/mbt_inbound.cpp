// VolgsysteemExport -> canonical records: one record per dossier, one event
// per step, each record a snapshot of the dossier's complete step list.
#include "mbt_internal.hpp"

#include <ketenhub/sdk/dates.hpp>
#include <ketenhub/sdk/text.hpp>

#include <algorithm>
#include <charconv>
#include <map>

namespace ketenhub::mbt {
namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;

// MbT step code -> canonical event type.
const std::map<std::string, std::string>& step_types() {
    static const std::map<std::string, std::string> kTypes = {
        {"AANMELDING", event_type::kRegistration},  {"INTAKE", event_type::kIntake},
        {"PLAN", event_type::kReintegrationPlan},   {"VERTREK", event_type::kDeparture},
        {"AANKOMST", event_type::kArrival},         {"MONITORING", event_type::kMonitoringVisit},
        {"AFGESLOTEN", event_type::kCaseClosed},    {"AFGEHAAKT", event_type::kDroppedOut},
    };
    return kTypes;
}

// All data sits in attributes, so problems point at "/.../@name" on the
// line of the element that carries the attribute.
Problem problem_at(xmlNode* element, const char* attribute, std::string message) {
    const xmlNode* where = element;
    if (xmlAttr* a = xmlHasProp(element, BAD_CAST attribute)) where = reinterpret_cast<const xmlNode*>(a);
    return Problem{x::line_of(where), x::path_of(where), std::move(message)};
}

// The schema guarantees required attributes; an absent optional one is "".
std::string attribute(const xmlNode* element, const char* name) { return x::attr(element, name).value_or(""); }

// yyyymmdd -> YYYY-MM-DD. The schema's pattern lets impossible dates such as
// 20100231 through; the MbT README makes the receiver check them.
std::optional<std::string> iso_date(const std::string& compact) {
    auto c = dates::parse_compact_date(compact);
    if (!c) return std::nullopt;
    return dates::format(*c);
}

// What every record of one export shares.
struct ExportContext {
    std::string partner;
    std::string export_id;
    std::string export_date;       // YYYY-MM-DD; a message date, never an event date
    std::string snapshot_version;  // sorts by export date, then export id
};

void put(Event& e, const char* key, Json value, Sensitivity s) { e.fields[key] = Field{std::move(value), s}; }

PersonRef person_of(xmlNode* dossier, xmlNode* persoon, const CountryCatalog& countries,
                    std::vector<Problem>& problems) {
    PersonRef p;
    p.partner_ids.push_back({"mbt", attribute(dossier, "nr")});
    if (auto vnr = x::attr(persoon, "vnr")) p.v_number = *vnr;
    text::split_natural_name(attribute(persoon, "naam"), p);

    const std::string geb = attribute(persoon, "geb");
    if (auto d = iso_date(geb))
        p.birth_date = *d;
    else
        problems.push_back(problem_at(persoon, "geb", "'" + geb + "' is not a calendar date (yyyymmdd)"));

    // The schema allows M and V only.
    p.sex = attribute(persoon, "geslacht") == "V" ? "F" : "M";

    // persoon/@land is the country of return; MbT records no nationality.
    const std::string land = attribute(persoon, "land");
    if (auto code = countries.from_english(land))
        p.country_of_return = *code;
    else
        problems.push_back(problem_at(persoon, "land",
                                      "'" + land +
                                          "' is not an English country name in the agreed crosswalk "
                                          "(reference/country-names.txt); country names are never guessed"));
    return p;
}

Event step_event(const ExportContext& ctx, const std::string& record_id, xmlNode* dossier, xmlNode* stap,
                 const PersonRef& person, std::vector<Problem>& problems) {
    Event e;
    const std::string code = attribute(stap, "code");
    auto type = step_types().find(code);
    if (type == step_types().end())  // the schema's enumeration makes this unreachable
        problems.push_back(problem_at(stap, "code", "unknown step code '" + code + "'"));
    else
        e.type = type->second;

    const std::string datum = attribute(stap, "datum");
    if (auto d = iso_date(datum))
        e.event_date = *d;
    else
        problems.push_back(problem_at(stap, "datum", "'" + datum + "' is not a calendar date (yyyymmdd)"));

    e.source = Source{ctx.partner, kExportDocument, ctx.export_id, record_id, x::line_of(stap)};
    e.person = person;
    if (auto referral = x::attr(stap, "verwijzing")) e.hub_referral_id = *referral;

    put(e, "export_id", ctx.export_id, Sensitivity::Public);
    put(e, "export_date", ctx.export_date, Sensitivity::Public);
    put(e, "step_code", code, Sensitivity::Personal);
    put(e, "carried_out_by", attribute(stap, "partner"), Sensitivity::Public);
    if (auto reason = x::attr(stap, "reden")) put(e, "reason", *reason, Sensitivity::Personal);
    // On every event, so that statistics can count in-kind returns by
    // project (Beyond Borders) and funding stream from the departure alone.
    put(e, "project", attribute(dossier, "project"), Sensitivity::Personal);
    put(e, "funding", attribute(dossier, "financiering"), Sensitivity::Personal);
    return e;
}

Record decode_dossier(const ExportContext& ctx, xmlNode* dossier, const CountryCatalog& countries) {
    Record r;
    // MbT has no id per message: a record is the export id plus volgnr.
    // volgnr compares by value ("02" == "2" == "+2"): the same record always gets the same id.
    r.record_id = ctx.export_id + ":" + text::xs_integer(attribute(dossier, "volgnr"));
    r.line = x::line_of(dossier);

    std::vector<Problem> problems;
    PersonRef person = person_of(dossier, x::child(dossier, "persoon"), countries, problems);
    std::vector<Event> events;
    for (xmlNode* stap : x::children(dossier, "stap"))
        events.push_back(step_event(ctx, r.record_id, dossier, stap, person, problems));

    if (!problems.empty()) {
        // Confined to this dossier: the rest of the export is still processed.
        r.accepted = false;
        r.problems = std::move(problems);
        return r;
    }
    r.events = std::move(events);
    // The record holds the dossier's complete current step list: the newest
    // export of the dossier replaces what the hub holds, an older one arriving
    // late changes nothing.
    r.snapshot = Snapshot{"mbt-dossier:" + attribute(dossier, "nr"), ctx.snapshot_version};
    return r;
}

// @aantal must equal the number of dossier records, else the whole export is
// refused. Compared by value: the schema type is xs:positiveInteger.
void check_record_count(xmlNode* root, size_t present) {
    const std::string declared = attribute(root, "aantal");
    const std::string digits = text::xs_integer(declared);
    unsigned long long value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    const bool matches = ec == std::errc() && end == digits.data() + digits.size() && value == present;
    if (!matches)
        throw Rejection({problem_at(root, "aantal",
                                    "aantal is " + text::trim(declared) + " but the export holds " + std::to_string(present) +
                                        " dossier records; the whole export is rejected")});
}

}  // namespace

DecodedDocument decode_export(xmlNode* root, const std::string& partner, const CountryCatalog& countries) {
    ExportContext ctx;
    ctx.partner = partner;
    ctx.export_id = attribute(root, "exportId");
    const std::string datum = attribute(root, "datum");
    auto export_date = iso_date(datum);
    if (!export_date)
        throw Rejection({problem_at(root, "datum", "export date '" + datum + "' is not a calendar date (yyyymmdd)")});
    ctx.export_date = *export_date;
    // "The newest export of a dossier, by export date (@datum) and then
    // exportId": yyyymmdd and VS-yyyymmdd-nn are fixed-width, so the plain
    // string "20101103/VS-20101103-01" sorts in exactly that order.
    ctx.snapshot_version = datum + "/" + ctx.export_id;

    std::vector<xmlNode*> dossiers = x::children(root, "dossier");
    check_record_count(root, dossiers.size());

    DecodedDocument d;
    d.document_type = kExportDocument;
    d.message_id = ctx.export_id;
    d.batch = true;
    for (xmlNode* dossier : dossiers) d.records.push_back(decode_dossier(ctx, dossier, countries));
    return d;
}

}  // namespace ketenhub::mbt
