// Example out-of-tree Ketenhub adapter: HealthNet TPO (namespace
// urn:example:healthnet:1). EXAMPLE ONLY: HealthNet TPO has no interface with
// the hub today; the format is made up for docs/adapters.md.
//
//   Inbound:  PsychosocialIntake -> one "psychosocial_intake" event
//   Outbound: "referral_request" -> Referral
//
// Built against the installed SDK only (<prefix>/include/ketenhub/...).
#include "healthnet_schemas.hpp"  // generated from contract/*.xsd by CMakeLists.txt

#include <ketenhub/sdk/adapter.hpp>
#include <ketenhub/sdk/countries.hpp>
#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <set>
#include <sstream>

namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;

constexpr const char* kNamespace = "urn:example:healthnet:1";
constexpr const char* kEventType = "psychosocial_intake";   // not (yet) in event_type::*
constexpr const char* kDefaultCountries = "AF BA BI CD SL SS";  // config/reference/country-matrix.txt

bool truthy(const std::string& s) { return s == "true" || s == "1"; }

class HealthNetAdapter final : public Adapter {
public:
    // Runs inside create(): throwing here makes the host report "adapter
    // 'healthnet' refused its settings: ..." with the partner file's line.
    explicit HealthNetAdapter(const HostSettings& host)
        : partner_(host.partner.empty() ? "healthnet" : host.partner),
          countries_(CountryCatalog::load(host.reference_dir + "/country-names.txt", host.iso3166_json)),
          inbound_(healthnet::schemas::kInbound, "healthnet/inbound.xsd"),
          outbound_(healthnet::schemas::kOutbound, "healthnet/outbound.xsd") {
        std::istringstream list(host.setting("countries", kDefaultCountries));
        for (std::string code; list >> code;) {
            if (!countries_.is_alpha2(code))
                throw Rejection(0, "countries", "'" + code + "' is not an ISO 3166-1 alpha-2 country code");
            served_.insert(code);
        }
        if (served_.empty()) throw Rejection(0, "countries", "the list of countries is empty");
    }

    // What the hub checks the partner's <setting> elements against, and the
    // document types it routes.
    Json describe() const override {
        return Json{{"namespace", kNamespace},
                    {"inbound", {"PsychosocialIntake"}},
                    {"outbound", {"referral_request"}},
                    {"settings",
                     {{{"name", "countries"},
                       {"required", false},
                       {"description", std::string("space-separated ISO 3166-1 alpha-2 codes of the countries "
                                                   "HealthNet TPO works in (default: ") + kDefaultCountries + ")"}}}}};
    }

    // Called from several threads at once: uses const members only.
    DecodedDocument decode(std::string_view bytes) override {
        auto doc = x::Document::parse_untrusted(bytes);  // no DOCTYPE, no entities, no network
        inbound_.require_valid(doc);                     // every schema violation, with line and field
        xmlNode* root = doc.root();
        if (x::local_name(root) != "PsychosocialIntake")
            throw Rejection(x::line_of(root), x::path_of(root), "unexpected document type " + x::local_name(root));
        return decode_intake(root);
    }

    std::string encode(const OutboundMessage& m) override {
        if (m.type != "referral_request")
            throw Rejection(0, "type", "the HealthNet adapter encodes referral_request only, not '" + m.type + "'");
        return encode_referral(m);
    }

private:
    static void put(Event& e, const char* key, Json value, Sensitivity s) { e.fields[key] = Field{std::move(value), s}; }

