#include "outbound/outbound_service.hpp"

#include "common/background.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "reporting/four_weekly_report.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <future>
#include <random>

namespace ketenhub::outbound {

OutboundSettings settings_from(const config::Config& c, const std::set<std::string>& target_countries) {
    OutboundSettings s;
    s.node_id = c.node_id;
    s.max_attempts = c.outbound.max_attempts;
    s.initial_backoff = c.outbound.initial_backoff;
    s.max_backoff = c.outbound.max_backoff;
    s.concurrency = c.outbound.concurrency;
    s.four_weekly_report = c.outbound.four_weekly_report;
    s.target_countries = target_countries;
    return s;
}

std::chrono::milliseconds backoff_delay(const OutboundSettings& s, int attempt, std::optional<std::chrono::seconds> retry_after) {
    using std::chrono::milliseconds;
    // initial * 2^(attempt-1), capped, with up to 20 % jitter so that many
    // messages to one partner that came back do not all retry in the same second.
    const int shift = std::clamp(attempt - 1, 0, 30);
    const long double raw = static_cast<long double>(s.initial_backoff.count()) * static_cast<long double>(1ULL << shift);
    int64_t delay = static_cast<int64_t>(std::min<long double>(raw, static_cast<long double>(s.max_backoff.count())));
    thread_local std::mt19937_64 rng{std::random_device{}()};
    delay += static_cast<int64_t>(std::uniform_real_distribution<double>(0, 0.2)(rng) * static_cast<double>(delay));
    delay = std::min<int64_t>(delay, s.max_backoff.count());
    if (retry_after) delay = std::max<int64_t>(delay, std::chrono::duration_cast<milliseconds>(*retry_after).count());
    return milliseconds(delay);
}

OutboundEngine::OutboundEngine(store::Store& store, const Clock& clock, RegistryView registry,
                               const routing::CountryMatrix& matrix, Transport* transport, OutboundSettings settings)
    : store_(store),
      clock_(clock),
      registry_(registry),
      matrix_(matrix),
      transport_(transport),
      settings_(std::move(settings)),
      composer_(store, registry) {}

namespace {

// Events per routing pass (one routing commit, one sync).
constexpr size_t kRoutingBatch = 256;

int64_t now_ms(const Clock& c) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(c.now().time_since_epoch()).count();
}

routing::HubReferral to_routing(const store::ReferralRecord& r) {
    return {r.referral_id, r.receiver, r.origin_partner, r.origin_record, r.created_at, r.status};
}

}  // namespace

