// The chain's routing rules (../shared/partners/README.md "Routing" and
// "Rules from the cooperation agreement"), as docs/routing.md states them:
//
//   registration or COA referral -> referral to the back-office partner
//                                   (IOM ReferralRequest / MbT Verwijzing)
//   answer from IOM or MbT        -> status of that referral, told to COA
//                                   (DoorverwijzingStatus) and to VWN
//                                   (Terugkoppeling) where they referred
//   DT&V support request          -> acknowledgement copy to DT&V
//
// Pure: the same event and history give the same decisions, so routing an
// event twice is harmless (the outbox drops a repeated dedupe key).
#include "routing/routing_rules.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <cctype>

namespace ketenhub::routing {

namespace et = sdk::event_type;
using sdk::Event;
using sdk::Json;

std::string to_string(Action a) {
    switch (a) {
        case Action::Send: return "send";
        case Action::ManualFollowUp: return "manual_follow_up";
        case Action::Withheld: return "withheld";
        case Action::Record: return "record";
    }
    return "send";
}

namespace {

constexpr size_t kCoaReasonMax = 500;    // DoorverwijzingStatus/reden
constexpr size_t kVwnReasonMax = 500;    // Terugkoppeling/Gestopt/reden
constexpr size_t kMbtRemarksMax = 1000;  // Verwijzing/opmerking

// Organisations that receive referrals but have no interface with the hub.
bool without_interface(const std::string& org) {
    return org == "SMS" || org == "HNTPO" || org == "NIDOS" || org == "PHAROS" || org == "VWN";
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}
std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

const Json* value(const Event& e, const std::string& key) {
    auto it = e.fields.find(key);
    return it == e.fields.end() ? nullptr : &it->second.value;
}
std::string text(const Event& e, const std::string& key) {
    const Json* v = value(e, key);
    return v && v->is_string() ? v->get<std::string>() : std::string();
}
bool flag(const Event& e, const std::string& key) {
    const Json* v = value(e, key);
    return v && v->is_boolean() && v->get<bool>();
}
bool is_special(const Event& e, const std::string& key) {
    auto it = e.fields.find(key);
    return it != e.fields.end() && it->second.sensitivity >= sdk::Sensitivity::SpecialCategory;
}
std::vector<std::string> list(const Event& e, const std::string& key) {
    std::vector<std::string> out;
    if (const Json* v = value(e, key); v && v->is_array())
        for (const auto& x : *v)
            if (x.is_string()) out.push_back(upper(x.get<std::string>()));
    return out;
}

// A date from a plain date or a timestamp (COA consent dates are timestamps).
std::string date_of(const std::string& s) {
    if (s.size() > 10)
        if (auto d = sdk::dates::amsterdam_date_of(s)) return *d;
    return s.substr(0, 10);
}

std::string clip(std::string s, size_t max) {
    if (s.size() <= max) return s;
    s.resize(max - 3);
    // Never cut a UTF-8 sequence in half.
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
    return s + "...";
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

bool is_open(const std::string& status) { return status == "sent" || status == "received" || status == "accepted"; }

std::string organisation_of(const std::string& partner) {
    if (partner == "coa") return "COA";
    if (partner == "vwn") return "VWN";
    if (partner == "dtv") return "DTV";
    if (partner == "iom") return "IOM";
    if (partner == "mbt") return "MBT";
    return upper(partner);
}

std::string source_name(const std::string& partner) {
    if (partner == "coa") return "the COA Front Office";
    if (partner == "vwn") return "VluchtelingenWerk";
    if (partner == "dtv") return "DT&V";
    return organisation_of(partner);
}

// A consent on record: given at one partner, naming organisations.
struct Consent {
    const store::StoredEvent* source = nullptr;
    bool given = false;
    std::string date;  // YYYY-MM-DD
    std::vector<std::string> organisations;
};

std::optional<Consent> consent_of(const store::StoredEvent& se) {
    const Event& e = se.event;
    if (!value(e, "consent_given")) return std::nullopt;
    Consent c;
    c.source = &se;
    c.given = flag(e, "consent_given");
    c.date = date_of(text(e, "consent_date"));
    c.organisations = list(e, "consent_organisations");
    if (!c.given) c.organisations.clear();
    return c;
}

bool names(const Consent& c, const std::string& org) {
    return c.given && std::find(c.organisations.begin(), c.organisations.end(), org) != c.organisations.end();
}

// The consent that covers `org` now: the newest given consent naming it. A
// refused consent withdraws what was given earlier at the same partner;
// consents recorded by other partners stand.
std::optional<Consent> covering(const PersonContext& pc, const std::string& org) {
    std::vector<Consent> all;
    for (const auto& se : pc.events)
        if (auto c = consent_of(se)) all.push_back(std::move(*c));
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (!names(*it, org)) continue;
        const bool withdrawn = std::any_of(all.rbegin(), it, [&](const Consent& later) {
            return !later.given && later.source->partner == it->source->partner;
        });
        if (!withdrawn) return *it;
    }
    return std::nullopt;
}

std::string consent_statement(const Consent& c) {
    return "The client gave consent to " + source_name(c.source->partner) + " on " + c.date +
           " for sharing personal data with " + join(c.organisations, ", ") +
           " for the purpose of return and reintegration support.";
}

// The person as the receiving partner is told: this document's description
// first, filled in with what the hub knows from other partners.
sdk::PersonRef person_for_message(const PersonContext& pc, const Event& e) {
    sdk::PersonRef p = e.person.value_or(sdk::PersonRef{});
    const auto& r = pc.person;
    auto fill = [](std::optional<std::string>& slot, const std::optional<std::string>& from) {
        if ((!slot || slot->empty()) && from && !from->empty()) slot = from;
    };
    fill(p.v_number, r.v_number);
    fill(p.family_name, r.family_name);
    fill(p.given_names, r.given_names);
    if (!p.birth_date && r.birth_date) {
        p.birth_date = r.birth_date;
        p.birth_date_precision = r.birth_precision;
    }
    fill(p.sex, r.sex);
    fill(p.nationality, r.nationality);
    fill(p.country_of_return, r.country_of_return);
    p.partner_ids = pc.partner_ids;
    return p;
}

struct Router {
    const RoutingInput& in;
    const store::StoredEvent& se;
    const Event& e;
    std::string today;
    std::vector<Decision> out;

