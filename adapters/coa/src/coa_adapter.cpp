// COA Helpdesk / Front Office adapter (namespace urn:nl:coa:helpdesk:1).
// Inbound: HelpdeskVraag, Doorverwijzing. Outbound: DoorverwijzingStatus.
// The field mapping is documented in adapters/coa/README.md.
#include "coa_embedded.hpp"

#include <ketenhub/sdk/adapter.hpp>
#include <ketenhub/sdk/countries.hpp>
#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <memory>
#include <set>

namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;

constexpr const char* kNamespace = "urn:nl:coa:helpdesk:1";

std::string sex_of(const std::string& coa) {
    if (coa == "M") return "M";
    if (coa == "V") return "F";
    return "X";
}

// "Beridze, Giorgi" -> family "Beridze", given "Giorgi".
void split_name(const std::string& name, PersonRef& p) {
    auto comma = name.find(',');
    auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(' '));
        s.erase(s.find_last_not_of(' ') + 1);
        return s;
    };
    if (comma == std::string::npos) {
        p.family_name = trim(name);
        return;
    }
    p.family_name = trim(name.substr(0, comma));
    std::string given = trim(name.substr(comma + 1));
    if (!given.empty()) p.given_names = given;
}

class CoaAdapter final : public Adapter {
public:
    explicit CoaAdapter(const HostSettings& host)
        : partner_(host.partner.empty() ? "coa" : host.partner),
          countries_(CountryCatalog::load(host.reference_dir + "/country-names.txt", host.iso3166_json)),
          inbound_(ketenhub::embedded::kCoaInboundXsd, "coa/inbound.xsd"),
          outbound_(ketenhub::embedded::kCoaOutboundXsd, "coa/outbound.xsd") {}

    Json describe() const override {
        return Json{{"namespace", kNamespace},
                    {"inbound", {"HelpdeskVraag", "Doorverwijzing"}},
                    {"outbound", {"referral_status"}},
                    // berichtId is a UUID (the hub assigns it).
                    {"outbound_message_ids", "uuid"},
                    {"settings", Json::array()}};
    }

    DecodedDocument decode(std::string_view bytes) override {
        auto doc = x::Document::parse_untrusted(bytes);
        inbound_.require_valid(doc);
        xmlNode* root = doc.root();
        const std::string type = x::local_name(root);
        if (type == "HelpdeskVraag") return decode_question(root);
        if (type == "Doorverwijzing") return decode_referral(root);
        throw Rejection(x::line_of(root), "/" + type, "unexpected document type " + type);
    }

    std::string encode(const OutboundMessage& m) override {
        if (m.type != "referral_status")
            throw Rejection(0, "type", "the COA adapter encodes referral_status only, not '" + m.type + "'");
        return encode_status(m);
    }

private:
    // Schema-valid but unknown to ISO 3166-1: a per-document problem.
    std::string country(xmlNode* parent, const char* name, std::vector<Problem>& problems) const {
        xmlNode* n = x::child(parent, name);
        if (!n) return {};
        std::string code = x::text(n);
        if (!countries_.is_alpha2(code))
            problems.push_back({x::line_of(n), x::path_of(n),
                                "'" + code + "' is not an ISO 3166-1 alpha-2 country code (XK for Kosovo)"});
        return code;
    }

    static std::string event_date(xmlNode* n) {
        auto d = dates::amsterdam_date_of(x::text(n));
        if (!d) throw Rejection(x::line_of(n), x::path_of(n), "not a timestamp with offset: " + x::text(n));
        return *d;
    }

    PersonRef person(xmlNode* client, std::vector<Problem>& problems) const {
        PersonRef p;
        p.partner_ids.push_back({"coa", x::text(x::child(client, "coaNummer"))});
        p.v_number = x::child_text(client, "vNummer");
        split_name(x::text(x::child(client, "naam")), p);
        p.birth_date = x::child_text(client, "geboortedatum");
        if (auto s = x::child_text(client, "geslacht")) p.sex = sex_of(*s);
        if (auto c = country(client, "nationaliteit", problems); !c.empty()) p.nationality = c;
        if (auto c = country(client, "landVanTerugkeer", problems); !c.empty()) p.country_of_return = c;
        return p;
    }

