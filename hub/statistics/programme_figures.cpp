#include "statistics/programme_figures.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ketenhub::statistics {

bool is_fact_field(std::string_view name) {
    // Sorted: every name a figure (here) or the four-weekly report
    // (hub/reporting) reads with Fact::value, field, flag or flag_false.
    static constexpr std::array<std::string_view, 17> kRead = {
        "answer",       "close_reason_code", "consent_given",   "country",     "decline_reason_code", "funding",
        "has_negative_ruling", "need_medical", "need_psychosocial", "negative_ruling_date", "phase", "programme",
        "reason",       "referral_number",   "referred_to",     "request_date", "requester_type"};
    static_assert(std::is_sorted(kRead.begin(), kRead.end()));
    return std::binary_search(kRead.begin(), kRead.end(), name);
}

const sdk::Json* Fact::value(const std::string& name) const {
    if (!is_fact_field(name))
        throw std::logic_error("the figures read field '" + name + "', which statistics::is_fact_field does not list: "
                               "Store::facts() never keeps it");
    auto it = fields.find(name);
    return it == fields.end() || it->is_null() ? nullptr : &*it;
}

std::string Fact::field(const std::string& name) const {
    const sdk::Json* v = value(name);
    if (!v) return {};
    return v->is_string() ? v->get<std::string>() : v->dump();
}

bool Fact::flag(const std::string& name) const {
    const sdk::Json* v = value(name);
    return v && ((v->is_boolean() && v->get<bool>()) || (v->is_string() && v->get<std::string>() == "true"));
}

bool Fact::flag_false(const std::string& name) const {
    const sdk::Json* v = value(name);
    return v && ((v->is_boolean() && !v->get<bool>()) || (v->is_string() && v->get<std::string>() == "false"));
}

namespace {

std::vector<std::vector<std::string>> read_tab_file(const std::string& path, size_t min_fields) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open");
    std::vector<std::vector<std::string>> rows;
    std::string line;
    long number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string part; std::getline(ss, part, '\t');) f.push_back(part);
        if (f.size() < min_fields)
            throw std::runtime_error(path + ":" + std::to_string(number) + ": expected at least " +
                                     std::to_string(min_fields) + " TAB-separated fields");
        rows.push_back(std::move(f));
    }
    return rows;
}

bool in_period(const std::string& date, const std::string& from, const std::string& to) {
    return date >= from && date <= to;
}

// IOM's programme codes; MbT is in-kind by definition.
bool is_in_kind_departure(const Fact& f) {
    if (f.type != sdk::event_type::kDeparture) return false;
    if (f.partner == "mbt") return true;
    if (f.partner == "iom") {
        const std::string p = f.field("programme");
        return p == "SDT" || p == "ETF";
    }
    return false;
}

bool is_vwn_contact(const Fact& f, const char* phase) {
    return f.partner == "vwn" && f.type == sdk::event_type::kContact && f.field("phase") == phase;
}

bool is_medical_or_psychosocial_referral(const Fact& f) {
    if (f.partner != "coa" || f.type != sdk::event_type::kReferral) return false;
    const std::string to = f.field("referred_to");
    return f.flag("need_medical") || f.flag("need_psychosocial") || to == "HNTPO" || to == "PHAROS";
}

std::string funding_of(const Fact& f) {
    if (auto v = f.field("funding"); !v.empty()) return v;
    const std::string p = f.field("programme");
    if (p == "SDT") return "BZ";
    if (p == "ETF") return "ETF";
    if (!p.empty()) return p;
    return "unknown";
}

std::string dimension(const Fact& f, Breakdown by, const Programme& programme) {
    switch (by) {
        case Breakdown::None: return "";
        case Breakdown::Organisation: return f.partner;
        case Breakdown::Country: return f.country.value_or("unknown");
        case Breakdown::Funding: return funding_of(f);
        case Breakdown::TargetGroup:
            if (!f.country) return "unknown";
            return programme.eligible_countries.count(*f.country) ? "40+3" : "other";
    }
    return "";
}

// Age in whole years on a date.
int age_on(const std::string& birth, const std::string& date) {
    int years = std::stoi(date.substr(0, 4)) - std::stoi(birth.substr(0, 4));
    if (date.substr(5) < birth.substr(5)) --years;
    return years;
}

Evidence evidence_of(const Fact& f) {
    return Evidence{f.person, f.v_number, f.event_date, f.partner, f.document_type, f.message_id, f.record_id};
}

