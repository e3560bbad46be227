// DT&V adapter (Dienst Terugkeer en Vertrek, namespace urn:nl:dtv:ketenpartners:1).
// Inbound: Ondersteuningsverzoek, VerklaringVrijwilligeTerugkeer, Landenlijst,
// VertrekGeregistreerd. Outbound (hub pushes, always signed): Ontvangstbevestiging
// (support_request_acknowledgement) and VierwekelijkseRapportage
// (four_weekly_report). The mapping is documented in adapters/dtv/README.md.
#include "dtv_data_requirement.hpp"
#include "dtv_embedded.hpp"
#include "dtv_periods.hpp"
#include "dtv_signature.hpp"

#include <ketenhub/sdk/adapter.hpp>
#include <ketenhub/sdk/countries.hpp>
#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <set>

namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;
using ketenhub::dtv::OutboundFields;

constexpr const char* kNamespace = "urn:nl:dtv:ketenpartners:1";
constexpr const char* kSigningKey = "signing-key";
constexpr const char* kSigningCertificate = "signing-certificate";

// The ministry subsidy's term: the day of the ruling is day 0, day 28 the
// last allowed day.
constexpr int64_t kLastAllowedDayAfterRuling = 28;

std::string sex_of(const std::string& dtv) { return dtv == "M" ? "M" : dtv == "V" ? "F" : "X"; }

int64_t day_number(const dates::Civil& c) { return dates::days_from_civil(c.year, c.month, c.day); }

// ---- canonical outbound codes -> DT&V codes ---------------------------------

// Activity categories use the hub's programme-figure keys; written in DT&V's
// enumeration order, whatever order the message lists them in.
const std::vector<std::pair<std::string, std::string>>& activity_codes() {
    static const std::vector<std::pair<std::string, std::string>> codes = {
        {"information", "VOORLICHTING"}, {"coaching", "COACHING"},          {"return_planning", "TERUGKEERPLANNING"},
        {"referral", "DOORVERWIJZING"},  {"reintegration", "HERINTEGRATIE"}, {"monitoring", "MONITORING"}};
    return codes;
}

const std::map<std::string, std::string>& reason_codes() {
    static const std::map<std::string, std::string> codes = {
        {"outside_target_countries", "BUITEN_DOELGROEP_LAND"},
        {"term_28_days_expired", "TERMIJN_28_DAGEN_VERSTREKEN"},
        {"chose_hrt", "KOOS_HRT"},
        {"no_consent", "GEEN_TOESTEMMING"},
        {"client_withdrew", "CLIENT_ZIET_AF"},
        {"unreachable", "NIET_BEREIKBAAR"},
        {"other", "OVERIG"}};
    return codes;
}

// Organisations are the chain's own codes, as everywhere in the hub.
const std::set<std::string>& organisations() {
    static const std::set<std::string> codes = {"SDT", "COA", "VWN", "IOM", "MBT", "SMS", "NIDOS"};
    return codes;
}
const std::set<std::string>& health_partners() {
    static const std::set<std::string> codes = {"HNTPO", "PHAROS"};
    return codes;
}

