// The storage interface the core depends on. SQLite (sqlite_store) is the
// embedded default; a PostgreSQL implementation for several hub nodes fills
// the same interface. Everything a partner was told is accepted must be
// durable before the callback runs.
#pragma once

#include "common/result.hpp"
#include "identity/identity.hpp"
#include "statistics/programme_figures.hpp"
#include "store/outbox_types.hpp"

#include <ketenhub/sdk/canonical.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ketenhub::store {

enum class RecordOutcome {
    Accepted,      // new: its events are stored
    AlreadyKnown,  // this record id was processed before: nothing stored again
    Superseded,    // a snapshot older than the one already held: changes nothing
    Rejected,      // the adapter refused it: not processed, may be sent again
};
std::string to_string(RecordOutcome o);
RecordOutcome record_outcome_from_string(const std::string& s);

struct RecordReceipt {
    std::string record_id;
    long line = 0;
    RecordOutcome outcome = RecordOutcome::Accepted;
    size_t events = 0;
    std::vector<Problem> problems;
};

// What the partner is told, and what a duplicate gets back unchanged.
struct Receipt {
    std::string receipt_id;
    std::string partner;
    std::string message_id;  // as the partner named it; empty for VWN Export
    std::string document_type;
    std::string status;  // "accepted" | "partially_accepted"
    std::string received_at;
    std::vector<RecordReceipt> records;

    sdk::Json to_json() const;
    // The same text as to_json().dump(), written directly: the writer stores
    // it with every document and the answer carries it.
    std::string to_json_text() const;
    static Receipt from_json(const sdk::Json& j);
};

struct IngestRequest {
    std::string receipt_id;  // assigned by the caller
    std::string partner;
    // Idempotency key of the whole document within the partner: the
    // partner's message id for single documents, "sha256:<hex>" of the body
    // for batch exports (so a corrected export is a new document while
    // identical resends are recognised).
    std::string document_key;
    std::string message_id;
    std::string document_type;
    std::string content_type;
    std::string body;
    std::string body_sha256;
    std::string received_at;  // RFC 3339 UTC
    std::string peer_identity;
    std::vector<sdk::Record> records;  // from the adapter, accepted and rejected
    // The JSON of each record's events, made by the caller (on its own
    // thread, so the store's single writer does not): event_bodies[r][e] for
    // records[r].events[e]. Empty: the store serialises them itself.
    std::vector<std::vector<std::string>> event_bodies;
};

struct IngestResult {
    bool duplicate = false;  // the document key was known: receipt is the original
    Receipt receipt;
    std::string receipt_json;  // the receipt as stored (Receipt::to_json_text), the answer's body
};

struct StoredEvent {
    int64_t seq = 0;
    std::string person_hub_id;  // after identity resolution; empty when not about a person
    std::string receipt_id;
    std::string partner;
    std::string record_id;
    bool retracted = false;
    // Only event.type and event.source.partner are set: the reader's
    // EventTypeFilter declined this type (Store::events_after).
    bool summary_only = false;
    sdk::Event event;
};

// Which events, by canonical event type, a reader of the event flow wants
// whole; nullptr: all of them.
using EventTypeFilter = std::function<bool(std::string_view event_type)>;

// One person across all partners, for `ketenhub person show`.
struct PersonTimeline {
    identity::PersonRecord person;
    std::vector<sdk::PartnerId> partner_ids;
    std::vector<std::string> merged_from;  // hub ids folded into this person
    std::vector<StoredEvent> events;       // by event date, retracted ones included and marked
    std::vector<identity::IdentityIssue> issues;
};

// What routing reads about one person when it routes one event: only what
// the rules look at, read without the identity issues and merge history that
// `person show` needs (hub/outbound reads this once per routed event).
struct RoutingHistory {
    identity::PersonRecord person;  // after following merges
    std::vector<sdk::PartnerId> partner_ids;
    // The person's events up to and including the routed one that are not
    // retracted, in commit order; the routed event is the caller's copy.
    std::vector<StoredEvent> events;
    std::vector<ReferralRecord> referrals;  // the hub's referrals for the person, oldest first
};

struct StoreStats {
    int64_t persons = 0;
    int64_t documents = 0;
    int64_t events = 0;
    int schema_version = 0;
};

// What the store holds per partner, for the operators' dashboard.
struct PartnerActivity {
    std::string partner;
    int64_t documents = 0;  // stored documents (a refused document is not stored)
    std::string last_received_at;
    std::string last_document_type;
    std::string last_message_id;
    // Record outcomes as told in the stored documents' receipts.
    int64_t records_accepted = 0;
    int64_t records_already_known = 0;
    int64_t records_superseded = 0;
    int64_t records_rejected = 0;
};

class Store {
public:
    virtual ~Store() = default;
    virtual std::string backend() const = 0;

    // Stores the document, its records' events and the idempotency records
    // in one transaction, then calls done (from a store thread) once that
    // transaction is durable. Requests submitted together may share one
    // commit.
    virtual void ingest(IngestRequest request, std::function<void(Result<IngestResult>)> done) = 0;

    // Synchronous convenience for tools and tests.
    Result<IngestResult> ingest_sync(IngestRequest request);