// Counts distinct persons among the facts that qualify; each person counts
// once, under the breakdown value of the earliest qualifying fact.
template <class Pred>
Figure distinct_persons(const std::string& key, const std::vector<Fact>& facts, Pred qualifies, Breakdown by,
                        const Programme& programme) {
    Figure fig;
    fig.key = key;
    std::map<std::string, const Fact*> first;
    for (const auto& f : facts) {
        if (f.person.empty() || !qualifies(f)) continue;
        auto& slot = first[f.person];
        if (!slot || f.event_date < slot->event_date) slot = &f;
    }
    for (const auto& [person, f] : first) {
        ++fig.achieved;
        if (by != Breakdown::None) ++fig.by[dimension(*f, by, programme)];
        fig.evidence.push_back(evidence_of(*f));
    }
    return fig;
}

template <class Pred>
Figure documents(const std::string& key, const std::vector<Fact>& facts, Pred qualifies, Breakdown by,
                 const Programme& programme) {
    Figure fig;
    fig.key = key;
    std::set<std::string> seen;
    for (const auto& f : facts) {
        if (!qualifies(f) || !seen.insert(f.partner + "\n" + f.message_id + "\n" + f.record_id).second) continue;
        ++fig.achieved;
        if (by != Breakdown::None) ++fig.by[dimension(f, by, programme)];
        fig.evidence.push_back(evidence_of(f));
    }
    return fig;
}

std::string by_name(Breakdown by) {
    switch (by) {
        case Breakdown::Organisation: return "organisation";
        case Breakdown::Country: return "country";
        case Breakdown::Funding: return "funding";
        case Breakdown::TargetGroup: return "target-group";
        case Breakdown::None: break;
    }
    return "";
}