template <class Container>
std::string listing(const Container& c) {
    std::string out;
    for (const auto& item : c) {
        if constexpr (requires { item.first; }) out += (out.empty() ? "" : ", ") + item.first;
        else out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

std::string organisation(const OutboundFields& f, const std::string& name) {
    const std::string org = f.required_text(name);
    if (health_partners().count(org))
        throw Rejection(0, f.path(name),
                        org + " may not be named to DT&V: naming a specialist health partner reveals a health need "
                              "(DT&V data requirement); report the organisation coordinating the case");
    if (!organisations().count(org))
        throw Rejection(0, f.path(name), "'" + org + "' is not an organisation DT&V knows (" + listing(organisations()) + ")");
    return org;
}

std::string v_number(const OutboundFields& f) {
    static const std::regex ten_digits("[0-9]{10}");
    const std::string v = f.required_text("v_number");
    if (!std::regex_match(v, ten_digits)) throw Rejection(0, f.path("v_number"), "a V-nummer has exactly 10 digits: '" + v + "'");
    return v;
}

dates::Civil plain_date(const OutboundFields& f, const std::string& name) {
    const std::string v = f.required_text(name);
    auto d = dates::parse_iso_date(v);
    if (!d) throw Rejection(0, f.path(name), "expected a date YYYY-MM-DD, not '" + v + "'");
    return *d;
}

class DtvAdapter final : public Adapter {
public:
    explicit DtvAdapter(const HostSettings& host)
        : partner_(host.partner.empty() ? "dtv" : host.partner),
          countries_(CountryCatalog::load(host.reference_dir + "/country-names.txt", host.iso3166_json)),
          inbound_(ketenhub::embedded::kDtvInboundXsd, "dtv/inbound.xsd"),
          outbound_(ketenhub::embedded::kDtvOutboundXsd, "dtv/outbound.xsd") {
        const std::string key = host.setting(kSigningKey), certificate = host.setting(kSigningCertificate);
        // Without both settings the instance still decodes (adapter test
        // tools); the hub itself refuses a DT&V config without them because
        // describe() marks them required, and encode() refuses to send
        // unsigned documents.
        if (key.empty() != certificate.empty())
            throw Rejection(0, key.empty() ? kSigningKey : kSigningCertificate,
                            "signing-key and signing-certificate go together: the hub signs every document to DT&V");
        if (!key.empty()) {
            try {
                signer_ = std::make_unique<ketenhub::dtv::Signer>(key, certificate);
            } catch (const std::runtime_error& e) {
                throw Rejection(0, kSigningKey, e.what());
            }
        }
    }

    Json describe() const override {
        return Json{
            {"namespace", kNamespace},
            {"inbound", {"Ondersteuningsverzoek", "VerklaringVrijwilligeTerugkeer", "Landenlijst", "VertrekGeregistreerd"}},
            {"outbound", {"support_request_acknowledgement", "four_weekly_report"}},
            // berichtkenmerk SDT-yyyymmdd-nnnnn.
            {"outbound_message_ids", "sdt-day"},
            {"settings",
             {{{"name", kSigningKey},
               {"required", true},
               {"description",
                "PEM file with the private key (RSA or EC, unencrypted) the hub signs every document to DT&V with "
                "(RSA-SHA256 or ECDSA-SHA256)"}},
              {{"name", kSigningCertificate},
               {"required", true},
               {"description",
                "PEM file with the X.509 certificate of that key, as given to DT&V at onboarding; it is put in "
                "ds:KeyInfo and must match the key"}}}}};
    }

    DecodedDocument decode(std::string_view bytes) override {
        auto doc = x::Document::parse_untrusted(bytes);
        inbound_.require_valid(doc);
        xmlNode* root = doc.root();
        const std::string type = x::local_name(root);
        std::vector<Problem> problems;
        Event e;
        e.source.partner = partner_;
        e.source.document_type = type;
        e.source.message_id = x::text(x::child(root, "berichtkenmerk"));
        e.source.record_id = e.source.message_id;
        e.source.line = x::line_of(root);
        // A message date, never the event date (except for Landenlijst).
        put(e, "sent_at", x::text(x::child(root, "verzonden")), Sensitivity::Public);

        if (type == "Ondersteuningsverzoek") decode_support_request(root, e, problems);
        else if (type == "VerklaringVrijwilligeTerugkeer") decode_declaration(root, e, problems);
        else if (type == "VertrekGeregistreerd") decode_departure(root, e, problems);
        else if (type == "Landenlijst") decode_country_list(root, e, problems);
        else throw Rejection(x::line_of(root), "/" + type, "unexpected document type " + type);

        // One document, one event: a problem anywhere refuses the document.
        if (!problems.empty()) throw Rejection(std::move(problems));
        DecodedDocument d;
        d.document_type = type;
        d.message_id = e.source.message_id;
        d.records.push_back(Record{e.source.message_id, e.source.line, true, {e}, {}, std::nullopt});
        return d;
    }

    std::string encode(const OutboundMessage& m) override {
        if (m.type == "support_request_acknowledgement") return encode_acknowledgement(m);
        if (m.type == "four_weekly_report") return encode_report(m);
        throw Rejection(0, "type",
                        "the DT&V adapter encodes support_request_acknowledgement and four_weekly_report, not '" + m.type + "'");
    }

private:
    static void put(Event& e, const char* key, Json value, Sensitivity s) { e.fields[key] = Field{std::move(value), s}; }

    // Schema-valid ([A-Z]{2}) but perhaps not an ISO 3166-1 code.
    std::string country(xmlNode* n, std::vector<Problem>& problems) const {
        const std::string code = x::text(n);
        if (!countries_.is_alpha2(code))
            problems.push_back({x::line_of(n), x::path_of(n),
                                "'" + code + "' is not an ISO 3166-1 alpha-2 country code (XK for Kosovo)"});
        return code;
    }

    // The schema guarantees an xs:date in YYYY-MM-DD form.
    static std::string plain(xmlNode* root, const char* name) { return x::text(x::child(root, name)); }

    static void case_manager(Event& e, xmlNode* rv) {
        put(e, "case_manager_id", x::text(x::child(rv, "id")), Sensitivity::Public);
        put(e, "case_manager_name", x::text(x::child(rv, "naam")), Sensitivity::Personal);
        put(e, "case_manager_office", x::text(x::child(rv, "vestiging")), Sensitivity::Public);
        if (auto phone = x::child_text(rv, "telefoon")) put(e, "case_manager_phone", *phone, Sensitivity::Personal);
    }

    static PersonRef person_by_v_number(xmlNode* root) {
        PersonRef p;
        p.v_number = x::child_text(root, "vNummer");
        return p;
    }

    void decode_support_request(xmlNode* root, Event& e, std::vector<Problem>& problems) const {
        e.type = event_type::kSupportRequest;
        PersonRef p = person_by_v_number(root);
        xmlNode* name = x::child(root, "naam");
        p.family_name = x::child_text(name, "achternaam");
        p.given_names = x::child_text(name, "voornamen");
        p.birth_date = plain(root, "geboortedatum");
        p.sex = sex_of(plain(root, "geslacht"));
        p.nationality = country(x::child(root, "nationaliteit"), problems);
        p.country_of_return = country(x::child(root, "landVanTerugkeer"), problems);
        e.person = std::move(p);

        const std::string requested = plain(root, "datumVerzoek");
        e.event_date = requested;
        put(e, "request_date", requested, Sensitivity::Personal);
        put(e, "initiative", plain(root, "verzoekOpInitiatiefVan"), Sensitivity::Personal);
        // What the ministry subsidy (BZ) checks: the request within 28 days
        // after the negative ruling. Without a ruling (never applied for
        // asylum) only the ETF stream can take the person on; the 40+3 check
        // uses person.country_of_return.
        auto ruling = x::child_text(root, "datumNegatieveUitspraak");
        put(e, "has_negative_ruling", ruling.has_value(), Sensitivity::Personal);
        if (ruling) {
            const int64_t days = day_number(*dates::parse_iso_date(requested)) - day_number(*dates::parse_iso_date(*ruling));
            put(e, "negative_ruling_date", *ruling, Sensitivity::Personal);
            put(e, "days_after_ruling", days, Sensitivity::Personal);
            put(e, "within_28_day_term", days <= kLastAllowedDayAfterRuling, Sensitivity::Personal);
        }
        case_manager(e, x::child(root, "regievoerder"));
    }

    void decode_declaration(xmlNode* root, Event& e, std::vector<Problem>&) const {
        e.type = event_type::kVoluntaryReturnDeclaration;
        e.person = person_by_v_number(root);
        e.event_date = plain(root, "datumVerklaring");
        // Reintegration support for a return DT&V facilitates starts on or
        // after this date.
        put(e, "declaration_date", e.event_date, Sensitivity::Personal);
        put(e, "received_date", plain(root, "datumOntvangst"), Sensitivity::Personal);
        case_manager(e, x::child(root, "regievoerder"));
    }

    void decode_departure(xmlNode* root, Event& e, std::vector<Problem>& problems) const {
        e.type = event_type::kDeparture;
        e.person = person_by_v_number(root);
        e.event_date = plain(root, "datumVertrek");
        put(e, "departure_date", e.event_date, Sensitivity::Personal);
        put(e, "departure_mode", plain(root, "wijzeVertrek"), Sensitivity::Personal);
        if (xmlNode* destination = x::child(root, "landVanBestemming"))
            put(e, "destination_country", country(destination, problems), Sensitivity::Personal);
        if (auto rv = x::child_text(root, "regievoerderId")) put(e, "case_manager_id", *rv, Sensitivity::Public);
    }

    void decode_country_list(xmlNode* root, Event& e, std::vector<Problem>& problems) const {
        e.type = event_type::kCountryList;  // about no person: no PersonRef
        // The list has no date of its own: its event date is the day it was
        // sent, in Amsterdam; it applies from geldigVanaf.
        xmlNode* sent = x::child(root, "verzonden");
        auto day = dates::amsterdam_date_of(x::text(sent));
        if (!day) throw Rejection(x::line_of(sent), x::path_of(sent), "not a timestamp with a time zone: " + x::text(sent));
        e.event_date = *day;
        put(e, "valid_from", plain(root, "geldigVanaf"), Sensitivity::Public);
        Json list = Json::array();
        for (xmlNode* land : x::children(root, "land"))
            list.push_back({{"code", country(x::child(land, "code"), problems)},
                            {"name", x::text(x::child(land, "naam"))},
                            {"kind", x::text(x::child(land, "soort"))}});
        put(e, "countries", std::move(list), Sensitivity::Public);
    }

    // ---- outbound ----------------------------------------------------------

    static std::string hub_message_id(const OutboundMessage& m) {
        static const std::regex pattern("SDT-[0-9]{8}-[0-9]{5}");
        if (!std::regex_match(m.message_id, pattern))
            throw Rejection(0, "message_id", "DT&V needs a hub berichtkenmerk SDT-yyyymmdd-nnnnn, not '" + m.message_id + "'");
        return m.message_id;
    }

    // verzonden: Amsterdam local time with its offset, as in DT&V's samples.
    static std::string sent_timestamp(const OutboundMessage& m) {
        auto t = dates::parse_timestamp(m.created_at);
        if (!t) throw Rejection(0, "created_at", "not a timestamp with a time zone: '" + m.created_at + "'");
        return dates::amsterdam_timestamp(*t);
    }

    std::string encode_acknowledgement(const OutboundMessage& m) const {
        const OutboundFields f(m.fields, "fields",
                               {"request_reference", "v_number", "request_date", "handling_date",
                                "handling_organisation", "case_manager_id"});
        static const std::regex reference("(DTV|SDT)-[0-9]{8}-[0-9]{5}");
        const std::string request_reference = f.required_text("request_reference");
        if (!std::regex_match(request_reference, reference))
            throw Rejection(0, f.path("request_reference"),
                            "expected DT&V's berichtkenmerk DTV-yyyymmdd-nnnnn or the hub's SDT-yyyymmdd-nnnnn, not '" +
                                request_reference + "'");
        const dates::Civil requested = plain_date(f, "request_date");
        const dates::Civil handled = plain_date(f, "handling_date");
        if (day_number(handled) < day_number(requested))
            throw Rejection(0, f.path("handling_date"), "a request cannot be taken into handling before it was made");

        x::Writer w("Ontvangstbevestiging", kNamespace);
        xmlNode* r = w.root();
        w.add(r, "berichtkenmerk", hub_message_id(m));
        w.add(r, "verzonden", sent_timestamp(m));
        w.add(r, "verzoekKenmerk", request_reference);
        w.add(r, "vNummer", v_number(f));
        w.add(r, "datumVerzoek", dates::format(requested));
        w.add(r, "datumInBehandeling", dates::format(handled));
        w.add(r, "behandelendeOrganisatie", organisation(f, "handling_organisation"));
        if (auto rv = f.text("case_manager_id")) w.add(r, "regievoerderId", *rv);
        return sign_and_check(w);
    }

    std::string encode_report(const OutboundMessage& m) const {
        const OutboundFields f(m.fields, "fields",
                               {"period_number", "period_from", "period_to", "in_guidance", "not_in_guidance",
                                "without_v_number"});
        const std::string first_day = dates::format(plain_date(f, "period_from"));
        auto period = ketenhub::dtv::period_starting(first_day);
        if (!period)
            throw Rejection(0, f.path("period_from"),
                            first_day + " is not the first day of a reporting period (28-day blocks from Monday 2010-01-04)");
        // Both optional; when given they must agree with the period (DT&V
        // checks what its schema cannot).
        if (f.has("period_to") && dates::format(plain_date(f, "period_to")) != period->to)
            throw Rejection(0, f.path("period_to"), "the period starting " + period->from + " ends on " + period->to);
        if (auto n = f.count("period_number"); n && *n != period->number)
            throw Rejection(0, f.path("period_number"),
                            "the period starting " + period->from + " is number " + std::to_string(period->number));
        const auto in_guidance = f.required_objects("in_guidance", {"v_number", "activities", "responsible_organisation"});
        const auto not_in_guidance = f.required_objects("not_in_guidance", {"v_number", "reason", "explanation"});
        const long without_v_number = f.required_count("without_v_number");

        x::Writer w("VierwekelijkseRapportage", kNamespace);
        xmlNode* r = w.root();
        w.add(r, "berichtkenmerk", hub_message_id(m));
        w.add(r, "verzonden", sent_timestamp(m));
        w.add(r, "periodeNummer", std::to_string(period->number));
        w.add(r, "periodeVan", period->from);
        w.add(r, "periodeTot", period->to);

        xmlNode* in_list = w.add(r, "InBegeleiding");
        std::set<std::string> listed;
        for (const auto& person : in_guidance) {
            xmlNode* p = w.add(in_list, "persoon");
            const std::string v = v_number(person);
            if (!listed.insert(v).second)
                throw Rejection(0, person.path("v_number"), v + " is already listed in in_guidance: once per list");
            w.add(p, "vNummer", v);
            for (const auto& code : activities(person)) w.add(p, "activiteit", code);
            w.add(p, "verantwoordelijkeOrganisatie", organisation(person, "responsible_organisation"));
        }

        xmlNode* out_list = w.add(r, "NietInBegeleiding");
        listed.clear();
        for (const auto& person : not_in_guidance) {
            xmlNode* p = w.add(out_list, "persoon");
            const std::string v = v_number(person);
            if (!listed.insert(v).second)
                throw Rejection(0, person.path("v_number"), v + " is already listed in not_in_guidance: once per list");
            w.add(p, "vNummer", v);
            const std::string reason = person.required_text("reason");
            auto code = reason_codes().find(reason);
            if (code == reason_codes().end())
                throw Rejection(0, person.path("reason"), "unknown reason '" + reason + "' (" + listing(reason_codes()) + ")");
            w.add(p, "reden", code->second);
            if (auto explanation = person.text("explanation")) {
                ketenhub::dtv::screen_free_text(*explanation, person.path("explanation"));
                w.add(p, "toelichting", *explanation);
            }
        }

        // The totals are the list sizes, so they always agree.
        xmlNode* totals = w.add(r, "totalen");
        w.add(totals, "aantalInBegeleiding", std::to_string(in_guidance.size()));
        w.add(totals, "aantalNietInBegeleiding", std::to_string(not_in_guidance.size()));
        w.add(totals, "aantalZonderVNummer", std::to_string(without_v_number));
        return sign_and_check(w);
    }

    // 1–6 categories, each once, in DT&V's enumeration order.
    static std::vector<std::string> activities(const OutboundFields& person) {
        const auto given = person.required_texts("activities");
        if (given.empty())
            throw Rejection(0, person.path("activities"), "a person in guidance has at least one activity in the period");
        for (size_t i = 0; i < given.size(); ++i) {
            const auto& a = given[i];
            const bool known = std::any_of(activity_codes().begin(), activity_codes().end(),
                                           [&](const auto& c) { return c.first == a; });
            const std::string where = person.path("activities") + "[" + std::to_string(i) + "]";
            if (!known) throw Rejection(0, where, "unknown activity '" + a + "' (" + listing(activity_codes()) + ")");
            if (std::find(given.begin(), given.begin() + static_cast<long>(i), a) != given.begin() + static_cast<long>(i))
                throw Rejection(0, where, "activity '" + a + "' is listed twice: each category once");
        }
        std::vector<std::string> out;
        for (const auto& [canonical, native] : activity_codes())
            if (std::find(given.begin(), given.end(), canonical) != given.end()) out.push_back(native);
        return out;
    }

    // Formats the document, signs it as formatted, then makes sure DT&V's
    // schema accepts it and its signature verifies as DT&V will parse it
    // (whitespace kept): a document that fails either never leaves.
    std::string sign_and_check(const x::Writer& w) const {
        if (!signer_)
            throw std::runtime_error("documents to DT&V are always signed: set the adapter settings signing-key and "
                                     "signing-certificate");
        const std::string formatted = w.serialize();
        std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(reparse(formatted), &xmlFreeDoc);
        signer_->sign(doc.get());
        xmlChar* mem = nullptr;
        int size = 0;
        xmlDocDumpMemoryEnc(doc.get(), &mem, &size, "UTF-8");  // no reformatting after signing
        std::string out(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
        xmlFree(mem);

        // One reading for both checks: parse_untrusted keeps whitespace, as
        // the signature needs, and validation leaves the tree as it was.
        const auto check = x::Document::parse_untrusted(out);
        outbound_.require_valid(check);
        if (auto why = signer_->verify_own(check.get()); !why.empty())
            throw std::runtime_error("the signed document does not verify: " + why);
        return out;
    }

    // Our own output, parsed keeping every whitespace node (unlike
    // parse_untrusted, which drops blanks) because the signature covers them.
    static xmlDoc* reparse(const std::string& text) {
        xmlDoc* doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "dtv-outbound.xml", "UTF-8", XML_PARSE_NONET);
        if (!doc) throw std::runtime_error("cannot re-read the encoded document");
        return doc;
    }

    std::string partner_;
    CountryCatalog countries_;
    x::Schema inbound_;
    x::Schema outbound_;
    std::unique_ptr<ketenhub::dtv::Signer> signer_;
};

}  // namespace

KETENHUB_ADAPTER(DtvAdapter, "dtv", "1.0.0")
