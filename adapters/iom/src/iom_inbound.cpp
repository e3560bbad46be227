// ReturnCaseUpdate -> canonical event. Runs on a document that already
// passed inbound.xsd, so required elements are present and codes are within
// their enumerations; what is checked here is what the schema cannot say.
#include "iom_internal.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <charconv>
#include <optional>

namespace ketenhub::iom {
namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;

// IOM eventType -> canonical event type; referral answers also get an answer.
struct EventKind {
    std::string_view iom;
    const char* canonical;
    const char* answer;  // "accepted" | "declined" for referral answers, else null
};
constexpr EventKind kEventKinds[] = {
    {"REGISTERED", event_type::kRegistration, nullptr},
    {"REFERRAL_ACCEPTED", event_type::kReferralAnswer, "accepted"},
    {"REFERRAL_DECLINED", event_type::kReferralAnswer, "declined"},
    {"TRAVEL_DOCUMENT_REQUESTED", event_type::kTravelDocumentRequested, nullptr},
    {"DEPARTED", event_type::kDeparture, nullptr},
    {"REINTEGRATION_PLAN_AGREED", event_type::kReintegrationPlan, nullptr},
    {"MONITORING_VISIT", event_type::kMonitoringVisit, nullptr},
    {"CASE_CLOSED", event_type::kCaseClosed, nullptr},
};

// Text of an element or attribute whose XSD type collapses whitespace
// (xs:date, xs:dateTime, xs:boolean, xs:positiveInteger): the schema accepts
// " 2010-06-17 ", so the adapter must read it the same way.
std::string collapsed(std::string s) {
    const char* space = " \t\r\n";
    const size_t first = s.find_first_not_of(space);
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

const EventKind* event_kind(std::string_view iom_code) {
    for (const auto& k : kEventKinds)
        if (k.iom == iom_code) return &k;
    return nullptr;
}

// The funding stream the programme code implies. SDT in-kind support is paid
// from the ministry subsidy (BZ) unless IOM took the case on under the
// European Return Fund (programme ETF). HRT, REAN and OTHER are IOM's own
// programmes, not an SDT funding stream: no funding field.
std::optional<std::string> funding_of(std::string_view programme) {
    if (programme == "SDT") return "BZ";
    if (programme == "ETF") return "ETF";
    return std::nullopt;
}

class Decoder {
public:
    Decoder(xmlNode* root, const CountryCatalog& countries, const std::string& partner)
        : root_(root), countries_(countries), partner_(partner) {}

    DecodedDocument run() {
        Event e;
        e.source.partner = partner_;
        e.source.document_type = x::local_name(root_);
        e.source.message_id = x::text(x::child(root_, "messageId"));
        e.source.record_id = e.source.message_id;
        e.source.line = x::line_of(root_);

        // sentAt is the message date: a field, never the event date.
        put(e, "sent_at", collapsed(x::text(x::child(root_, "sentAt"))), Sensitivity::Public);

        xmlNode* type_node = x::child(root_, "eventType");
        const std::string iom_type = x::text(type_node);
        const EventKind* kind = event_kind(iom_type);
        if (!kind) {  // only if the schema and this table ever drift apart
            problem(type_node, "eventType '" + iom_type + "' has no canonical event type");
            throw Rejection(std::move(problems_));
        }
        e.type = kind->canonical;
        if (kind->answer) put(e, "answer", kind->answer, Sensitivity::Personal);
        e.event_date = plain_date(x::child(root_, "eventDate"));

        e.person = person();

        const std::string programme = x::text(x::child(root_, "programme"));
        put(e, "programme", programme, Sensitivity::Personal);
        if (auto funding = funding_of(programme)) put(e, "funding", *funding, Sensitivity::Personal);

        if (auto ref = x::child_text(root_, "referenceId")) e.hub_referral_id = *ref;
        if (auto remarks = x::child_text(root_, "remarks"); remarks && !remarks->empty())
            put(e, "remarks", *remarks, Sensitivity::Personal);

        decline_reason(e, iom_type);
        monitoring(e, iom_type);
        close_reason(e, iom_type);
        if ((iom_type == "REFERRAL_ACCEPTED" || iom_type == "REFERRAL_DECLINED") && !e.hub_referral_id)
            problems_.push_back({x::line_of(type_node), x::path_of(root_) + "/referenceId",
                                 "eventType " + iom_type + " answers a referral and must carry referenceId"});

        // A single document: any problem refuses it whole.
        if (!problems_.empty()) throw Rejection(std::move(problems_));

        DecodedDocument d;
        d.document_type = e.source.document_type;
        d.message_id = e.source.message_id;
        Record record;
        record.record_id = e.source.message_id;
        record.line = e.source.line;
        record.events.push_back(std::move(e));
        d.records.push_back(std::move(record));
        return d;
    }

private:
    static void put(Event& e, const char* key, Json value, Sensitivity s) { e.fields[key] = Field{std::move(value), s}; }

    void problem(xmlNode* n, std::string message) { problems_.push_back({x::line_of(n), x::path_of(n), std::move(message)}); }

    // YYYY-MM-DD taken as it is (xs:date already checked the form).
    std::string plain_date(xmlNode* n) {
        const std::string value = collapsed(x::text(n));
        if (!dates::parse_iso_date(value)) problem(n, "not a calendar date YYYY-MM-DD: '" + value + "'");
        return value;
    }

    std::optional<std::string> alpha2(xmlNode* n) {
        const std::string code = x::text(n);
        if (auto a2 = countries_.from_alpha3(code)) return a2;
        problem(n, "'" + code + "' is not an ISO 3166-1 alpha-3 country code (XKX for Kosovo)");
        return std::nullopt;
    }

    PersonRef person() {
        xmlNode* b = x::child(root_, "beneficiary");
        PersonRef p;
        p.partner_ids.push_back({kPartnerIdScheme, x::text(x::child(root_, "caseNo"))});
        p.v_number = x::child_text(b, "vNumber");
        p.family_name = x::text(x::child(b, "familyName"));
        p.given_names = x::text(x::child(b, "givenNames"));
        xmlNode* birth = x::child(b, "dateOfBirth");
        p.birth_date = plain_date(birth);
        // estimated="true": IOM knows the year only and wrote 1 January.
        const std::string estimated = collapsed(x::attr(birth, "estimated").value_or("false"));
        p.birth_date_precision = estimated == "true" || estimated == "1" ? "year" : "day";
        p.sex = x::text(x::child(b, "sex"));  // M | F | X, the canonical coding already
        p.nationality = alpha2(x::child(b, "nationality"));
        p.country_of_return = alpha2(x::child(root_, "destinationCountry"));
        p.sensitivity = Sensitivity::Personal;
        return p;
    }

    // An element that must be present with exactly one event type.
    xmlNode* paired(const char* element, std::string_view iom_type, std::string_view required_with) {
        xmlNode* n = x::child(root_, element);
        const bool wanted = iom_type == required_with;
        if (wanted && !n)
            problems_.push_back({x::line_of(x::child(root_, "eventType")), x::path_of(root_) + "/" + element,
                                 "eventType " + std::string(iom_type) + " requires " + element});
        if (!wanted && n)
            problem(n, std::string(element) + " is allowed only with eventType " + std::string(required_with) +
                           ", not with " + std::string(iom_type));
        return wanted ? n : nullptr;
    }

    void decline_reason(Event& e, std::string_view iom_type) {
        xmlNode* n = paired("declineReason", iom_type, "REFERRAL_DECLINED");
        if (!n) return;
        put(e, "decline_reason_code", x::attr(n, "code").value_or(""), Sensitivity::Personal);
        if (auto text = x::text(n); !text.empty()) put(e, "decline_reason", text, Sensitivity::Personal);
    }

    void close_reason(Event& e, std::string_view iom_type) {
        xmlNode* n = paired("closeReason", iom_type, "CASE_CLOSED");
        if (!n) return;
        put(e, "close_reason_code", x::attr(n, "code").value_or(""), Sensitivity::Personal);
        if (auto text = x::text(n); !text.empty()) put(e, "close_reason", text, Sensitivity::Personal);
    }

    void monitoring(Event& e, std::string_view iom_type) {
        xmlNode* m = paired("monitoring", iom_type, "MONITORING_VISIT");
        if (!m) return;
        put(e, "economic_score", x::text(x::child(m, "economic")), Sensitivity::Personal);
        // Psychosocial well-being is health data.
        put(e, "psychosocial_score", x::text(x::child(m, "psychosocial")), Sensitivity::SpecialCategory);
        put(e, "social_networks_score", x::text(x::child(m, "socialNetworks")), Sensitivity::Personal);
        if (xmlNode* v = x::child(m, "visitNumber")) {
            std::string digits = collapsed(x::text(v));
            if (!digits.empty() && digits.front() == '+') digits.erase(0, 1);  // "+1" is a valid xs:positiveInteger
            long long number = 0;
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
            if (ec != std::errc() || end != digits.data() + digits.size())
                problem(v, "visit number '" + digits + "' is out of range");
            else
                put(e, "visit_number", number, Sensitivity::Personal);
        }
    }

    xmlNode* root_;
    const CountryCatalog& countries_;
    const std::string& partner_;
    std::vector<Problem> problems_;
};

}  // namespace

DecodedDocument decode_return_case_update(xmlNode* root, const CountryCatalog& countries, const std::string& partner) {
    return Decoder(root, countries, partner).run();
}

}  // namespace ketenhub::iom
