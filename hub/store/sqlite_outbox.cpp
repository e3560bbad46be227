#include "store/sqlite_outbox.hpp"

#include "common/metrics.hpp"
#include "store/sqlite_util.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace ketenhub::store {

std::string to_string(Delivery d) { return d == Delivery::Push ? "push" : "mailbox"; }

namespace {

Delivery delivery_from(const std::string& s) { return s == "mailbox" ? Delivery::Mailbox : Delivery::Push; }

const char* const kEntryColumns =
    "id, partner, delivery, message_type, message_id, document_type, content_type, dedupe_key, "
    "coalesce(referral_id, ''), coalesce(person_hub_id, ''), cause_seq, reason, status, attempts, next_attempt_ms, "
    "last_error, last_http_status, partner_receipt, created_at, delivered_at";

OutboxEntry entry_from(const Statement& s, bool with_body) {
    OutboxEntry e;
    e.id = s.integer(0);
    e.partner = s.text(1);
    e.delivery = delivery_from(s.text(2));
    e.message_type = s.text(3);
    e.message_id = s.text(4);
    e.document_type = s.text(5);
    e.content_type = s.text(6);
    e.dedupe_key = s.text(7);
    e.referral_id = s.text(8);
    e.person_hub_id = s.text(9);
    e.cause_seq = s.integer(10);
    e.reason = s.text(11);
    e.status = s.text(12);
    e.attempts = static_cast<int>(s.integer(13));
    e.next_attempt_ms = s.integer(14);
    e.last_error = s.text(15);
    e.last_http_status = static_cast<int>(s.integer(16));
    e.partner_receipt = s.text(17);
    e.created_at = s.text(18);
    e.delivered_at = s.text(19);
    if (with_body) e.body = s.text(20);
    return e;
}

ReferralRecord referral_from(const Statement& s) {
    ReferralRecord r;
    r.referral_id = s.text(0);
    r.person_hub_id = s.text(1);
    r.receiver = s.text(2);
    r.origin_partner = s.text(3);
    r.origin_record = s.text(4);
    r.status = s.text(5);
    r.created_at = s.text(6);
    r.status_at = s.text(7);
    return r;
}

const char* const kReferralSelect =
    "SELECT r.referral_id, p.hub_id, coalesce(r.receiver, ''), coalesce(r.origin_partner, ''), "
    "coalesce(r.origin_record, ''), r.status, r.created_at, coalesce(r.status_at, '') FROM hub_referrals r "
    "JOIN persons p ON p.id = r.person_id ";

}  // namespace

SqliteOutbox::~SqliteOutbox() {
    statements_.clear();  // finalized before the connection closes
    sqlite3_close(db_);
}

template <class F>
auto SqliteOutbox::guarded(const char* what, F&& f) -> Result<decltype(f())> {
    std::lock_guard lock(mutex_);
    // Cached statements left on a row would hold a read transaction (and an
    // old snapshot) past this call.
    struct EndStatements {
        StatementCache& cache;
        ~EndStatements() { cache.reset_all(); }
    } end{statements_};
    try {
        return f();
    } catch (const std::invalid_argument& e) {
        return Error::invalid(e.what());
    } catch (const std::exception& e) {
        metrics::counter("store_outbox_errors_total").inc();
        return Error::unavailable(std::string(what) + " failed: " + e.what());
    }
}

template <class F>
Status SqliteOutbox::transaction(const char* what, F&& f, bool synced) {
    auto r = guarded(what, [&] {
        std::unique_lock<std::mutex> writing;
        if (write_lock_) writing = std::unique_lock(*write_lock_);
        // Unsynced: NORMAL for this one transaction, then back to what the
        // connection was configured with.
        std::string restore;
        if (!synced) {
            Statement& mode = statements_.get( "PRAGMA synchronous");
            restore = "PRAGMA synchronous = " + std::to_string(mode.step() ? mode.integer(0) : 2);
            exec(db_, "PRAGMA synchronous = NORMAL");
        }
        exec(db_, "BEGIN IMMEDIATE");
        try {
            f();
            statements_.reset_all();
            exec(db_, "COMMIT");
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            if (!restore.empty()) sqlite3_exec(db_, restore.c_str(), nullptr, nullptr, nullptr);
            throw;
        }
        if (!restore.empty()) exec(db_, restore.c_str());
        return true;
    });
    if (!r) return r.error();
    return ok_status();
}

