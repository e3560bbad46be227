// VluchtelingenWerk Nederland adapter (urn:nl:vluchtelingenwerk:nadenken-over-terugkeer:2).
// Inbound: Export (batch of Contactmoment), AanmeldingFrontOffice.
// Outbound: Terugkoppeling (canonical type "feedback"), in ISO-8859-1.
// The field mapping and the readings of the contract are documented in
// adapters/vwn/README.md.
#include "latin1.hpp"
#include "vwn_embedded.hpp"

#include <ketenhub/sdk/adapter.hpp>
#include <ketenhub/sdk/countries.hpp>
#include <ketenhub/sdk/dates.hpp>
#include <ketenhub/sdk/text.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;
using text::split_natural_name;
using text::trim;
using text::xs_boolean;
using text::xs_integer;

constexpr const char* kNamespace = "urn:nl:vluchtelingenwerk:nadenken-over-terugkeer:2";
constexpr const char* kExport = "Export";
constexpr const char* kRegistration = "AanmeldingFrontOffice";
constexpr const char* kFeedback = "feedback";
constexpr const char* kCoachingPhase = "coaching-besluitvorming";

// VWN writes organisations in full; the chain's canonical codes are those of
// COA's format (toestemming/delenMet), so a consent reads the same whoever
// recorded it.
const std::map<std::string, std::string>& organisation_codes() {
    static const std::map<std::string, std::string> m = {
        {"SDT", "SDT"},           {"COA", "COA"},          {"DT&V", "DTV"},
        {"IOM", "IOM"},           {"Cordaid MbT", "MBT"},  {"HealthNet TPO", "HNTPO"},
        {"Stichting Mondiale Samenleving", "SMS"},         {"Nidos", "NIDOS"},
        {"Pharos", "PHAROS"}};
    return m;
}

// Receivers a Terugkoppeling can name (Doorverwezen/naar), by canonical code.
const std::map<std::string, std::string>& receiver_names() {
    static const std::map<std::string, std::string> m = {
        {"COA", "COA Front Office"}, {"IOM", "IOM"},     {"MBT", "Cordaid MbT"}, {"HNTPO", "HealthNet TPO"},
        {"SMS", "Stichting Mondiale Samenleving"},       {"NIDOS", "Nidos"},     {"PHAROS", "Pharos"}};
    return m;
}

std::string sex_of(const std::string& vwn) {
    if (vwn == "man") return "M";
    if (vwn == "vrouw") return "F";
    return "X";  // onbekend
}

void put(Event& e, const char* key, Json value, Sensitivity s) { e.fields[key] = Field{std::move(value), s}; }

class VwnAdapter final : public Adapter {
public:
    explicit VwnAdapter(const HostSettings& host)
        : partner_(host.partner.empty() ? "vwn" : host.partner),
          countries_(CountryCatalog::load(host.reference_dir + "/country-names.txt", host.iso3166_json)),
          inbound_(ketenhub::embedded::kVwnInboundXsd, "vwn/inbound.xsd"),
          outbound_(ketenhub::embedded::kVwnOutboundXsd, "vwn/outbound.xsd") {}

    Json describe() const override {
        return Json{{"namespace", kNamespace},
                    {"inbound", {kExport, kRegistration}},
                    {"outbound", {kFeedback}},
                    // regelId SDT-YYYY-NNNNNN; documents in ISO-8859-1 as VWN reads them.
                    {"outbound_message_ids", "sdt-year"},
                    {"outbound_content_type", "application/xml; charset=ISO-8859-1"},
                    {"settings", Json::array()}};
    }

    // libxml2 reads the ISO-8859-1 declaration and hands us UTF-8 text.
    DecodedDocument decode(std::string_view bytes) override {
        auto doc = x::Document::parse_untrusted(bytes);
        inbound_.require_valid(doc);
        xmlNode* root = doc.root();
        const std::string type = x::local_name(root);
        if (type == kExport) return decode_export(root);
        if (type == kRegistration) return decode_registration(root);
        throw Rejection(x::line_of(root), "/" + type, "unexpected document type " + type);
    }

    std::string encode(const OutboundMessage& m) override {
        if (m.type != kFeedback)
            throw Rejection(0, "type", "the VWN adapter encodes feedback only, not '" + m.type + "'");
        return encode_feedback(m);
    }

private:
    // ---- Inbound --------------------------------------------------------