    explicit Router(const RoutingInput& i) : in(i), se(i.event), e(i.event.event), today(date_of(i.now)) {}

    Decision& add(Action a, std::string partner, std::string dedupe, std::string reason) {
        Decision d;
        d.action = a;
        d.partner = std::move(partner);
        d.dedupe_key = std::move(dedupe);
        d.reason = std::move(reason);
        d.message.created_at = in.now;
        out.push_back(std::move(d));
        return out.back();
    }

    std::string partner_id(const std::string& scheme) const {
        if (e.person)
            for (const auto& id : e.person->partner_ids)
                if (id.scheme == scheme) return id.value;
        for (const auto& id : in.person.partner_ids)
            if (id.scheme == scheme) return id.value;
        return {};
    }

    const HubReferral* referral_by_id(const std::string& id) const {
        for (const auto& r : in.person.referrals)
            if (r.referral_id == id) return &r;
        return nullptr;
    }
    const HubReferral* open_referral_to(const std::string& receiver) const {
        const HubReferral* found = nullptr;
        for (const auto& r : in.person.referrals)
            if (r.receiver == receiver && is_open(r.status)) found = &r;  // the newest
        return found;
    }
    const HubReferral* any_open_referral() const {
        const HubReferral* found = nullptr;
        for (const auto& r : in.person.referrals)
            if (is_open(r.status)) found = &r;
        return found;
    }

    // The country whose row in the matrix decides; South Sudan is recorded
    // under Sudan (partners' README, country coding notes).
    std::string country_of_return() const {
        std::string c = text(e, "desired_country_of_return");
        if (c.empty() && e.person && e.person->country_of_return) c = *e.person->country_of_return;
        if (c.empty() && in.person.person.country_of_return) c = *in.person.person.country_of_return;
        return c == "SS" ? "SD" : c;
    }