Result<int64_t> SqliteOutbox::cursor(const std::string& name) {
    return guarded("reading a cursor", [&]() -> int64_t {
        Statement& s = statements_.get( "SELECT seq FROM cursors WHERE name = ?1");
        s.bind(1, name);
        return s.step() ? s.integer(0) : 0;
    });
}

Result<int64_t> SqliteOutbox::next_sequence(const std::string& name) {
    int64_t value = 0;
    auto st = transaction("taking a sequence number", [&] {
        Statement& s = statements_.get(
                    "INSERT INTO sequences(name, value) VALUES (?1, 1) "
                    "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value");
        s.bind(1, name);
        if (!s.step()) throw std::runtime_error("no value returned");
        value = s.integer(0);
    }, /*synced=*/false);
    // Not synced on its own: a number is only used by a message that is
    // committed after it, and that commit's sync of the WAL covers this one.
    // Lost in a power cut, it was used by nothing that survived.
    if (!st) return st.error();
    return value;
}

Result<int64_t> SqliteOutbox::sequence_value(const std::string& name) {
    return guarded("reading a sequence", [&]() -> int64_t {
        Statement& s = statements_.get( "SELECT value FROM sequences WHERE name = ?1");
        s.bind(1, name);
        return s.step() ? s.integer(0) : 0;
    });
}

std::vector<ReferralRecord> SqliteOutbox::read_referrals_of(StatementCache& cache, const std::string& person_hub_id) {
    // Referrals stay with the person a merge folded them into. Two indexed
    // lookups, sorted here: with IN (... UNION ...) and ORDER BY SQLite built
    // and dropped two temporary B-trees for every call, and routing calls this
    // for every event it routes (callgrind, bench/: a tenth of routing's
    // instructions).
    Statement& s = cache.get((std::string(kReferralSelect) + "WHERE p.hub_id = ?1 UNION ALL " + std::string(kReferralSelect) +
                              "JOIN persons m ON m.id = r.person_id "
                              "WHERE m.merged_into = (SELECT id FROM persons WHERE hub_id = ?1)")
                                     .c_str());
    s.bind(1, person_hub_id);
    std::vector<ReferralRecord> out;
    while (s.step()) out.push_back(referral_from(s));
    std::sort(out.begin(), out.end(), [](const ReferralRecord& a, const ReferralRecord& b) {
        return std::tie(a.created_at, a.referral_id) < std::tie(b.created_at, b.referral_id);
    });
    return out;
}

Result<std::vector<ReferralRecord>> SqliteOutbox::referrals_of(const std::string& person_hub_id) {
    return guarded("reading referrals", [&] { return read_referrals_of(statements_, person_hub_id); });
}

Result<std::optional<ReferralRecord>> SqliteOutbox::referral(const std::string& referral_id) {
    return guarded("reading a referral", [&]() -> std::optional<ReferralRecord> {
        Statement& s = statements_.get( (std::string(kReferralSelect) + "WHERE r.referral_id = ?1").c_str());
        s.bind(1, referral_id);
        if (!s.step()) return std::nullopt;
        return referral_from(s);
    });
}