    static void put(Event& e, const char* key, Json value, Sensitivity s) { e.fields[key] = Field{std::move(value), s}; }

    static Event base_event(xmlNode* root, const std::string& type, const std::string& partner) {
        Event e;
        e.type = type;
        e.source.partner = partner;
        e.source.document_type = x::local_name(root);
        e.source.message_id = x::text(x::child(root, "berichtId"));
        e.source.record_id = e.source.message_id;
        e.source.line = x::line_of(root);
        put(e, "created_at", x::text(x::child(root, "aangemaakt")), Sensitivity::Public);
        return e;
    }

    static DecodedDocument single(const Event& e, long line) {
        DecodedDocument d;
        d.document_type = e.source.document_type;
        d.message_id = e.source.message_id;
        d.records.push_back(Record{.record_id = e.source.message_id, .line = line, .accepted = true, .events = {e}});
        return d;
    }

    DecodedDocument decode_question(xmlNode* root) const {
        std::vector<Problem> problems;
        Event e = base_event(root, event_type::kHelpdeskQuestion, partner_);
        xmlNode* received = x::child(root, "ontvangenOp");
        e.event_date = event_date(received);
        put(e, "question_number", x::text(x::child(root, "vraagNummer")), Sensitivity::Public);
        put(e, "received_at", x::text(received), Sensitivity::Public);
        if (auto k = x::child_text(root, "kanaal")) put(e, "channel", *k, Sensitivity::Public);
        xmlNode* requester = x::child(root, "vraagsteller");
        put(e, "requester_type", x::text(x::child(requester, "soort")), Sensitivity::Public);
        if (auto o = x::child_text(requester, "organisatie")) put(e, "requester_organisation", *o, Sensitivity::Public);
        if (auto n = x::child_text(requester, "naam")) put(e, "requester_name", *n, Sensitivity::Personal);
        put(e, "country", country(root, "land", problems), Sensitivity::Public);
        const std::string topic = x::text(x::child(root, "onderwerp"));
        put(e, "topic", topic, Sensitivity::Public);
        put(e, "description", x::text(x::child(root, "omschrijving")),
            topic == "MEDISCH" ? Sensitivity::SpecialCategory : Sensitivity::Personal);
        if (xmlNode* client = x::child(root, "client")) e.person = person(client, problems);
        if (!problems.empty()) throw Rejection(std::move(problems));
        return single(e, x::line_of(root));
    }

    DecodedDocument decode_referral(xmlNode* root) const {
        std::vector<Problem> problems;
        Event e = base_event(root, event_type::kReferral, partner_);
        xmlNode* date = x::child(root, "datum");
        e.event_date = event_date(date);
        put(e, "referral_number", x::text(x::child(root, "doorverwijzingNummer")), Sensitivity::Public);
        if (auto q = x::child_text(root, "vraagNummer")) put(e, "question_number", *q, Sensitivity::Public);
        put(e, "referred_at", x::text(date), Sensitivity::Public);
        xmlNode* to_node = x::child(root, "naar");
        const std::string to = x::text(to_node);
        const bool psychosocial_receiver = to == "HNTPO" || to == "PHAROS";
        put(e, "referred_to", to, psychosocial_receiver ? Sensitivity::SpecialCategory : Sensitivity::Personal);
        // Free text that "may contain special-category data": treated as such.
        put(e, "reason", x::text(x::child(root, "reden")), Sensitivity::SpecialCategory);
        e.person = person(x::child(root, "client"), problems);

        xmlNode* needs = x::child(root, "behoeften");
        auto flag = [&](const char* name) {
            auto v = x::child_text(needs, name);
            return v && (*v == "true" || *v == "1");
        };
        put(e, "need_psychosocial", flag("psychosociaal") || psychosocial_receiver, Sensitivity::SpecialCategory);
        put(e, "need_medical", flag("medisch"), Sensitivity::SpecialCategory);
        put(e, "need_young_adult", flag("jongere"), Sensitivity::Personal);
        put(e, "need_unaccompanied_minor", flag("amv"), Sensitivity::Personal);
        put(e, "need_family_with_children", flag("gezinMetKinderen"), Sensitivity::Personal);

        xmlNode* consent = x::child(root, "toestemming");
        xmlNode* given_node = x::child(consent, "gegeven");
        const bool given = x::text(given_node) == "true" || x::text(given_node) == "1";
        xmlNode* share = x::child(consent, "delenMet");
        std::vector<std::string> orgs;
        for (xmlNode* o : x::children(share, "organisatie")) orgs.push_back(x::text(o));
        put(e, "consent_given", given, Sensitivity::Personal);
        put(e, "consent_date", x::text(x::child(consent, "datum")), Sensitivity::Personal);
        put(e, "consent_organisations", orgs, Sensitivity::Personal);

        // The two rules the README says the schema cannot express.
        if (!given && !orgs.empty())
            problems.push_back({x::line_of(share), x::path_of(share),
                                "consent was refused (gegeven = false) but delenMet lists organisations; it must be empty"});
        if (std::find(orgs.begin(), orgs.end(), to) == orgs.end())
            problems.push_back({x::line_of(to_node), x::path_of(to_node),
                                "referral to " + to + " but toestemming/delenMet does not include " + to});
        if (!problems.empty()) throw Rejection(std::move(problems));
        return single(e, x::line_of(root));
    }