    virtual Result<std::optional<Receipt>> find_receipt(const std::string& partner, const std::string& document_key) = 0;
    virtual Result<std::optional<Receipt>> receipt_by_id(const std::string& receipt_id) = 0;
    // Events in commit order after `after_seq` (the event flow that routing
    // and the outbox consume), at most `limit`. Events whose type `read_whole`
    // declines come as summaries (StoredEvent::summary_only): a consumer that
    // acts on a few types moves its cursor past the others without the cost
    // of reading their bodies.
    virtual Result<std::vector<StoredEvent>> events_after(int64_t after_seq, size_t limit,
                                                          const EventTypeFilter& read_whole) = 0;
    Result<std::vector<StoredEvent>> events_after(int64_t after_seq, size_t limit) {
        return events_after(after_seq, limit, nullptr);
    }
    // The sequence number of the last committed event (0: none yet): how far
    // a reader of the event flow is behind.
    virtual Result<int64_t> last_event_seq() = 0;
    // Until the returned object is destroyed, the reads the calling thread
    // makes (events_after, routing_history, ...) all see the store as it was
    // at the first of them, however much is committed meanwhile: routing
    // reads a pass of events and each one's history in one snapshot (one
    // read transaction, whose pages stay cached for the whole pass). It does
    // not see its own thread's commit_routing: end it before committing. One
    // snapshot at a time per store; a second waits for the first to end.
    class ReadSnapshot {
    public:
        virtual ~ReadSnapshot() = default;
    };
    virtual Result<std::unique_ptr<ReadSnapshot>> read_snapshot() = 0;
    virtual Result<StoreStats> stats() = 0;

    // Every event that is not retracted, with its resolved person, for the
    // programme figures (hub/statistics), by event date and within a date
    // in commit order.
    virtual Result<std::vector<statistics::Fact>> facts() = 0;

    // Per partner that has stored documents: the last one and the record
    // outcomes (the admin dashboard).
    virtual Result<std::vector<PartnerActivity>> partner_activity() = 0;

    // Identity: a person by V-nummer or hub id ("KH-000042"), following merges.
    virtual Result<std::optional<PersonTimeline>> person_timeline(const std::string& key) = 0;
    virtual Result<std::vector<identity::IdentityIssue>> identity_issues(bool open_only) = 0;
    // Confirms (merges a candidate) or rejects an open issue.
    virtual Status resolve_identity_issue(int64_t issue_id, bool confirm) = 0;
    // ---- The outbound path (hub/outbound): referrals, outbox, mailbox ----
    // The position of a consumer of the event flow ("routing"); 0 at first.
    virtual Result<int64_t> cursor(const std::string& name) = 0;
    // A durable counter: 1, 2, 3, ... per name (referral ids, MbT volgnr,
    // DT&V berichtkenmerk). Values are never reused, gaps are possible.
    virtual Result<int64_t> next_sequence(const std::string& name) = 0;
    // The last value taken from a counter (0: none yet), for a caller that
    // numbers in memory and stores the values it used with its commit
    // (RoutingCommit::sequences).
    virtual Result<int64_t> sequence_value(const std::string& name) = 0;
    virtual Result<std::vector<ReferralRecord>> referrals_of(const std::string& person_hub_id) = 0;
    // Empty when the event's person no longer resolves (merged away and gone).
    virtual Result<std::optional<RoutingHistory>> routing_history(const StoredEvent& routed) = 0;
    virtual Result<std::optional<ReferralRecord>> referral(const std::string& referral_id) = 0;
    // One transaction: referrals, status changes, messages (a dedupe key
    // already held is skipped), notes, and the cursor.
    virtual Status commit_routing(const RoutingCommit& commit) = 0;
    // Push messages that are due (pending, next attempt reached, no live
    // lease), leased to `node` until now + lease_ms so that several nodes on
    // one database never send the same message at the same time.
    virtual Result<std::vector<OutboxEntry>> claim_due_push(int64_t now_ms, int64_t lease_ms, const std::string& node,
                                                            size_t limit) = 0;
    // The earliest next attempt of a pending push message, if any.
    virtual Result<std::optional<int64_t>> next_due_ms() = 0;
    virtual Status record_attempt(const DeliveryAttempt& attempt) = 0;
    virtual Result<std::vector<OutboxEntry>> outbox_list(const OutboxQuery& query) = 0;
    virtual Result<std::optional<OutboxEntry>> outbox_entry(int64_t id, bool with_body) = 0;
    virtual Result<std::vector<DeliveryAttempt>> delivery_attempts(int64_t outbox_id) = 0;
    virtual Result<bool> outbox_has(const std::string& dedupe_key) = 0;
    // A mailbox partner confirms a fetched message: waiting -> confirmed.
    // false when the partner has no such waiting message.
    virtual Result<bool> confirm_mailbox(const std::string& partner, int64_t id, const std::string& now) = 0;
    virtual Result<std::vector<OutboxSummary>> outbox_summary() = 0;
    // An operator sends a dead message again: dead -> pending/waiting, attempts kept.
    virtual Status requeue_dead(int64_t id, int64_t now_ms) = 0;
    virtual Result<std::vector<RoutingNote>> routing_notes(size_t limit) = 0;
    // Called (from a store thread) once events are committed and durable, so
    // consumers of the event flow need not poll.
    virtual void set_commit_listener(std::function<void()> listener) = 0;

    // Readiness: the store can be written to.
    virtual Status health() = 0;
    // Finishes queued work and closes. Further ingests fail with Unavailable.
    virtual void close() = 0;
};

}  // namespace ketenhub::store
