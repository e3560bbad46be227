#include "trajectory/trajectory.hpp"

#include <ketenhub/sdk/dates.hpp>

namespace ketenhub::trajectory {

namespace {

std::string str(const sdk::Event& e, const char* field) {
    auto it = e.fields.find(field);
    if (it == e.fields.end() || it->second.value.is_null()) return {};
    const auto& v = it->second.value;
    return v.is_string() ? v.get<std::string>() : v.dump();
}

bool flag(const sdk::Event& e, const char* field) {
    auto it = e.fields.find(field);
    return it != e.fields.end() && it->second.value.is_boolean() && it->second.value.get<bool>();
}

std::string phase_of(const store::StoredEvent& s) {
    const auto& e = s.event;
    using namespace sdk::event_type;
    if (e.type == kContact) {
        const std::string p = str(e, "phase");
        if (p == "voorlichting") return "information";
        if (p == "coaching-besluitvorming") return "coaching";
        if (p == "coachen-voorbereiding-terugkeer") return "return_planning";
        return {};
    }
    if (e.type == kFrontOfficeRegistration || e.type == kRegistration || e.type == kIntake) return "registered";
    if (e.type == kReferral) return "referred";
    if (e.type == kSupportRequest) return "support_requested";
    if (e.type == kVoluntaryReturnDeclaration) return "declared";
    if (e.type == kReintegrationPlan) return "plan_agreed";
    if (e.type == kDeparture) return "departed";
    if (e.type == kArrival) return "arrived";
    if (e.type == kMonitoringVisit) return "monitored";
    if (e.type == kCaseClosed) return "closed";
    if (e.type == kDroppedOut) return "dropped_out";
    return {};
}

}  // namespace

Trajectory derive(const std::vector<store::StoredEvent>& events) {
    Trajectory t;
    for (const auto& s : events) {
        if (s.retracted) continue;
        const auto& e = s.event;
        // Two partners reporting the same step on the same day (IOM and DT&V
        // on a departure) are one step of the trajectory.
        if (auto p = phase_of(s); !p.empty() &&
                                  (t.phases.empty() || t.phases.back().phase != p || t.phases.back().date != e.event_date))
            t.phases.push_back({e.event_date, p, s.partner});

        // Funding and support choice: MbT states the funding; IOM's programme
        // says both (SDT = in kind under BZ, ETF = in kind under ETF, HRT and
        // REAN = cash). The latest statement wins: people switch.
        if (auto f = str(e, "funding"); f == "BZ" || f == "ETF") t.funding = f;
        const std::string programme = str(e, "programme");
        if (programme == "SDT" || programme == "ETF") {
            t.support_choice = "SDT";
            t.funding = programme == "SDT" ? "BZ" : "ETF";
        } else if (programme == "HRT" || programme == "REAN") {
            t.support_choice = programme;
        } else if (s.partner == "mbt") {
            t.support_choice = "SDT";
        }

        if (e.type == sdk::event_type::kSupportRequest) {
            t.support_request_date = e.event_date;
            if (auto ruling = str(e, "negative_ruling_date"); !ruling.empty()) {
                t.negative_ruling_date = ruling;
                auto a = sdk::dates::parse_iso_date(ruling), b = sdk::dates::parse_iso_date(e.event_date);
                if (a && b) {
                    long days = static_cast<long>(sdk::dates::days_from_civil(b->year, b->month, b->day) -
                                                  sdk::dates::days_from_civil(a->year, a->month, a->day));
                    t.days_after_ruling = days;
                    t.within_28_days = days >= 0 && days <= 28;  // day 0 is the ruling, day 28 the last day
                }
            }
        }

        if (e.type == sdk::event_type::kReferral)
            t.referrals.push_back(
                {.date = e.event_date, .partner = s.partner, .to = str(e, "referred_to"), .reference = str(e, "referral_number")});
        if (e.type == sdk::event_type::kReferralAnswer) {
            // An answer closes the open referral to that partner.
            const std::string answer = str(e, "answer");
            for (auto it = t.referrals.rbegin(); it != t.referrals.rend(); ++it)
                if (it->status == "open" && (it->to == "IOM" || it->to.empty())) {
                    it->status = answer.empty() ? "answered" : answer;
                    it->status_date = e.event_date;
                    break;
                }
        }
        if (e.type == sdk::event_type::kDeparture && (s.partner == "iom" || s.partner == "mbt"))
            for (auto& r : t.referrals)
                if (r.status == "open" || r.status == "accepted") {
                    r.status = "returned";
                    r.status_date = e.event_date;
                }

        if (e.fields.count("consent_given")) {
            Consent c;
            c.date = str(e, "consent_date").empty() ? e.event_date : str(e, "consent_date").substr(0, 10);
            c.partner = s.partner;
            c.given = flag(e, "consent_given");
            if (auto it = e.fields.find("consent_organisations"); it != e.fields.end() && it->second.value.is_array())
                for (const auto& o : it->second.value) c.organisations.push_back(o.get<std::string>());
            t.consents.push_back(std::move(c));
        }
    }
    return t;
}

}  // namespace ketenhub::trajectory