    std::string funding() const {
        std::string stated;
        for (const auto& ev : in.person.events) {
            if (ev.event.type == et::kSupportRequest && value(ev.event, "within_28_day_term") &&
                !flag(ev.event, "within_28_day_term"))
                return "ETF";  // the ministry subsidy's 28-day rule is missed; the ETF stream lifts it
            if (auto f = upper(text(ev.event, "funding")); f == "BZ" || f == "ETF") stated = f;
        }
        return stated.empty() ? "BZ" : stated;
    }

    std::string origin_remarks() const {
        if (e.source.partner == "coa") {
            std::string s = "Referred by the COA Front Office (" + text(e, "referral_number");
            if (auto q = text(e, "question_number"); !q.empty()) s += ", question " + q;
            return s + ") on " + e.event_date + ".";
        }
        if (e.source.partner == "vwn")
            return "Registered for return support by VluchtelingenWerk " + text(e, "office") + " (" +
                   e.source.record_id + ") on " + e.event_date + ".";
        std::string s = "Support request " + e.source.message_id + " submitted through DT&V on " + e.event_date + ".";
        if (auto ruling = text(e, "negative_ruling_date"); !ruling.empty()) s += " Negative court ruling " + ruling + ".";
        return s;
    }

    // --- registrations and COA referrals -------------------------------

    // A new referral to `receiver` ("iom" | "mbt"), made on this event.
    void refer(const std::string& receiver, const std::string& project, const Consent& consent,
               const std::string& why) {
        const std::string org = upper(receiver);
        Decision& d = add(Action::Send, receiver, "referral:" + e.source.partner + ":" + se.record_id,
                          "referred to " + org + ": " + why);
        d.new_referral = true;
        d.new_referral_receiver = receiver;
        d.message.type = "referral_request";  // ReferralRequest at IOM, Verwijzing at MbT
        auto& f = d.message.fields;
        f["referred_by"] = organisation_of(e.source.partner);
        Json person = person_for_message(in.person, e);
        if (auto c = country_of_return(); !c.empty()) person["country_of_return"] = c;
        f["person"] = std::move(person);
        f["funding"] = funding();
        f["consent_given"] = true;
        f["consent_date"] = consent.date;
        f["consent_organisations"] = consent.organisations;
        if (receiver == "iom") {
            f["requested_services"] = Json::array({"return_travel", "reintegration_in_kind"});
            f["consent_statement"] = consent_statement(consent);
            f["remarks"] = origin_remarks();
            // A medical need alone is not a request for an escort on the
            // journey; IOM is told nothing special-category (adapters/iom).
        } else {
            f["referral_date"] = today;
            f["project_suggestion"] = project;
            // Needs travel only from the document that made the referral,
            // whose consent covers MbT, and only the needs MbT has codes for.
            Json needs = Json::array();
            if (flag(e, "need_psychosocial")) needs.push_back("psychosocial");
            if (flag(e, "need_medical")) needs.push_back("medical");
            if (flag(e, "need_young_adult")) needs.push_back("young_adult");
            f["needs"] = std::move(needs);
            f["remarks"] = clip(origin_remarks(), kMbtRemarksMax);
        }
    }

    // Which back-office partner, by the country matrix, for a registration.
    struct Target {
        std::string receiver, project, why, problem;
    };
    Target matrix_target(bool young_adult) const {
        Target t;
        const std::string country = country_of_return();
        if (country.empty()) {
            t.problem = "no country of return is known, so the country matrix gives no back-office partner";
            return t;
        }
        const CountryRow* row = in.matrix.find(country);
        if (!row) {
            t.problem = "country " + country + " is not in the country matrix; no back-office partner is agreed for it";
            return t;
        }
        const bool bb = std::find(row->specialists.begin(), row->specialists.end(), "BB") != row->specialists.end();
        if (young_adult && bb) {
            t.receiver = "mbt";
            t.project = "BB";
            t.why = "young adult returning to " + row->name + ", where MbT runs Beyond Borders";
            return t;
        }
        if (row->in_kind_partner.empty()) {
            t.problem = "the country matrix names no in-kind partner for " + row->name;
            return t;
        }
        t.receiver = row->in_kind_partner;
        t.project = "MBT";
        t.why = "the country matrix gives " + upper(t.receiver) + " for " + row->name;
        return t;
    }

