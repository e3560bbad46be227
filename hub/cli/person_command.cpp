#include "cli/person_command.hpp"

#include "config/config.hpp"
#include "store/sqlite_store.hpp"
#include "trajectory/trajectory.hpp"

#include <cstdio>

namespace ketenhub::cli {

namespace {

std::string value_text(const sdk::Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void print_person(const store::PersonTimeline& t, bool reveal) {
    const auto& p = t.person;
    std::printf("%s", p.hub_id.c_str());
    if (p.v_number) std::printf("  V-nummer %s", p.v_number->c_str());
    std::printf("\n  name           %s%s%s\n", p.given_names.value_or("").c_str(), p.given_names ? " " : "",
                p.family_name.value_or("?").c_str());
    std::printf("  date of birth  %s%s\n", p.birth_date.value_or("?").c_str(),
                p.birth_precision == "year" ? " (year estimated)" : "");
    std::printf("  sex            %s\n", p.sex.value_or("?").c_str());
    std::printf("  nationality    %s\n", p.nationality.value_or("?").c_str());
    std::printf("  return to      %s\n", p.country_of_return.value_or("?").c_str());
    std::string ids;
    for (const auto& id : t.partner_ids) ids += (ids.empty() ? "" : ", ") + id.scheme + ":" + id.value;
    std::printf("  partner ids    %s\n", ids.empty() ? "-" : ids.c_str());
    if (!t.merged_from.empty()) {
        std::string m;
        for (const auto& h : t.merged_from) m += (m.empty() ? "" : ", ") + h;
        std::printf("  merged from    %s\n", m.c_str());
    }
    const auto tr = trajectory::derive(t.events);
    std::printf("\ntrajectory\n");
    std::string phases;
    for (const auto& p : tr.phases) phases += (phases.empty() ? "" : " -> ") + p.phase + " " + p.date;
    std::printf("  phases         %s\n", phases.empty() ? "-" : phases.c_str());
    std::printf("  support        %s%s\n", tr.support_choice.value_or("?").c_str(),
                tr.funding ? (" (funding " + *tr.funding + ")").c_str() : "");
    if (tr.support_request_date)
        std::printf("  eligibility    request %s, negative ruling %s%s\n", tr.support_request_date->c_str(),
                    tr.negative_ruling_date.value_or("none").c_str(),
                    tr.days_after_ruling ? (", day " + std::to_string(*tr.days_after_ruling) +
                                            (*tr.within_28_days ? " (within 28 days)" : " (after day 28)"))
                                               .c_str()
                                         : "");
    for (const auto& r : tr.referrals)
        std::printf("  referral       %s %s -> %s %s: %s%s\n", r.date.c_str(), r.partner.c_str(), r.to.c_str(),
                    r.reference.c_str(), r.status.c_str(), r.status_date.empty() ? "" : (" " + r.status_date).c_str());
    for (const auto& c : tr.consents) {
        std::string orgs;
        for (const auto& o : c.organisations) orgs += (orgs.empty() ? "" : ",") + o;
        std::printf("  consent        %s %s %s%s\n", c.date.c_str(), c.partner.c_str(), c.given ? "given" : "refused",
                    orgs.empty() ? "" : (" for " + orgs).c_str());
    }
    std::printf("\ntimeline (%zu events)\n", t.events.size());
    for (const auto& e : t.events) {
        const auto& ev = e.event;
        std::printf("  %s  %-4s %-30s %s %s%s\n", ev.event_date.c_str(), e.partner.c_str(), ev.type.c_str(),
                    ev.source.document_type.c_str(), ev.source.record_id.c_str(), e.retracted ? "  [retracted]" : "");
        for (const auto& [name, field] : ev.fields) {
            const bool sensitive = field.sensitivity == sdk::Sensitivity::SpecialCategory ||
                                   field.sensitivity == sdk::Sensitivity::Confidential;
            std::string shown = sensitive && !reveal ? "[" + std::string(sdk::to_string(field.sensitivity)) + ", withheld]"
                                                     : value_text(field.value);
            if (shown.size() > 100) shown = shown.substr(0, 97) + "...";
            std::printf("        %-26s %s\n", name.c_str(), shown.c_str());
        }
    }
    if (!t.issues.empty()) {
        std::printf("\nidentity issues\n");
        for (const auto& i : t.issues)
            std::printf("  #%lld %-20s %-9s %s\n", static_cast<long long>(i.id), identity::to_string(i.kind).c_str(),
                        i.status.c_str(), i.detail.c_str());
    }
}

}  // namespace

int run_person(const std::vector<std::string>& args, const std::string& config_path) {
    // args: person <verb> [arg] ...
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: ketenhub person show KEY|conflicts|confirm ID|reject ID --config FILE [--reveal]\n");
        return 64;
    }
    auto cfg = config::load(config_path);
    if (!cfg) {
        std::fprintf(stderr, "%s", cfg.error().message.c_str());
        return 2;
    }
    auto opened = store::open_sqlite({cfg->sqlite.path, cfg->sqlite.synchronous_full, cfg->sqlite.max_batch, 10000});
    if (!opened) {
        std::fprintf(stderr, "ketenhub: %s\n", opened.error().message.c_str());
        return 2;
    }
    auto& store = **opened;
    const std::string& verb = args[1];
    bool reveal = false;
    for (const auto& a : args) reveal = reveal || a == "--reveal";

    if (verb == "show" && args.size() >= 3) {
        auto t = store.person_timeline(args[2]);
        if (!t) return std::fprintf(stderr, "ketenhub: %s\n", t.error().message.c_str()), 2;
        if (!*t) return std::fprintf(stderr, "ketenhub: no person with V-nummer, hub id or partner id '%s'\n", args[2].c_str()), 1;
        print_person(**t, reveal);
        return 0;
    }
    if (verb == "conflicts") {
        auto issues = store.identity_issues(true);
        if (!issues) return std::fprintf(stderr, "ketenhub: %s\n", issues.error().message.c_str()), 2;
        if (issues->empty()) std::printf("no open identity issues\n");
        for (const auto& i : *issues)
            std::printf("#%lld %-20s %s\n", static_cast<long long>(i.id), identity::to_string(i.kind).c_str(), i.detail.c_str());
        if (!issues->empty())
            std::printf("\nconfirm a candidate: ketenhub person confirm ID --config FILE\n"
                        "close an issue:      ketenhub person reject ID --config FILE\n");
        return 0;
    }
    if ((verb == "confirm" || verb == "reject") && args.size() >= 3) {
        int64_t id = 0;
        try {
            id = std::stoll(args[2]);
        } catch (const std::exception&) {
            return std::fprintf(stderr, "ketenhub: '%s' is not an issue number\n", args[2].c_str()), 64;
        }
        auto r = store.resolve_identity_issue(id, verb == "confirm");
        if (!r) return std::fprintf(stderr, "ketenhub: %s\n", r.error().message.c_str()), 1;
        std::printf("identity issue #%lld %s\n", static_cast<long long>(id), verb == "confirm" ? "confirmed: merged" : "rejected");
        return 0;
    }
    std::fprintf(stderr, "usage: ketenhub person show KEY|conflicts|confirm ID|reject ID --config FILE [--reveal]\n");
    return 64;
}

}  // namespace ketenhub::cli
