#include "reporting/four_weekly_report.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <tuple>

namespace ketenhub::reporting {

namespace {

namespace d = sdk::dates;
namespace et = sdk::event_type;
using statistics::Fact;

constexpr int64_t kFirstStart = d::days_from_civil(2010, 1, 4);

std::optional<int64_t> day_of(const std::string& iso) {
    auto c = d::parse_iso_date(iso);
    if (!c) return std::nullopt;
    return d::days_from_civil(c->year, c->month, c->day);
}

std::string iso_of(int64_t day) { return d::format(d::civil_from_days(day)); }

// DT&V's explanations write dates as dd-mm-jjjj (the published sample).
std::string dutch_date(const std::string& iso) {
    if (iso.size() != 10) return iso;
    return iso.substr(8, 2) + "-" + iso.substr(5, 2) + "-" + iso.substr(0, 4);
}

ReportingPeriod period_at(int64_t start) {
    const int year = d::civil_from_days(start).year;
    const int64_t jan1 = d::days_from_civil(year, 1, 1);
    // The first period that starts in this year: 2010's is the very first.
    int64_t first = kFirstStart;
    if (jan1 > kFirstStart) first = kFirstStart + (jan1 - kFirstStart + 27) / 28 * 28;
    return ReportingPeriod{static_cast<int>((start - first) / 28) + 1, iso_of(start), iso_of(start + 27)};
}

// ---- activities --------------------------------------------------------------

// Canonical categories in DT&V's enumeration order; the adapter maps them.
enum Category { kInformation, kCoaching, kReturnPlanning, kReferral, kReintegration, kMonitoring, kCategories };
constexpr std::array<const char*, kCategories> kCategoryNames = {"information", "coaching",      "return_planning",
                                                                 "referral",    "reintegration", "monitoring"};

// DT&V's README: "IOM events count only under programme SDT or ETF".
bool sdt_or_etf(const Fact& f) {
    const std::string p = f.field("programme");
    return p == "SDT" || p == "ETF";
}

std::optional<Category> category_of(const Fact& f) {
    if (f.person.empty()) return std::nullopt;
    if (f.partner == "vwn") {
        if (f.type == et::kContact) {
            const std::string phase = f.field("phase");
            if (phase == "voorlichting") return kInformation;
            if (phase == "coaching-besluitvorming") return kCoaching;
            if (phase == "coachen-voorbereiding-terugkeer") return kReturnPlanning;
            return std::nullopt;
        }
        if (f.type == et::kFrontOfficeRegistration) return kReturnPlanning;
        return std::nullopt;
    }
    if (f.partner == "coa") return f.type == et::kReferral ? std::optional(kReferral) : std::nullopt;
    if (f.partner == "mbt") {
        if (f.type == et::kRegistration || f.type == et::kIntake || f.type == et::kReintegrationPlan) return kReturnPlanning;
        if (f.type == et::kDeparture || f.type == et::kArrival) return kReintegration;
        if (f.type == et::kMonitoringVisit) return kMonitoring;
        return std::nullopt;  // AFGESLOTEN, AFGEHAAKT
    }
    if (f.partner == "iom") {
        if (!sdt_or_etf(f)) return std::nullopt;
        if (f.type == et::kRegistration || f.type == et::kTravelDocumentRequested || f.type == et::kReintegrationPlan)
            return kReturnPlanning;
        if (f.type == et::kReferralAnswer && f.field("answer") == "accepted") return kReferral;
        if (f.type == et::kDeparture) return kReintegration;
        if (f.type == et::kMonitoringVisit) return kMonitoring;
        return std::nullopt;  // REFERRAL_DECLINED, CASE_CLOSED
    }
    // DT&V documents are never activities as such; a request counts only
    // through its being taken into handling (HandledRequest).
    return std::nullopt;
}

// COA and VWN do the helpdesk work of SDT's front office.
std::string reported_organisation(const std::string& organisation) {
    if (organisation == "COA" || organisation == "VWN") return "SDT";
    return organisation;
}

std::string organisation_of(const Fact& f) {
    if (f.partner == "iom") return "IOM";
    if (f.partner == "mbt") return "MBT";
    return "SDT";  // coa, vwn
}

// Same event date: the later recorded event (commit order) is the more
// recent; a request taken into handling ranks after that day's events,
// because the hub takes it into handling in answer to what arrived.
using Recency = std::tuple<std::string, int, int64_t>;

struct InGuidance {
    std::optional<std::string> v_number;
    std::set<int> categories;
    std::string organisation;
    Recency latest;
};

// ---- reasons -----------------------------------------------------------------

struct Ending {
    std::string reason;  // canonical reason code
    std::string explanation;
    Recency when;
};

// Codes are a closed enumeration in the partner's schema; anything else is
// never copied into text for DT&V.
bool is_code(const std::string& s) {
    return !s.empty() && s.size() <= 40 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isupper(c) || c == '_' || std::isdigit(c); });
}

std::string with_code(const std::string& code) { return is_code(code) ? " (" + code + ")" : ""; }

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool mentions(const std::string& text, std::initializer_list<const char*> phrases) {
    for (const char* p : phrases)
        if (text.find(p) != std::string::npos) return true;
    return false;
}