Status OutboundEngine::route_one(const store::StoredEvent& e, store::RoutingCommit& commit) {
    auto history = store_.routing_history(e);
    if (!history) return history.error();
    if (!*history) return ok_status();  // the person was merged away and the id no longer resolves
    routing::PersonContext person;
    person.hub_id = (*history)->person.hub_id;
    person.person = std::move((*history)->person);
    person.partner_ids = std::move((*history)->partner_ids);
    // What was known when this event was committed: routing the same event
    // again gives the same decisions.
    person.events = std::move((*history)->events);
    for (const auto& r : (*history)->referrals) person.referrals.push_back(to_routing(r));
    // Decisions of this batch that are not stored yet.
    for (const auto& r : commit.new_referrals)
        if (r.person_hub_id == person.hub_id) person.referrals.push_back(to_routing(r));
    for (auto& r : person.referrals)
        for (const auto& [id, status] : commit.status_changes)
            if (id == r.referral_id) r.status = status;

    const int64_t now_unix = clock_.now_unix();
    const auto decisions = routing::route({e, person, matrix_, sdk::dates::amsterdam_timestamp(now_unix)});
    std::string new_referral_id;  // allocated for this event's new referral, for the decisions about it
    for (const auto& d : decisions) {
        metrics::counter("routing_decisions_total").inc();
        if (d.action == routing::Action::Record) {
            if (!d.referral_id.empty() && !d.referral_status.empty()) commit.status_changes.emplace_back(d.referral_id, d.referral_status);
            continue;
        }
        if (d.action != routing::Action::Send) {
            store::RoutingNote n;
            n.kind = d.action == routing::Action::ManualFollowUp ? "manual_follow_up" : "withheld";
            n.organisation = d.partner;
            n.person_hub_id = person.hub_id;
            n.referral_id = d.referral_id;
            n.cause_seq = e.seq;
            n.dedupe_key = d.dedupe_key;
            n.reason = d.reason;
            commit.notes.push_back(std::move(n));
            if (!d.referral_id.empty() && !d.referral_status.empty()) commit.status_changes.emplace_back(d.referral_id, d.referral_status);
            continue;
        }
        if (!d.referral_id.empty() && !d.referral_status.empty()) commit.status_changes.emplace_back(d.referral_id, d.referral_status);
        // Routed before (a restart between sending and moving the cursor
        // cannot happen, but several nodes or a replay can): nothing new.
        auto known = store_.outbox_has(d.dedupe_key);
        if (!known) return known.error();
        if (*known) continue;
        if (std::any_of(commit.messages.begin(), commit.messages.end(), [&](const auto& m) { return m.dedupe_key == d.dedupe_key; }))
            continue;
        sdk::OutboundMessage message = d.message;
        std::string referral_id = d.referral_id;
        if (d.about_new_referral && !new_referral_id.empty()) {
            referral_id = new_referral_id;
            if (message.type == "referral_status") message.fields["hub_referral_id"] = referral_id;
        }
        if (d.new_referral) {
            auto id = composer_.allocate_referral_id(now_unix);
            if (!id) return id.error();
            referral_id = *id;
            new_referral_id = referral_id;
            message.fields["hub_referral_id"] = referral_id;
            store::ReferralRecord r;
            r.referral_id = referral_id;
            r.person_hub_id = person.hub_id;
            r.receiver = d.new_referral_receiver.empty() ? d.partner : d.new_referral_receiver;
            r.origin_partner = e.partner;
            r.origin_record = e.record_id;
            r.created_at = sdk::dates::utc_timestamp(now_unix);
            commit.new_referrals.push_back(std::move(r));
        }
        auto row = composer_.compose(d.partner, std::move(message), d.dedupe_key, now_unix);
        if (!row) return row.error();
        row->referral_id = referral_id;
        row->person_hub_id = person.hub_id;
        row->cause_seq = e.seq;
        row->reason = d.reason;
        if (row->dead_on_arrival)
            log::warn("outbound_dead_on_arrival", {{"partner", d.partner}, {"type", d.message.type}, {"reason", *row->dead_on_arrival}});
        commit.messages.push_back(std::move(*row));
    }
    return ok_status();
}

Result<size_t> OutboundEngine::route_pending(size_t limit) {
    auto cursor = store_.cursor("routing");
    if (!cursor) return cursor.error();
    // The pass's events and each one's history in one read transaction: one
    // consistent view for the whole pass, and the store's pages stay cached
    // from one event to the next instead of being read again after every
    // ingest commit (routing's CPU at 3,127 docs/s: 35% of a core -> 33%,
    // docs/performance.md).
    auto snapshot = store_.read_snapshot();
    if (!snapshot) return snapshot.error();
    auto events = store_.events_after(*cursor, limit, routing::may_route_type);
    if (!events) return events.error();
    if (events->empty()) {
        metrics::gauge("routing_backlog_events").set(0);
        return size_t{0};
    }
    store::RoutingCommit commit;
    commit.cursor = *cursor;
    auto flush = [&]() -> Status {
        snapshot->reset();
        commit.now = clock_.now_rfc3339_millis();
        composer_.drain_sequences(commit.sequences);
        auto st = store_.commit_routing(commit);
        if (!st) return st;
        metrics::counter("outbound_messages_routed_total").inc(commit.messages.size());
        store::RoutingCommit next;
        next.cursor = commit.cursor;
        commit = std::move(next);
        return ok_status();
    };
    for (const auto& e : *events) {
        if (!e.retracted && !e.summary_only && !e.person_hub_id.empty() && routing::may_route(e.event)) {
            const size_t referrals = commit.new_referrals.size(), changes = commit.status_changes.size(),
                         messages = commit.messages.size(), notes = commit.notes.size();
            auto st = route_one(e, commit);
            if (!st) {
                // Store nothing of this event and leave the cursor before it:
                // it is routed again, whole, on the next pass.
                commit.new_referrals.resize(referrals);
                commit.status_changes.resize(changes);
                commit.messages.resize(messages);
                commit.notes.resize(notes);
                metrics::counter("routing_errors_total").inc();
                log::error("routing_failed", {{"seq", e.seq}, {"partner", e.partner}, {"reason", st.error().message}});
                if (auto f = flush(); !f) return f.error();
                return st.error();
            }
        }
        // One transaction for the batch (one fsync); later events of the same
        // person see this batch's referrals and statuses through route_one.
        commit.cursor = e.seq;
    }
    if (auto f = flush(); !f) return f.error();
    // How far routing is behind the event flow, for operators (GET
    // /v1/metrics) and bench/: a backlog that keeps growing means referrals
    // reach partners later and later.
    if (auto last = store_.last_event_seq())
        metrics::gauge("routing_backlog_events").set(std::max<int64_t>(0, *last - commit.cursor));
    return events->size();
}