std::string percent(const Figure& f) {
    if (!f.target || *f.target == 0) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", 100.0 * static_cast<double>(f.achieved) / static_cast<double>(*f.target));
    return buf;
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

Programme load_programme(const std::string& start, const std::string& targets_file, const std::string& countries_file) {
    Programme p;
    p.start = start;
    for (const auto& row : read_tab_file(targets_file, 2)) {
        long value = 0;
        try {
            value = std::stol(row[1]);
        } catch (const std::exception&) {
            throw std::runtime_error(targets_file + ": target '" + row[0] + "' is not a number: " + row[1]);
        }
        p.targets.push_back({row[0], value, row.size() > 2 ? row[2] : ""});
    }
    for (const auto& row : read_tab_file(countries_file, 3))
        if (row[2] == "LISTED" || row[2] == "ADDED") p.eligible_countries.insert(row[0]);
    return p;
}

Breakdown breakdown_from_string(const std::string& s) {
    if (s.empty() || s == "none") return Breakdown::None;
    if (s == "organisation") return Breakdown::Organisation;
    if (s == "country") return Breakdown::Country;
    if (s == "funding") return Breakdown::Funding;
    if (s == "target-group") return Breakdown::TargetGroup;
    throw std::invalid_argument("--by takes organisation, country, funding or target-group, not '" + s + "'");
}

const std::vector<std::string>& funnel_keys() {
    static const std::vector<std::string> keys = {"information",        "coaching", "return_planning",
                                                  "helpdesk_questions", "helpdesk_referrals", "returns",
                                                  "returns_minors",     "medical_psychosocial", "monitoring"};
    return keys;
}

std::vector<Figure> funnel(const std::vector<Fact>& all, const std::string& from, const std::string& to,
                           const Programme& programme, Breakdown by) {
    std::vector<Fact> facts;
    for (const auto& f : all)
        if (in_period(f.event_date, from, to)) facts.push_back(f);

    auto returned = [&](const Fact& f) { return is_in_kind_departure(f) && f.event_date >= programme.start; };
    std::vector<Figure> out;
    out.push_back(distinct_persons("information", facts, [](const Fact& f) { return is_vwn_contact(f, "voorlichting"); }, by, programme));
    out.push_back(distinct_persons("coaching", facts, [](const Fact& f) { return is_vwn_contact(f, "coaching-besluitvorming"); }, by, programme));
    out.push_back(distinct_persons("return_planning", facts, [](const Fact& f) {
        return is_vwn_contact(f, "coachen-voorbereiding-terugkeer") ||
               (f.partner == "vwn" && f.type == sdk::event_type::kFrontOfficeRegistration);
    }, by, programme));
    out.push_back(documents("helpdesk_questions", facts, [](const Fact& f) {
        return f.partner == "coa" && f.type == sdk::event_type::kHelpdeskQuestion;
    }, by, programme));
    out.push_back(documents("helpdesk_referrals", facts, [](const Fact& f) {
        return f.partner == "coa" && f.type == sdk::event_type::kReferral;
    }, by, programme));
    out.push_back(distinct_persons("returns", facts, returned, by, programme));
    out.push_back(distinct_persons("returns_minors", facts, [&](const Fact& f) {
        return returned(f) && f.birth_date && f.birth_precision == "day" && age_on(*f.birth_date, f.event_date) < 18;
    }, by, programme));
    out.push_back(distinct_persons("medical_psychosocial", facts, is_medical_or_psychosocial_referral, by, programme));
    out.push_back(distinct_persons("monitoring", facts, [](const Fact& f) {
        return f.type == sdk::event_type::kMonitoringVisit && (f.partner == "iom" || f.partner == "mbt");
    }, by, programme));
    for (auto& fig : out)
        for (const auto& t : programme.targets)
            if (t.key == fig.key) fig.target = t.value;
    return out;
}

std::vector<Anomaly> anomalies(const std::vector<Fact>& facts, const Programme& programme) {
    std::vector<Anomaly> out;
    std::map<std::string, std::vector<const Fact*>> by_person;
    for (const auto& f : facts)
        if (!f.person.empty()) by_person[f.person].push_back(&f);
    for (auto& [person, list] : by_person)
        std::stable_sort(list.begin(), list.end(), [](const Fact* a, const Fact* b) { return a->event_date < b->event_date; });

    for (const auto& f : facts)
        if (f.type == sdk::event_type::kDeparture && f.event_date < programme.start)
            out.push_back({"departure_before_programme_start", f.person,
                           f.partner + " " + f.document_type + " " + f.message_id + ": departure on " + f.event_date +
                               ", before the programme start " + programme.start});

    for (const auto& [person, list] : by_person) {
        bool started_sdt = false;
        std::string started;
        for (const Fact* f : list) {
            if (!started_sdt && (f->field("programme") == "SDT" || f->partner == "mbt")) {
                started_sdt = true;
                started = f->partner + " " + f->document_type + " on " + f->event_date;
            }
            if (started_sdt && f->type == sdk::event_type::kDeparture && f->partner == "iom" &&
                (f->field("programme") == "HRT" || f->field("programme") == "REAN"))
                out.push_back({"sdt_then_cash", person,
                               "started an SDT trajectory (" + started + ") and left with " + f->field("programme") + " on " +
                                   f->event_date});
        }
    }

    for (const auto& [person, list] : by_person) {
        const Fact* departure = nullptr;
        for (const Fact* f : list)
            if (is_in_kind_departure(*f) && f->event_date >= programme.start) {
                departure = f;
                break;
            }
        if (!departure) continue;
        bool referred = false;
        for (const Fact* f : list) {
            if (f->event_date > departure->event_date) break;
            referred = referred || f->type == sdk::event_type::kReferral ||
                       f->type == sdk::event_type::kFrontOfficeRegistration ||
                       f->type == sdk::event_type::kSupportRequest || f->type == sdk::event_type::kReferralAnswer;
        }
        if (!referred)
            out.push_back({"return_without_referral", person,
                           "in-kind departure on " + departure->event_date + " (" + departure->partner + " " +
                               departure->message_id + ") with no referral, registration or support request before it"});
    }

    for (const auto& [person, list] : by_person) {
        for (size_t i = 0; i < list.size(); ++i) {
            const Fact* f = list[i];
            if (f->partner != "coa" || f->type != sdk::event_type::kReferral) continue;
            const std::string to = f->field("referred_to");
            if (to != "IOM" && to != "MBT") continue;
            bool answered = false;
            for (size_t j = 0; j < list.size(); ++j)
                answered = answered || (list[j]->event_date >= f->event_date && list[j]->partner == (to == "IOM" ? "iom" : "mbt"));
            if (!answered)
                out.push_back({"referral_without_answer", person,
                               "COA referral " + f->field("referral_number") + " to " + to + " on " + f->event_date +
                                   " has no answer from " + to});
        }
    }

    for (const auto& [person, list] : by_person)
        if (!list.front()->v_number)
            out.push_back({"person_without_v_number", person,
                           "known only by partner ids; first seen at " + list.front()->partner + " on " +
                               list.front()->event_date});
    return out;
}

sdk::Json helpdesk_report(const std::vector<Fact>& all, const std::string& from, const std::string& to,
                          const Programme& programme) {
    std::map<std::string, long> by_requester, by_country, by_receiver;
    for (const auto& f : all) {
        if (!in_period(f.event_date, from, to) || f.partner != "coa") continue;
        if (f.type == sdk::event_type::kHelpdeskQuestion) {
            ++by_requester[f.field("requester_type")];
            ++by_country[f.field("country")];
        } else if (f.type == sdk::event_type::kReferral) {
            ++by_receiver[f.field("referred_to")];
        }
    }
    // Phase to phase: persons in return planning in the period, and how many
    // of them reached an in-kind return (at any later date).
    auto figures = funnel(all, from, to, programme, Breakdown::None);
    std::set<std::string> planning;
    for (const auto& e : figures[2].evidence) planning.insert(e.person);
    std::map<std::string, std::string> first_seen, returned_on;
    for (const auto& f : all) {
        if (f.person.empty()) continue;
        auto& first = first_seen[f.person];
        if (first.empty() || f.event_date < first) first = f.event_date;
        if (is_in_kind_departure(f) && f.event_date >= programme.start) {
            auto& r = returned_on[f.person];
            if (r.empty() || f.event_date < r) r = f.event_date;
        }
    }
    long converted = 0;
    for (const auto& p : planning) converted += returned_on.count(p) ? 1 : 0;
    std::vector<long> durations;
    for (const auto& [person, date] : returned_on) {
        if (!in_period(date, from, to)) continue;
        auto a = sdk::dates::parse_iso_date(first_seen[person]);
        auto b = sdk::dates::parse_iso_date(date);
        if (a && b)
            durations.push_back(static_cast<long>(sdk::dates::days_from_civil(b->year, b->month, b->day) -
                                                  sdk::dates::days_from_civil(a->year, a->month, a->day)));
    }
    std::sort(durations.begin(), durations.end());
    sdk::Json median = nullptr;
    if (!durations.empty()) {
        size_t n = durations.size();
        median = n % 2 ? static_cast<double>(durations[n / 2]) : (durations[n / 2 - 1] + durations[n / 2]) / 2.0;
    }
    return sdk::Json{{"from", from},
                     {"to", to},
                     {"questions_by_requester_type", by_requester},
                     {"questions_by_country", by_country},
                     {"referrals_by_receiver", by_receiver},
                     {"return_planning_persons", planning.size()},
                     {"return_planning_reached_return", converted},
                     {"returns_in_period", durations.size()},
                     {"median_trajectory_days", median}};
}

std::string to_csv(const std::vector<Figure>& figures, Breakdown by) {
    std::string out = by == Breakdown::None ? "key,target,achieved,percent\n"
                                            : "key," + by_name(by) + ",target,achieved,percent\n";
    for (const auto& f : figures) {
        const std::string target = f.target ? std::to_string(*f.target) : "";
        out += f.key + "," + (by == Breakdown::None ? "" : ",") + target + "," + std::to_string(f.achieved) + "," + percent(f) + "\n";
        if (by != Breakdown::None)
            for (const auto& [value, count] : f.by) out += f.key + "," + csv_field(value) + ",," + std::to_string(count) + ",\n";
    }
    return out;
}

sdk::Json to_json(const std::vector<Figure>& figures, Breakdown by) {
    sdk::Json rows = sdk::Json::array();
    for (const auto& f : figures) {
        sdk::Json row{{"key", f.key}, {"target", f.target ? sdk::Json(*f.target) : sdk::Json(nullptr)},
                      {"achieved", f.achieved}};
        const std::string p = percent(f);
        row["percent"] = p.empty() ? sdk::Json(nullptr) : sdk::Json(std::stod(p));
        if (by != Breakdown::None) row["by"] = {{"dimension", by_name(by)}, {"values", f.by}};
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string to_xml(const std::vector<Figure>& figures, Breakdown by, const std::string& from, const std::string& to) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<funnel xmlns=\"urn:ketenhub:report:1\" from=\"" + from +
                      "\" to=\"" + to + "\">\n";
    for (const auto& f : figures) {
        out += "  <figure key=\"" + f.key + "\"" + (f.target ? " target=\"" + std::to_string(*f.target) + "\"" : "") +
               " achieved=\"" + std::to_string(f.achieved) + "\"" +
               (percent(f).empty() ? "" : " percent=\"" + percent(f) + "\"");
        if (by == Breakdown::None || f.by.empty()) {
            out += "/>\n";
            continue;
        }
        out += ">\n";
        for (const auto& [value, count] : f.by)
            out += "    <by " + by_name(by) + "=\"" + xml_escape(value) + "\" achieved=\"" + std::to_string(count) + "\"/>\n";
        out += "  </figure>\n";
    }
    return out + "</funnel>\n";
}

}  // namespace ketenhub::statistics