    DecodedDocument decode_intake(xmlNode* root) const {
        // Rules the schema cannot express are collected, so the partner sees
        // all of them at once, each with its line and field.
        std::vector<Problem> problems;

        Event e;
        e.type = kEventType;
        e.source.partner = partner_;
        e.source.document_type = "PsychosocialIntake";
        e.source.message_id = x::text(x::child(root, "messageId"));
        e.source.record_id = e.source.message_id;
        e.source.line = x::line_of(root);
        xmlNode* intake_date = x::child(root, "intakeDate");
        e.event_date = x::text(intake_date);  // a plain date: taken as it is
        e.hub_referral_id = x::child_text(root, "hubReferralId");

        // The person: identity attributes are personal; that this person is a
        // HealthNet client is told by the special-category fields below.
        xmlNode* client = x::child(root, "client");
        PersonRef p;
        p.partner_ids.push_back({"hntpo", x::text(x::child(client, "clientNumber"))});
        p.v_number = x::child_text(client, "vNumber");
        p.family_name = x::child_text(client, "familyName");
        p.given_names = x::child_text(client, "givenNames");
        p.birth_date = x::child_text(client, "birthDate");
        p.sex = x::child_text(client, "sex");
        xmlNode* country = x::child(client, "countryOfReturn");
        const std::string code = x::text(country);
        if (!countries_.is_alpha2(code))
            problems.push_back({x::line_of(country), x::path_of(country),
                                "'" + code + "' is not an ISO 3166-1 alpha-2 country code"});
        else if (!served_.count(code))
            problems.push_back({x::line_of(country), x::path_of(country),
                                "HealthNet TPO does not work in " + code + " (" +
                                    countries_.english_name(code).value_or(code) + ")"});
        p.country_of_return = code;
        e.person = p;

        put(e, "created_at", x::text(x::child(root, "created")), Sensitivity::Public);
        put(e, "intake_number", x::text(x::child(root, "intakeNumber")), Sensitivity::Personal);
        put(e, "location", x::text(x::child(root, "location")), Sensitivity::Personal);

        xmlNode* assessment = x::child(root, "assessment");
        put(e, "referred_by", x::text(x::child(assessment, "referredBy")), Sensitivity::Personal);
        // Health data: special-category. Never leaves the hub without consent
        // and need (docs/case-model.md).
        put(e, "needs_level", x::text(x::child(assessment, "needsLevel")), Sensitivity::SpecialCategory);
        put(e, "summary", x::text(x::child(assessment, "summary")), Sensitivity::SpecialCategory);
        if (xmlNode* follow_up = x::child(assessment, "followUpDate")) {
            const std::string date = x::text(follow_up);
            if (date < e.event_date)  // both YYYY-MM-DD (schema): string order is date order
                problems.push_back({x::line_of(follow_up), x::path_of(follow_up),
                                    "follow-up " + date + " is before the intake on " + e.event_date});
            put(e, "follow_up_date", date, Sensitivity::SpecialCategory);
        }

        xmlNode* consent = x::child(root, "consent");
        const bool given = truthy(x::text(x::child(consent, "given")));
        xmlNode* share = x::child(consent, "shareWith");
        std::vector<std::string> orgs;
        for (xmlNode* o : x::children(share, "organisation")) orgs.push_back(x::text(o));
        if (!given && !orgs.empty())
            problems.push_back({x::line_of(share), x::path_of(share),
                                "consent was refused (given = false) but shareWith lists organisations; it must be empty"});
        put(e, "consent_given", given, Sensitivity::Personal);
        put(e, "consent_date", x::text(x::child(consent, "date")), Sensitivity::Personal);
        put(e, "consent_organisations", orgs, Sensitivity::Personal);

        if (!problems.empty()) throw Rejection(std::move(problems));

        DecodedDocument d;
        d.document_type = e.source.document_type;
        d.message_id = e.source.message_id;
        Record record;  // a single document is one record, keyed by its message id
        record.record_id = e.source.message_id;
        record.line = x::line_of(root);
        record.events.push_back(std::move(e));
        d.records.push_back(std::move(record));
        return d;
    }

    static std::string required(const Json& fields, const char* name) {
        auto it = fields.find(name);
        if (it == fields.end() || !it->is_string() || it->get<std::string>().empty())
            throw Rejection(0, std::string("fields.") + name, std::string("referral_request needs '") + name + "'");
        return it->get<std::string>();
    }

    std::string encode_referral(const OutboundMessage& m) const {
        const Json& f = m.fields;
        auto created = dates::parse_timestamp(m.created_at);
        if (!created) throw Rejection(0, "created_at", "not a timestamp with offset: '" + m.created_at + "'");
        const std::string country = required(f, "country_of_return");
        if (!served_.count(country))
            throw Rejection(0, "fields.country_of_return", "HealthNet TPO does not work in " + country);
        // Special-category data goes to HealthNet only with the client's
        // consent naming HealthNet.
        auto orgs = f.value("consent_organisations", std::vector<std::string>{});
        if (std::find(orgs.begin(), orgs.end(), "HNTPO") == orgs.end())
            throw Rejection(0, "fields.consent_organisations", "the client's consent does not name HNTPO");

        x::Writer w("Referral", kNamespace);
        xmlNode* r = w.root();
        w.add(r, "messageId", m.message_id);
        w.add(r, "created", dates::amsterdam_timestamp(*created));
        w.add(r, "hubReferralId", required(f, "hub_referral_id"));
        w.add(r, "referredBy", required(f, "referred_by"));
        xmlNode* client = w.add(r, "client");
        if (auto v = f.value("v_number", std::string()); !v.empty()) w.add(client, "vNumber", v);
        w.add(client, "familyName", required(f, "family_name"));
        if (auto v = f.value("given_names", std::string()); !v.empty()) w.add(client, "givenNames", v);
        if (auto v = f.value("birth_date", std::string()); !v.empty()) w.add(client, "birthDate", v);
        w.add(client, "countryOfReturn", country);
        w.add(r, "reason", required(f, "reason"));
        w.add(r, "consentDate", required(f, "consent_date"));
        std::string out = w.serialize();
        // Never hand the partner a document its own schema refuses.
        outbound_.require_valid(x::Document::parse_untrusted(out));
        return out;
    }

    std::string partner_;
    CountryCatalog countries_;
    std::set<std::string> served_;
    x::Schema inbound_;
    x::Schema outbound_;
};

}  // namespace

// The one exported symbol, ketenhub_adapter_entry.
KETENHUB_ADAPTER(HealthNetAdapter, "healthnet", "1.0.0")
