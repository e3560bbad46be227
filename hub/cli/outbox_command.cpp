#include "cli/outbox_command.hpp"

#include "config/config.hpp"
#include "store/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace ketenhub::cli {

namespace {

constexpr const char* kUsage =
    "usage: ketenhub outbox list [--partner P] [--status pending|waiting|delivered|confirmed|dead] [--limit N]\n"
    "       ketenhub outbox show ID [--body] | requeue ID | notes | referrals KEY   (all with --config FILE)\n";

std::string option(const std::vector<std::string>& args, const std::string& name) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return args[i + 1];
    return {};
}

bool parse_id(const std::string& s, int64_t& id) {
    try {
        size_t used = 0;
        id = std::stoll(s, &used);
        return used == s.size() && id > 0;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

int run_outbox(const std::vector<std::string>& args, const std::string& config_path) {
    if (args.size() < 2) return std::fprintf(stderr, "%s", kUsage), 64;
    auto cfg = config::load(config_path);
    if (!cfg) return std::fprintf(stderr, "%s", cfg.error().message.c_str()), 2;
    auto opened = store::open_sqlite({cfg->sqlite.path, cfg->sqlite.synchronous_full, cfg->sqlite.max_batch, 10000});
    if (!opened) return std::fprintf(stderr, "ketenhub: %s\n", opened.error().message.c_str()), 2;
    auto& store = **opened;
    const std::string& verb = args[1];

    if (verb == "list") {
        store::OutboxQuery q;
        if (auto p = option(args, "--partner"); !p.empty()) q.partner = p;
        if (auto s = option(args, "--status"); !s.empty()) {
            if (s != "pending" && s != "waiting" && s != "delivered" && s != "confirmed" && s != "dead")
                return std::fprintf(stderr, "ketenhub: --status '%s': use pending, waiting, delivered, confirmed or dead\n",
                                    s.c_str()),
                       64;
            q.status = s;
        }
        if (auto l = option(args, "--limit"); !l.empty()) {
            int64_t n = 0;
            if (!parse_id(l, n)) return std::fprintf(stderr, "ketenhub: --limit '%s' is not a positive number\n", l.c_str()), 64;
            q.limit = static_cast<size_t>(n);
        }
        auto list = store.outbox_list(q);
        if (!list) return std::fprintf(stderr, "ketenhub: %s\n", list.error().message.c_str()), 2;
        if (list->empty()) std::printf("no messages\n");
        for (const auto& m : *list)
            std::printf("#%-6lld %-4s %-8s %-9s %-24s %-20s %s  attempts %d%s%s\n", static_cast<long long>(m.id),
                        m.partner.c_str(), store::to_string(m.delivery).c_str(), m.status.c_str(), m.document_type.c_str(),
                        m.referral_id.c_str(), m.created_at.c_str(), m.attempts,
                        m.last_error.empty() ? "" : "  last error: ", m.last_error.substr(0, 160).c_str());
        return 0;
    }
    if (verb == "show" && args.size() >= 3) {
        int64_t id = 0;
        if (!parse_id(args[2], id)) return std::fprintf(stderr, "ketenhub: '%s' is not a message number\n", args[2].c_str()), 64;
        const bool body = std::find(args.begin(), args.end(), "--body") != args.end();
        auto m = store.outbox_entry(id, body);
        if (!m) return std::fprintf(stderr, "ketenhub: %s\n", m.error().message.c_str()), 2;
        if (!*m) return std::fprintf(stderr, "ketenhub: no outbox message %lld\n", static_cast<long long>(id)), 1;
        const auto& e = **m;
        std::printf("message #%lld to %s (%s): %s\n", static_cast<long long>(e.id), e.partner.c_str(),
                    store::to_string(e.delivery).c_str(), e.status.c_str());
        std::printf("  type          %s (%s)\n  message id    %s\n  referral      %s\n  person        %s\n",
                    e.message_type.c_str(), e.document_type.c_str(), e.message_id.c_str(),
                    e.referral_id.empty() ? "-" : e.referral_id.c_str(), e.person_hub_id.empty() ? "-" : e.person_hub_id.c_str());
        std::printf("  why           %s\n  caused by     %s\n  made at       %s\n", e.reason.c_str(),
                    e.cause_seq ? ("event " + std::to_string(e.cause_seq)).c_str() : "the schedule", e.created_at.c_str());
        if (!e.delivered_at.empty()) std::printf("  delivered at  %s\n", e.delivered_at.c_str());
        if (!e.partner_receipt.empty()) std::printf("  receipt       %s\n", e.partner_receipt.c_str());
        if (!e.last_error.empty()) std::printf("  last error    %s\n", e.last_error.c_str());
        auto attempts = store.delivery_attempts(id);
        if (attempts && !attempts->empty()) {
            std::printf("attempts\n");
            for (const auto& a : *attempts)
                std::printf("  %s  %-10s HTTP %-3d %5lld ms  %s\n", a.at.c_str(), a.node.c_str(), a.http_status,
                            static_cast<long long>(a.duration_ms), a.detail.substr(0, 200).c_str());
        }
        if (body) std::printf("document\n%s\n", e.body.c_str());
        return 0;
    }
    if (verb == "requeue" && args.size() >= 3) {
        int64_t id = 0;
        if (!parse_id(args[2], id)) return std::fprintf(stderr, "ketenhub: '%s' is not a message number\n", args[2].c_str()), 64;
        const int64_t now_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        auto r = store.requeue_dead(id, now_ms);
        if (!r) return std::fprintf(stderr, "ketenhub: %s\n", r.error().message.c_str()), 1;
        std::printf("message #%lld requeued; the running hub sends it within a second\n", static_cast<long long>(id));
        return 0;
    }
    if (verb == "notes") {
        auto notes = store.routing_notes(500);
        if (!notes) return std::fprintf(stderr, "ketenhub: %s\n", notes.error().message.c_str()), 2;
        if (notes->empty()) std::printf("no routing notes\n");
        for (const auto& n : *notes)
            std::printf("#%-5lld %-16s %-8s %-10s %s  %s\n", static_cast<long long>(n.id), n.kind.c_str(), n.organisation.c_str(),
                        n.person_hub_id.c_str(), n.created_at.c_str(), n.reason.c_str());
        return 0;
    }
    if (verb == "referrals" && args.size() >= 3) {
        auto t = store.person_timeline(args[2]);
        if (!t) return std::fprintf(stderr, "ketenhub: %s\n", t.error().message.c_str()), 2;
        if (!*t) return std::fprintf(stderr, "ketenhub: no person '%s'\n", args[2].c_str()), 1;
        auto refs = store.referrals_of((*t)->person.hub_id);
        if (!refs) return std::fprintf(stderr, "ketenhub: %s\n", refs.error().message.c_str()), 2;
        if (refs->empty()) std::printf("%s: no referrals made by the hub\n", (*t)->person.hub_id.c_str());
        for (const auto& r : *refs)
            std::printf("%s  %s -> %s  %-9s since %s  (from %s %s, made %s)\n", r.referral_id.c_str(), (*t)->person.hub_id.c_str(),
                        r.receiver.c_str(), r.status.c_str(), r.status_at.c_str(), r.origin_partner.c_str(),
                        r.origin_record.c_str(), r.created_at.c_str());
        return 0;
    }
    std::fprintf(stderr, "%s", kUsage);
    return 64;
}

}  // namespace ketenhub::cli