bool mentions_word(const std::string& text, const std::string& word) {
    for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
        const bool start = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
        const size_t end = at + word.size();
        const bool stop = end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
        if (start && stop) return true;
    }
    return false;
}

// MbT's AFGEHAAKT means the client withdrew "unless its reden says
// otherwise"; the reden is free text, read for the few things it can say
// otherwise and never copied.
std::string dropped_out_reason(const std::string& reden) {
    const std::string t = lower(reden);
    if (mentions(t, {"niet bereikbaar", "onbereikbaar", "contact verloren", "contact kwijt", "geen contact",
                     "contact verbroken", "niet verschenen", "niet op komen dagen", "niet komen opdagen", "spoorloos",
                     "onbekende bestemming", "met onbekend"}))
        return "unreachable";
    if (mentions(t, {"geen toestemming", "toestemming ingetrokken", "trekt toestemming", "toestemming teruggetrokken"}))
        return "no_consent";
    if (mentions_word(t, "hrt")) return "chose_hrt";
    return "client_withdrew";
}

std::string decline_reason(const std::string& code) {
    if (code == "CASH_AND_IN_KIND_COMBINED") return "chose_hrt";
    if (code == "NO_CONSENT") return "no_consent";
    return "other";
}

std::string close_reason(const std::string& code) {
    if (code == "BENEFICIARY_WITHDREW") return "client_withdrew";
    if (code == "NO_SHOW" || code == "LOST_CONTACT") return "unreachable";
    return "other";
}

// What the person's history says, for the rules that look beyond the period.
struct History {
    std::vector<const Fact*> facts;

    // A request for SDT support or a referral to it, on or before `date`.
    bool sdt_request_or_referral_by(const std::string& date) const {
        for (const Fact* f : facts) {
            if (f->event_date > date) continue;
            if ((f->partner == "dtv" && f->type == et::kSupportRequest) ||
                (f->partner == "vwn" && f->type == et::kFrontOfficeRegistration) ||
                (f->partner == "coa" && f->type == et::kReferral) ||
                (f->partner == "iom" && f->type == et::kReferralAnswer) ||
                (f->partner == "mbt" && f->type == et::kRegistration))
                return true;
        }
        return false;
    }
    bool iom_departed_by(const std::string& date) const {
        for (const Fact* f : facts)
            if (f->partner == "iom" && f->type == et::kDeparture && f->event_date <= date) return true;
        return false;
    }
    bool taken_on_under_etf_by(const std::string& date) const {
        for (const Fact* f : facts)
            if (f->event_date <= date && (f->field("funding") == "ETF" || (f->partner == "iom" && f->field("programme") == "ETF")))
                return true;
        return false;
    }
};