    // dd-mm-jjjj -> YYYY-MM-DD. The schema's pattern lets 31-02-2010 through;
    // VWN's README makes the receiver check it.
    static std::optional<std::string> date(xmlNode* n, std::vector<Problem>& problems) {
        if (!n) return std::nullopt;
        auto d = dates::parse_dutch_date(x::text(n));
        if (!d) {
            problems.push_back({x::line_of(n), x::path_of(n), "'" + x::text(n) + "' is not a calendar date (dd-mm-jjjj)"});
            return std::nullopt;
        }
        return dates::format(*d);
    }

    // A Dutch country name, only through the agreed crosswalk: an unknown
    // name is a problem to resolve by hand, never a guess.
    std::optional<std::string> country(xmlNode* n, std::vector<Problem>& problems) const {
        if (!n) return std::nullopt;
        auto code = countries_.from_dutch(x::text(n));
        if (!code)
            problems.push_back({x::line_of(n), x::path_of(n),
                                "country name '" + x::text(n) + "' is not in the agreed crosswalk (country-names.txt); "
                                "it must be resolved by hand"});
        return code;
    }

    // The client block: Contactmoment itself, or AanmeldingFrontOffice/client.
    PersonRef person(xmlNode* client, std::vector<Problem>& problems) const {
        PersonRef p;
        p.partner_ids.push_back({"vwn", x::text(x::child(client, "clientnummer"))});
        p.v_number = x::child_text(client, "vNummer");
        split_natural_name(x::text(x::child(client, "naam")), p);
        p.birth_date = date(x::child(client, "geboortedatum"), problems);
        p.sex = sex_of(x::text(x::child(client, "geslacht")));
        // Country of origin; it stands in for nationality in identity matching.
        p.nationality = country(x::child(client, "landVanHerkomst"), problems);
        return p;
    }

    Event base_event(xmlNode* record, const char* type, const char* document_type, const std::string& regel_id) const {
        Event e;
        e.type = type;
        // regelId is VWN's message id for the record (README "Identifiers").
        e.source = Source{partner_, document_type, regel_id, regel_id, x::line_of(record)};
        return e;
    }

    DecodedDocument decode_export(xmlNode* root) const {
        const auto records = x::children(root, "Contactmoment");
        xmlNode* count_node = x::child(root, "aantalRegels");
        // A repeated regelId is refused by the schema's identity constraint
        // UniekRegelId before we get here.
        const std::string declared = xs_integer(x::text(count_node));
        if (declared != std::to_string(records.size()))
            throw Rejection(x::line_of(count_node), x::path_of(count_node),
                            "aantalRegels says " + declared + " but the export holds " +
                                std::to_string(records.size()) + " Contactmoment records; the export is refused whole");
        // A document-level field: a problem with it refuses the whole export.
        std::vector<Problem> export_problems;
        const auto export_date = date(x::child(root, "exportdatum"), export_problems);
        if (!export_problems.empty()) throw Rejection(std::move(export_problems));
        const std::string office = x::text(x::child(root, "afdeling"));

        DecodedDocument d;
        d.document_type = kExport;
        d.batch = true;  // no document-level id (message_id stays empty): the hub keys it by content
        for (xmlNode* r : records) d.records.push_back(contact_record(r, office, *export_date));
        return d;
    }

    // One Contactmoment. Its problems stay with it: the other records of the
    // export are still processed.
    Record contact_record(xmlNode* r, const std::string& office, const std::string& export_date) const {
        std::vector<Problem> problems;
        const std::string regel_id = x::attr(r, "regelId").value_or("");
        Event e = base_event(r, event_type::kContact, kExport, regel_id);
        e.person = person(r, problems);
        if (auto when = date(x::child(r, "datum"), problems)) e.event_date = *when;
        const std::string phase = x::text(x::child(r, "fase"));
        put(e, "office", office, Sensitivity::Public);
        put(e, "export_date", export_date, Sensitivity::Public);
        put(e, "phase", phase, Sensitivity::Personal);
        if (xmlNode* n = x::child(r, "gesprekNummer")) {
            // The five future conversations belong to one phase only.
            if (phase != kCoachingPhase)
                problems.push_back({x::line_of(n), x::path_of(n),
                                    "gesprekNummer is only used in phase " + std::string(kCoachingPhase) +
                                        ", not in phase " + phase});
            put(e, "conversation_number", std::stoi(xs_integer(x::text(n))), Sensitivity::Personal);
        }
        put(e, "vva_drawn_up", xs_boolean(x::text(x::child(r, "vvaOpgesteld"))), Sensitivity::Personal);
        // confidential-VVA: held by the hub for VWN only, never forwarded.
        if (auto plan = x::child_text(r, "toekomstplan")) put(e, "future_plan", *plan, Sensitivity::Confidential);
        put(e, "decision", x::text(x::child(r, "besluit")), Sensitivity::Personal);
        put(e, "volunteer", x::text(x::child(r, "vrijwilliger")), Sensitivity::Personal);
        put(e, "consent_given", xs_boolean(x::text(x::child(r, "toestemmingDelen"))), Sensitivity::Personal);

        Record rec;
        rec.record_id = regel_id;
        rec.line = x::line_of(r);
        if (problems.empty()) {
            rec.events.push_back(std::move(e));
        } else {
            rec.accepted = false;
            rec.problems = std::move(problems);
        }
        return rec;
    }