Result<size_t> OutboundEngine::deliver_due() {
    if (!transport_) return size_t{0};
    const int64_t start = now_ms(clock_);
    auto registry = registry_();
    // The lease outlives the slowest possible exchange.
    int64_t lease_ms = 60000;
    if (registry)
        for (const auto& p : registry->all())
            if (p->delivery) lease_ms = std::max<int64_t>(lease_ms, p->delivery->timeout.count() + 30000);
    auto due = store_.claim_due_push(start, lease_ms, settings_.node_id, settings_.concurrency);
    if (!due) return due.error();
    std::vector<std::future<store::DeliveryAttempt>> pending;
    for (auto& m : *due) {
        auto promise = std::make_shared<std::promise<store::DeliveryAttempt>>();
        pending.push_back(promise->get_future());
        const partners::Partner* p = registry ? registry->by_code(m.partner) : nullptr;
        store::DeliveryAttempt a;
        a.outbox_id = m.id;
        a.node = settings_.node_id;
        if (!p || !p->delivery || p->delivery->kind != config::DeliveryConfig::Kind::Push) {
            // The configuration changed since the message was stored.
            a.outcome = store::DeliveryAttempt::Outcome::Dead;
            a.detail = "partner '" + m.partner + "' has no push delivery configured any more";
            a.at = clock_.now_rfc3339_millis();
            promise->set_value(std::move(a));
            continue;
        }
        PushRequest rq;
        rq.url = p->delivery->url;
        rq.timeout = p->delivery->timeout;
        rq.content_type = m.content_type;
        rq.body = std::move(m.body);
        rq.headers = {{"Ketenhub-Message-Id", m.message_id}, {"Ketenhub-Message-Type", m.message_type}};
        const int attempt = m.attempts + 1;
        transport_->post(std::move(rq), [this, a, attempt, promise, partner = m.partner](PushResponse r) mutable {
            a.http_status = r.status;
            a.duration_ms = r.duration_ms;
            a.at = clock_.now_rfc3339_millis();
            using O = store::DeliveryAttempt::Outcome;
            if (r.status >= 200 && r.status < 300) {
                a.outcome = O::Delivered;
                a.detail = "accepted";
                a.partner_receipt = r.body;
                metrics::counter("outbound_delivered_total").inc();
            } else if (r.status >= 300 && r.status < 500 && r.status != 408 && r.status != 429) {
                a.outcome = O::Dead;
                a.detail = "refused with HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 1000);
                metrics::counter("outbound_refused_total").inc();
            } else {
                a.detail = r.status ? "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 1000) : r.error;
                if (attempt >= static_cast<int>(settings_.max_attempts)) {
                    a.outcome = O::Dead;
                    a.detail = "gave up after " + std::to_string(attempt) + " attempts; last: " + a.detail;
                    metrics::counter("outbound_gave_up_total").inc();
                } else {
                    a.outcome = O::Retry;
                    a.next_attempt_ms = now_ms(clock_) + backoff_delay(settings_, attempt, r.retry_after).count();
                    metrics::counter("outbound_retries_total").inc();
                }
            }
            log::info("outbound_attempt", {{"outbox_id", a.outbox_id}, {"partner", partner}, {"attempt", attempt},
                                           {"http_status", r.status}, {"outcome", a.outcome == O::Delivered ? "delivered"
                                                                                  : a.outcome == O::Dead   ? "dead"
                                                                                                           : "retry"},
                                           {"detail", a.detail.substr(0, 200)}, {"duration_ms", r.duration_ms}});
            promise->set_value(std::move(a));
        });
    }
    for (auto& f : pending) {
        auto attempt = f.get();
        if (auto st = store_.record_attempt(attempt); !st) return st.error();
    }
    return due->size();
}