std::optional<Ending> ending_of(const Fact& f, const History& history, const FourWeeklyInput& in) {
    const std::string date = dutch_date(f.event_date);
    const Recency when{f.event_date, 0, f.seq};
    if (f.partner == "iom") {
        if (f.type == et::kReferralAnswer && f.field("answer") == "declined" && sdt_or_etf(f)) {
            const std::string code = f.field("decline_reason_code");
            return Ending{decline_reason(code), "Verwijzing door IOM afgewezen op " + date + with_code(code) + ".", when};
        }
        if (f.type == et::kRegistration && f.field("programme") == "HRT" && history.sdt_request_or_referral_by(f.event_date))
            return Ending{"chose_hrt", "Koos op " + date + " voor HRT via IOM.", when};
        if (f.type == et::kCaseClosed && sdt_or_etf(f) && !history.iom_departed_by(f.event_date)) {
            const std::string code = f.field("close_reason_code");
            return Ending{close_reason(code), "Dossier bij IOM gesloten op " + date + " zonder vertrek" + with_code(code) + ".",
                          when};
        }
        return std::nullopt;
    }
    if (f.partner == "mbt" && f.type == et::kDroppedOut)
        return Ending{dropped_out_reason(f.field("reason")), "Traject bij MbT be\xC3\xABindigd op " + date + " (afgehaakt).", when};
    if (f.partner == "coa" && f.type == et::kReferral && f.flag_false("consent_given"))
        return Ending{"no_consent", "Doorverwijzing door de helpdesk op " + date + " zonder toestemming van de cli\xC3\xABnt.", when};
    if (f.partner == "dtv" && f.type == et::kSupportRequest) {
        // BZ needs a negative ruling to count from; without one only ETF can
        // take the person on, and ETF lifts both restrictions.
        const std::string ruling = f.field("negative_ruling_date");
        const bool has_ruling = f.flag("has_negative_ruling") || !ruling.empty();
        if (!has_ruling || history.taken_on_under_etf_by(in.period.to)) return std::nullopt;
        const std::string requested = f.field("request_date").empty() ? f.event_date : f.field("request_date");
        if (f.country && !in.target_countries.count(*f.country))
            return Ending{"outside_target_countries",
                          "Verzoek " + dutch_date(requested) + " voor terugkeer naar " + *f.country + "; " + *f.country +
                              " staat niet op de 40+3-lijst.",
                          when};
        auto from = day_of(ruling), to = day_of(requested);
        if (from && to && *to - *from > 28)
            return Ending{"term_28_days_expired",
                          "Verzoek " + dutch_date(requested) + " valt op dag " + std::to_string(*to - *from) +
                              " na de negatieve uitspraak van " + dutch_date(ruling) + "; de laatste toegestane dag is dag 28.",
                          when};
        return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

std::optional<ReportingPeriod> period_starting(const std::string& first_day) {
    auto day = day_of(first_day);
    if (!day || *day < kFirstStart || (*day - kFirstStart) % 28 != 0) return std::nullopt;
    return period_at(*day);
}

std::optional<ReportingPeriod> period_containing(const std::string& date) {
    auto day = day_of(date);
    if (!day || *day < kFirstStart) return std::nullopt;
    return period_at(kFirstStart + (*day - kFirstStart) / 28 * 28);
}

ReportingPeriod next_period(const ReportingPeriod& p) {
    auto day = day_of(p.from);
    return period_at((day ? *day : kFirstStart) + 28);
}

Result<sdk::OutboundMessage> build_four_weekly_report(const FourWeeklyInput& in) {
    auto period = period_starting(in.period.from);
    if (!period || period->number != in.period.number || period->to != in.period.to)
        return Error::invalid("not a DT&V reporting period: " + std::to_string(in.period.number) + " " + in.period.from + ".." +
                              in.period.to);
    const std::string& from = period->from;
    const std::string& to = period->to;

    // One entry per person: keyed by V-nummer where the hub knows one, so no
    // V-nummer can be listed twice, else by hub id.
    std::map<std::string, std::string> v_of_person;
    for (const auto& f : in.facts)
        if (!f.person.empty() && f.v_number && !f.v_number->empty()) v_of_person.emplace(f.person, *f.v_number);
    auto key_of = [&](const std::string& person, const std::string& v_number) -> std::string {
        if (auto it = v_of_person.find(person); it != v_of_person.end()) return "v:" + it->second;
        if (!v_number.empty()) return "v:" + v_number;
        return person.empty() ? "" : "p:" + person;
    };

    std::map<std::string, History> history;
    for (const auto& f : in.facts)
        if (!f.person.empty()) history[key_of(f.person, "")].facts.push_back(&f);

    std::map<std::string, InGuidance> guided;
    auto note_activity = [&](const std::string& key, int category, const std::string& organisation, const Recency& when) {
        auto& g = guided[key];
        if (key.rfind("v:", 0) == 0) g.v_number = key.substr(2);
        g.categories.insert(category);
        if (g.organisation.empty() || when > g.latest) {
            g.organisation = organisation;
            g.latest = when;
        }
    };

    std::map<std::string, Ending> ended;
    for (const auto& f : in.facts) {
        if (f.person.empty() || f.event_date < from || f.event_date > to) continue;
        const std::string key = key_of(f.person, "");
        if (auto c = category_of(f)) note_activity(key, *c, organisation_of(f), Recency{f.event_date, 0, f.seq});
        if (key.rfind("v:", 0) != 0) continue;  // only persons with a V-nummer can be listed
        if (auto e = ending_of(f, history[key], in)) {
            auto [it, fresh] = ended.emplace(key, *e);
            if (!fresh && e->when > it->second.when) it->second = *e;
        }
    }
    for (size_t i = 0; i < in.handled_requests.size(); ++i) {
        const auto& h = in.handled_requests[i];
        if (h.handling_date < from || h.handling_date > to) continue;
        const std::string key = key_of(h.person, h.v_number);
        if (key.empty()) continue;
        note_activity(key, kReturnPlanning, reported_organisation(h.handling_organisation),
                      Recency{h.handling_date, 1, static_cast<int64_t>(i)});
    }

    // std::map keeps keys sorted: "v:" + V-nummer, ascending.
    sdk::Json in_guidance = sdk::Json::array();
    long without_v_number = 0;
    for (const auto& [key, g] : guided) {
        if (!g.v_number) {
            ++without_v_number;
            continue;
        }
        sdk::Json categories = sdk::Json::array();
        for (int c : g.categories) categories.push_back(kCategoryNames[static_cast<size_t>(c)]);
        in_guidance.push_back({{"v_number", *g.v_number}, {"activities", categories}, {"responsible_organisation", g.organisation}});
    }
    sdk::Json not_in_guidance = sdk::Json::array();
    for (const auto& [key, e] : ended)
        not_in_guidance.push_back({{"v_number", key.substr(2)}, {"reason", e.reason}, {"explanation", e.explanation}});

    sdk::OutboundMessage m;
    m.type = "four_weekly_report";
    m.created_at = in.created_at;
    m.fields = {{"period_number", period->number},
                {"period_from", from},
                {"period_to", to},
                {"in_guidance", std::move(in_guidance)},
                {"not_in_guidance", std::move(not_in_guidance)},
                {"without_v_number", without_v_number}};
    return m;
}

}  // namespace ketenhub::reporting
