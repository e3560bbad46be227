// The outbound path, run by the daemon on threads of its own:
//  - routing: follows the event flow (Store::events_after from the "routing"
//    cursor), asks hub/routing for decisions, numbers and encodes each
//    message (OutboundComposer) and stores messages, referrals, notes and
//    the cursor in one transaction (Store::commit_routing);
//  - delivery: claims due push messages (leased, so several nodes can share
//    one database), posts them through the Transport, records every attempt:
//    2xx delivered; 4xx (not 408/429) dead; otherwise retried with
//    exponential back-off until max-attempts, then dead;
//  - scheduler: the four-weekly DT&V report once each period has ended.
// Mailbox partners fetch their messages through the partner API.
#pragma once

#include "common/clock.hpp"
#include "config/config.hpp"
#include "outbound/outbound_composer.hpp"
#include "outbound/transport.hpp"
#include "reporting/four_weekly_report.hpp"
#include "routing/routing_rules.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace ketenhub::outbound {

struct OutboundSettings {
    std::string node_id = "ketenhub-1";
    unsigned max_attempts = 12;
    std::chrono::milliseconds initial_backoff{1000};
    std::chrono::milliseconds max_backoff{3600000};
    unsigned concurrency = 4;
    std::optional<config::FourWeeklyReportConfig> four_weekly_report;
    std::set<std::string> target_countries;  // the 40+3 list, for the DT&V report
    std::chrono::milliseconds idle_poll{1000};  // how often to look without being woken
    std::chrono::milliseconds routing_pause{20};  // after a routing pass that found work
};
OutboundSettings settings_from(const config::Config& config, const std::set<std::string>& target_countries);

// When a failed attempt number `attempt` (1-based) should be retried.
std::chrono::milliseconds backoff_delay(const OutboundSettings& s, int attempt, std::optional<std::chrono::seconds> retry_after);

// The three loops above as callable steps, so tests can drive them one at a
// time on a ManualClock; OutboundService runs them on threads.
// Every acknowledgement the hub made for `partner` (DT&V): the support
// requests taken into handling, as the four-weekly report needs them.
Result<std::vector<reporting::HandledRequest>> handled_requests(store::Store& store, const std::string& partner);

class OutboundEngine {
public:
    OutboundEngine(store::Store& store, const Clock& clock, RegistryView registry, const routing::CountryMatrix& matrix,
                   Transport* transport, OutboundSettings settings);

    // Routes committed events after the cursor, at most `limit`. Returns how
    // many events were looked at (0: caught up).
    Result<size_t> route_pending(size_t limit = 256);
    // Claims due push messages and delivers them; returns how many were
    // attempted. Blocks until their attempts are recorded.
    Result<size_t> deliver_due();
    // Enqueues every four-weekly report that is due; returns how many.
    Result<size_t> run_schedule();
    // Milliseconds until the next push is due (nullopt: none pending).
    std::optional<int64_t> next_due_in_ms();

    const OutboundSettings& settings() const { return settings_; }

private:
    Status route_one(const store::StoredEvent& e, store::RoutingCommit& commit);

    store::Store& store_;
    const Clock& clock_;
    RegistryView registry_;
    const routing::CountryMatrix& matrix_;
    Transport* transport_;
    OutboundSettings settings_;
    OutboundComposer composer_;
};

class OutboundService {
public:
    OutboundService(store::Store& store, const Clock& clock, RegistryView registry, routing::CountryMatrix matrix,
                    std::unique_ptr<Transport> transport, OutboundSettings settings);
    ~OutboundService();
    void start();
    void stop();
    // New events were committed (the store's commit listener).
    void events_committed();

private:
    void routing_loop();
    void delivery_loop();
    void schedule_loop();

    routing::CountryMatrix matrix_;
    std::unique_ptr<Transport> transport_;
    OutboundEngine engine_;
    std::mutex mutex_;
    std::condition_variable routing_cv_, delivery_cv_, schedule_cv_;
    bool routing_wake_ = false, delivery_wake_ = false, stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace ketenhub::outbound