std::optional<int64_t> OutboundEngine::next_due_in_ms() {
    auto next = store_.next_due_ms();
    if (!next || !*next) return std::nullopt;
    return std::max<int64_t>(0, **next - now_ms(clock_));
}

namespace {

// The text of <name> in a document the hub made itself (schema-valid, no
// attributes, no nesting of the same name), or "".
std::string element_text(const std::string& xml, const std::string& name) {
    const std::string open = "<" + name + ">";
    const size_t from = xml.find(open);
    if (from == std::string::npos) return {};
    const size_t start = from + open.size();
    const size_t end = xml.find("</" + name + ">", start);
    return end == std::string::npos ? std::string() : xml.substr(start, end - start);
}

}  // namespace

// Every acknowledgement the hub made for `partner`: the requests taken into
// handling, which the report lists as being in guidance from that date. Read
// back from the documents themselves, so the report says what DT&V was told.
Result<std::vector<reporting::HandledRequest>> handled_requests(store::Store& store, const std::string& partner) {
    store::OutboxQuery q;
    q.partner = partner;
    q.message_type = "support_request_acknowledgement";
    q.limit = std::numeric_limits<int32_t>::max();
    q.with_body = true;
    q.newest_first = false;
    auto acks = store.outbox_list(q);
    if (!acks) return acks.error();
    std::vector<reporting::HandledRequest> out;
    for (const auto& a : *acks) {
        if (a.body.empty()) continue;  // never made (dead on arrival): DT&V was told nothing
        reporting::HandledRequest h;
        h.person = a.person_hub_id;
        h.v_number = element_text(a.body, "vNummer");
        h.request_reference = element_text(a.body, "verzoekKenmerk");
        h.handling_date = element_text(a.body, "datumInBehandeling");
        h.handling_organisation = element_text(a.body, "behandelendeOrganisatie");
        if (h.handling_date.empty()) continue;
        out.push_back(std::move(h));
    }
    return out;
}

Result<size_t> OutboundEngine::run_schedule() {
    const auto& cfg = settings_.four_weekly_report;
    if (!cfg) return size_t{0};
    const int64_t now_unix = clock_.now_unix();
    const std::string today = sdk::dates::amsterdam_date(now_unix);
    auto period = reporting::period_starting(cfg->first_period);
    if (!period) return Error::invalid("four-weekly-report first-period " + cfg->first_period + " does not start a period");
    size_t enqueued = 0;
    std::optional<std::vector<statistics::Fact>> facts;
    std::vector<reporting::HandledRequest> handled;
    // A period is due the day after its last day; missed periods are caught
    // up in order, a bounded number per pass.
    for (int guard = 0; guard < 1000 && period->to < today; ++guard, period = reporting::next_period(*period)) {
        if (cfg->last_period && period->from > *cfg->last_period) break;
        const std::string key = "four-weekly-report:" + cfg->partner + ":" + period->from;
        auto known = store_.outbox_has(key);
        if (!known) return known.error();
        if (*known) continue;
        if (!facts) {
            auto f = store_.facts();
            if (!f) return f.error();
            facts = std::move(*f);
            auto h = handled_requests(store_, cfg->partner);
            if (!h) return h.error();
            handled = std::move(*h);
        }
        auto message = reporting::build_four_weekly_report(
            {*period, *facts, settings_.target_countries, sdk::dates::amsterdam_timestamp(now_unix), handled});
        store::RoutingCommit commit;
        commit.cursor_name = "four-weekly-report";
        commit.now = clock_.now_rfc3339_millis();
        if (!message) {
            store::NewOutboxMessage dead;
            dead.partner = cfg->partner;
            dead.message_type = "four_weekly_report";
            dead.dedupe_key = key;
            dead.reason = "four-weekly report, period " + std::to_string(period->number) + " " + period->from + ".." + period->to;
            dead.dead_on_arrival = "the report cannot be built: " + message.error().message;
            commit.messages.push_back(std::move(dead));
        } else {
            auto row = composer_.compose(cfg->partner, std::move(*message), key, now_unix);
            if (!row) return row.error();
            row->reason = "four-weekly report, period " + std::to_string(period->number) + " " + period->from + ".." + period->to;
            commit.messages.push_back(std::move(*row));
        }
        composer_.drain_sequences(commit.sequences);
        if (auto st = store_.commit_routing(commit); !st) return st.error();
        log::info("four_weekly_report_enqueued", {{"partner", cfg->partner}, {"period_from", period->from}, {"period_to", period->to}});
        metrics::counter("four_weekly_reports_total").inc();
        ++enqueued;
    }
    return enqueued;
}