    // Registrations (VWN AanmeldingFrontOffice, DT&V Ondersteuningsverzoek):
    // straight to the back-office partner, no detour via the helpdesk.
    // Returns the organisation that now handles the person ("" if none).
    std::string route_registration() {
        const std::string what = e.source.partner == "vwn" ? "VWN registration " + se.record_id
                                                           : "DT&V support request " + e.source.message_id;
        if (const HubReferral* open = any_open_referral()) {
            add(Action::Withheld, open->receiver, "not-referred-again:" + e.source.partner + ":" + se.record_id,
                what + " not referred again: " + open->referral_id + " to " + upper(open->receiver) + " is open")
                .referral_id = open->referral_id;
            return upper(open->receiver);
        }
        Target t = matrix_target(flag(e, "need_young_adult"));
        if (!t.problem.empty()) {
            add(Action::Withheld, "", "withheld:" + e.source.partner + ":" + se.record_id, what + ": " + t.problem);
            return {};
        }
        const std::string org = upper(t.receiver);
        std::optional<Consent> consent;
        if (auto own = consent_of(se)) {
            // The registration's own consent decides (VWN README).
            if (!own->given) {
                add(Action::Withheld, t.receiver, "withheld:" + e.source.partner + ":" + se.record_id,
                    what + " has no consent to share: it is for VWN's own statistics and nothing is passed on");
                return {};
            }
            if (!names(*own, org)) {
                add(Action::Withheld, t.receiver, "withheld:" + e.source.partner + ":" + se.record_id,
                    what + ": its consent of " + own->date + " does not cover " + org + " (" + t.why + ")");
                return {};
            }
            consent = own;
        } else {
            // A DT&V request carries no consent: one recorded elsewhere must cover the receiver.
            consent = covering(in.person, org);
            if (!consent) {
                add(Action::Withheld, t.receiver, "withheld:" + e.source.partner + ":" + se.record_id,
                    what + ": no consent on record covers " + org + " (" + t.why +
                        "); referred once a consent naming " + org + " arrives");
                return {};
            }
        }
        refer(t.receiver, t.project, *consent, t.why);
        vwn_referred_feedback_for_new(t.receiver);
        return org;
    }

    // COA Doorverwijzing: to IOM or MBT through the hub; to organisations
    // without an interface recorded for manual follow-up.
    void route_coa_referral() {
        const std::string to = upper(text(e, "referred_to"));
        const std::string number = text(e, "referral_number");
        if (to.empty()) return;
        if (without_interface(to)) {
            add(Action::ManualFollowUp, to, "manual:coa:" + se.record_id,
                "COA referral " + number + " to " + to + ": no interface with the hub; follow up by hand");
            vwn_feedback_referred(to, e.event_date, "vwn-feedback:referred:coa:" + se.record_id, "");
            return;
        }
        if (to != "IOM" && to != "MBT") {
            add(Action::Withheld, to, "withheld:coa:" + se.record_id,
                "COA referral " + number + " names '" + to + "', which is not a receiver of referrals");
            return;
        }
        const std::string receiver = lower(to);
        if (const HubReferral* open = open_referral_to(receiver)) {
            // The person is referred already: COA learns under which id.
            coa_status(*open, e, "received", in.now, "", "COA referral " + number + " joins " + open->referral_id);
            vwn_feedback_referred(to, date_of(open->created_at), "vwn-feedback:referred:" + open->origin_partner + ":" + open->origin_record,
                                  open->referral_id);
            return;
        }
        auto consent = consent_of(se);
        if (!consent || !names(*consent, to)) {
            add(Action::Withheld, receiver, "withheld:coa:" + se.record_id,
                "COA referral " + number + ": its consent does not cover " + to);
            return;
        }
        std::string project = "MBT";
        std::string why = "COA referred to " + to;
        if (receiver == "mbt" && flag(e, "need_young_adult")) {
            const CountryRow* row = in.matrix.find(country_of_return());
            if (row && std::find(row->specialists.begin(), row->specialists.end(), "BB") != row->specialists.end()) {
                project = "BB";
                why += " (young adult; Beyond Borders runs in " + row->name + ")";
            }
        }
        if (const CountryRow* row = in.matrix.find(country_of_return());
            row && !row->in_kind_partner.empty() && row->in_kind_partner != receiver && project != "BB")
            why += "; note: the country matrix gives " + upper(row->in_kind_partner) + " for " + row->name;
        refer(receiver, project, *consent, why);
        Decision& d = add(Action::Send, "coa", "coa-status:" + number + ":received",
                          "COA referral " + number + " forwarded to " + to);
        d.about_new_referral = true;
        d.message.type = "referral_status";
        d.message.fields = coa_status_fields(e, "received", in.now, "");
        vwn_referred_feedback_for_new(receiver);
    }