    static std::string required(const Json& fields, const char* name) {
        auto it = fields.find(name);
        if (it == fields.end() || !it->is_string() || it->get<std::string>().empty())
            throw Rejection(0, std::string("fields.") + name, std::string("referral_status needs '") + name + "'");
        return it->get<std::string>();
    }

    // Accepts an RFC 3339 timestamp or a plain date (known only to the day,
    // which COA wants as 00:00:00 Amsterdam time).
    static std::string coa_timestamp(const std::string& value, const char* field) {
        if (auto t = dates::parse_timestamp(value)) return dates::amsterdam_timestamp(*t);
        if (auto d = dates::parse_iso_date(value)) return dates::amsterdam_timestamp(dates::amsterdam_midnight(*d));
        throw Rejection(0, field, "not a timestamp or date: '" + value + "'");
    }

    std::string encode_status(const OutboundMessage& m) const {
        static const std::map<std::string, std::string> kStatus = {
            {"received", "ONTVANGEN"}, {"accepted", "GEACCEPTEERD"}, {"declined", "AFGEWEZEN"},
            {"returned", "TERUGGEKEERD"}, {"stopped", "GESTOPT"}};
        const Json& f = m.fields;
        const std::string status_key = required(f, "status");
        auto status = kStatus.find(status_key);
        if (status == kStatus.end())
            throw Rejection(0, "fields.status",
                            "unknown status '" + status_key + "' (received, accepted, declined, returned, stopped)");
        std::string reason = f.value("reason", std::string());
        if (reason.empty() && (status->second == "AFGEWEZEN" || status->second == "GESTOPT"))
            throw Rejection(0, "fields.reason", "a reason is required when the status is " + status_key);

        x::Writer w("DoorverwijzingStatus", kNamespace);
        xmlNode* r = w.root();
        w.add(r, "berichtId", m.message_id);
        w.add(r, "aangemaakt", coa_timestamp(m.created_at, "created_at"));
        w.add(r, "doorverwijzingNummer", required(f, "referral_number"));
        if (auto k = f.value("hub_referral_id", std::string()); !k.empty()) w.add(r, "kenmerkSDT", k);
        w.add(r, "coaNummer", required(f, "coa_number"));
        w.add(r, "status", status->second);
        w.add(r, "datum", coa_timestamp(required(f, "effective_at"), "fields.effective_at"));
        if (!reason.empty()) w.add(r, "reden", reason);
        std::string out = w.serialize();
        // Never hand COA a document its own schema refuses.
        outbound_.require_valid(x::Document::parse_untrusted(out));
        return out;
    }

    std::string partner_;
    CountryCatalog countries_;
    x::Schema inbound_;
    x::Schema outbound_;
};

}  // namespace

KETENHUB_ADAPTER(CoaAdapter, "coa", "1.0.0")