OutboundService::OutboundService(store::Store& store, const Clock& clock, RegistryView registry, routing::CountryMatrix matrix,
                                 std::unique_ptr<Transport> transport, OutboundSettings settings)
    : matrix_(std::move(matrix)),
      transport_(std::move(transport)),
      engine_(store, clock, std::move(registry), matrix_, transport_.get(), std::move(settings)) {}

OutboundService::~OutboundService() { stop(); }

void OutboundService::start() {
    threads_.emplace_back([this] {
        name_this_thread("kh-routing");
        run_in_background();
        routing_loop();
    });
    threads_.emplace_back([this] {
        name_this_thread("kh-delivery");
        run_in_background();
        delivery_loop();
    });
    threads_.emplace_back([this] {
        name_this_thread("kh-schedule");
        run_in_background();
        schedule_loop();
    });
}

void OutboundService::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    routing_cv_.notify_all();
    delivery_cv_.notify_all();
    schedule_cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
}

void OutboundService::events_committed() {
    {
        std::lock_guard lock(mutex_);
        routing_wake_ = true;
    }
    routing_cv_.notify_one();
}

void OutboundService::routing_loop() {
    for (;;) {
        auto routed = engine_.route_pending(kRoutingBatch);
        bool more = routed && *routed > 0;
        // A full batch: routing is behind and the next events are waiting.
        const bool behind = routed && *routed == kRoutingBatch;
        if (routed && *routed > 0) {
            std::lock_guard lock(mutex_);
            delivery_wake_ = true;
            delivery_cv_.notify_one();
        }
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        if (behind) continue;
        if (more) {
            // Let events gather for a moment: one routing commit (one sync)
            // for many events instead of one per event, so routing does not
            // keep taking the write lock from ingest. Bounds the hub's part
            // of the end-to-end time by this pause.
            routing_cv_.wait_for(lock, engine_.settings().routing_pause, [&] { return stopping_; });
            if (stopping_) return;
            continue;
        }
        // After an error, wait a little instead of spinning on it.
        routing_cv_.wait_for(lock, engine_.settings().idle_poll, [&] { return stopping_ || routing_wake_; });
        routing_wake_ = false;
        if (stopping_) return;
    }
}

void OutboundService::delivery_loop() {
    for (;;) {
        auto delivered = engine_.deliver_due();
        if (!delivered) log::error("delivery_failed", {{"reason", delivered.error().message}});
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        if (delivered && *delivered > 0) continue;
        lock.unlock();
        auto wait = std::chrono::milliseconds(engine_.next_due_in_ms().value_or(engine_.settings().idle_poll.count()));
        wait = std::clamp(wait, std::chrono::milliseconds(1), engine_.settings().idle_poll);
        lock.lock();
        delivery_cv_.wait_for(lock, wait, [&] { return stopping_ || delivery_wake_; });
        delivery_wake_ = false;
        if (stopping_) return;
    }
}

void OutboundService::schedule_loop() {
    for (;;) {
        auto n = engine_.run_schedule();
        if (!n) log::error("schedule_failed", {{"reason", n.error().message}});
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        if (n && *n > 0) {
            delivery_wake_ = true;
            delivery_cv_.notify_one();
        }
        schedule_cv_.wait_for(lock, std::chrono::seconds(60), [&] { return stopping_; });
        if (stopping_) return;
    }
}

}  // namespace ketenhub::outbound