    // --- telling COA and VWN -------------------------------------------

    Json coa_status_fields(const Event& coa_referral, const std::string& status, const std::string& effective_at,
                           const std::string& reason) const {
        Json f = Json::object();
        f["status"] = status;
        f["referral_number"] = text(coa_referral, "referral_number");
        std::string coa_number;
        if (coa_referral.person)
            for (const auto& id : coa_referral.person->partner_ids)
                if (id.scheme == "coa") coa_number = id.value;
        if (coa_number.empty()) coa_number = partner_id("coa");
        f["coa_number"] = coa_number;
        f["effective_at"] = effective_at;
        if (!reason.empty()) f["reason"] = clip(reason, kCoaReasonMax);
        return f;
    }

    void coa_status(const HubReferral& r, const Event& coa_referral, const std::string& status,
                    const std::string& effective_at, const std::string& reason, const std::string& why) {
        const std::string number = text(coa_referral, "referral_number");
        Decision& d = add(Action::Send, "coa", "coa-status:" + number + ":" + status, why);
        d.referral_id = r.referral_id;
        d.message.type = "referral_status";
        d.message.fields = coa_status_fields(coa_referral, status, effective_at, reason);
        d.message.fields["hub_referral_id"] = r.referral_id;
    }

    // The VWN registration this person came through, if any.
    const store::StoredEvent* vwn_registration() const {
        const store::StoredEvent* found = nullptr;
        for (const auto& ev : in.person.events)
            if (ev.event.type == et::kFrontOfficeRegistration && ev.partner == "vwn") found = &ev;
        return found;
    }

    // Feedback to VWN only about its own clients and only with a consent
    // that names VWN (vwn/README.md); the fields every outcome shares.
    std::optional<Json> vwn_feedback_base() const {
        const std::string client = partner_id("vwn");
        if (client.empty()) return std::nullopt;
        auto consent = covering(in.person, "VWN");
        if (!consent) return std::nullopt;
        Json f = Json::object();
        f["consent_organisations"] = consent->organisations;
        f["consent_date"] = consent->date;
        f["vwn_client_number"] = client;
        if (in.person.person.v_number) f["v_number"] = *in.person.person.v_number;
        std::string office;
        const store::StoredEvent* reg = vwn_registration();
        if (reg) {
            f["in_reply_to"] = reg->record_id;
            office = text(reg->event, "office");
        }
        for (auto it = in.person.events.rbegin(); office.empty() && it != in.person.events.rend(); ++it)
            if (it->partner == "vwn") office = text(it->event, "office");
        if (office.empty()) return std::nullopt;
        f["office"] = office;
        return f;
    }

    void vwn_feedback_referred(const std::string& org, const std::string& date, const std::string& dedupe,
                               const std::string& referral_id) {
        if (org == "VWN" || org == "DTV") return;  // not a receiver VWN's format can name
        auto f = vwn_feedback_base();
        if (!f) return;
        Decision& d = add(Action::Send, "vwn", dedupe, "VWN client referred to " + org + "; the consent names VWN");
        d.referral_id = referral_id;
        d.message.type = "feedback";
        (*f)["outcome"] = "referred";
        (*f)["referred_to"] = org;
        (*f)["date"] = date;
        d.message.fields = std::move(*f);
    }

    void vwn_referred_feedback_for_new(const std::string& receiver) {
        auto before = out.size();
        vwn_feedback_referred(upper(receiver), today, "vwn-feedback:referred:" + e.source.partner + ":" + se.record_id, "");
        if (out.size() > before) out.back().about_new_referral = true;
    }