void SqliteOutbox::apply_routing(StatementCache& cache, const RoutingCommit& c) {
    sqlite3* db = cache.db();
        for (const auto& r : c.new_referrals) {
            Statement& s = cache.get(
                        "INSERT INTO hub_referrals (referral_id, person_id, created_at, receiver, origin_partner, "
                        "origin_record, status, status_at) SELECT ?1, id, ?2, ?3, ?4, ?5, ?6, ?2 FROM persons WHERE hub_id = ?7 "
                        "ON CONFLICT(referral_id) DO NOTHING");
            s.bind(1, r.referral_id).bind(2, r.created_at.empty() ? c.now : r.created_at).bind(3, r.receiver)
                .bind(4, r.origin_partner).bind(5, r.origin_record).bind(6, r.status).bind(7, r.person_hub_id).run();
        }
        for (const auto& [id, status] : c.status_changes) {
            Statement& s = cache.get( "UPDATE hub_referrals SET status = ?2, status_at = ?3 WHERE referral_id = ?1");
            s.bind(1, id).bind(2, status).bind(3, c.now).run();
        }
        for (const auto& m : c.messages) {
            const bool dead = m.dead_on_arrival.has_value();
            const std::string status = dead ? "dead" : m.delivery == Delivery::Push ? "pending" : "waiting";
            Statement& s = cache.get(
                        "INSERT INTO outbox (partner, delivery, message_type, message_id, document_type, content_type, body, "
                        "dedupe_key, referral_id, person_hub_id, cause_seq, reason, status, last_error, created_at) "
                        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15) ON CONFLICT(dedupe_key) DO NOTHING");
            s.bind(1, m.partner).bind(2, to_string(m.delivery)).bind(3, m.message_type).bind(4, m.message_id)
                .bind(5, m.document_type).bind(6, m.content_type).bind_blob(7, m.body).bind(8, m.dedupe_key)
                .bind_opt(9, m.referral_id.empty() ? std::nullopt : std::optional(m.referral_id))
                .bind_opt(10, m.person_hub_id.empty() ? std::nullopt : std::optional(m.person_hub_id))
                .bind(11, m.cause_seq).bind(12, m.reason).bind(13, status).bind(14, m.dead_on_arrival.value_or(""))
                .bind(15, c.now).run();
            if (sqlite3_changes(db) > 0) metrics::counter("outbox_enqueued_total").inc();
        }
        for (const auto& n : c.notes) {
            Statement& s = cache.get(
                        "INSERT INTO routing_notes (kind, organisation, person_hub_id, referral_id, cause_seq, dedupe_key, "
                        "reason, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(dedupe_key) DO NOTHING");
            s.bind(1, n.kind).bind(2, n.organisation).bind(3, n.person_hub_id).bind(4, n.referral_id).bind(5, n.cause_seq)
                .bind(6, n.dedupe_key).bind(7, n.reason).bind(8, c.now).run();
        }
        for (const auto& [name, value] : c.sequences) {
            Statement& s = cache.get(
                        "INSERT INTO sequences (name, value) VALUES (?1, ?2) "
                        "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)");
            s.bind(1, name).bind(2, value).run();
        }
        Statement& cur = cache.get(
                      "INSERT INTO cursors (name, seq, updated_at) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT(name) DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at");
        cur.bind(1, c.cursor_name).bind(2, c.cursor).bind(3, c.now).run();
}

Status SqliteOutbox::commit_routing(const RoutingCommit& c) {
    return transaction("storing routing decisions", [&] { apply_routing(statements_, c); });
}

Result<std::vector<OutboxEntry>> SqliteOutbox::claim_due_push(int64_t now_ms, int64_t lease_ms, const std::string& node,
                                                              size_t limit) {
    std::vector<OutboxEntry> out;
    auto st = transaction("claiming due messages", [&] {
        Statement& s = statements_.get( (std::string("SELECT ") + kEntryColumns +
                          ", body FROM outbox WHERE status = 'pending' AND next_attempt_ms <= ?1 AND lease_until_ms <= ?1 "
                          "ORDER BY next_attempt_ms, id LIMIT ?2")
                             .c_str());
        s.bind(1, now_ms).bind(2, static_cast<int64_t>(limit));
        while (s.step()) out.push_back(entry_from(s, true));
        Statement& lease = statements_.get( "UPDATE outbox SET lease_owner = ?2, lease_until_ms = ?3 WHERE id = ?1");
        for (const auto& e : out) lease.reset().bind(1, e.id).bind(2, node).bind(3, now_ms + lease_ms).run();
    });
    if (!st) return st.error();
    return out;
}

Result<std::optional<int64_t>> SqliteOutbox::next_due_ms() {
    return guarded("reading the outbox", [&]() -> std::optional<int64_t> {
        Statement& s = statements_.get( "SELECT min(max(next_attempt_ms, lease_until_ms)) FROM outbox WHERE status = 'pending'");
        if (!s.step() || s.is_null(0)) return std::nullopt;
        return s.integer(0);
    });
}

