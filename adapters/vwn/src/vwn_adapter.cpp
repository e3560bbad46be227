// VluchtelingenWerk Nederland adapter (urn:nl:vluchtelingenwerk:nadenken-over-terugkeer:2).
// Inbound: Export (batch of Contactmoment), AanmeldingFrontOffice.
// Outbound: Terugkoppeling (canonical type "feedback"), in ISO-8859-1.
// The field mapping is documented in adapters/vwn/README.md.
#include "vwn_embedded.hpp"

#include <ketenhub/sdk/adapter.hpp>
#include <ketenhub/sdk/countries.hpp>
#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;

constexpr const char* kNamespace = "urn:nl:vluchtelingenwerk:nadenken-over-terugkeer:2";

// VWN writes organisations in full; the chain's canonical codes are COA's.
const std::map<std::string, std::string>& organisation_codes() {
    static const std::map<std::string, std::string> m = {
        {"SDT", "SDT"},           {"COA", "COA"},          {"DT&V", "DTV"},
        {"IOM", "IOM"},           {"Cordaid MbT", "MBT"},  {"HealthNet TPO", "HNTPO"},
        {"Stichting Mondiale Samenleving", "SMS"},         {"Nidos", "NIDOS"},
        {"Pharos", "PHAROS"}};
    return m;
}

// Receivers in a Terugkoppeling, from canonical codes.
const std::map<std::string, std::string>& receiver_names() {
    static const std::map<std::string, std::string> m = {
        {"COA", "COA Front Office"}, {"IOM", "IOM"},     {"MBT", "Cordaid MbT"}, {"HNTPO", "HealthNet TPO"},
        {"SMS", "Stichting Mondiale Samenleving"},       {"NIDOS", "Nidos"},     {"PHAROS", "Pharos"}};
    return m;
}

std::string sex_of(const std::string& vwn) {
    if (vwn == "man") return "M";
    if (vwn == "vrouw") return "F";
    return "X";
}

// "Hussein Ali Jabbar": VWN writes one name in natural order; the last word
// is taken as the family name. Identity matching compares the sorted name
// parts, so the split does not decide a match.
void split_natural_name(const std::string& name, PersonRef& p) {
    std::string n = name;
    n.erase(0, n.find_first_not_of(' '));
    n.erase(n.find_last_not_of(' ') + 1);
    auto space = n.find_last_of(' ');
    if (space == std::string::npos) {
        p.family_name = n;
        return;
    }
    p.family_name = n.substr(space + 1);
    p.given_names = n.substr(0, n.find_last_not_of(' ', space) + 1);
}

bool is_true(const std::string& v) { return v == "true" || v == "1"; }

