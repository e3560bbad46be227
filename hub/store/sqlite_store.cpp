#include "store/sqlite_store.hpp"

#include "common/background.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

#include "store/sqlite_identity.hpp"
#include "store/sqlite_outbox.hpp"
#include "store/sqlite_util.hpp"
#include "store/wal_gather_vfs.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <ketenhub/sdk/canonical_json.hpp>
#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <future>
#include <thread>

namespace ketenhub::store {
namespace {

// Versioned migrations, applied in order, each in its own transaction.
struct Migration {
    int version;
    const char* description;
    const char* sql;
};

const Migration kMigrations[] = {
    {1, "documents, records, events, snapshots",
     R"SQL(
CREATE TABLE documents (
  id            INTEGER PRIMARY KEY,
  receipt_id    TEXT NOT NULL UNIQUE,
  partner       TEXT NOT NULL,
  document_key  TEXT NOT NULL,
  message_id    TEXT NOT NULL,
  document_type TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  body_sha256   TEXT NOT NULL,
  body          BLOB NOT NULL,
  received_at   TEXT NOT NULL,
  peer_identity TEXT NOT NULL,
  receipt       TEXT NOT NULL,
  UNIQUE (partner, document_key)
);
CREATE TABLE records (
  partner     TEXT NOT NULL,
  record_id   TEXT NOT NULL,
  document_id INTEGER NOT NULL REFERENCES documents(id),
  outcome     TEXT NOT NULL,
  PRIMARY KEY (partner, record_id)
) WITHOUT ROWID;
CREATE TABLE events (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id    INTEGER NOT NULL REFERENCES documents(id),
  partner        TEXT NOT NULL,
  record_id      TEXT NOT NULL,
  event_type     TEXT NOT NULL,
  event_date     TEXT NOT NULL,
  snapshot_scope TEXT,
  retracted_by   INTEGER REFERENCES documents(id),
  body           TEXT NOT NULL
);
CREATE INDEX events_by_date ON events(event_date, event_type);
CREATE INDEX events_by_snapshot ON events(snapshot_scope) WHERE snapshot_scope IS NOT NULL;
CREATE TABLE snapshots (
  scope       TEXT PRIMARY KEY,
  version     TEXT NOT NULL,
  document_id INTEGER NOT NULL REFERENCES documents(id)
) WITHOUT ROWID;
)SQL"},
    {2, "persons, partner ids, hub referrals, identity issues",
     R"SQL(
CREATE TABLE persons (
  id                INTEGER PRIMARY KEY,
  hub_id            TEXT NOT NULL UNIQUE,
  v_number          TEXT UNIQUE,
  family_name       TEXT,
  given_names       TEXT,
  birth_date        TEXT,
  birth_precision   TEXT NOT NULL DEFAULT 'day',
  sex               TEXT,
  nationality       TEXT,
  country_of_return TEXT,
  name_key          TEXT NOT NULL,
  match_country     TEXT NOT NULL,
  merged_into       INTEGER REFERENCES persons(id),
  created_at        TEXT NOT NULL
);
CREATE INDEX persons_by_match ON persons(name_key, match_country);
CREATE TABLE person_ids (
  scheme    TEXT NOT NULL,
  value     TEXT NOT NULL,
  person_id INTEGER NOT NULL REFERENCES persons(id),
  PRIMARY KEY (scheme, value)
) WITHOUT ROWID;
CREATE INDEX person_ids_by_person ON person_ids(person_id);
CREATE TABLE hub_referrals (
  referral_id TEXT PRIMARY KEY,
  person_id   INTEGER NOT NULL REFERENCES persons(id),
  created_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE identity_issues (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,
  person_id       INTEGER NOT NULL REFERENCES persons(id),
  other_person_id INTEGER REFERENCES persons(id),
  detail          TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'open',
  created_at      TEXT NOT NULL,
  resolved_at     TEXT
);
CREATE TABLE person_merges (
  from_person INTEGER NOT NULL REFERENCES persons(id),
  into_person INTEGER NOT NULL REFERENCES persons(id),
  reason      TEXT NOT NULL,
  merged_at   TEXT NOT NULL
);
ALTER TABLE events ADD COLUMN person_id INTEGER REFERENCES persons(id);
CREATE INDEX events_by_person ON events(person_id, event_date);
)SQL"},
    {3, "indexes for identity issues and merges",
     R"SQL(
CREATE INDEX identity_issues_by_person ON identity_issues(person_id, status);
CREATE INDEX persons_by_merged_into ON persons(merged_into) WHERE merged_into IS NOT NULL;
)SQL"},
    {4, "outbound path: referrals routed by the hub, outbox, delivery attempts, routing notes, cursors, sequences",
     R"SQL(
ALTER TABLE hub_referrals ADD COLUMN receiver TEXT;
ALTER TABLE hub_referrals ADD COLUMN origin_partner TEXT;
ALTER TABLE hub_referrals ADD COLUMN origin_record TEXT;
ALTER TABLE hub_referrals ADD COLUMN status TEXT NOT NULL DEFAULT 'sent';
ALTER TABLE hub_referrals ADD COLUMN status_at TEXT;
CREATE INDEX hub_referrals_by_person ON hub_referrals(person_id);
CREATE TABLE sequences (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE cursors (
  name       TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  partner          TEXT NOT NULL,
  delivery         TEXT NOT NULL,
  message_type     TEXT NOT NULL,
  message_id       TEXT NOT NULL,
  document_type    TEXT NOT NULL,
  content_type     TEXT NOT NULL,
  body             BLOB NOT NULL,
  dedupe_key       TEXT NOT NULL UNIQUE,
  referral_id      TEXT,
  person_hub_id    TEXT,
  cause_seq        INTEGER NOT NULL DEFAULT 0,
  reason           TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms  INTEGER NOT NULL DEFAULT 0,
  lease_owner      TEXT,
  lease_until_ms   INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT NOT NULL DEFAULT '',
  last_http_status INTEGER NOT NULL DEFAULT 0,
  partner_receipt  TEXT NOT NULL DEFAULT '',
  created_at       TEXT NOT NULL,
  delivered_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(next_attempt_ms) WHERE status = 'pending';
CREATE INDEX outbox_by_partner ON outbox(partner, status, id);
CREATE TABLE outbox_attempts (
  outbox_id   INTEGER NOT NULL REFERENCES outbox(id),
  at          TEXT NOT NULL,
  node        TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  detail      TEXT NOT NULL,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX outbox_attempts_by_message ON outbox_attempts(outbox_id);
CREATE TABLE routing_notes (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  organisation  TEXT NOT NULL,
  person_hub_id TEXT,
  referral_id   TEXT,
  cause_seq     INTEGER NOT NULL DEFAULT 0,
  dedupe_key    TEXT NOT NULL UNIQUE,
  reason        TEXT NOT NULL,
  created_at    TEXT NOT NULL
);
)SQL"},
    // Every stored event cost a random leaf of this index (2.3 of the 20 WAL
    // frames a commit wrote below the maximum, docs/performance.md), and its
    // only reader was facts(), which reads every event anyway: it now scans
    // in commit order and sorts by date in memory, instead of a random row
    // lookup per index entry.
    {5, "events_by_date dropped: facts() scans the events and sorts them by date itself",
     R"SQL(
DROP INDEX IF EXISTS events_by_date;
)SQL"},
};

sqlite3* open_connection(const std::string& path, bool synchronous_full, const char* vfs = nullptr) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
    if (rc != SQLITE_OK) {
        std::string m = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw std::runtime_error("cannot open " + path + ": " + m);
    }
    sqlite3_busy_timeout(db, 10000);
    // page_size only takes effect before the first table exists. Every
    // commit rewrites each page it touches, and an ingest touches a leaf in
    // each of a dozen tables and indexes: 4 KiB pages write about 40% fewer
    // bytes per document than 8 KiB ones (bench/, docs/performance.md).
    exec(db, "PRAGMA page_size = 4096");
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    exec(db, "PRAGMA foreign_keys = ON");
    // 8 MiB of page cache per connection, not more: a bigger cache made each
    // document cost more. When a B-tree page splits, SQLite 3.40 swaps page
    // numbers through the lock-byte page (number 262,145 with 4 KiB pages),
    // which leaves the page cache's highest key there, and the next commit's
    // truncate then walks every cached page (perf uprobes: after a third of
    // the writer's commits under load, until the database passes 1 GiB). A
    // reader's cache is emptied whenever the writer has committed, which walks
    // all of it too. 32 -> 8 MiB: writer CPU per document -12%, documents/s
    // +7% (medians of five interleaved pairs, docs/performance.md).
    exec(db, "PRAGMA cache_size = -8192");
    // The writer gives every request of a group its own savepoint, and a
    // savepoint keeps the original of each page it changes. Beyond 64 KiB
    // SQLite spills those copies to a temporary file: about ten times the
    // WAL's bytes in write() calls (found with strace under load). In memory
    // they are a memcpy and are freed at the release.
    exec(db, "PRAGMA temp_store = MEMORY");
    // A checkpoint every 8 MiB of WAL (as when the pages were 8 KiB and SQLite
    // checkpointed at its default 1,000 pages), inside the commit that crosses
    // it: left on only for the reader's rare writes (an operator resolving an
    // identity issue). The ingest writer's and the outbox's checkpoints are the
    // checkpoint thread's (SqliteStore::checkpoint).
    exec(db, "PRAGMA wal_autocheckpoint = 2000");
    return db;
}

// A stored event's canonical JSON; a body that does not read names its
// sequence number and what is wrong where.
sdk::Event stored_event(int64_t seq, const std::string& body) {
    try {
        return sdk::event_from_json_text(body);
    } catch (const sdk::CanonicalJsonError& e) {
        throw std::runtime_error("stored event " + std::to_string(seq) + ": " + e.what());
    }
}

struct Pending {
    IngestRequest request;
    std::function<void(Result<IngestResult>)> done;
    std::chrono::steady_clock::time_point queued_at;
};

// Where an answer's time goes inside the store (GET /v1/metrics): waiting for
// the writer, the group's transaction, the WAL's fdatasync, the whole way
// from the queue to durable, and the writer's holds for a WAL restart.
// bench/run.sh reads them to say what limits the ack latency
// (docs/performance.md).
struct StoreTimings {
    metrics::Histogram& queue_wait = metrics::histogram("store_queue_wait_seconds");
    metrics::Histogram& transaction = metrics::histogram("store_transaction_seconds");
    metrics::Histogram& wal_sync = metrics::histogram("store_wal_sync_seconds");
    metrics::Histogram& queued_to_durable = metrics::histogram("store_queued_to_durable_seconds");
    metrics::Histogram& writer_held = metrics::histogram("store_writer_held_seconds");
};
StoreTimings& store_timings() {
    static StoreTimings t;
    return t;
}

struct RoutingJob {
    const RoutingCommit* commit;
    std::promise<Status> done;
};

// A connection for reads and the statements prepared on it, used by one
// thread at a time (under its mutex).
struct ReadConnection {
    sqlite3* db = nullptr;
    std::unique_ptr<StatementCache> statements;
    std::mutex mutex;

    void open(const std::string& path, bool synchronous_full) {
        db = open_connection(path, synchronous_full);
        statements = std::make_unique<StatementCache>(db);
    }
    ~ReadConnection() {
        statements.reset();
        if (db) sqlite3_close(db);
    }
};

class SqliteStore final : public Store {
public:
    explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

    ~SqliteStore() override { close(); }

    void open() {
        // Durable: the writer's COMMIT does not fsync; the sync thread fsyncs
        // the WAL after each commit and only then answers, so the writer
        // builds the next group while the disk syncs the last one. An answer
        // still means "on disk". The writer's WAL goes through the gathering
        // VFS (store/wal_gather_vfs.hpp): a commit's frames reach the file in
        // one write at the commit's sync (synchronous = FULL), which writes
        // them and leaves the fsync to the sync thread.
        writer_ = open_connection(options_.path, true, wal_gather_vfs());
        // The writer never checkpoints inside its commits: the hook (which
        // replaces SQLite's automatic checkpoint on this connection) only
        // notes how long the WAL is, and the checkpoint thread copies the WAL
        // into the database beside the writer and the sync thread
        // (checkpoint_loop), so a checkpoint's copy and database sync stall
        // neither the next group nor the answers.
        sqlite3_wal_hook(writer_, &SqliteStore::note_wal_length, this);
        migrate();
        writer_statements_ = std::make_unique<StatementCache>(writer_);
        if (options_.synchronous_full) {
            if (auto st = sync_wal(); !st) throw std::runtime_error(st.error().message);
        }
        reader_.open(options_.path, options_.synchronous_full);
        snapshot_reader_.open(options_.path, options_.synchronous_full);
        sqlite3* outbox_db = open_connection(options_.path, options_.synchronous_full);
        // Its small writes would otherwise checkpoint now and then inside
        // their commits, holding the write lock (and so the writer) for the copy.
        sqlite3_wal_autocheckpoint(outbox_db, 0);
        outbox_ = std::make_unique<SqliteOutbox>(outbox_db, &write_lock_);
        checkpointer_ = open_connection(options_.path, options_.synchronous_full);
        checkpoint_thread_ = std::thread([this] {
            name_this_thread("kh-checkpoint");
            // Batch, at the same priority: it must keep up with the writer,
            // but its copy never preempts the threads that answer.
            run_in_background(0);
            checkpoint_loop();
        });
        sync_thread_ = std::thread([this] {
            name_this_thread("kh-sync");
            sync_loop();
        });
        thread_ = std::thread([this] {
            name_this_thread("kh-writer");
            writer_loop();
        });
    }

    std::string backend() const override { return "sqlite"; }

    void ingest(IngestRequest request, std::function<void(Result<IngestResult>)> done) override {
        {
            std::unique_lock lock(mutex_);
            if (closing_) {
                lock.unlock();
                done(Error::unavailable("the store is shutting down"));
                return;
            }
            if (queue_.size() >= options_.max_queue) {
                lock.unlock();
                metrics::counter("store_queue_full_total").inc();
                done(Error::unavailable("the store's write queue is full; try again"));
                return;
            }
            queue_.push_back(Pending{std::move(request), std::move(done), std::chrono::steady_clock::now()});
            metrics::gauge("store_queue_depth").set(static_cast<int64_t>(queue_.size()));
        }
        cv_.notify_one();
    }

    Result<std::optional<Receipt>> find_receipt(const std::string& partner, const std::string& key) override {
        return read([&](ReadConnection& r) -> std::optional<Receipt> {
            Statement s(r.db, "SELECT receipt FROM documents WHERE partner = ?1 AND document_key = ?2");
            s.bind(1, partner).bind(2, key);
            if (!s.step()) return std::nullopt;
            return Receipt::from_json(sdk::Json::parse(s.text(0)));
        });
    }

    Result<std::optional<Receipt>> receipt_by_id(const std::string& id) override {
        return read([&](ReadConnection& r) -> std::optional<Receipt> {
            Statement s(r.db, "SELECT receipt FROM documents WHERE receipt_id = ?1");
            s.bind(1, id);
            if (!s.step()) return std::nullopt;
            return Receipt::from_json(sdk::Json::parse(s.text(0)));
        });
    }

    using Store::events_after;
    Result<std::vector<StoredEvent>> events_after(int64_t after, size_t limit, const EventTypeFilter& read_whole) override {
        return read([&](ReadConnection& r) {
            // Cached: routing runs this and last_event_seq once a pass, and
            // preparing them was 2% of its CPU (bench/).
            Statement& s = r.statements->get(
                        "SELECT e.seq, d.receipt_id, e.partner, e.record_id, e.retracted_by, e.event_type, e.body, p.hub_id "
                        "FROM events e JOIN documents d ON d.id = e.document_id LEFT JOIN persons p ON p.id = e.person_id "
                        "WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2");
            s.bind(1, after).bind(2, static_cast<int64_t>(limit));
            std::vector<StoredEvent> out;
            while (s.step()) {
                StoredEvent e;
                e.seq = s.integer(0);
                e.receipt_id = s.text(1);
                e.partner = s.text(2);
                e.record_id = s.text(3);
                e.retracted = !s.is_null(4);
                const std::string type = s.text(5);
                if (!read_whole || read_whole(type)) {
                    e.event = stored_event(e.seq, s.text(6));
                } else {
                    e.summary_only = true;
                    e.event.type = type;
                    e.event.source.partner = e.partner;
                }
                e.person_hub_id = s.text(7);
                out.push_back(std::move(e));
            }
            return out;
        });
    }

    Result<std::vector<statistics::Fact>> facts() override {
        return read([&](ReadConnection& r) {
            Statement s(r.db,
                        "SELECT e.seq, e.partner, e.event_type, e.event_date, d.document_type, d.message_id, e.record_id, "
                        "p.hub_id, p.v_number, p.birth_date, p.birth_precision, coalesce(p.country_of_return, p.nationality), "
                        "e.body FROM events e JOIN documents d ON d.id = e.document_id "
                        "LEFT JOIN persons p ON p.id = e.person_id WHERE e.retracted_by IS NULL ORDER BY e.seq");
            std::vector<statistics::Fact> out;
            while (s.step()) {
                statistics::Fact f;
                f.seq = s.integer(0);
                f.partner = s.text(1);
                f.type = s.text(2);
                f.event_date = s.text(3);
                f.document_type = s.text(4);
                f.message_id = s.text(5);
                f.record_id = s.text(6);
                f.person = s.text(7);
                f.v_number = s.opt_text(8);
                f.birth_date = s.opt_text(9);
                if (!s.is_null(10)) f.birth_precision = s.text(10);
                f.country = s.opt_text(11);
                for (auto& [name, field] : stored_event(f.seq, s.text(12)).fields)
                    if (statistics::is_fact_field(name)) f.fields[name] = std::move(field.value);
                out.push_back(std::move(f));
            }
            // Sorted in place (a stable sort would copy a million facts into a buffer).
            std::sort(out.begin(), out.end(), [](const statistics::Fact& a, const statistics::Fact& b) {
                return a.event_date != b.event_date ? a.event_date < b.event_date : a.seq < b.seq;
            });
            return out;
        });
    }

    Result<std::vector<PartnerActivity>> partner_activity() override {
        return read([&](ReadConnection& r) {
            std::vector<PartnerActivity> out;
            // SQLite: the bare columns come from the row with max(id), the
            // partner's last stored document.
            Statement d(r.db,
                        "SELECT partner, count(*), max(id), received_at, document_type, message_id FROM documents "
                        "GROUP BY partner ORDER BY partner");
            while (d.step()) {
                PartnerActivity a;
                a.partner = d.text(0);
                a.documents = d.integer(1);
                a.last_received_at = d.text(3);
                a.last_document_type = d.text(4);
                a.last_message_id = d.text(5);
                out.push_back(std::move(a));
            }
            Statement rc(r.db,
                        "SELECT d.partner, json_extract(r.value, '$.outcome'), count(*) FROM documents d, "
                        "json_each(d.receipt, '$.records') r GROUP BY 1, 2");
            while (rc.step()) {
                const std::string partner = rc.text(0), outcome = rc.text(1);
                for (auto& a : out) {
                    if (a.partner != partner) continue;
                    int64_t n = rc.integer(2);
                    if (outcome == "accepted") a.records_accepted += n;
                    else if (outcome == "already_known") a.records_already_known += n;
                    else if (outcome == "superseded") a.records_superseded += n;
                    else a.records_rejected += n;
                }
            }
            return out;
        });
    }

    Result<std::optional<PersonTimeline>> person_timeline(const std::string& key) override {
        return read([&](ReadConnection& r) -> std::optional<PersonTimeline> {
            SqliteIdentityRepository repo(*r.statements, "");
            auto p = key.rfind("KH-", 0) == 0 ? repo.by_hub_id(key) : repo.by_v_number(key);
            if (!p) {
                // A V-nummer that was merged away, or a partner id "scheme:value".
                if (auto colon = key.find(':'); colon != std::string::npos)
                    p = repo.by_partner_id({key.substr(0, colon), key.substr(colon + 1)});
            }
            if (!p) return std::nullopt;
            p = follow_merges(r, repo, std::move(*p));
            PersonTimeline t;
            t.person = *p;
            t.partner_ids = partner_ids_of(r, p->id);
            Statement& merged = r.statements->get("SELECT hub_id FROM persons WHERE merged_into = ?1 ORDER BY id");
            merged.bind(1, p->id);
            while (merged.step()) t.merged_from.push_back(merged.text(0));
            Statement& ev = r.statements->get(
                         "SELECT e.seq, d.receipt_id, e.partner, e.record_id, e.retracted_by, e.body FROM events e "
                         "JOIN documents d ON d.id = e.document_id WHERE e.person_id = ?1 ORDER BY e.event_date, e.seq");
            ev.bind(1, p->id);
            while (ev.step()) {
                StoredEvent e;
                e.seq = ev.integer(0);
                e.receipt_id = ev.text(1);
                e.partner = ev.text(2);
                e.record_id = ev.text(3);
                e.retracted = !ev.is_null(4);
                e.event = stored_event(e.seq, ev.text(5));
                e.person_hub_id = p->hub_id;
                t.events.push_back(std::move(e));
            }
            for (auto& issue : issues_where(r, "(person_id = ?1 OR other_person_id = ?1)", p->id))
                t.issues.push_back(std::move(issue));
            return t;
        });
    }

    Result<std::optional<RoutingHistory>> routing_history(const StoredEvent& routed) override {
        auto history = read([&](ReadConnection& r) -> std::optional<RoutingHistory> {
            SqliteIdentityRepository repo(*r.statements, "");
            auto p = repo.by_hub_id(routed.person_hub_id);
            if (!p) return std::nullopt;
            p = follow_merges(r, repo, std::move(*p));
            RoutingHistory h;
            h.person = *p;
            h.partner_ids = partner_ids_of(r, p->id);
            // Events of persons merged into this one moved with the merge
            // (events.person_id), so one person id selects them all.
            Statement& ev = r.statements->get(
                "SELECT e.seq, d.receipt_id, e.partner, e.record_id, e.body FROM events e "
                "JOIN documents d ON d.id = e.document_id "
                "WHERE e.person_id = ?1 AND e.seq <= ?2 AND e.retracted_by IS NULL ORDER BY e.seq");
            ev.bind(1, p->id).bind(2, routed.seq);
            bool saw_routed = false;
            while (ev.step()) {
                const int64_t seq = ev.integer(0);
                if (seq == routed.seq) {  // parsed already: the caller's copy
                    h.events.push_back(routed);
                    saw_routed = true;
                    continue;
                }
                StoredEvent e;
                e.seq = seq;
                e.receipt_id = ev.text(1);
                e.partner = ev.text(2);
                e.record_id = ev.text(3);
                e.event = stored_event(e.seq, ev.text(4));
                e.person_hub_id = p->hub_id;
                h.events.push_back(std::move(e));
            }
            // Retracted after it was committed: the rules still see the event
            // they were asked to route, as routing it did at the time.
            if (!saw_routed) h.events.push_back(routed);
            h.events.back().person_hub_id = p->hub_id;
            h.referrals = SqliteOutbox::read_referrals_of(*r.statements, p->hub_id);
            return h;
        });
        if (!history) return history.error();
        return history;
    }

    Result<std::vector<identity::IdentityIssue>> identity_issues(bool open_only) override {
        return read([&](ReadConnection& r) { return issues_where(r, open_only ? "status = 'open'" : "1 = 1", std::nullopt); });
    }

    Status resolve_identity_issue(int64_t issue_id, bool confirm) override {
        std::lock_guard lock(reader_.mutex);
        try {
            exec(reader_.db, "BEGIN IMMEDIATE");
            try {
                Statement s(reader_.db, "SELECT kind, person_id, other_person_id, status FROM identity_issues WHERE id = ?1");
                s.bind(1, issue_id);
                if (!s.step()) throw std::invalid_argument("no identity issue " + std::to_string(issue_id));
                if (s.text(3) != "open")
                    throw std::invalid_argument("identity issue " + std::to_string(issue_id) + " is already " + s.text(3));
                if (confirm) {
                    if (s.text(0) != "candidate")
                        throw std::invalid_argument("only a candidate can be confirmed; a " + s.text(0) +
                                                    " is corrected at the source and then rejected here");
                    StatementCache statements(reader_.db);
                    SqliteIdentityRepository repo(statements, utc_now());
                    repo.merge(s.integer(2), s.integer(1), "operator confirmed candidate " + std::to_string(issue_id));
                }
                Statement u(reader_.db, "UPDATE identity_issues SET status = ?1, resolved_at = ?2 WHERE id = ?3");
                u.bind(1, std::string(confirm ? "confirmed" : "rejected")).bind(2, utc_now()).bind(3, issue_id).run();
                exec(reader_.db, "COMMIT");
            } catch (...) {
                exec(reader_.db, "ROLLBACK");
                throw;
            }
            return ok_status();
        } catch (const std::invalid_argument& e) {
            return Error::invalid(e.what());
        } catch (const std::exception& e) {
            return Error::unavailable(e.what());
        }
    }

    Result<int64_t> last_event_seq() override {
        return read([&](ReadConnection& r) {
            Statement& s = r.statements->get("SELECT coalesce(max(seq), 0) FROM events");
            s.step();
            return s.integer(0);
        });
    }

    Result<std::unique_ptr<ReadSnapshot>> read_snapshot() override {
        // A second snapshot on the same thread would wait for the first, which
        // only this thread can end.
        assert(snapshot_holder_.load(std::memory_order_relaxed) != std::this_thread::get_id());
        std::unique_lock lock(snapshot_reader_.mutex);
        try {
            // Deferred: the transaction's snapshot is taken by its first read.
            exec(snapshot_reader_.db, "BEGIN");
        } catch (const std::exception& e) {
            metrics::counter("store_read_errors_total").inc();
            return Error::unavailable(std::string("store read snapshot failed: ") + e.what());
        }
        snapshot_holder_.store(std::this_thread::get_id(), std::memory_order_relaxed);
        return std::unique_ptr<ReadSnapshot>(new Snapshot(*this, std::move(lock)));
    }

    Result<StoreStats> stats() override {
        return read([&](ReadConnection& r) {
            StoreStats st;
            Statement persons(r.db, "SELECT count(*) FROM persons WHERE merged_into IS NULL");
            persons.step();
            st.persons = persons.integer(0);
            Statement d(r.db, "SELECT count(*) FROM documents");
            d.step();
            st.documents = d.integer(0);
            Statement e(r.db, "SELECT count(*) FROM events");
            e.step();
            st.events = e.integer(0);
            Statement v(r.db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
            v.step();
            st.schema_version = static_cast<int>(v.integer(0));
            return st;
        });
    }

    Result<int64_t> cursor(const std::string& name) override { return outbox_->cursor(name); }
    Result<int64_t> next_sequence(const std::string& name) override { return outbox_->next_sequence(name); }
    Result<int64_t> sequence_value(const std::string& name) override { return outbox_->sequence_value(name); }
    Result<std::vector<ReferralRecord>> referrals_of(const std::string& person) override { return outbox_->referrals_of(person); }
    Result<std::optional<ReferralRecord>> referral(const std::string& id) override { return outbox_->referral(id); }
    // Routing decisions ride in the ingest writer's next transaction (its
    // group commit, its one sync): no second writer contending for the lock.
    Status commit_routing(const RoutingCommit& commit) override {
        RoutingJob job{&commit, {}};
        auto done = job.done.get_future();
        {
            std::lock_guard lock(mutex_);
            if (closing_ || !thread_.joinable()) return outbox_->commit_routing(commit);
            jobs_.push_back(&job);
        }
        cv_.notify_one();
        return done.get();
    }
    Result<std::vector<OutboxEntry>> claim_due_push(int64_t now_ms, int64_t lease_ms, const std::string& node,
                                                    size_t limit) override {
        return outbox_->claim_due_push(now_ms, lease_ms, node, limit);
    }
    Result<std::optional<int64_t>> next_due_ms() override { return outbox_->next_due_ms(); }
    Status record_attempt(const DeliveryAttempt& attempt) override { return outbox_->record_attempt(attempt); }
    Result<std::vector<OutboxEntry>> outbox_list(const OutboxQuery& query) override { return outbox_->list(query); }
    Result<std::optional<OutboxEntry>> outbox_entry(int64_t id, bool with_body) override { return outbox_->entry(id, with_body); }
    Result<std::vector<DeliveryAttempt>> delivery_attempts(int64_t id) override { return outbox_->attempts(id); }
    // Through read() like routing_history: inside routing's snapshot when
    // routing asks (SqliteOutbox::read_has).
    Result<bool> outbox_has(const std::string& key) override {
        return read([&](ReadConnection& r) { return SqliteOutbox::read_has(*r.statements, key); });
    }
    Result<bool> confirm_mailbox(const std::string& partner, int64_t id, const std::string& now) override {
        return outbox_->confirm_mailbox(partner, id, now);
    }
    Result<std::vector<OutboxSummary>> outbox_summary() override { return outbox_->summary(); }
    Status requeue_dead(int64_t id, int64_t now_ms) override { return outbox_->requeue_dead(id, now_ms); }
    Result<std::vector<RoutingNote>> routing_notes(size_t limit) override { return outbox_->notes(limit); }
    void set_commit_listener(std::function<void()> listener) override {
        std::lock_guard lock(mutex_);
        commit_listener_ = std::move(listener);
    }

    Status health() override {
        std::lock_guard lock(mutex_);
        if (closing_) return Error::unavailable("store closed");
        if (!writer_healthy_) return Error::unavailable("the last commit failed: " + last_error_);
        return ok_status();
    }

    void close() override {
        {
            std::lock_guard lock(mutex_);
            if (closing_) return;
            closing_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
        {
            std::lock_guard lock(sync_mutex_);
            sync_closing_ = true;
        }
        sync_cv_.notify_all();
        if (sync_thread_.joinable()) sync_thread_.join();
        {
            std::lock_guard lock(checkpoint_mutex_);
            checkpoint_closing_ = true;
        }
        checkpoint_cv_.notify_all();
        if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
        if (db_fd_ >= 0) ::close(db_fd_);
        db_fd_ = -1;
        if (wal_fd_ >= 0) ::close(wal_fd_);
        wal_fd_ = -1;
        if (checkpointer_) sqlite3_close(checkpointer_);
        checkpointer_ = nullptr;
        writer_statements_.reset();
        if (writer_) {
            sqlite3_close(writer_);
            writer_ = nullptr;
        }
    }

private:
    class Snapshot final : public ReadSnapshot {
    public:
        Snapshot(SqliteStore& store, std::unique_lock<std::mutex> lock) : store_(store), lock_(std::move(lock)) {}
        ~Snapshot() override {
            store_.snapshot_holder_.store(std::thread::id(), std::memory_order_relaxed);
            ReadConnection& r = store_.snapshot_reader_;
            r.statements->reset_all();
            // Read only: COMMIT only ends the transaction. Should it fail, the
            // rollback ends it instead, so the next pass does not go on in
            // this one's snapshot.
            if (sqlite3_exec(r.db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
                log::warn("store_snapshot_end_failed", {{"reason", sqlite3_errmsg(r.db)}});
                sqlite3_exec(r.db, "ROLLBACK", nullptr, nullptr, nullptr);
            }
        }

    private:
        SqliteStore& store_;
        std::unique_lock<std::mutex> lock_;
    };

    static std::string utc_now() {
        return sdk::dates::utc_timestamp(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    }

    std::vector<identity::IdentityIssue> issues_where(ReadConnection& r, const std::string& where, std::optional<int64_t> person) {
        std::string sql = "SELECT id, kind, person_id, other_person_id, detail, status, created_at FROM identity_issues WHERE " +
                          where + " ORDER BY id";
        Statement s(r.db, sql.c_str());
        if (person) s.bind(1, *person);
        std::vector<identity::IdentityIssue> out;
        while (s.step()) {
            identity::IdentityIssue i;
            i.id = s.integer(0);
            const std::string kind = s.text(1);
            i.kind = kind == "candidate" ? identity::IssueKind::Candidate
                     : kind == "birth_date_conflict" ? identity::IssueKind::BirthDateConflict
                                                     : identity::IssueKind::VNumberConflict;
            i.person_id = s.integer(2);
            if (!s.is_null(3)) i.other_person_id = s.integer(3);
            i.detail = s.text(4);
            i.status = s.text(5);
            i.created_at = s.text(6);
            out.push_back(std::move(i));
        }
        return out;
    }

    // A person's ids at the partners.
    std::vector<sdk::PartnerId> partner_ids_of(ReadConnection& r, int64_t person_id) {
        Statement& ids = r.statements->get("SELECT scheme, value FROM person_ids WHERE person_id = ?1 ORDER BY scheme, value");
        ids.bind(1, person_id);
        std::vector<sdk::PartnerId> out;
        while (ids.step()) out.push_back({ids.text(0), ids.text(1)});
        return out;
    }

    // The person a merge folded `p` into (and so on).
    identity::PersonRecord follow_merges(ReadConnection& r, SqliteIdentityRepository& repo, identity::PersonRecord p) {
        for (int hops = 0; hops < 100; ++hops) {
            Statement& m = r.statements->get("SELECT merged_into FROM persons WHERE id = ?1");
            m.bind(1, p.id);
            if (!m.step() || m.is_null(0)) break;
            auto next = repo.by_id(m.integer(0));
            if (!next) break;
            p = std::move(*next);
        }
        return p;
    }

    // Runs f with the connection this thread reads on: the snapshot's while
    // this thread holds one (read_snapshot), else the shared reader.
    template <class F>
    auto read(F&& f) -> Result<decltype(f(std::declval<ReadConnection&>()))> {
        const bool in_snapshot = snapshot_holder_.load(std::memory_order_relaxed) == std::this_thread::get_id();
        ReadConnection& r = in_snapshot ? snapshot_reader_ : reader_;
        std::unique_lock lock(r.mutex, std::defer_lock);
        if (!in_snapshot) lock.lock();  // the snapshot holds it
        // A cached statement left on a row would keep its read transaction
        // (and its old snapshot) open past this call; inside a snapshot the
        // transaction stays open until the snapshot ends.
        struct EndReads {
            StatementCache* cache;
            ~EndReads() {
                if (cache) cache->reset_all();
            }
        } end_reads{r.statements.get()};
        try {
            return f(r);
        } catch (const std::exception& e) {
            metrics::counter("store_read_errors_total").inc();
            return Error::unavailable(std::string("store read failed: ") + e.what());
        }
    }

    void migrate() {
        exec(writer_, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                      "description TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))");
        int current = 0;
        {
            Statement s(writer_, "SELECT coalesce(max(version), 0) FROM schema_migrations");
            s.step();
            current = static_cast<int>(s.integer(0));
        }
        const int latest = sqlite_schema_version();
        if (current > latest)
            throw std::runtime_error(options_.path + " has schema version " + std::to_string(current) +
                                     ", newer than this ketenhub knows (" + std::to_string(latest) + ")");
        for (const auto& m : kMigrations) {
            if (m.version <= current) continue;
            exec(writer_, "BEGIN IMMEDIATE");
            try {
                exec(writer_, m.sql);
                Statement s(writer_, "INSERT INTO schema_migrations(version, description) VALUES (?1, ?2)");
                s.bind(1, static_cast<int64_t>(m.version)).bind(2, std::string(m.description)).run();
                exec(writer_, "COMMIT");
            } catch (...) {
                exec(writer_, "ROLLBACK");
                throw;
            }
            log::info("store_migrated", {{"path", options_.path}, {"version", m.version}, {"description", m.description}});
        }
    }

    void writer_loop() {
        for (;;) {
            std::deque<Pending> batch;
            std::deque<RoutingJob*> jobs;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [&] { return closing_ || !queue_.empty() || !jobs_.empty(); });
                if (queue_.empty() && jobs_.empty() && closing_) return;
                jobs.swap(jobs_);
                while (!queue_.empty() && batch.size() < options_.max_batch) {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
                metrics::gauge("store_queue_depth").set(static_cast<int64_t>(queue_.size()));
            }
            const auto now = std::chrono::steady_clock::now();
            for (const auto& p : batch) store_timings().queue_wait.observe(now - p.queued_at);
            commit_batch(batch, jobs);
        }
    }

    void commit_batch(std::deque<Pending>& batch, std::deque<RoutingJob*>& jobs) {
        std::vector<Status> job_results;
        std::vector<Result<IngestResult>> results;
        results.reserve(batch.size());
        bool committed = false;
        std::string failure;
        std::unique_lock writing(write_lock_);
        const auto began = std::chrono::steady_clock::now();
        try {
            exec(writer_, "BEGIN IMMEDIATE");
            // Prepared once: parsing these per request showed in the writer's profile.
            Statement& savepoint = writer_statements_->get("SAVEPOINT request");
            Statement& release = writer_statements_->get("RELEASE request");
            for (auto* job : jobs) {
                savepoint.reset().run();
                try {
                    SqliteOutbox::apply_routing(*writer_statements_, *job->commit);
                    release.reset().run();
                    job_results.push_back(ok_status());
                } catch (const std::exception& e) {
                    writer_statements_->reset_all();
                    exec(writer_, "ROLLBACK TO request");
                    exec(writer_, "RELEASE request");
                    metrics::counter("store_outbox_errors_total").inc();
                    job_results.push_back(Error::unavailable(std::string("storing routing decisions failed: ") + e.what()));
                }
            }
            for (auto& p : batch) {
                savepoint.reset().run();
                try {
                    results.push_back(apply(p.request));
                    release.reset().run();
                } catch (const std::exception& e) {
                    writer_statements_->reset_all();
                    exec(writer_, "ROLLBACK TO request");
                    exec(writer_, "RELEASE request");
                    metrics::counter("store_write_errors_total").inc();
                    log::error("store_request_failed", {{"partner", p.request.partner}, {"receipt_id", p.request.receipt_id},
                                                        {"reason", e.what()}});
                    results.emplace_back(Error::unavailable(std::string("store write failed: ") + e.what()));
                }
            }
            writer_statements_->reset_all();
            exec(writer_, "COMMIT");
            committed = true;
            store_timings().transaction.observe(std::chrono::steady_clock::now() - began);
        } catch (const std::exception& e) {
            failure = e.what();
            writer_statements_->reset_all();
            sqlite3_exec(writer_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
        if (writing.owns_lock()) writing.unlock();
        if (committed) {
            metrics::counter("store_commits_total").inc();
            metrics::counter("store_committed_requests_total").inc(batch.size());
        } else {
            metrics::counter("store_commit_failures_total").inc();
            log::error("store_commit_failed", {{"requests", batch.size()}, {"reason", failure}});
        }
        Committed c{committed, std::move(failure), std::move(batch), std::move(results), std::move(jobs), std::move(job_results)};
        {
            std::lock_guard lock(sync_mutex_);
            to_sync_.push_back(std::move(c));
        }
        sync_cv_.notify_one();
    }

    // A group the writer has committed (or failed to), waiting to be made
    // durable and answered.
    struct Committed {
        bool committed = false;
        std::string failure;
        std::deque<Pending> batch;
        std::vector<Result<IngestResult>> results;
        std::deque<RoutingJob*> jobs;
        std::vector<Status> job_results;
    };

    // One fsync for every group committed since the last one, then the
    // answers. Runs beside the writer: the answers, their receipts and log
    // lines are off the writer's path too.
    void sync_loop() {
        for (;;) {
            std::deque<Committed> groups;
            {
                std::unique_lock lock(sync_mutex_);
                sync_cv_.wait(lock, [&] { return sync_closing_ || !to_sync_.empty(); });
                if (to_sync_.empty() && sync_closing_) return;
                groups.swap(to_sync_);
            }
            Status synced = ok_status();
            const bool any_committed = std::any_of(groups.begin(), groups.end(), [](const Committed& g) { return g.committed; });
            if (options_.synchronous_full && any_committed) {
                const auto began = std::chrono::steady_clock::now();
                synced = sync_wal();
                store_timings().wal_sync.observe(std::chrono::steady_clock::now() - began);
            }
            const auto durable = std::chrono::steady_clock::now();
            bool new_events = false;
            {
                std::lock_guard lock(mutex_);
                const auto& last = groups.back();
                writer_healthy_ = last.committed && synced;
                if (!last.committed) last_error_ = last.failure;
                else if (!synced) last_error_ = synced.error().message;
            }
            for (auto& g : groups) {
                std::string failure;
                if (!g.committed) failure = "store commit failed: " + g.failure;
                else if (!synced) failure = synced.error().message;
                for (size_t i = 0; i < g.jobs.size(); ++i) {
                    if (failure.empty()) g.jobs[i]->done.set_value(std::move(g.job_results[i]));
                    else g.jobs[i]->done.set_value(Error::unavailable(failure));
                }
                for (size_t i = 0; i < g.batch.size(); ++i) {
                    if (failure.empty()) store_timings().queued_to_durable.observe(durable - g.batch[i].queued_at);
                    if (failure.empty()) g.batch[i].done(std::move(g.results[i]));
                    else g.batch[i].done(Error::unavailable(failure + "; send it again"));
                }
                if (failure.empty() && !g.batch.empty()) new_events = true;
            }
            // Only new events wake the routing step (a routing commit alone
            // brings nothing new to route).
            std::function<void()> listener;
            {
                std::lock_guard lock(mutex_);
                listener = commit_listener_;
            }
            if (listener && new_events) listener();
            wake_checkpointer_if_due();
        }
    }

    static int note_wal_length(void* self, sqlite3*, const char*, int frames) {
        static_cast<SqliteStore*>(self)->wal_frames_.store(frames, std::memory_order_relaxed);
        return SQLITE_OK;
    }

    // The sync thread's part: wake the checkpoint thread once the writer has
    // added kCheckpointFrames to the WAL since the last checkpoint (or the WAL
    // started over), not after every sync.
    void wake_checkpointer_if_due() {
        const int frames = wal_frames_.load(std::memory_order_relaxed);
        const bool started_over = frames < last_wal_frames_;
        last_wal_frames_ = frames;
        if (!started_over && frames < checkpoint_due_at_.load(std::memory_order_relaxed)) return;
        {
            std::lock_guard lock(checkpoint_mutex_);
            checkpoint_wanted_ = true;
        }
        checkpoint_cv_.notify_one();
    }

    void checkpoint_loop() {
        for (;;) {
            {
                std::unique_lock lock(checkpoint_mutex_);
                checkpoint_cv_.wait(lock, [&] { return checkpoint_closing_ || checkpoint_wanted_; });
                if (checkpoint_closing_) return;
                checkpoint_wanted_ = false;
            }
            checkpoint();
        }
    }

    // Checkpoints on their own thread and connection, beside the writer and
    // the sync thread: a passive checkpoint every 500 pages (2 MiB) of WAL
    // copies what no reader still needs into the database and syncs it.
    // Every 2,000 pages (8 MiB, SQLite's default with 8 KiB pages) made the
    // p99 ack at 50% load worse (12 ms against 8-10 ms, bench/): each
    // checkpoint's copy took the CPU from the writer in one longer burst.
    //
    // Passive checkpoints alone never let the WAL start over under steady
    // load: SQLite starts it over only when the writer begins a transaction
    // after everything was copied and no reader is still in the WAL, and the
    // writer has always committed more while a checkpoint copies. An
    // unbounded WAL costs more than its disk: every commit appends to the
    // file (new page-cache pages and blocks for each frame), and each WAL
    // sync then also commits the file system's journal, which waits for the
    // database writes of a checkpoint running beside it (an earlier
    // checkpoint thread beside a growing WAL put the p99 ack at 100-150 ms,
    // docs/performance.md). So once the WAL holds
    // SqliteOptions::wal_restart_pages (64 MiB), it is caught up with passive
    // checkpoints until little is left, and then the last few groups are
    // copied while the writer is held between two groups (the write lock),
    // waiting up to 5 ms for readers to leave the WAL
    // (SQLITE_CHECKPOINT_RESTART): the writer's next group starts the WAL
    // over, and from then on commits overwrite the same 64 MiB. Measured with
    // bench/ against checkpoints on the sync thread: about 6% more documents/s
    // at the maximum, the p99 ack at 50% load 8-10 ms instead of 10-12 ms, a
    // WAL of 64-96 MiB instead of up to 1 GiB; the writer is held for a few
    // milliseconds once per 64 MiB.
    void checkpoint() {
        int wal_pages = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(checkpointer_, "main", SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
        bool restarted = false;
        if (rc == SQLITE_OK && wal_pages >= options_.wal_restart_pages) {
            // Catch up first (the writer goes on meanwhile) so that the part
            // done while it is held is small.
            for (int i = 0; i < 3 && rc == SQLITE_OK && wal_pages - copied > kRestartRemainderFrames; ++i)
                rc = sqlite3_wal_checkpoint_v2(checkpointer_, "main", SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
            // SQLite syncs the database only after a checkpoint that found
            // nothing newer left in the WAL, which under load is the one below:
            // it would flush 64 MiB of copied pages with the writer held.
            // Flushed here, the writer waits for the last few groups' pages.
            if (rc == SQLITE_OK) sync_database();
            if (rc == SQLITE_OK) {
                // Routing's pass holds its read transaction for up to a few
                // tens of milliseconds, longer than the wait below: wait for it
                // to end here (the writer goes on), and keep the next one from
                // starting until the WAL has started over.
                std::lock_guard no_snapshot(snapshot_reader_.mutex);
                std::lock_guard writing(write_lock_);
                const auto held = std::chrono::steady_clock::now();
                sqlite3_busy_timeout(checkpointer_, kRestartReaderWaitMs);
                rc = sqlite3_wal_checkpoint_v2(checkpointer_, "main", SQLITE_CHECKPOINT_RESTART, &wal_pages, &copied);
                sqlite3_busy_timeout(checkpointer_, 10000);
                store_timings().writer_held.observe(std::chrono::steady_clock::now() - held);
                restarted = rc == SQLITE_OK;
                metrics::counter(restarted ? "store_checkpoint_restarts_total" : "store_checkpoint_restarts_busy_total").inc();
                if (rc == SQLITE_BUSY) rc = SQLITE_OK;  // a reader stayed: passive copying goes on, restart next time
            }
        }
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            metrics::counter("store_checkpoint_failures_total").inc();
            log::warn("store_checkpoint_failed", {{"reason", sqlite3_errmsg(checkpointer_)}});
        } else {
            metrics::counter("store_checkpoints_total").inc();
        }
        // The next one after another 2 MiB: counted from what was copied, or
        // (held back by a reader's snapshot) from the WAL's length now.
        const int done_to = restarted ? 0 : (rc == SQLITE_OK && copied == wal_pages ? copied : wal_pages);
        checkpoint_due_at_.store(done_to + kCheckpointFrames, std::memory_order_relaxed);
    }

    // fdatasync of the database file through a descriptor of the checkpoint
    // thread's own. Best effort, so counted apart from the WAL syncs the
    // answers depend on: the restart's checkpoint syncs the file in any case.
    void sync_database() {
        if (db_fd_ < 0) db_fd_ = ::open(options_.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (db_fd_ < 0 || ::fdatasync(db_fd_) != 0) {
            const int failure = errno;
            metrics::counter("store_database_sync_failures_total").inc();
            log::warn("store_database_sync_failed",
                      {{"path", options_.path},
                       {"step", db_fd_ < 0 ? "open" : "fdatasync"},
                       {"reason", std::strerror(failure)}});
        }
    }

    // fdatasync of the WAL: fsync works on the file, so a descriptor of our
    // own reaches the frames SQLite wrote through its own. Reopened when the
    // WAL was replaced (a fresh file after every connection closed).
    Status sync_wal() {
        const std::string wal = options_.path + "-wal";
        struct stat now {};
        if (::stat(wal.c_str(), &now) != 0)
            return Error::unavailable(wal + ": cannot find the write-ahead log to sync: " + std::strerror(errno));
        struct stat open_one {};
        if (wal_fd_ < 0 || ::fstat(wal_fd_, &open_one) != 0 || open_one.st_ino != now.st_ino || open_one.st_dev != now.st_dev) {
            if (wal_fd_ >= 0) ::close(wal_fd_);
            wal_fd_ = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
            if (wal_fd_ < 0) return Error::unavailable(wal + ": cannot open the write-ahead log to sync: " + std::strerror(errno));
        }
        if (::fdatasync(wal_fd_) != 0) {
            metrics::counter("store_sync_failures_total").inc();
            return Error::unavailable(wal + ": fdatasync failed: " + std::strerror(errno) +
                                      "; what was committed since the last sync may not be on disk");
        }
        return ok_status();
    }

    // One request inside the open transaction. Returns Invalid when every
    // record was rejected (nothing is stored then).
    Result<IngestResult> apply(const IngestRequest& rq) {
        {
            Statement& s = writer_statements_->get( "SELECT receipt FROM documents WHERE partner = ?1 AND document_key = ?2");
            s.bind(1, rq.partner).bind(2, rq.document_key);
            if (s.step()) {
                std::string stored = s.text(0);
                Receipt original = Receipt::from_json(sdk::Json::parse(stored));
                return IngestResult{true, std::move(original), std::move(stored)};
            }
        }
        Receipt receipt;
        receipt.receipt_id = rq.receipt_id;
        receipt.partner = rq.partner;
        receipt.message_id = rq.message_id;
        receipt.document_type = rq.document_type;
        receipt.received_at = rq.received_at;

        Statement& known = writer_statements_->get( "SELECT 1 FROM records WHERE partner = ?1 AND record_id = ?2");
        Statement& version = writer_statements_->get( "SELECT version FROM snapshots WHERE scope = ?1");
        size_t rejected = 0;
        for (const auto& rec : rq.records) {
            RecordReceipt rr;
            rr.record_id = rec.record_id;
            rr.line = rec.line;
            if (!rec.accepted) {
                rr.outcome = RecordOutcome::Rejected;
                rr.problems = rec.problems;
                ++rejected;
            } else if (known.reset().bind(1, rq.partner).bind(2, rec.record_id).step()) {
                rr.outcome = RecordOutcome::AlreadyKnown;
            } else if (rec.snapshot && version.reset().bind(1, rec.snapshot->scope).step() &&
                       version.text(0) > rec.snapshot->version) {
                rr.outcome = RecordOutcome::Superseded;
            } else {
                rr.outcome = RecordOutcome::Accepted;
                rr.events = rec.events.size();
            }
            receipt.records.push_back(std::move(rr));
        }
        if (!rq.records.empty() && rejected == rq.records.size()) {
            std::vector<Problem> problems;
            for (const auto& r : receipt.records)
                for (auto p : r.problems) {
                    p.message = "record " + r.record_id + ": " + p.message;
                    problems.push_back(std::move(p));
                }
            return Error::invalid("every record was rejected", std::move(problems));
        }
        receipt.status = rejected ? "partially_accepted" : "accepted";

        std::string receipt_json = receipt.to_json_text();
        Statement& doc = writer_statements_->get(
                      "INSERT INTO documents (receipt_id, partner, document_key, message_id, document_type, content_type, "
                      "body_sha256, body, received_at, peer_identity, receipt) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
        doc.bind(1, rq.receipt_id).bind(2, rq.partner).bind(3, rq.document_key).bind(4, rq.message_id)
            .bind(5, rq.document_type).bind(6, rq.content_type).bind(7, rq.body_sha256).bind_blob(8, rq.body)
            .bind(9, rq.received_at).bind(10, rq.peer_identity).bind(11, receipt_json);
        doc.run();
        const int64_t document_id = sqlite3_last_insert_rowid(writer_);

        Statement& record = writer_statements_->get( "INSERT INTO records (partner, record_id, document_id, outcome) VALUES (?1,?2,?3,?4)");
        Statement& retract = writer_statements_->get(
                          "UPDATE events SET retracted_by = ?1 WHERE snapshot_scope = ?2 AND retracted_by IS NULL");
        Statement& snapshot = writer_statements_->get(
                           "INSERT INTO snapshots (scope, version, document_id) VALUES (?1,?2,?3) "
                           "ON CONFLICT(scope) DO UPDATE SET version = excluded.version, document_id = excluded.document_id");
        Statement& event = writer_statements_->get(
                        "INSERT INTO events (document_id, partner, record_id, event_type, event_date, snapshot_scope, body, "
                        "person_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)");
        SqliteIdentityRepository identities(*writer_statements_, rq.received_at);
        for (size_t i = 0; i < rq.records.size(); ++i) {
            const auto& rec = rq.records[i];
            const auto outcome = receipt.records[i].outcome;
            if (outcome == RecordOutcome::Rejected || outcome == RecordOutcome::AlreadyKnown) continue;
            record.reset().bind(1, rq.partner).bind(2, rec.record_id).bind(3, document_id).bind(4, store::to_string(outcome)).run();
            if (outcome != RecordOutcome::Accepted) continue;
            if (rec.snapshot) {
                retract.reset().bind(1, document_id).bind(2, rec.snapshot->scope).run();
                snapshot.reset().bind(1, rec.snapshot->scope).bind(2, rec.snapshot->version).bind(3, document_id).run();
            }
            const bool serialised = i < rq.event_bodies.size() && rq.event_bodies[i].size() == rec.events.size();
            // The events of one record mostly describe the same person in the
            // same words: resolved once, they are one person (also when only
            // a name identifies them), and resolution's lookups run once.
            std::vector<std::pair<const sdk::Event*, int64_t>> resolved;
            for (size_t k = 0; k < rec.events.size(); ++k) {
                const auto& e = rec.events[k];
                event.reset().bind(1, document_id).bind(2, rq.partner).bind(3, rec.record_id).bind(4, e.type)
                    .bind(5, e.event_date);
                if (rec.snapshot)
                    event.bind(6, rec.snapshot->scope);
                else
                    event.bind_null(6);
                if (serialised)
                    event.bind(7, rq.event_bodies[i][k]);
                else
                    event.bind(7, sdk::to_json_text(e));
                if (e.person) {
                    auto same = std::find_if(resolved.begin(), resolved.end(), [&](const auto& r) {
                        return *r.first->person == *e.person && r.first->hub_referral_id == e.hub_referral_id;
                    });
                    if (same == resolved.end()) {
                        const int64_t id = identity::resolve(identities, *e.person, e.hub_referral_id,
                                                             rq.partner + " " + rq.document_type + " " +
                                                                 (rq.message_id.empty() ? rec.record_id : rq.message_id));
                        same = resolved.insert(resolved.end(), {&e, id});
                    }
                    event.bind(8, same->second);
                } else {
                    event.bind_null(8);
                }
                event.run();
            }
        }
        return IngestResult{false, std::move(receipt), std::move(receipt_json)};
    }

    SqliteOptions options_;
    sqlite3* writer_ = nullptr;
    std::unique_ptr<StatementCache> writer_statements_;
    std::unique_ptr<SqliteOutbox> outbox_;
    std::function<void()> commit_listener_;
    ReadConnection reader_;  // the API's, the tools' and the report's reads
    // Routing's passes (read_snapshot): a connection of their own, so that a
    // pass holding its transaction never keeps the API's reads waiting.
    ReadConnection snapshot_reader_;
    std::atomic<std::thread::id> snapshot_holder_{};  // the thread in a snapshot, if any
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    std::deque<RoutingJob*> jobs_;  // routing commits waiting for the writer's next transaction
    bool closing_ = false;
    bool writer_healthy_ = true;
    std::string last_error_;
    std::thread thread_;
    // The sync thread (sync_loop) and the groups it is to make durable.
    std::mutex sync_mutex_;
    std::condition_variable sync_cv_;
    std::deque<Committed> to_sync_;
    bool sync_closing_ = false;
    std::thread sync_thread_;
    int wal_fd_ = -1;  // used by the sync thread only (and open() before it starts)
    // The checkpoint thread (checkpoint_loop), its connection and when it is due.
    std::thread checkpoint_thread_;
    sqlite3* checkpointer_ = nullptr;
    std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_cv_;
    bool checkpoint_wanted_ = false;
    bool checkpoint_closing_ = false;
    int db_fd_ = -1;  // the checkpoint thread's descriptor of the database file (sync_database)
    std::atomic<int> wal_frames_{0};                        // the WAL's length after the writer's last commit
    std::atomic<int> checkpoint_due_at_{kCheckpointFrames};  // the length at which the next checkpoint is due
    int last_wal_frames_ = 0;                               // the sync thread's: the length it saw last time
    static constexpr int kCheckpointFrames = 500;  // 2 MiB
    static constexpr int kRestartRemainderFrames = 64;  // caught up when at most this much is left to copy
    static constexpr int kRestartReaderWaitMs = 5;
    // Held by every write transaction of this process's connections (the
    // ingest writer's batches and the outbox's), see SqliteOutbox.
    std::mutex write_lock_;
};

}  // namespace

int sqlite_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options) {
    // SQLite's memory statistics put one process-wide mutex around every
    // allocation it makes; the writer, the reader and the outbox connection
    // queued on it (off-CPU profile in docs/performance.md). Only possible
    // before SQLite initialises: when something else started it first, the
    // statistics stay on and nothing else changes.
    static std::once_flag configured;
    std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
    try {
        if (auto dir = std::filesystem::path(options.path).parent_path(); !dir.empty())
            std::filesystem::create_directories(dir);
        auto s = std::make_unique<SqliteStore>(options);
        s->open();
        return std::unique_ptr<Store>(std::move(s));
    } catch (const std::exception& e) {
        return Error::unavailable(std::string("cannot open the SQLite store: ") + e.what());
    }
}

}  // namespace ketenhub::store
