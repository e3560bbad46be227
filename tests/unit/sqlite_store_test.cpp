// The SQLite store for real, on a temporary database file: idempotency,
// per-record outcomes, snapshots, migrations and group commit.
#include "adapter_harness.hpp"
#include "common/metrics.hpp"
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <sched.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <future>
#include <thread>

using namespace ketenhub;
using namespace ketenhub::store;
namespace fs = std::filesystem;

namespace {

sdk::Event event(const std::string& type, const std::string& date, const std::string& record) {
    sdk::Event e;
    e.type = type;
    e.event_date = date;
    e.source = {"mbt", "VolgsysteemExport", "EXP", record, 1};
    return e;
}

sdk::Record record(const std::string& id, std::vector<sdk::Event> events, std::optional<sdk::Snapshot> snapshot = {}) {
    sdk::Record r;
    r.record_id = id;
    r.line = 3;
    r.events = std::move(events);
    r.snapshot = std::move(snapshot);
    return r;
}

sdk::Record rejected(const std::string& id) {
    sdk::Record r;
    r.record_id = id;
    r.accepted = false;
    r.problems.push_back({7, "/Export/Contactmoment[2]/land", "'Somalie' is not in the crosswalk"});
    return r;
}

IngestRequest request(const std::string& key, std::vector<sdk::Record> records, const std::string& partner = "mbt") {
    IngestRequest rq;
    rq.receipt_id = "r-" + key;
    rq.partner = partner;
    rq.document_key = key;
    rq.message_id = key;
    rq.document_type = "VolgsysteemExport";
    rq.content_type = "application/xml";
    rq.body = "<doc>" + key + "</doc>";
    rq.body_sha256 = "00";
    rq.received_at = "2026-11-28T12:00:00.000Z";
    rq.peer_identity = "CN=mbt";
    rq.records = std::move(records);
    return rq;
}

class SqliteStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kh-store-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        reopen();
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }
    void reopen() {
        store_.reset();
        auto s = open_sqlite({(dir_ / "hub.db").string(), true, 64, 10000});
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
    }
    // Replaces a stored event's body with JSON that is not a canonical event,
    // behind the store's back (another connection).
    void corrupt_body_of_event(int seq) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_ / "hub.db").c_str(), &db), SQLITE_OK);
        const std::string sql = "UPDATE events SET body = '{\"type\":1}' WHERE seq = " + std::to_string(seq);
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK);
    }
    // With the WAL started over at `pages` (the default is 64 MiB).
    void reopen_with_wal_restart_at(int pages) {
        store_.reset();
        auto limited = open_sqlite({(dir_ / "hub.db").string(), true, 64, 1000, pages});
        ASSERT_TRUE(limited) << limited.error().message;
        store_ = std::move(*limited);
    }
    // n documents of 64 KiB, one commit each.
    void ingest_large_documents(const std::string& prefix, int n) {
        const std::string filler(64 * 1024, 'x');
        for (int i = 0; i < n; ++i) {
            auto rq = request(prefix + std::to_string(i), {record(prefix + std::to_string(i), {event("intake", "2010-08-02", "r")})});
            rq.body = "<doc>" + filler + "</doc>";
            ASSERT_TRUE(store_->ingest_sync(std::move(rq)));
        }
    }
    std::vector<StoredEvent> events() {
        auto e = store_->events_after(0, 1000);
        EXPECT_TRUE(e);
        return e ? *e : std::vector<StoredEvent>{};
    }
    fs::path dir_;
    std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, AnAcceptedDocumentIsStoredWithItsEvents) {
    auto r = store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-08-02", "a"), event("plan", "2010-08-03", "a")})}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->duplicate);
    EXPECT_EQ(r->receipt.status, "accepted");
    ASSERT_EQ(r->receipt.records.size(), 1u);
    EXPECT_EQ(r->receipt.records[0].outcome, RecordOutcome::Accepted);
    EXPECT_EQ(r->receipt.records[0].events, 2u);
    auto stored = events();
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].event.type, "intake");
    EXPECT_EQ(stored[1].event.event_date, "2010-08-03");
    EXPECT_EQ(stored[0].receipt_id, "r-doc-1");
}