Status SqliteOutbox::record_attempt(const DeliveryAttempt& a) {
    using O = DeliveryAttempt::Outcome;
    const char* outcome = a.outcome == O::Delivered ? "delivered" : a.outcome == O::Dead ? "dead" : "retry";
    return transaction("recording a delivery attempt", [&] {
        Statement& ins = statements_.get(
                      "INSERT INTO outbox_attempts (outbox_id, at, node, outcome, http_status, detail, duration_ms) "
                      "VALUES (?1,?2,?3,?4,?5,?6,?7)");
        ins.bind(1, a.outbox_id).bind(2, a.at).bind(3, a.node).bind(4, std::string(outcome))
            .bind(5, static_cast<int64_t>(a.http_status)).bind(6, a.detail).bind(7, a.duration_ms).run();
        // Only the lease holder's answer counts: a node whose lease ran out
        // may still report, and then the message is someone else's.
        Statement& up = statements_.get(
                     "UPDATE outbox SET attempts = attempts + 1, last_http_status = ?2, last_error = ?3, "
                     "status = CASE ?4 WHEN 'delivered' THEN 'delivered' WHEN 'dead' THEN 'dead' ELSE status END, "
                     "next_attempt_ms = CASE ?4 WHEN 'retry' THEN ?5 ELSE next_attempt_ms END, "
                     "delivered_at = CASE ?4 WHEN 'delivered' THEN ?6 ELSE delivered_at END, "
                     "partner_receipt = CASE ?4 WHEN 'delivered' THEN ?7 ELSE partner_receipt END, "
                     "lease_owner = NULL, lease_until_ms = 0 "
                     "WHERE id = ?1 AND status = 'pending' AND (lease_owner IS NULL OR lease_owner = ?8)");
        up.bind(1, a.outbox_id).bind(2, static_cast<int64_t>(a.http_status))
            .bind(3, a.outcome == O::Delivered ? std::string() : a.detail).bind(4, std::string(outcome))
            .bind(5, a.next_attempt_ms).bind(6, a.at).bind(7, a.partner_receipt.substr(0, 4096)).bind(8, a.node).run();
    });
}

Result<std::vector<OutboxEntry>> SqliteOutbox::list(const OutboxQuery& q) {
    return guarded("listing the outbox", [&] {
        std::string sql = std::string("SELECT ") + kEntryColumns + ", body FROM outbox WHERE 1 = 1";
        if (q.partner) sql += " AND partner = ?1";
        if (q.status) sql += " AND status = ?2";
        if (q.message_type) sql += " AND message_type = ?3";
        sql += q.newest_first ? " ORDER BY id DESC" : " ORDER BY id";
        sql += " LIMIT ?4";
        Statement& s = statements_.get( sql.c_str());
        if (q.partner) s.bind(1, *q.partner);
        if (q.status) s.bind(2, *q.status);
        if (q.message_type) s.bind(3, *q.message_type);
        s.bind(4, static_cast<int64_t>(q.limit));
        std::vector<OutboxEntry> out;
        while (s.step()) out.push_back(entry_from(s, q.with_body));
        return out;
    });
}

Result<std::optional<OutboxEntry>> SqliteOutbox::entry(int64_t id, bool with_body) {
    return guarded("reading the outbox", [&]() -> std::optional<OutboxEntry> {
        Statement& s = statements_.get( (std::string("SELECT ") + kEntryColumns + ", body FROM outbox WHERE id = ?1").c_str());
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        return entry_from(s, with_body);
    });
}

Result<std::vector<DeliveryAttempt>> SqliteOutbox::attempts(int64_t outbox_id) {
    return guarded("reading delivery attempts", [&] {
        Statement& s = statements_.get(
                    "SELECT at, node, outcome, http_status, detail, duration_ms FROM outbox_attempts WHERE outbox_id = ?1 "
                    "ORDER BY rowid");
        s.bind(1, outbox_id);
        std::vector<DeliveryAttempt> out;
        while (s.step()) {
            DeliveryAttempt a;
            a.outbox_id = outbox_id;
            a.at = s.text(0);
            a.node = s.text(1);
            const std::string o = s.text(2);
            a.outcome = o == "delivered" ? DeliveryAttempt::Outcome::Delivered
                        : o == "dead"    ? DeliveryAttempt::Outcome::Dead
                                         : DeliveryAttempt::Outcome::Retry;
            a.http_status = static_cast<int>(s.integer(3));
            a.detail = s.text(4);
            a.duration_ms = s.integer(5);
            out.push_back(std::move(a));
        }
        return out;
    });
}