    // --- answers from the back office ----------------------------------

    // The referral an answer is about: the id it quotes, else the newest
    // open referral to the answering partner.
    const HubReferral* answered_referral() const {
        if (e.hub_referral_id) return referral_by_id(*e.hub_referral_id);
        return open_referral_to(e.source.partner);
    }

    // Moves referral r to `status` and tells whoever referred.
    void transition(const HubReferral& r, const std::string& status, const std::string& effective_date,
                    const std::string& reason, const std::string& why) {
        // Terminal statuses stay; the same status again (an event routed
        // twice) gives the same messages, which the outbox drops.
        if (!is_open(r.status) && r.status != status) return;
        const size_t before = out.size();
        // COA: every COA referral of this person to the same receiver.
        for (const auto& ev : in.person.events)
            if (ev.partner == "coa" && ev.event.type == et::kReferral &&
                upper(text(ev.event, "referred_to")) == upper(r.receiver)) {
                std::string coa_reason = reason;
                if (coa_reason.empty() && (status == "declined" || status == "stopped"))
                    coa_reason = upper(r.receiver) + " reported the referral " + status + " on " + effective_date + ".";
                coa_status(r, ev.event, status, effective_date, status == "declined" || status == "stopped" ? coa_reason : "",
                           why + "; COA referral " + text(ev.event, "referral_number") + " is told");
                out.back().referral_status = status;
            }
        // VWN: the outcome for its client.
        if (status == "returned" || status == "stopped" || status == "declined") {
            if (auto f = vwn_feedback_base()) {
                const std::string outcome = status == "returned" ? "returned" : "stopped";
                Decision& d = add(Action::Send, "vwn", "vwn-feedback:" + outcome + ":" + r.referral_id,
                                  why + "; VWN is told (the consent names VWN)");
                d.referral_id = r.referral_id;
                d.referral_status = status;
                d.message.type = "feedback";
                (*f)["outcome"] = outcome;
                (*f)["date"] = effective_date;
                if (outcome == "returned") {
                    (*f)["country"] = country_of_return();
                } else {
                    (*f)["reason"] = clip(reason.empty() ? upper(r.receiver) + " reported the referral " + status + "." : reason,
                                          kVwnReasonMax);
                }
                d.message.fields = std::move(*f);
            }
        }
        if (out.size() == before) {
            Decision& d = add(Action::Record, r.receiver, "status:" + r.referral_id + ":" + status, why);
            d.referral_id = r.referral_id;
            d.referral_status = status;
        }
    }

    // A reason that may travel to COA and VWN: never special-category.
    std::string shareable(const std::string& text_key, const std::string& code_key) const {
        if (!is_special(e, text_key))
            if (auto t = text(e, text_key); !t.empty()) return t;
        if (auto c = text(e, code_key); !c.empty()) return upper(e.source.partner) + " reason code " + c + ".";
        return {};
    }

    void cancel_iom(const std::string& reason_code, const std::string& reason_text) {
        for (const auto& r : in.person.referrals) {
            if (r.receiver != "iom" || !is_open(r.status)) continue;
            Decision& d = add(Action::Send, "iom", "iom-cancel:" + r.referral_id,
                              "IOM referral " + r.referral_id + " cancelled: " + reason_text);
            d.referral_id = r.referral_id;
            d.referral_status = "cancelled";
            d.message.type = "referral_cancellation";
            d.message.fields = Json{{"hub_referral_id", r.referral_id},
                                    {"cancelled_on", e.event_date},
                                    {"reason_code", reason_code},
                                    {"reason", reason_text}};
            if (auto c = partner_id("iom"); !c.empty()) d.message.fields["iom_case_number"] = c;
        }
    }