TEST_F(SqliteStoreTest, AStoredEventThatDoesNotReadNamesItsSequenceNumberAndWhere) {
    ASSERT_TRUE(store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-08-02", "a"), event("plan", "2010-08-03", "a")})})));
    ASSERT_NO_FATAL_FAILURE(corrupt_body_of_event(2));
    auto read = store_->events_after(0, 10);
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("stored event 2: malformed canonical JSON at byte 8"), std::string::npos)
        << read.error().message;
}

TEST_F(SqliteStoreTest, AReaderOfTheEventFlowGetsTheTypesItDeclinesAsSummariesWithoutTheirBodies) {
    ASSERT_TRUE(store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-08-02", "a"), event("plan", "2010-08-03", "a")})})));
    // A body that does not read: only a reader that asks for it whole notices.
    ASSERT_NO_FATAL_FAILURE(corrupt_body_of_event(2));
    std::vector<std::string> asked;
    auto read = store_->events_after(0, 10, [&](std::string_view type) {
        asked.emplace_back(type);
        return type == "intake";
    });
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(asked, (std::vector<std::string>{"intake", "plan"}));
    ASSERT_EQ(read->size(), 2u);
    EXPECT_FALSE((*read)[0].summary_only);
    EXPECT_EQ((*read)[0].event.event_date, "2010-08-02");
    EXPECT_TRUE((*read)[1].summary_only);
    EXPECT_EQ((*read)[1].seq, 2);
    EXPECT_EQ((*read)[1].event.type, "plan");
    EXPECT_EQ((*read)[1].event.source.partner, (*read)[1].partner);
    EXPECT_FALSE((*read)[1].partner.empty());
    EXPECT_TRUE((*read)[1].event.event_date.empty());
    // Asked for whole, the same event's body is read (and does not parse).
    EXPECT_FALSE(store_->events_after(0, 10, [](std::string_view) { return true; }));
}

TEST_F(SqliteStoreTest, TheSameDocumentKeyAgainReturnsTheOriginalReceiptAndStoresNothing) {
    ASSERT_TRUE(store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-08-02", "a")})})));
    auto again = request("doc-1", {record("a", {event("intake", "2010-08-02", "a")})});
    again.receipt_id = "r-other";
    auto r = store_->ingest_sync(again);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->duplicate);
    EXPECT_EQ(r->receipt.receipt_id, "r-doc-1");
    EXPECT_EQ(events().size(), 1u);
    EXPECT_EQ(store_->stats()->documents, 1);
}

TEST_F(SqliteStoreTest, KnownRecordsInANewDocumentAreAlreadyKnown) {
    ASSERT_TRUE(store_->ingest_sync(request("export-1", {record("r1", {event("contact", "2010-05-01", "r1")}), rejected("r2")})));
    // The corrected export: r1 again, r2 now valid.
    auto r = store_->ingest_sync(request("export-2", {record("r1", {event("contact", "2010-05-01", "r1")}),
                                                      record("r2", {event("contact", "2010-05-02", "r2")})}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->receipt.records[0].outcome, RecordOutcome::AlreadyKnown);
    EXPECT_EQ(r->receipt.records[1].outcome, RecordOutcome::Accepted);
    EXPECT_EQ(events().size(), 2u);
}

TEST_F(SqliteStoreTest, APartlyRejectedBatchKeepsTheGoodRecordsAndReportsTheBad) {
    auto r = store_->ingest_sync(request("export-1", {record("r1", {event("contact", "2010-05-01", "r1")}), rejected("r2")}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->receipt.status, "partially_accepted");
    EXPECT_EQ(r->receipt.records[1].outcome, RecordOutcome::Rejected);
    ASSERT_EQ(r->receipt.records[1].problems.size(), 1u);
    EXPECT_EQ(r->receipt.records[1].problems[0].line, 7);
    // The receipt survives the round trip through the store.
    auto found = store_->find_receipt("mbt", "export-1");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->to_json(), r->receipt.to_json());
    // The answer's body is the stored text, also for the same document again.
    EXPECT_EQ(sdk::Json::parse(r->receipt_json), r->receipt.to_json());
    auto again = store_->ingest_sync(request("export-1", {record("r1", {event("contact", "2010-05-01", "r1")}), rejected("r2")}));
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->receipt_json, r->receipt_json);
}

TEST(ReceiptText, IsTheSameTextAsNlohmannWrites) {
    Receipt receipt;
    receipt.receipt_id = "rcpt-01";
    receipt.partner = "vwn";
    receipt.message_id = "";
    receipt.document_type = "Export \"VWN\"\tline\\n";
    receipt.status = "partially_accepted";
    receipt.received_at = "2026-11-29T16:00:00.000Z";
    receipt.records.push_back({"k\u00f6rte/\u20ac", 0, RecordOutcome::Accepted, 3, {}});
    receipt.records.push_back({"r2", 12, RecordOutcome::Rejected, 0,
                               {{7, "/Export/land", "'Somali\u00eb' is not in \"the\" crosswalk\n\x01\x7f"},
                                {0, "", ""}}});
    receipt.records.push_back({"r3", 1, RecordOutcome::AlreadyKnown, 0, {}});
    EXPECT_EQ(receipt.to_json_text(), receipt.to_json().dump());
    Receipt empty;
    EXPECT_EQ(empty.to_json_text(), empty.to_json().dump());
}

TEST_F(SqliteStoreTest, ABatchWithEveryRecordRejectedStoresNothing) {
    auto r = store_->ingest_sync(request("export-1", {rejected("r1"), rejected("r2")}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
    EXPECT_EQ(r.error().problems.size(), 2u);
    EXPECT_EQ(store_->stats()->documents, 0);
    // Nothing counts as processed: the corrected records are accepted later.
    auto again = store_->ingest_sync(request("export-2", {record("r1", {event("contact", "2010-05-01", "r1")})}));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->receipt.records[0].outcome, RecordOutcome::Accepted);
}

TEST_F(SqliteStoreTest, ANewerSnapshotRetractsStepsMissingFromIt) {
    sdk::Snapshot v1{"mbt-dossier:MBT-2010-0045", "20100802"}, v2{"mbt-dossier:MBT-2010-0045", "20101103"};
    ASSERT_TRUE(store_->ingest_sync(request("e1", {record("e1/1", {event("intake", "2010-07-01", "e1/1"),
                                                                   event("plan", "2010-07-20", "e1/1")}, v1)})));
    ASSERT_TRUE(store_->ingest_sync(request("e2", {record("e2/1", {event("intake", "2010-07-01", "e2/1")}, v2)})));
    auto stored = events();
    ASSERT_EQ(stored.size(), 3u);
    EXPECT_TRUE(stored[0].retracted);
    EXPECT_TRUE(stored[1].retracted);
    EXPECT_FALSE(stored[2].retracted);
}

TEST_F(SqliteStoreTest, AnOlderSnapshotArrivingLateChangesNothing) {
    sdk::Snapshot v1{"mbt-dossier:MBT-2010-0045", "20100802"}, v2{"mbt-dossier:MBT-2010-0045", "20101103"};
    ASSERT_TRUE(store_->ingest_sync(request("e2", {record("e2/1", {event("intake", "2010-07-01", "e2/1")}, v2)})));
    auto r = store_->ingest_sync(request("e1", {record("e1/1", {event("intake", "2010-07-01", "e1/1"),
                                                                event("plan", "2010-07-20", "e1/1")}, v1)}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->receipt.records[0].outcome, RecordOutcome::Superseded);
    auto stored = events();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_FALSE(stored[0].retracted);
}

TEST_F(SqliteStoreTest, DataSurvivesReopeningAndTheSchemaIsVersioned) {
    ASSERT_TRUE(store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-08-02", "a")})})));
    reopen();
    EXPECT_EQ(events().size(), 1u);
    EXPECT_EQ(store_->stats()->schema_version, sqlite_schema_version());
    // WAL with 4 KiB pages, as the design requires.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir_ / "hub.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    auto pragma = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
        sqlite3_step(st);
        std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return v;
    };
    EXPECT_EQ(pragma("PRAGMA page_size"), "4096");
    EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
    sqlite3_close(db);
}

TEST_F(SqliteStoreTest, FactsComeByEventDateAndWithinADateInCommitOrder) {
    ASSERT_TRUE(store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-09-01", "a")})})));
    ASSERT_TRUE(store_->ingest_sync(request("doc-2", {record("b", {event("intake", "2010-08-01", "b")}),
                                                      record("c", {event("intake", "2010-09-01", "c")})})));
    ASSERT_TRUE(store_->ingest_sync(request("doc-3", {record("d", {event("intake", "2010-07-15", "d")})})));
    auto facts = store_->facts();
    ASSERT_TRUE(facts) << facts.error().message;
    std::vector<std::string> order;
    for (const auto& f : *facts) order.push_back(f.event_date + " " + f.record_id);
    EXPECT_EQ(order, (std::vector<std::string>{"2010-07-15 d", "2010-08-01 b", "2010-09-01 a", "2010-09-01 c"}));
}

TEST_F(SqliteStoreTest, FactsCarryOnlyTheFieldsTheFiguresRead) {
    auto e = event("intake", "2010-09-01", "a");
    e.fields["programme"] = {sdk::Json("SDT"), sdk::Sensitivity::Public};
    e.fields["referred_to"] = {sdk::Json("IOM"), sdk::Sensitivity::Public};
    e.fields["family_name"] = {sdk::Json("Beridze"), sdk::Sensitivity::Personal};
    e.fields["remarks"] = {sdk::Json(std::string(3000, 'x')), sdk::Sensitivity::Personal};
    ASSERT_TRUE(store_->ingest_sync(request("doc-1", {record("a", {e})})));
    auto facts = store_->facts();
    ASSERT_TRUE(facts) << facts.error().message;
    ASSERT_EQ(facts->size(), 1u);
    const auto& f = facts->front();
    EXPECT_EQ(f.fields, (sdk::Json{{"programme", "SDT"}, {"referred_to", "IOM"}}));
    EXPECT_EQ(f.field("referred_to"), "IOM");
}

TEST_F(SqliteStoreTest, AFactWhoseStoredBodyDoesNotReadNamesItsSequenceNumber) {
    ASSERT_TRUE(store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-09-01", "a")})})));
    ASSERT_NO_FATAL_FAILURE(corrupt_body_of_event(1));
    auto facts = store_->facts();
    ASSERT_FALSE(facts);
    EXPECT_NE(facts.error().message.find("stored event 1"), std::string::npos) << facts.error().message;
}

TEST_F(SqliteStoreTest, AVersion4StoreLosesItsDateIndexWhenOpened) {
    ASSERT_TRUE(store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-08-02", "a")})})));
    store_.reset();
    // Put the database back to schema 4: the index every version-4 store has.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "hub.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE INDEX events_by_date ON events(event_date, event_type); "
                               "DELETE FROM schema_migrations WHERE version >= 5",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    auto index_count = [&] {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'events_by_date'", -1, &st,
                           nullptr);
        sqlite3_step(st);
        const int n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return n;
    };
    ASSERT_EQ(index_count(), 1);
    reopen();
    EXPECT_EQ(index_count(), 0);
    EXPECT_EQ(store_->stats()->schema_version, 5);
    EXPECT_EQ(events().size(), 1u);
    sqlite3_close(db);
}

TEST_F(SqliteStoreTest, TheCheckpointThreadRunsAsBatchBesideTheWriterAndTheSyncThread) {
    // Scheduling policy of each of this process's threads by name (field 41
    // of /proc/<pid>/task/<tid>/stat, counted after the name's parenthesis).
    auto policies = [] {
        std::map<std::string, int> policy;
        for (const auto& task : fs::directory_iterator("/proc/self/task")) {
            std::ifstream stat(task.path() / "stat");
            std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
            const size_t open = text.find('('), close = text.rfind(')');
            if (open == std::string::npos || close == std::string::npos) continue;
            std::istringstream rest(text.substr(close + 2));
            std::string field;
            for (int i = 3; i <= 41 && rest >> field; ++i)
                if (i == 41) policy[text.substr(open + 1, close - open - 1)] = std::stoi(field);
        }
        return policy;
    };
    // Each thread names itself and sets its policy once it runs, which may
    // be a moment after the store opened.
    std::map<std::string, int> policy;
    for (int tries = 0; tries < 200; ++tries) {
        policy = policies();
        if (policy.count("kh-writer") && policy.count("kh-sync") && policy.count("kh-checkpoint") &&
            policy["kh-checkpoint"] == SCHED_BATCH)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(policy.count("kh-checkpoint")) << "no checkpoint thread";
    EXPECT_EQ(policy["kh-checkpoint"], SCHED_BATCH);
    ASSERT_TRUE(policy.count("kh-writer") && policy.count("kh-sync"));
    EXPECT_EQ(policy["kh-writer"], SCHED_OTHER);
    EXPECT_EQ(policy["kh-sync"], SCHED_OTHER);
}

TEST_F(SqliteStoreTest, ADatabaseFromANewerVersionIsRefused) {
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "hub.db").c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "INSERT INTO schema_migrations(version, description) VALUES (999, 'from the future')", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    auto s = open_sqlite({(dir_ / "hub.db").string(), true, 64, 10000});
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("schema version 999"), std::string::npos) << s.error().message;
}

TEST_F(SqliteStoreTest, ConcurrentRequestsShareCommitsAndAllSucceed) {
    constexpr int kRequests = 400;
    std::vector<std::promise<Result<IngestResult>>> promises(kRequests);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = t; i < kRequests; i += 4)
                store_->ingest(request("doc-" + std::to_string(i), {record("rec-" + std::to_string(i), {event("intake", "2010-08-02", "x")})}),
                               [&promises, i](Result<IngestResult> r) { promises[i].set_value(std::move(r)); });
        });
    for (auto& t : threads) t.join();
    for (auto& p : promises) {
        auto r = p.get_future().get();
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_FALSE(r->duplicate);
    }
    EXPECT_EQ(store_->stats()->documents, kRequests);
    EXPECT_EQ(store_->stats()->events, kRequests);
}

TEST_F(SqliteStoreTest, AClosedStoreRefusesWritesAsUnavailable) {
    store_->close();
    auto r = store_->ingest_sync(request("doc-1", {record("a", {event("intake", "2010-08-02", "a")})}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
    EXPECT_FALSE(store_->health());
}

}  // namespace

// The answer waits for the fsync of the write-ahead log, done beside the
// writer: when the log cannot be synced (here it is unlinked from under the
// store, so it cannot be found), the request is not acknowledged, the store
// reports itself unhealthy, and a retry is answered as a duplicate once the
// log can be synced again (the commit itself was kept).
TEST_F(SqliteStoreTest, NoAnswerWithoutTheSyncOfTheWriteAheadLog) {
    ASSERT_TRUE(store_->ingest_sync(request("before", {record("a", {event("intake", "2010-08-02", "a")})})));
    const fs::path wal = dir_ / "hub.db-wal";
    ASSERT_TRUE(fs::exists(wal));
    const fs::path aside = dir_ / "hub.db-wal.aside";
    fs::create_hard_link(wal, aside);  // the same file, under a name the store does not look at
    fs::remove(wal);

    auto lost = store_->ingest_sync(request("during", {record("b", {event("intake", "2010-08-03", "b")})}));
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().kind, ErrorKind::Unavailable);
    EXPECT_NE(lost.error().message.find("write-ahead log"), std::string::npos) << lost.error().message;
    EXPECT_FALSE(store_->health());

    fs::rename(aside, wal);  // the log is back: the retry syncs, and finds the committed document
    auto retry = store_->ingest_sync(request("during", {record("b", {event("intake", "2010-08-03", "b")})}));
    ASSERT_TRUE(retry) << retry.error().message;
    EXPECT_TRUE(retry->duplicate);
    EXPECT_TRUE(store_->health());
}

// The writer never checkpoints inside its commits; the checkpoint thread
// does, each time the WAL has grown by 2 MiB: what was written reaches the
// database file.
TEST_F(SqliteStoreTest, TheCheckpointThreadCopiesTheWriteAheadLogIntoTheDatabase) {
    const uint64_t before = metrics::counter("store_checkpoints_total").value();
    ingest_large_documents("big-", 200);  // 12.5 MiB
    // The checkpoint runs beside the answers: wait for it (bounded).
    for (int i = 0; i < 500 && fs::file_size(dir_ / "hub.db") <= 8u * 1024 * 1024; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_GT(metrics::counter("store_checkpoints_total").value(), before);
    // Checkpointed pages are in the database file itself, not only in the WAL
    // (whether the WAL also started over depends on timing; the next test
    // bounds it).
    EXPECT_GT(fs::file_size(dir_ / "hub.db"), 8u * 1024 * 1024);
}

// Under steady writes, with a reader always in the WAL, passive checkpoints
// alone never let the WAL start over: at its limit (here 16 MiB, by default
// 64 MiB) the checkpoint thread makes it (holding the writer between groups,
// waiting for the reader to move on).
TEST_F(SqliteStoreTest, TheWriteAheadLogStartsOverUnderSteadyWritesAndReads) {
    reopen_with_wal_restart_at(4000);
    sqlite3* reader = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir_ / "hub.db").c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    std::atomic<bool> stop{false};
    std::thread reading([&] {  // a reader that is mostly inside a read transaction, as routing under load
        while (!stop) {
            sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM documents;", nullptr, nullptr, nullptr);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
    });
    const uint64_t before = metrics::counter("store_checkpoint_restarts_total").value();
    ingest_large_documents("steady-", 800);  // 50 MiB
    stop = true;
    reading.join();
    sqlite3_close(reader);
    EXPECT_GE(metrics::counter("store_checkpoint_restarts_total").value(), before + 1);
    // The file keeps its largest extent: 16 MiB, what the writer added while
    // the checkpoint caught up, and a few more 2 MiB steps should the
    // reader have stayed past the restart's wait (50 MiB without restarts).
    EXPECT_LT(fs::file_size(dir_ / "hub.db-wal"), 32u * 1024 * 1024);
}

// Routing reads a pass of events and each one's history in one snapshot:
// what is committed meanwhile stays out of it until it ends, while the API's
// reads on other threads see the new commits and do not wait for it.
TEST_F(SqliteStoreTest, ReadsInASnapshotSeeTheStoreAsAtTheFirstOfThem) {
    ASSERT_TRUE(store_->ingest_sync(request("k1", {record("a", {event("intake", "2010-08-02", "a")})})));
    auto snapshot = store_->read_snapshot();
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    ASSERT_EQ(events().size(), 1u);
    ASSERT_TRUE(store_->ingest_sync(request("k2", {record("b", {event("intake", "2010-08-03", "b")})})));
    EXPECT_EQ(events().size(), 1u);
    auto last = store_->last_event_seq();
    ASSERT_TRUE(last);
    EXPECT_EQ(*last, 1);
    auto elsewhere = std::async(std::launch::async, [&] { return store_->last_event_seq(); });
    ASSERT_EQ(elsewhere.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "the API's read waited for the snapshot";
    auto seen = elsewhere.get();
    ASSERT_TRUE(seen);
    EXPECT_EQ(*seen, 2);
    snapshot->reset();
    EXPECT_EQ(events().size(), 2u);
}

// A routing pass keeps its snapshot longer than the checkpoint thread waits
// for readers when it starts the WAL over: the restart waits for the pass
// to end and keeps the next from starting, so the WAL still starts over
// however closely the passes follow each other.
TEST_F(SqliteStoreTest, TheWriteAheadLogStartsOverBetweenRoutingPassesThatFollowClosely) {
    reopen_with_wal_restart_at(4000);
    std::atomic<bool> stop{false};
    std::atomic<int> passes{0};
    std::thread routing([&] {
        while (!stop) {
            auto snapshot = store_->read_snapshot();
            if (!snapshot) continue;
            (void)store_->events_after(0, 1);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            snapshot->reset();
            ++passes;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    const uint64_t before = metrics::counter("store_checkpoint_restarts_total").value();
    ingest_large_documents("pass-", 800);  // 50 MiB
    stop = true;
    routing.join();
    EXPECT_GT(passes.load(), 10);
    EXPECT_GE(metrics::counter("store_checkpoint_restarts_total").value(), before + 1);
    EXPECT_LT(fs::file_size(dir_ / "hub.db-wal"), 32u * 1024 * 1024);
}
