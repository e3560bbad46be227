// Canonical outbound messages -> IOM ReferralRequest / ReferralCancellation.
// Every field the encoder reads is listed in adapters/iom/README.md. Problems
// name the canonical field ("fields.person.nationality") so the hub can say
// what its message lacked; the adapter then validates the result against
// outbound.xsd.
#include "iom_internal.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <vector>

namespace ketenhub::iom {
namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;

const std::set<std::string> kOrganisations = {"SDT", "COA",   "DTV", "IOM",   "MBT",
                                              "HNTPO", "SMS", "VWN", "NIDOS", "PHAROS"};
const std::set<std::string> kFunding = {"BZ", "ETF"};
const std::set<std::string> kCancelCodes = {"BENEFICIARY_WITHDREW", "CHOSE_OTHER_PROGRAMME", "DEPARTED_INDEPENDENTLY",
                                            "CONSENT_WITHDRAWN",    "DUPLICATE_REFERRAL",    "OTHER"};

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

std::string join(const std::set<std::string>& codes) {
    std::string out;
    for (const auto& c : codes) out += (out.empty() ? "" : ", ") + c;
    return out;
}

// Reads one JSON object of a canonical message; every problem names the
// field by its path from the message ("fields.consent_date").
class FieldReader {
public:
    FieldReader(const Json& object, std::string prefix, std::string message_type)
        : object_(object), prefix_(std::move(prefix)), type_(std::move(message_type)) {}

    std::string path(std::string_view name) const { return prefix_ + std::string(name); }

    [[noreturn]] void fail(std::string_view name, const std::string& why) const {
        throw Rejection(0, path(name), type_ + ": " + path(name) + " " + why);
    }

    const Json* find(std::string_view name) const {
        if (!object_.is_object()) return nullptr;
        auto it = object_.find(std::string(name));
        return it == object_.end() || it->is_null() ? nullptr : &*it;
    }

    // Absent, null and "" all count as not given.
    std::optional<std::string> optional_string(std::string_view name) const {
        const Json* v = find(name);
        if (!v) return std::nullopt;
        if (!v->is_string()) fail(name, "must be a string");
        std::string s = v->get<std::string>();
        if (s.empty()) return std::nullopt;
        return s;
    }

    std::string required_string(std::string_view name) const {
        auto s = optional_string(name);
        if (!s) fail(name, "is required");
        return *s;
    }

    std::optional<bool> optional_bool(std::string_view name) const {
        const Json* v = find(name);
        if (!v) return std::nullopt;
        if (!v->is_boolean()) fail(name, "must be true or false");
        return v->get<bool>();
    }

    std::vector<std::string> required_strings(std::string_view name) const {
        const Json* v = find(name);
        if (!v) fail(name, "is required");
        if (!v->is_array() || v->empty()) fail(name, "must be a non-empty list of strings");
        std::vector<std::string> out;
        for (const auto& item : *v) {
            if (!item.is_string()) fail(name, "must be a list of strings");
            out.push_back(item.get<std::string>());
        }
        return out;
    }

    FieldReader object(std::string_view name) const {
        const Json* v = find(name);
        if (!v) fail(name, "is required");
        if (!v->is_object()) fail(name, "must be an object");
        return FieldReader(*v, path(name) + ".", type_);
    }

    // An organisation / funding / reason code; matched case-insensitively.
    std::string code(std::string_view name, const std::set<std::string>& allowed) const {
        return checked_code(name, required_string(name), allowed);
    }
    std::string checked_code(std::string_view name, const std::string& value, const std::set<std::string>& allowed) const {
        std::string c = upper(value);
        if (!allowed.count(c)) fail(name, "'" + value + "' is not one of " + join(allowed));
        return c;
    }

