// The outbound half of the SQLite store (referrals, outbox, mailbox,
// cursors, sequences) on a connection of its own, for its reads and its
// small writes (attempts, leases, confirmations), which take the store's
// write lock in turn with the ingest writer. Routing commits go through the
// writer instead (apply_routing inside its group commit).
#pragma once

#include "common/result.hpp"
#include "store/outbox_types.hpp"
#include "store/sqlite_util.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace ketenhub::store {

class SqliteOutbox {
public:
    // Takes ownership of db. write_lock, when given, is held around every
    // write transaction: the store's connections then take turns in the
    // process instead of meeting SQLITE_BUSY and sleeping in the busy handler.
    explicit SqliteOutbox(sqlite3* db, std::mutex* write_lock = nullptr)
        : db_(db), statements_(db), write_lock_(write_lock) {}
    ~SqliteOutbox();
    SqliteOutbox(const SqliteOutbox&) = delete;
    SqliteOutbox& operator=(const SqliteOutbox&) = delete;

    Result<int64_t> cursor(const std::string& name);
    Result<int64_t> next_sequence(const std::string& name);
    Result<int64_t> sequence_value(const std::string& name);
    // The statements of commit_routing on any connection, inside a
    // transaction the caller owns (the store's writer runs it in its batch).
    static void apply_routing(StatementCache& cache, const RoutingCommit& c);
    Result<std::vector<ReferralRecord>> referrals_of(const std::string& person_hub_id);
    // The reads routing makes for every event, on any connection: the store
    // runs them inside routing's read snapshot (SqliteStore::routing_history,
    // outbox_has), whose page cache stays warm for the whole pass; on this
    // class's own connection every call began a read transaction of its own
    // and read its pages again after each ingest commit (bench/: 9% of
    // routing's CPU).
    static std::vector<ReferralRecord> read_referrals_of(StatementCache& cache, const std::string& person_hub_id);
    static bool read_has(StatementCache& cache, const std::string& dedupe_key);
    Result<std::optional<ReferralRecord>> referral(const std::string& referral_id);
    Status commit_routing(const RoutingCommit& commit);
    Result<std::vector<OutboxEntry>> claim_due_push(int64_t now_ms, int64_t lease_ms, const std::string& node, size_t limit);
    Result<std::optional<int64_t>> next_due_ms();
    Status record_attempt(const DeliveryAttempt& attempt);
    Result<std::vector<OutboxEntry>> list(const OutboxQuery& query);
    Result<std::optional<OutboxEntry>> entry(int64_t id, bool with_body);
    Result<std::vector<DeliveryAttempt>> attempts(int64_t outbox_id);
    Result<bool> confirm_mailbox(const std::string& partner, int64_t id, const std::string& now);
    Result<std::vector<OutboxSummary>> summary();
    Status requeue_dead(int64_t id, int64_t now_ms);
    Result<std::vector<RoutingNote>> notes(size_t limit);

private:
    template <class F>
    auto guarded(const char* what, F&& f) -> Result<decltype(f())>;
    template <class F>
    Status transaction(const char* what, F&& f, bool synced = true);

    sqlite3* db_;
    StatementCache statements_;  // used under mutex_, ended after every call
    std::mutex mutex_;
    std::mutex* write_lock_ = nullptr;
};

}  // namespace ketenhub::store