    void route_answer() {
        const std::string& p = e.source.partner;
        const bool in_kind_departure =
            e.type == et::kDeparture &&
            (p == "mbt" || (p == "iom" && (upper(text(e, "programme")) == "SDT" || upper(text(e, "programme")) == "ETF")));
        // DT&V's registered departure (ZELFSTANDIG is any departure not under
        // supervision, IOM-assisted ones included) answers no referral.
        if (e.type == et::kDeparture && p == "dtv") return;
        const HubReferral* r = answered_referral();
        if (!r) {
            if (e.hub_referral_id)
                add(Action::Withheld, p, "unknown-referral:" + p + ":" + se.record_id,
                    upper(p) + " answered referral " + *e.hub_referral_id + ", which the hub did not make for this person");
            return;
        }
        const std::string who = upper(p) + " " + e.type + " of " + e.event_date + " on " + r->referral_id;
        if (e.type == et::kReferralAnswer) {
            const std::string answer = text(e, "answer");
            if (answer == "accepted") transition(*r, "accepted", e.event_date, "", who);
            if (answer == "declined") transition(*r, "declined", e.event_date, shareable("decline_reason", "decline_reason_code"), who);
        } else if (e.type == et::kRegistration && p == "mbt" && e.hub_referral_id) {
            // MbT answers a referral by registering the returnee; it sends no
            // separate acceptance.
            transition(*r, "accepted", e.event_date, "", who);
        } else if (in_kind_departure) {
            transition(*r, "returned", e.event_date, "", who);
        } else if (e.type == et::kDroppedOut && p == "mbt") {
            transition(*r, "stopped", e.event_date, shareable("reason", "step_code"), who);
            cancel_iom("beneficiary_withdrew", "The beneficiary withdrew from the programme (MbT, " + e.event_date + ").");
        } else if (e.type == et::kCaseClosed && r->status != "returned") {
            transition(*r, "stopped", e.event_date,
                       p == "iom" ? shareable("close_reason", "close_reason_code") : shareable("reason", "step_code"), who);
        }
    }

    // --- DT&V ----------------------------------------------------------

    void acknowledge_request(const std::string& handling_organisation, bool about_new) {
        const std::string request_date = text(e, "request_date").empty() ? e.event_date : text(e, "request_date");
        Decision& d = add(Action::Send, "dtv", "dtv-ack:" + e.source.message_id,
                          "DT&V support request " + e.source.message_id + " taken into handling by " + handling_organisation);
        d.about_new_referral = about_new;
        d.message.type = "support_request_acknowledgement";
        auto& f = d.message.fields;
        f["request_reference"] = e.source.message_id;
        f["v_number"] = e.person && e.person->v_number ? *e.person->v_number : in.person.person.v_number.value_or("");
        f["request_date"] = request_date;
        f["handling_date"] = std::max(today, request_date);
        f["handling_organisation"] = handling_organisation;
        if (auto cm = text(e, "case_manager_id"); !cm.empty()) f["case_manager_id"] = cm;
    }

    std::vector<Decision> run() {
        if (e.type == et::kReferral && e.source.partner == "coa") {
            route_coa_referral();
        } else if (e.type == et::kFrontOfficeRegistration) {
            route_registration();
        } else if (e.type == et::kSupportRequest) {
            const size_t before = out.size();
            std::string handler = route_registration();
            const bool referred_now = std::any_of(out.begin() + static_cast<long>(before), out.end(),
                                                  [](const Decision& d) { return d.new_referral; });
            // Without a back-office partner yet the programme office (SDT)
            // handles the request; DT&V gets its copy either way.
            acknowledge_request(handler.empty() ? "SDT" : handler, referred_now);
        } else if (may_route(e)) {
            route_answer();
        }
        return std::move(out);
    }
};

}  // namespace

bool may_route_type(std::string_view t) {
    return t == et::kReferral || t == et::kFrontOfficeRegistration || t == et::kSupportRequest || t == et::kReferralAnswer ||
           t == et::kDeparture || t == et::kCaseClosed || t == et::kDroppedOut || t == et::kRegistration;
}

bool may_route(const sdk::Event& e) {
    if (!may_route_type(e.type)) return false;
    if (e.type == et::kDeparture) return e.source.partner != "dtv";
    if (e.type == et::kRegistration) return e.hub_referral_id.has_value();
    return true;
}

std::vector<Decision> route(const RoutingInput& in) {
    if (!may_route(in.event.event)) return {};
    return Router(in).run();
}

}  // namespace ketenhub::routing