    // A single document: any problem refuses it whole.
    DecodedDocument decode_registration(xmlNode* root) const {
        std::vector<Problem> problems;
        const std::string regel_id = x::attr(root, "regelId").value_or("");
        Event e = base_event(root, event_type::kFrontOfficeRegistration, kRegistration, regel_id);
        xmlNode* client = x::child(root, "client");
        e.person = person(client, problems);
        if (auto when = date(x::child(root, "datumAanmelding"), problems)) e.event_date = *when;
        e.person->country_of_return = country(x::child(root, "gewenstLandVanTerugkeer"), problems);
        put(e, "office", x::text(x::child(root, "afdeling")), Sensitivity::Public);
        put(e, "volunteer", x::text(x::child(root, "vrijwilliger")), Sensitivity::Personal);
        if (auto where = x::child_text(client, "verblijfplaats")) put(e, "residence", *where, Sensitivity::Personal);
        put(e, "decision", x::text(x::child(root, "besluit")), Sensitivity::Personal);
        if (e.person->country_of_return)
            put(e, "desired_country_of_return", *e.person->country_of_return, Sensitivity::Personal);

        // Absent flags (or an absent aandachtspunten block) mean "no such need".
        xmlNode* needs = x::child(root, "aandachtspunten");
        auto flag = [&](const char* name) { return xs_boolean(x::child_text(needs, name).value_or("false")); };
        put(e, "need_psychosocial", flag("psychosocialeOndersteuning"), Sensitivity::SpecialCategory);
        put(e, "need_medical", flag("medischeZorg"), Sensitivity::SpecialCategory);
        put(e, "need_young_adult", flag("jongere"), Sensitivity::Personal);
        if (auto why = x::child_text(needs, "toelichting")) put(e, "needs_explanation", *why, Sensitivity::SpecialCategory);

        xmlNode* consent = x::child(root, "toestemming");
        const bool given = xs_boolean(x::text(x::child(consent, "toestemmingDelen")));
        // Without consent to share, the registration is for VWN's own
        // statistics only and the hub passes nothing on: the consent then
        // covers no organisation, whatever organisatie elements it lists.
        std::vector<std::string> orgs;
        if (given)
            for (xmlNode* o : x::children(consent, "organisatie")) orgs.push_back(organisation_codes().at(x::text(o)));
        put(e, "consent_given", given, Sensitivity::Personal);
        if (auto when = date(x::child(consent, "datum"), problems)) put(e, "consent_date", *when, Sensitivity::Personal);
        put(e, "consent_organisations", orgs, Sensitivity::Personal);

        if (!problems.empty()) throw Rejection(std::move(problems));
        DecodedDocument d;
        d.document_type = kRegistration;
        d.message_id = regel_id;
        Record rec;
        rec.record_id = regel_id;
        rec.line = x::line_of(root);
        rec.events.push_back(std::move(e));
        d.records.push_back(std::move(rec));
        return d;
    }

    // ---- Outbound -------------------------------------------------------

    static std::string required(const Json& f, const char* name) {
        auto it = f.find(name);
        if (it == f.end() || !it->is_string() || it->get<std::string>().empty())
            throw Rejection(0, std::string("fields.") + name, std::string("feedback needs '") + name + "'");
        return it->get<std::string>();
    }

    static std::string optional_text(const Json& f, const char* name) {
        auto it = f.find(name);
        if (it == f.end() || it->is_null()) return {};
        if (!it->is_string()) throw Rejection(0, std::string("fields.") + name, std::string(name) + " must be a string");
        return it->get<std::string>();
    }