// UTF-8 text with every character VWN's Latin-1 system cannot store
// replaced by a transliteration ("ş" -> "s", "Œ" -> "OE", "–" -> "-"),
// still as UTF-8. Done here rather than with iconv's //TRANSLIT, whose
// result depends on the process locale.
std::string latin1_safe(const std::string& utf8) {
    static const char* const kLatinExtendedA[128] = {
        "A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d", "D", "d", "E", "e", "E", "e",
        "E", "e", "E", "e", "E", "e", "G", "g", "G", "g", "G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i",
        "I", "i", "I", "i", "I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L", "l", "L",
        "l", "N", "n", "N", "n", "N", "n", "n", "N", "n", "O", "o", "O", "o", "O", "o", "OE", "oe", "R", "r", "R", "r",
        "R", "r", "S", "s", "S", "s", "S", "s", "S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u",
        "U", "u", "U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s"};
    std::string out;
    for (size_t i = 0; i < utf8.size();) {
        unsigned char c = static_cast<unsigned char>(utf8[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > utf8.size()) throw Rejection(0, "", "text is not valid UTF-8");
        uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
        for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
        if (cp <= 0xFF)
            out.append(utf8, i, len);
        else if (cp >= 0x100 && cp < 0x180)
            out += kLatinExtendedA[cp - 0x100];
        else if (cp == 0x2018 || cp == 0x2019)
            out += '\'';
        else if (cp == 0x201C || cp == 0x201D)
            out += '"';
        else if (cp == 0x2013 || cp == 0x2014)
            out += '-';
        else
            out += '?';
        i += len;
    }
    return out;
}

class VwnAdapter final : public Adapter {
public:
    explicit VwnAdapter(const HostSettings& host)
        : partner_(host.partner.empty() ? "vwn" : host.partner),
          countries_(CountryCatalog::load(host.reference_dir + "/country-names.txt", host.iso3166_json)),
          inbound_(ketenhub::embedded::kVwnInboundXsd, "vwn/inbound.xsd"),
          outbound_(ketenhub::embedded::kVwnOutboundXsd, "vwn/outbound.xsd") {}

    Json describe() const override {
        return Json{{"namespace", kNamespace},
                    {"inbound", {"Export", "AanmeldingFrontOffice"}},
                    {"outbound", {"feedback"}},
                    {"settings", Json::array()}};
    }

    DecodedDocument decode(std::string_view bytes) override {
        auto doc = x::Document::parse_untrusted(bytes);
        inbound_.require_valid(doc);
        xmlNode* root = doc.root();
        const std::string type = x::local_name(root);
        if (type == "Export") return decode_export(root);
        if (type == "AanmeldingFrontOffice") return decode_registration(root);
        throw Rejection(x::line_of(root), "/" + type, "unexpected document type " + type);
    }

    std::string encode(const OutboundMessage& m) override {
        if (m.type != "feedback")
            throw Rejection(0, "type", "the VWN adapter encodes feedback only, not '" + m.type + "'");
        return encode_feedback(m);
    }

private:
    // dd-mm-jjjj -> YYYY-MM-DD; the schema's pattern lets 31-02-2010 through.
    static std::optional<std::string> date(xmlNode* n, std::vector<Problem>& problems) {
        if (!n) return std::nullopt;
        auto d = dates::parse_dutch_date(x::text(n));
        if (!d) {
            problems.push_back({x::line_of(n), x::path_of(n), "'" + x::text(n) + "' is not a calendar date"});
            return std::nullopt;
        }
        return dates::format(*d);
    }

    std::optional<std::string> country(xmlNode* n, std::vector<Problem>& problems) const {
        if (!n) return std::nullopt;
        auto code = countries_.from_dutch(x::text(n));
        if (!code)
            problems.push_back({x::line_of(n), x::path_of(n),
                                "country name '" + x::text(n) + "' is not in the agreed crosswalk (country-names.txt); "
                                "it must be resolved by hand"});
        return code;
    }

    PersonRef person(xmlNode* client, std::vector<Problem>& problems) const {
        PersonRef p;
        p.partner_ids.push_back({"vwn", x::text(x::child(client, "clientnummer"))});
        p.v_number = x::child_text(client, "vNummer");
        split_natural_name(x::text(x::child(client, "naam")), p);
        p.birth_date = date(x::child(client, "geboortedatum"), problems);
        p.sex = sex_of(x::text(x::child(client, "geslacht")));
        p.nationality = country(x::child(client, "landVanHerkomst"), problems);
        return p;
    }

    static void put(Event& e, const char* key, Json value, Sensitivity s) { e.fields[key] = Field{std::move(value), s}; }

    Event base(xmlNode* record, const std::string& type, const std::string& document_type, const std::string& regel_id) const {
        Event e;
        e.type = type;
        e.source.partner = partner_;
        e.source.document_type = document_type;
        e.source.message_id = regel_id;
        e.source.record_id = regel_id;
        e.source.line = x::line_of(record);
        return e;
    }

    DecodedDocument decode_export(xmlNode* root) const {
        auto records = x::children(root, "Contactmoment");
        xmlNode* count_node = x::child(root, "aantalRegels");
        if (std::stoul(x::text(count_node)) != records.size())
            throw Rejection(x::line_of(count_node), x::path_of(count_node),
                            "aantalRegels says " + x::text(count_node) + " but the export holds " +
                                std::to_string(records.size()) + " Contactmoment records; the export is refused whole");
        std::vector<Problem> export_problems;
        const auto export_date = date(x::child(root, "exportdatum"), export_problems);
        if (!export_problems.empty()) throw Rejection(std::move(export_problems));
        const std::string office = x::text(x::child(root, "afdeling"));

        DecodedDocument d;
        d.document_type = "Export";
        d.batch = true;  // no document-level id: the hub keys it by content
        for (xmlNode* r : records) {
            std::vector<Problem> problems;
            const std::string regel_id = x::attr(r, "regelId").value_or("");
            Event e = base(r, event_type::kContact, "Export", regel_id);
            e.person = person(r, problems);
            if (auto when = date(x::child(r, "datum"), problems)) e.event_date = *when;
            put(e, "office", office, Sensitivity::Public);
            put(e, "export_date", *export_date, Sensitivity::Public);
            put(e, "phase", x::text(x::child(r, "fase")), Sensitivity::Personal);
            if (auto n = x::child_text(r, "gesprekNummer")) put(e, "conversation_number", std::stoi(*n), Sensitivity::Personal);
            put(e, "vva_drawn_up", is_true(x::text(x::child(r, "vvaOpgesteld"))), Sensitivity::Personal);
            // Held for VWN only, never forwarded (confidential-VVA).
            if (auto plan = x::child_text(r, "toekomstplan")) put(e, "future_plan", *plan, Sensitivity::Confidential);
            put(e, "decision", x::text(x::child(r, "besluit")), Sensitivity::Personal);
            put(e, "volunteer", x::text(x::child(r, "vrijwilliger")), Sensitivity::Personal);
            put(e, "consent_given", is_true(x::text(x::child(r, "toestemmingDelen"))), Sensitivity::Personal);
            Record rec;
            rec.record_id = regel_id;
            rec.line = x::line_of(r);
            if (problems.empty()) {
                rec.events.push_back(std::move(e));
            } else {
                rec.accepted = false;
                rec.problems = std::move(problems);
            }
            d.records.push_back(std::move(rec));
        }
        return d;
    }

    DecodedDocument decode_registration(xmlNode* root) const {
        std::vector<Problem> problems;
        const std::string regel_id = x::attr(root, "regelId").value_or("");
        Event e = base(root, event_type::kFrontOfficeRegistration, "AanmeldingFrontOffice", regel_id);
        e.person = person(x::child(root, "client"), problems);
        if (auto when = date(x::child(root, "datumAanmelding"), problems)) e.event_date = *when;
        e.person->country_of_return = country(x::child(root, "gewenstLandVanTerugkeer"), problems);
        put(e, "office", x::text(x::child(root, "afdeling")), Sensitivity::Public);
        put(e, "volunteer", x::text(x::child(root, "vrijwilliger")), Sensitivity::Personal);
        if (auto where = x::child_text(x::child(root, "client"), "verblijfplaats"))
            put(e, "residence", *where, Sensitivity::Personal);
        put(e, "decision", x::text(x::child(root, "besluit")), Sensitivity::Personal);
        if (e.person->country_of_return) put(e, "desired_country_of_return", *e.person->country_of_return, Sensitivity::Personal);

        xmlNode* needs = x::child(root, "aandachtspunten");
        auto flag = [&](const char* name) { return is_true(x::child_text(needs, name).value_or("false")); };
        put(e, "need_psychosocial", flag("psychosocialeOndersteuning"), Sensitivity::SpecialCategory);
        put(e, "need_medical", flag("medischeZorg"), Sensitivity::SpecialCategory);
        put(e, "need_young_adult", flag("jongere"), Sensitivity::Personal);
        if (auto why = x::child_text(needs, "toelichting")) put(e, "needs_explanation", *why, Sensitivity::SpecialCategory);

        xmlNode* consent = x::child(root, "toestemming");
        const bool given = is_true(x::text(x::child(consent, "toestemmingDelen")));
        std::vector<std::string> orgs;
        for (xmlNode* o : x::children(consent, "organisatie")) orgs.push_back(organisation_codes().at(x::text(o)));
        put(e, "consent_given", given, Sensitivity::Personal);
        if (auto when = date(x::child(consent, "datum"), problems)) put(e, "consent_date", *when, Sensitivity::Personal);
        put(e, "consent_organisations", orgs, Sensitivity::Personal);

        if (!problems.empty()) throw Rejection(std::move(problems));
        DecodedDocument d;
        d.document_type = "AanmeldingFrontOffice";
        d.message_id = regel_id;
        d.records.push_back(Record{regel_id, x::line_of(root), true, {e}, {}, std::nullopt});
        return d;
    }

    static std::string required(const Json& f, const char* name) {
        auto it = f.find(name);
        if (it == f.end() || !it->is_string() || it->get<std::string>().empty())
            throw Rejection(0, std::string("fields.") + name, std::string("feedback needs '") + name + "'");
        return it->get<std::string>();
    }

    static std::string dutch_date(const std::string& iso, const char* field) {
        auto d = dates::parse_iso_date(iso.substr(0, 10));
        if (!d) throw Rejection(0, std::string("fields.") + field, "not a date YYYY-MM-DD: '" + iso + "'");
        char buf[40];
        std::snprintf(buf, sizeof buf, "%02u-%02u-%04d", d->day, d->month, d->year);
        return buf;
    }

    std::string encode_feedback(const OutboundMessage& m) const {
        const Json& f = m.fields;
        // VWN receives feedback only under a consent that names VWN.
        const auto orgs = f.value("consent_organisations", std::vector<std::string>{});
        if (std::find(orgs.begin(), orgs.end(), "VWN") == orgs.end())
            throw Rejection(0, "fields.consent_organisations",
                            "feedback to VWN needs a consent that names VWN (consent_organisations must include VWN)");
        const std::string outcome = required(f, "outcome");

        x::Writer w("Terugkoppeling", kNamespace);
        xmlNode* r = w.root();
        w.set_attr(r, "regelId", m.message_id);
        if (auto in_reply = f.value("in_reply_to", std::string()); !in_reply.empty()) w.add(r, "inReactieOp", in_reply);
        w.add(r, "clientnummer", required(f, "vwn_client_number"));
        if (auto v = f.value("v_number", std::string()); !v.empty()) w.add(r, "vNummer", v);
        w.add(r, "afdeling", latin1_safe(required(f, "office")));
        w.add(r, "toestemmingVan", dutch_date(required(f, "consent_date"), "consent_date"));
        if (outcome == "referred") {
            const std::string to = required(f, "referred_to");
            auto name = receiver_names().find(to);
            if (name == receiver_names().end())
                throw Rejection(0, "fields.referred_to", "VWN knows no receiver '" + to + "' (COA, IOM, MBT, HNTPO, SMS, NIDOS, PHAROS)");
            xmlNode* n = w.add(r, "Doorverwezen");
            w.add(n, "naar", name->second);
            w.add(n, "datum", dutch_date(required(f, "date"), "date"));
        } else if (outcome == "returned") {
            const std::string code = required(f, "country");
            auto dutch = countries_.dutch_name(code);
            if (!dutch) throw Rejection(0, "fields.country", "no Dutch name in the crosswalk for country '" + code + "'");
            xmlNode* n = w.add(r, "Teruggekeerd");
            w.add(n, "datum", dutch_date(required(f, "date"), "date"));
            w.add(n, "land", *dutch);
        } else if (outcome == "stopped") {
            xmlNode* n = w.add(r, "Gestopt");
            w.add(n, "datum", dutch_date(required(f, "date"), "date"));
            w.add(n, "reden", latin1_safe(required(f, "reason")));
        } else {
            throw Rejection(0, "fields.outcome", "outcome must be referred, returned or stopped, not '" + outcome + "'");
        }
        std::string out = w.serialize("ISO-8859-1");
        // Never hand VWN a document its own schema refuses.
        outbound_.require_valid(x::Document::parse_untrusted(out));
        return out;
    }

    std::string partner_;
    CountryCatalog countries_;
    x::Schema inbound_;
    x::Schema outbound_;
};

}  // namespace

KETENHUB_ADAPTER(VwnAdapter, "vwn", "1.0.0")