bool SqliteOutbox::read_has(StatementCache& cache, const std::string& dedupe_key) {
    Statement& s = cache.get("SELECT 1 FROM outbox WHERE dedupe_key = ?1");
    s.bind(1, dedupe_key);
    return s.step();
}

Result<bool> SqliteOutbox::confirm_mailbox(const std::string& partner, int64_t id, const std::string& now) {
    bool changed = false;
    auto st = transaction("confirming a mailbox message", [&] {
        Statement& s = statements_.get(
                    "UPDATE outbox SET status = 'confirmed', delivered_at = ?3, attempts = attempts + 1 "
                    "WHERE id = ?1 AND partner = ?2 AND delivery = 'mailbox' AND status = 'waiting'");
        s.bind(1, id).bind(2, partner).bind(3, now).run();
        changed = sqlite3_changes(db_) > 0;
        if (changed) {
            Statement& a = statements_.get(
                        "INSERT INTO outbox_attempts (outbox_id, at, node, outcome, http_status, detail, duration_ms) "
                        "VALUES (?1, ?2, '', 'delivered', 0, 'confirmed by the partner', 0)");
            a.bind(1, id).bind(2, now).run();
        }
    });
    if (!st) return st.error();
    return changed;
}

Result<std::vector<OutboxSummary>> SqliteOutbox::summary() {
    return guarded("summarising the outbox", [&] {
        Statement& s = statements_.get(
                    "SELECT partner, sum(status = 'pending'), sum(status = 'waiting'), sum(status = 'delivered'), "
                    "sum(status = 'confirmed'), sum(status = 'dead'), "
                    "coalesce(min(CASE WHEN status IN ('pending', 'waiting') THEN created_at END), ''), "
                    "coalesce(max(CASE WHEN status IN ('delivered', 'confirmed') THEN delivered_at END), '') "
                    "FROM outbox GROUP BY partner ORDER BY partner");
        std::vector<OutboxSummary> out;
        while (s.step()) {
            OutboxSummary o;
            o.partner = s.text(0);
            o.pending = s.integer(1);
            o.waiting = s.integer(2);
            o.delivered = s.integer(3);
            o.confirmed = s.integer(4);
            o.dead = s.integer(5);
            o.oldest_undelivered_at = s.text(6);
            o.last_delivered_at = s.text(7);
            out.push_back(std::move(o));
        }
        return out;
    });
}

Status SqliteOutbox::requeue_dead(int64_t id, int64_t now_ms) {
    return transaction("requeueing a message", [&] {
        Statement& s = statements_.get( "SELECT status, delivery, body FROM outbox WHERE id = ?1");
        s.bind(1, id);
        if (!s.step()) throw std::invalid_argument("no outbox message " + std::to_string(id));
        if (s.text(0) != "dead")
            throw std::invalid_argument("outbox message " + std::to_string(id) + " is " + s.text(0) + ", not dead");
        if (s.text(2).empty())
            throw std::invalid_argument("outbox message " + std::to_string(id) +
                                        " was never encoded (see its last error); fix the cause, it cannot be sent as it is");
        Statement& u = statements_.get(
                    "UPDATE outbox SET status = CASE delivery WHEN 'push' THEN 'pending' ELSE 'waiting' END, "
                    "next_attempt_ms = ?2, lease_owner = NULL, lease_until_ms = 0 WHERE id = ?1");
        u.bind(1, id).bind(2, now_ms).run();
    });
}

Result<std::vector<RoutingNote>> SqliteOutbox::notes(size_t limit) {
    return guarded("reading routing notes", [&] {
        Statement& s = statements_.get(
                    "SELECT id, kind, organisation, coalesce(person_hub_id, ''), coalesce(referral_id, ''), cause_seq, "
                    "dedupe_key, reason, created_at FROM routing_notes ORDER BY id DESC LIMIT ?1");
        s.bind(1, static_cast<int64_t>(limit));
        std::vector<RoutingNote> out;
        while (s.step()) {
            RoutingNote n;
            n.id = s.integer(0);
            n.kind = s.text(1);
            n.organisation = s.text(2);
            n.person_hub_id = s.text(3);
            n.referral_id = s.text(4);
            n.cause_seq = s.integer(5);
            n.dedupe_key = s.text(6);
            n.reason = s.text(7);
            n.created_at = s.text(8);
            out.push_back(std::move(n));
        }
        return out;
    });
}

}  // namespace ketenhub::store