    // YYYY-MM-DD as it is, or a timestamp as its Amsterdam calendar date ->
    // dd-mm-jjjj.
    static std::string vwn_date(const std::string& value, const char* field) {
        std::optional<dates::Civil> d = dates::parse_iso_date(value);
        if (!d) {
            if (auto day = dates::amsterdam_date_of(value)) d = dates::parse_iso_date(*day);
        }
        if (!d)
            throw Rejection(0, std::string("fields.") + field, "not a date YYYY-MM-DD or a timestamp: '" + value + "'");
        char buf[16];
        std::snprintf(buf, sizeof buf, "%02u-%02u-%04d", d->day, d->month, d->year);
        return buf;
    }

    std::string encode_feedback(const OutboundMessage& m) const {
        const Json& f = m.fields;
        if (m.message_id.empty()) throw Rejection(0, "message_id", "feedback needs the hub's message id (SDT-YYYY-NNNNNN)");
        // VWN's README: Terugkoppeling is sent only with a consent that names
        // VWN. The native document carries only that consent's date, so the
        // adapter checks the consent it is given (the hub's policy decides
        // which consent that is).
        auto orgs_it = f.find("consent_organisations");
        if (orgs_it == f.end() || !orgs_it->is_array())
            throw Rejection(0, "fields.consent_organisations",
                            "feedback needs the organisations of the consent it relies on (consent_organisations)");
        if (std::find(orgs_it->begin(), orgs_it->end(), Json("VWN")) == orgs_it->end())
            throw Rejection(0, "fields.consent_organisations",
                            "feedback to VWN is sent only with a consent that names VWN; consent_organisations lacks VWN");
        const std::string outcome = required(f, "outcome");

        x::Writer w("Terugkoppeling", kNamespace);
        xmlNode* r = w.root();
        w.set_attr(r, "regelId", m.message_id);
        if (auto in_reply = optional_text(f, "in_reply_to"); !in_reply.empty()) w.add(r, "inReactieOp", in_reply);
        w.add(r, "clientnummer", required(f, "vwn_client_number"));
        if (auto v = optional_text(f, "v_number"); !v.empty()) w.add(r, "vNummer", v);
        w.add(r, "afdeling", latin1_text(required(f, "office"), "office"));
        w.add(r, "toestemmingVan", vwn_date(required(f, "consent_date"), "consent_date"));
        if (outcome == "referred") {
            const std::string to = required(f, "referred_to");
            auto name = receiver_names().find(to);
            if (name == receiver_names().end())
                throw Rejection(0, "fields.referred_to",
                                "VWN knows no receiver '" + to + "' (COA, IOM, MBT, HNTPO, SMS, NIDOS, PHAROS)");
            xmlNode* n = w.add(r, "Doorverwezen");
            w.add(n, "naar", name->second);
            w.add(n, "datum", vwn_date(required(f, "date"), "date"));
        } else if (outcome == "returned") {
            const std::string code = required(f, "country");
            auto dutch = countries_.dutch_name(code);
            if (!dutch) throw Rejection(0, "fields.country", "no Dutch name in the crosswalk for country '" + code + "'");
            xmlNode* n = w.add(r, "Teruggekeerd");
            w.add(n, "datum", vwn_date(required(f, "date"), "date"));
            w.add(n, "land", *dutch);
        } else if (outcome == "stopped") {
            xmlNode* n = w.add(r, "Gestopt");
            w.add(n, "datum", vwn_date(required(f, "date"), "date"));
            w.add(n, "reden", latin1_text(required(f, "reason"), "reason"));
        } else {
            throw Rejection(0, "fields.outcome", "outcome must be referred, returned or stopped, not '" + outcome + "'");
        }
        std::string out = w.serialize("ISO-8859-1");
        // Never hand VWN a document its own schema refuses.
        outbound_.require_valid(x::Document::parse_untrusted(out));
        return out;
    }

    static std::string latin1_text(const std::string& utf8, const char* field) {
        return vwn::latin1::transliterate(utf8, std::string("fields.") + field);
    }

    std::string partner_;
    CountryCatalog countries_;
    x::Schema inbound_;
    x::Schema outbound_;
};

}  // namespace

KETENHUB_ADAPTER(VwnAdapter, "vwn", "1.1.0")
