#include "store/sqlite_store.hpp"

#include "common/log.hpp"
#include "common/metrics.hpp"

#include <sqlite3.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
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
};

class Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("prepare failed: ") + sqlite3_errmsg(db) + " in: " + sql);
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;

    Statement& reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        return *this;
    }
    Statement& bind(int i, const std::string& s) {
        sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind_blob(int i, const std::string& s) {
        sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(int i, int64_t v) {
        sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    Statement& bind_null(int i) {
        sqlite3_bind_null(stmt_, i);
        return *this;
    }
    // true: a row is available; false: done.
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
    }
    void run() {
        while (step()) {
        }
    }
    std::string text(int col) const {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string m = err ? err : "unknown";
        sqlite3_free(err);
        throw std::runtime_error("sqlite: " + m);
    }
}

sqlite3* open_connection(const std::string& path, bool synchronous_full) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string m = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw std::runtime_error("cannot open " + path + ": " + m);
    }
    sqlite3_busy_timeout(db, 10000);
    // page_size only takes effect before the first table exists.
    exec(db, "PRAGMA page_size = 8192");
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    exec(db, "PRAGMA foreign_keys = ON");
    return db;
}

struct Pending {
    IngestRequest request;
    std::function<void(Result<IngestResult>)> done;
};

class SqliteStore final : public Store {
public:
    explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

    ~SqliteStore() override {
        close();
        if (reader_) sqlite3_close(reader_);
    }

    void open() {
        writer_ = open_connection(options_.path, options_.synchronous_full);
        migrate();
        reader_ = open_connection(options_.path, options_.synchronous_full);
        thread_ = std::thread([this] { writer_loop(); });
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
            queue_.push_back(Pending{std::move(request), std::move(done)});
            metrics::gauge("store_queue_depth").set(static_cast<int64_t>(queue_.size()));
        }
        cv_.notify_one();
    }

    Result<std::optional<Receipt>> find_receipt(const std::string& partner, const std::string& key) override {
        return read([&]() -> std::optional<Receipt> {
            Statement s(reader_, "SELECT receipt FROM documents WHERE partner = ?1 AND document_key = ?2");
            s.bind(1, partner).bind(2, key);
            if (!s.step()) return std::nullopt;
            return Receipt::from_json(sdk::Json::parse(s.text(0)));
        });
    }

    Result<std::optional<Receipt>> receipt_by_id(const std::string& id) override {
        return read([&]() -> std::optional<Receipt> {
            Statement s(reader_, "SELECT receipt FROM documents WHERE receipt_id = ?1");
            s.bind(1, id);
            if (!s.step()) return std::nullopt;
            return Receipt::from_json(sdk::Json::parse(s.text(0)));
        });
    }

    Result<std::vector<StoredEvent>> events_after(int64_t after, size_t limit) override {
        return read([&]() {
            Statement s(reader_,
                        "SELECT e.seq, d.receipt_id, e.partner, e.record_id, e.retracted_by, e.body FROM events e "
                        "JOIN documents d ON d.id = e.document_id WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2");
            s.bind(1, after).bind(2, static_cast<int64_t>(limit));
            std::vector<StoredEvent> out;
            while (s.step()) {
                StoredEvent e;
                e.seq = s.integer(0);
                e.receipt_id = s.text(1);
                e.partner = s.text(2);
                e.record_id = s.text(3);
                e.retracted = !s.is_null(4);
                e.event = sdk::Json::parse(s.text(5)).get<sdk::Event>();
                out.push_back(std::move(e));
            }
            return out;
        });
    }

    Result<StoreStats> stats() override {
        return read([&]() {
            StoreStats st;
            Statement d(reader_, "SELECT count(*) FROM documents");
            d.step();
            st.documents = d.integer(0);
            Statement e(reader_, "SELECT count(*) FROM events");
            e.step();
            st.events = e.integer(0);
            Statement v(reader_, "SELECT coalesce(max(version), 0) FROM schema_migrations");
            v.step();
            st.schema_version = static_cast<int>(v.integer(0));
            return st;
        });
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
        if (writer_) {
            sqlite3_close(writer_);
            writer_ = nullptr;
        }
    }