    // IOM dates are plain YYYY-MM-DD. A canonical timestamp (COA's consent
    // date is one) becomes its Europe/Amsterdam calendar date.
    std::string date(std::string_view name) const {
        const std::string value = required_string(name);
        if (dates::parse_iso_date(value)) return value;
        if (auto d = dates::amsterdam_date_of(value)) return *d;
        fail(name, "'" + value + "' is neither a date YYYY-MM-DD nor an RFC 3339 timestamp");
    }

private:
    const Json& object_;
    std::string prefix_;
    std::string type_;
};

// sentAt: IOM takes UTC with "Z" only, whatever offset the hub used.
std::string utc_sent_at(const OutboundMessage& m) {
    auto t = dates::parse_timestamp(m.created_at);
    if (!t) throw Rejection(0, "created_at", m.type + ": created_at '" + m.created_at + "' is not an RFC 3339 timestamp with a zone");
    return dates::utc_timestamp(*t);
}

void require_message_id(const OutboundMessage& m) {
    if (m.message_id.empty()) throw Rejection(0, "message_id", m.type + ": message_id is required");
}

// The IOM case number, if the hub knows one: fields.iom_case_number, or the
// person's partner id with scheme "iom". Both given and different: refused.
std::optional<std::string> iom_case_number(const FieldReader& fields, const Json* person) {
    auto explicit_number = fields.optional_string("iom_case_number");
    std::optional<std::string> from_person;
    if (person && person->is_object()) {
        if (auto ids = person->find("partner_ids"); ids != person->end() && ids->is_array())
            for (const auto& id : *ids)
                if (id.is_object() && id.value("scheme", std::string()) == kPartnerIdScheme)
                    from_person = id.value("value", std::string());
    }
    if (explicit_number && from_person && *explicit_number != *from_person)
        fields.fail("iom_case_number", "'" + *explicit_number + "' differs from the person's iom partner id '" +
                                           *from_person + "'");
    return explicit_number ? explicit_number : from_person;
}

std::string alpha3(const FieldReader& r, std::string_view name, const CountryCatalog& countries) {
    const std::string alpha2 = r.required_string(name);
    auto code = countries.is_alpha2(alpha2) ? countries.alpha3_of(alpha2) : std::nullopt;
    if (!code) r.fail(name, "'" + alpha2 + "' is not an ISO 3166-1 alpha-2 country code with an alpha-3 code (XK for Kosovo)");
    return *code;
}

// The beneficiary block from a canonical PersonRef.
void write_beneficiary(x::Writer& w, xmlNode* parent, const FieldReader& person, const CountryCatalog& countries) {
    xmlNode* b = w.add(parent, "beneficiary");
    if (auto v = person.optional_string("v_number")) w.add(b, "vNumber", *v);
    w.add(b, "familyName", person.required_string("family_name"));
    w.add(b, "givenNames", person.required_string("given_names"));

    const std::string birth = person.required_string("birth_date");
    const std::string precision = person.optional_string("birth_date_precision").value_or("day");
    if (precision == "year") {
        // IOM's convention for a year-only date: 1 January, estimated="true".
        int year = 0;
        const bool year_form = birth.size() == 4 && std::all_of(birth.begin(), birth.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
        if (year_form || dates::parse_iso_date(birth)) year = std::stoi(birth.substr(0, 4));
        if (year <= 0) person.fail("birth_date", "'" + birth + "' is not a year YYYY or a date YYYY-MM-DD");
        xmlNode* dob = w.add(b, "dateOfBirth", dates::format(dates::Civil{year, 1, 1}));
        w.set_attr(dob, "estimated", "true");
    } else if (precision == "day") {
        if (!dates::parse_iso_date(birth)) person.fail("birth_date", "'" + birth + "' is not a date YYYY-MM-DD");
        w.add(b, "dateOfBirth", birth);
    } else {
        person.fail("birth_date_precision", "'" + precision + "' is not day or year");
    }

    const std::string sex = person.required_string("sex");
    if (sex != "M" && sex != "F" && sex != "X") person.fail("sex", "'" + sex + "' is not M, F or X");
    w.add(b, "sex", sex);
    w.add(b, "nationality", alpha3(person, "nationality", countries));
}

}  // namespace

std::string encode_referral_request(const OutboundMessage& m, const CountryCatalog& countries) {
    require_message_id(m);
    const FieldReader f(m.fields, "fields.", m.type);
    const std::string sent_at = utc_sent_at(m);
    const std::string referral_id = f.required_string("hub_referral_id");
    const FieldReader person = f.object("person");
    const auto case_number = iom_case_number(f, f.find("person"));
    const std::string referred_by = f.code("referred_by", kOrganisations);
    const std::string funding = f.code("funding", kFunding);

    // Services asked of IOM. MEDICAL_ESCORT is special-category and is sent
    // only when the message itself says the medical need calls for an escort
    // on the journey (need_medical_escort = true); a medical need alone
    // (need_medical) never produces it, and no other need is ever sent.
    bool return_travel = false, in_kind = false;
    for (const auto& s : f.required_strings("requested_services")) {
        const std::string service = upper(s);
        if (service == "RETURN_TRAVEL")
            return_travel = true;
        else if (service == "REINTEGRATION_IN_KIND")
            in_kind = true;
        else if (service == "MEDICAL_ESCORT")
            f.fail("requested_services", "must not list medical_escort: set need_medical_escort = true instead");
        else
            f.fail("requested_services", "'" + s + "' is not return_travel or reintegration_in_kind");
    }
    const bool medical_escort = f.optional_bool("need_medical_escort").value_or(false);

    // A referral is sent only with a consent that covers IOM.
    const auto consent_given = f.optional_bool("consent_given");
    if (!consent_given) f.fail("consent_given", "is required");
    if (!*consent_given) f.fail("consent_given", "must be true: a referral without consent is never sent");
    const std::string consent_date = f.date("consent_date");
    std::vector<std::string> shared_with;
    for (const auto& org : f.required_strings("consent_organisations"))
        shared_with.push_back(f.checked_code("consent_organisations", org, kOrganisations));
    if (shared_with.size() > 10) f.fail("consent_organisations", "lists more than 10 organisations");
    if (std::find(shared_with.begin(), shared_with.end(), "IOM") == shared_with.end())
        f.fail("consent_organisations", "does not include IOM: the consent does not cover this referral");
    const std::string statement = f.required_string("consent_statement");

    x::Writer w("ReferralRequest", kNamespace);
    xmlNode* r = w.root();
    w.add(r, "messageId", m.message_id);
    w.add(r, "sentAt", sent_at);
    w.add(r, "referralId", referral_id);
    if (case_number) w.add(r, "caseNo", *case_number);
    w.add(r, "referredBy", referred_by);
    write_beneficiary(w, r, person, countries);
    w.add(r, "destinationCountry", alpha3(person, "country_of_return", countries));
    xmlNode* services = w.add(r, "requestedServices");
    if (return_travel) w.add(services, "service", "RETURN_TRAVEL");
    if (in_kind) w.add(services, "service", "REINTEGRATION_IN_KIND");
    if (medical_escort) w.add(services, "service", "MEDICAL_ESCORT");
    w.add(r, "funding", funding);
    xmlNode* consent = w.add(r, "consent");
    w.add(consent, "consentGiven", "true");
    w.add(consent, "consentDate", consent_date);
    for (const auto& org : shared_with) w.add(consent, "sharedWith", org);
    w.add(consent, "statement", statement);
    if (auto remarks = f.optional_string("remarks")) w.add(r, "remarks", *remarks);
    return w.serialize();
}

std::string encode_referral_cancellation(const OutboundMessage& m) {
    require_message_id(m);
    const FieldReader f(m.fields, "fields.", m.type);
    const std::string sent_at = utc_sent_at(m);
    const std::string referral_id = f.required_string("hub_referral_id");
    const auto case_number = f.optional_string("iom_case_number");
    const std::string cancelled_on = f.date("cancelled_on");
    const std::string code = f.code("reason_code", kCancelCodes);
    const auto reason = f.optional_string("reason");
    if (code == "OTHER" && !reason) f.fail("reason", "is required when reason_code is other");

    x::Writer w("ReferralCancellation", kNamespace);
    xmlNode* r = w.root();
    w.add(r, "messageId", m.message_id);
    w.add(r, "sentAt", sent_at);
    w.add(r, "referralId", referral_id);
    if (case_number) w.add(r, "caseNo", *case_number);
    w.add(r, "cancelledOn", cancelled_on);
    xmlNode* reason_node = w.add(r, "reason", reason.value_or(""));
    w.set_attr(reason_node, "code", code);
    return w.serialize();
}

}  // namespace ketenhub::iom
