#include "cli/report_command.hpp"

#include "config/config.hpp"
#include "outbound/outbound_service.hpp"
#include "reporting/four_weekly_report.hpp"
#include "store/sqlite_store.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <cstdio>
#include <ctime>

namespace ketenhub::cli {

namespace {

std::string option(const std::vector<std::string>& args, const std::string& name, const std::string& fallback = {}) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return args[i + 1];
    return fallback;
}

int fail(const std::string& message, int code) {
    std::fprintf(stderr, "ketenhub: %s\n", message.c_str());
    return code;
}

}  // namespace

int run_report(const std::vector<std::string>& args, const std::string& config_path) {
    if (args.size() < 2) return fail("usage: ketenhub report funnel|anomalies|helpdesk|four-weekly --config FILE ...", 64);
    const std::string what = args[1];
    auto cfg = config::load(config_path);
    if (!cfg) return std::fprintf(stderr, "%s", cfg.error().message.c_str()), 2;
    if (!cfg->programme)
        return fail(cfg->file + ": no <programme> element: the report needs the programme start, targets and 40+3 list", 2);
    statistics::Programme programme;
    try {
        programme = statistics::load_programme(cfg->programme->start, cfg->programme->targets_file, cfg->programme->countries_file);
    } catch (const std::exception& e) {
        return fail(e.what(), 2);
    }
    auto opened = store::open_sqlite({cfg->sqlite.path, cfg->sqlite.synchronous_full, cfg->sqlite.max_batch, 10000});
    if (!opened) return fail(opened.error().message, 2);
    auto facts = (*opened)->facts();
    if (!facts) return fail(facts.error().message, 2);

    if (what == "anomalies") {
        auto list = statistics::anomalies(*facts, programme);
        auto issues = (*opened)->identity_issues(true);
        if (issues)
            for (const auto& i : *issues)
                list.push_back({"identity_" + identity::to_string(i.kind), "#" + std::to_string(i.id), i.detail});
        if (option(args, "--format", "text") == "json") {
            sdk::Json out = sdk::Json::array();
            for (const auto& a : list) out.push_back({{"kind", a.kind}, {"person", a.person}, {"detail", a.detail}});
            std::printf("%s\n", out.dump(2).c_str());
        } else {
            for (const auto& a : list) std::printf("%-34s %-10s %s\n", a.kind.c_str(), a.person.c_str(), a.detail.c_str());
            if (list.empty()) std::printf("no anomalies\n");
        }
        return 0;
    }

    if (what == "four-weekly") {
        // The report the hub makes for DT&V after the period, as it stands now
        // (canonical JSON; the daemon encodes, signs and delivers it).
        const std::string day = option(args, "--period");
        if (!sdk::dates::parse_iso_date(day)) return fail("--period needs a date YYYY-MM-DD in the period, not '" + day + "'", 64);
        auto period = reporting::period_containing(day);
        if (!period) return fail("no DT&V reporting period contains " + day + " (the first began 2010-01-04)", 64);
        const std::string partner = cfg->outbound.four_weekly_report ? cfg->outbound.four_weekly_report->partner : "dtv";
        auto handled = outbound::handled_requests(**opened, partner);
        if (!handled) return fail(handled.error().message, 2);
        auto message = reporting::build_four_weekly_report(
            {*period, *facts, programme.eligible_countries,
             sdk::dates::amsterdam_timestamp(std::time(nullptr)), std::move(*handled)});
        if (!message) return fail(message.error().message, 2);
        std::printf("%s\n", sdk::Json(*message).dump(2).c_str());
        return 0;
    }

    const std::string from = option(args, "--from"), to = option(args, "--to");
    if (!sdk::dates::parse_iso_date(from)) return fail("--from needs a date YYYY-MM-DD, not '" + from + "'", 64);
    if (!sdk::dates::parse_iso_date(to)) return fail("--to needs a date YYYY-MM-DD, not '" + to + "'", 64);
    if (from > to) return fail("--from " + from + " is after --to " + to, 64);

    if (what == "helpdesk") {
        std::printf("%s\n", statistics::helpdesk_report(*facts, from, to, programme).dump(2).c_str());
        return 0;
    }
    if (what != "funnel") return fail("unknown report '" + what + "' (funnel, anomalies, helpdesk, four-weekly)", 64);

    statistics::Breakdown by;
    try {
        by = statistics::breakdown_from_string(option(args, "--by"));
    } catch (const std::exception& e) {
        return fail(e.what(), 64);
    }
    auto figures = statistics::funnel(*facts, from, to, programme, by);
    if (const std::string key = option(args, "--explain"); !key.empty()) {
        for (const auto& f : figures) {
            if (f.key != key) continue;
            std::printf("%s: %ld (from %s to %s)\n", key.c_str(), f.achieved, from.c_str(), to.c_str());
            for (const auto& e : f.evidence)
                std::printf("  %-10s %-11s %s  %-4s %-24s %s %s\n", e.person.c_str(), e.v_number.value_or("-").c_str(),
                            e.event_date.c_str(), e.partner.c_str(), e.document_type.c_str(), e.message_id.c_str(),
                            e.record_id == e.message_id ? "" : e.record_id.c_str());
            return 0;
        }
        std::string keys;
        for (const auto& k : statistics::funnel_keys()) keys += (keys.empty() ? "" : ", ") + k;
        return fail("--explain takes one of: " + keys, 64);
    }
    const std::string format = option(args, "--format", "csv");
    if (format == "csv")
        std::printf("%s", statistics::to_csv(figures, by).c_str());
    else if (format == "json")
        std::printf("%s\n", statistics::to_json(figures, by).dump(2).c_str());
    else if (format == "xml")
        std::printf("%s", statistics::to_xml(figures, by, from, to).c_str());
    else
        return fail("--format takes csv, json or xml, not '" + format + "'", 64);
    return 0;
}

}  // namespace ketenhub::cli