private:
    template <class F>
    auto read(F&& f) -> Result<decltype(f())> {
        std::lock_guard lock(reader_mutex_);
        try {
            return f();
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
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
                if (queue_.empty() && closing_) return;
                while (!queue_.empty() && batch.size() < options_.max_batch) {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
                metrics::gauge("store_queue_depth").set(static_cast<int64_t>(queue_.size()));
            }
            commit_batch(batch);
        }
    }

    void commit_batch(std::deque<Pending>& batch) {
        std::vector<Result<IngestResult>> results;
        results.reserve(batch.size());
        bool committed = false;
        std::string failure;
        try {
            exec(writer_, "BEGIN IMMEDIATE");
            for (auto& p : batch) {
                exec(writer_, "SAVEPOINT request");
                try {
                    results.push_back(apply(p.request));
                    exec(writer_, "RELEASE request");
                } catch (const std::exception& e) {
                    exec(writer_, "ROLLBACK TO request");
                    exec(writer_, "RELEASE request");
                    metrics::counter("store_write_errors_total").inc();
                    log::error("store_request_failed", {{"partner", p.request.partner}, {"receipt_id", p.request.receipt_id},
                                                        {"reason", e.what()}});
                    results.push_back(Error::unavailable(std::string("store write failed: ") + e.what()));
                }
            }
            exec(writer_, "COMMIT");
            committed = true;
        } catch (const std::exception& e) {
            failure = e.what();
            sqlite3_exec(writer_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
        {
            std::lock_guard lock(mutex_);
            writer_healthy_ = committed;
            if (!committed) last_error_ = failure;
        }
        if (committed) {
            metrics::counter("store_commits_total").inc();
            metrics::counter("store_committed_requests_total").inc(batch.size());
        } else {
            metrics::counter("store_commit_failures_total").inc();
            log::error("store_commit_failed", {{"requests", batch.size()}, {"reason", failure}});
        }
        for (size_t i = 0; i < batch.size(); ++i) {
            if (committed)
                batch[i].done(std::move(results[i]));
            else
                batch[i].done(Error::unavailable("store commit failed: " + failure));
        }
    }

    // One request inside the open transaction. Returns Invalid when every
    // record was rejected (nothing is stored then).
    Result<IngestResult> apply(const IngestRequest& rq) {
        {
            Statement s(writer_, "SELECT receipt FROM documents WHERE partner = ?1 AND document_key = ?2");
            s.bind(1, rq.partner).bind(2, rq.document_key);
            if (s.step()) return IngestResult{true, Receipt::from_json(sdk::Json::parse(s.text(0)))};
        }
        Receipt receipt;
        receipt.receipt_id = rq.receipt_id;
        receipt.partner = rq.partner;
        receipt.message_id = rq.message_id;
        receipt.document_type = rq.document_type;
        receipt.received_at = rq.received_at;

        Statement known(writer_, "SELECT 1 FROM records WHERE partner = ?1 AND record_id = ?2");
        Statement version(writer_, "SELECT version FROM snapshots WHERE scope = ?1");
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

        Statement doc(writer_,
                      "INSERT INTO documents (receipt_id, partner, document_key, message_id, document_type, content_type, "
                      "body_sha256, body, received_at, peer_identity, receipt) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
        doc.bind(1, rq.receipt_id).bind(2, rq.partner).bind(3, rq.document_key).bind(4, rq.message_id)
            .bind(5, rq.document_type).bind(6, rq.content_type).bind(7, rq.body_sha256).bind_blob(8, rq.body)
            .bind(9, rq.received_at).bind(10, rq.peer_identity).bind(11, receipt.to_json().dump());
        doc.run();
        const int64_t document_id = sqlite3_last_insert_rowid(writer_);

        Statement record(writer_, "INSERT INTO records (partner, record_id, document_id, outcome) VALUES (?1,?2,?3,?4)");
        Statement retract(writer_,
                          "UPDATE events SET retracted_by = ?1 WHERE snapshot_scope = ?2 AND retracted_by IS NULL");
        Statement snapshot(writer_,
                           "INSERT INTO snapshots (scope, version, document_id) VALUES (?1,?2,?3) "
                           "ON CONFLICT(scope) DO UPDATE SET version = excluded.version, document_id = excluded.document_id");
        Statement event(writer_,
                        "INSERT INTO events (document_id, partner, record_id, event_type, event_date, snapshot_scope, body) "
                        "VALUES (?1,?2,?3,?4,?5,?6,?7)");
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
            for (const auto& e : rec.events) {
                event.reset().bind(1, document_id).bind(2, rq.partner).bind(3, rec.record_id).bind(4, e.type)
                    .bind(5, e.event_date);
                if (rec.snapshot)
                    event.bind(6, rec.snapshot->scope);
                else
                    event.bind_null(6);
                event.bind(7, sdk::Json(e).dump()).run();
            }
        }
        return IngestResult{false, std::move(receipt)};
    }

    SqliteOptions options_;
    sqlite3* writer_ = nullptr;
    sqlite3* reader_ = nullptr;
    std::mutex reader_mutex_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    bool closing_ = false;
    bool writer_healthy_ = true;
    std::string last_error_;
    std::thread thread_;
};

}  // namespace

int sqlite_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options) {
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
