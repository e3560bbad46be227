// The writer's WAL-gathering VFS (hub/store/wal_gather_vfs.hpp) on real
// files: what it writes is what SQLite would have written (another connection
// reads every commit; a copy of the files taken without closing recovers to
// the same rows), frames are gathered, and a write that fails fails the
// commit without touching what was committed before.
#include "store/wal_gather_vfs.hpp"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <string>

using namespace ketenhub::store;
namespace fs = std::filesystem;

namespace {

void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string message = err ? err : "";
    sqlite3_free(err);
    ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << message;
}

int64_t integer(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

std::string text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string v;
    if (sqlite3_step(s) == SQLITE_ROW) v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return v;
}

sqlite3* open(const fs::path& path, const char* vfs) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
    return db;
}

class WalGatherVfsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("kh-walgather-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = dir_ / "store.db";
    }
    void TearDown() override {
        if (writer_) sqlite3_close(writer_);
        if (reader_) sqlite3_close(reader_);
        fs::remove_all(dir_);
    }

    // The writer as the store opens it, except that it never checkpoints, so
    // the WAL holds every commit; a small page cache makes a large
    // transaction spill pages into the WAL before its commit and rewrite
    // them in place.
    void open_writer(const char* synchronous = "FULL") {
        writer_ = open(path_, wal_gather_vfs());
        exec(writer_, "PRAGMA page_size = 4096");
        exec(writer_, "PRAGMA journal_mode = WAL");
        exec(writer_, std::string("PRAGMA synchronous = ") + synchronous);
        exec(writer_, "PRAGMA wal_autocheckpoint = 0");
        exec(writer_, "PRAGMA cache_size = 20");
        exec(writer_, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB)");
        reader_ = open(path_, nullptr);
    }

    // One transaction of `rows` rows with `bytes`-byte values; every third
    // transaction also rewrites earlier rows, so pages written by the same
    // transaction are written again.
    void commit(int rows, int bytes) {
        exec(writer_, "BEGIN");
        for (int i = 0; i < rows; ++i, ++next_) {
            exec(writer_, "INSERT INTO t (k, v) VALUES ('key-" + std::to_string(rng_() % 1000000007) + "-" +
                                  std::to_string(next_) + "', randomblob(" + std::to_string(bytes) + "))");
            expected_bytes_ += bytes;
        }
        if (++transactions_ % 3 == 0) exec(writer_, "UPDATE t SET v = zeroblob(length(v)) WHERE id % 7 = 0");
        exec(writer_, "COMMIT");
    }

    void expect_reads(sqlite3* db, const std::string& where) {
        SCOPED_TRACE(where);
        EXPECT_EQ(integer(db, "SELECT count(*) FROM t"), next_);
        EXPECT_EQ(integer(db, "SELECT coalesce(sum(length(v)), 0) FROM t"), expected_bytes_);
        EXPECT_EQ(text(db, "PRAGMA integrity_check"), "ok");
    }

    // What a crash now would leave: the database and WAL files copied while
    // the writer still has them open, recovered by a fresh connection.
    void expect_recovers_from_a_copy(const std::string& where) {
        const fs::path copy = dir_ / ("copy-" + std::to_string(copies_++));
        fs::create_directories(copy);
        fs::copy_file(path_, copy / "store.db");
        fs::copy_file(fs::path(path_.string() + "-wal"), copy / "store.db-wal");
        sqlite3* db = open(copy / "store.db", nullptr);
        expect_reads(db, where + " (recovered copy)");
        sqlite3_close(db);
    }

    fs::path dir_, path_;
    sqlite3* writer_ = nullptr;
    sqlite3* reader_ = nullptr;
    std::mt19937 rng_{7};
    int64_t next_ = 0, expected_bytes_ = 0;
    int transactions_ = 0, copies_ = 0;
};

TEST_F(WalGatherVfsTest, EveryCommitReadsBackThroughAnotherConnectionAndRecoversFromACopy) {
    open_writer();
    const WalGatherCounts before = wal_gather_counts();
    // Small commits (a few frames), commits larger than one gathered write
    // (31 pages), and one far larger than the writer's page cache.
    const std::pair<int, int> sizes[] = {{1, 100}, {5, 3000}, {40, 4000}, {3, 50}, {400, 1500}, {2, 9000}};
    for (const auto& [rows, bytes] : sizes) {
        commit(rows, bytes);
        expect_reads(reader_, "after a commit of " + std::to_string(rows) + " rows");
    }
    expect_recovers_from_a_copy("before the WAL started over");

    // The WAL starts over (everything copied, no reader in it): the writer's
    // next commit rewrites the WAL header at offset 0 and overwrites old frames.
    ASSERT_EQ(text(reader_, "PRAGMA wal_checkpoint(RESTART)"), "0");
    for (const auto& [rows, bytes] : sizes) commit(rows, bytes);
    expect_reads(reader_, "after the WAL started over");
    expect_recovers_from_a_copy("after the WAL started over");

    EXPECT_GT(wal_gather_counts().writes_gathered, before.writes_gathered);
}

TEST_F(WalGatherVfsTest, ACommitsFramesReachTheFileInOneWrite) {
    open_writer();
    exec(writer_, "PRAGMA cache_size = 2000");  // no spilling: every frame is written at the commit
    commit(1, 10);
    const WalGatherCounts before = wal_gather_counts();
    for (int i = 0; i < 20; ++i) commit(4, 3000);  // a dozen or so frames each
    const WalGatherCounts after = wal_gather_counts();
    const uint64_t gathered = after.writes_gathered - before.writes_gathered;
    const uint64_t written = after.file_writes - before.file_writes;
    // SQLite writes a header and a page per frame; the file sees one write per commit.
    EXPECT_GE(gathered, 20u * 2 * 5);
    EXPECT_EQ(written, 20u) << gathered << " WAL writes reached the file in " << written << " writes";
    expect_reads(reader_, "after the commits");
    expect_recovers_from_a_copy("after the commits");
}

TEST_F(WalGatherVfsTest, ACommitPublishedWithoutTheSyncHasItsFramesWrittenFirst) {
    // synchronous = NORMAL: no sync at the commit; the frames are written at
    // the barrier behind which SQLite publishes the commit.
    open_writer("NORMAL");
    for (int i = 0; i < 12; ++i) {
        commit(1 + i * 7, 700 + i * 300);
        expect_reads(reader_, "commit " + std::to_string(i));
    }
    expect_recovers_from_a_copy("without syncs");
}

// Writes beyond RLIMIT_FSIZE fail with EFBIG (SIGXFSZ ignored), like a full
// disk for the WAL only. Restored when the scope ends.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        ::getrlimit(RLIMIT_FSIZE, &previous_);
        rlimit limited = previous_;
        limited.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limited);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &previous_);
        std::signal(SIGXFSZ, previous_handler_);
    }

private:
    rlimit previous_{};
    void (*previous_handler_)(int) = nullptr;
};

TEST_F(WalGatherVfsTest, AFailedWriteFailsTheCommitAndLosesNothingCommittedBefore) {
    open_writer();
    commit(30, 2000);
    commit(3, 500);
    const int64_t rows = next_, bytes = expected_bytes_;
    const auto wal_size = fs::file_size(path_.string() + "-wal");
    {
        FileSizeLimit limit(wal_size + 64 * 1024);
        exec(writer_, "BEGIN");
        // The small page cache may spill (and fail) before the COMMIT.
        int rc = sqlite3_exec(writer_,
                              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) "
                              "INSERT INTO t (k, v) SELECT 'big-' || i, randomblob(3000) FROM n",
                              nullptr, nullptr, nullptr);
        if (rc == SQLITE_OK) rc = sqlite3_exec(writer_, "COMMIT", nullptr, nullptr, nullptr);
        EXPECT_NE(rc, SQLITE_OK) << "a transaction whose frames could not be written committed";
        EXPECT_TRUE((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL) << sqlite3_errstr(rc);
        sqlite3_exec(writer_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    EXPECT_EQ(integer(reader_, "SELECT count(*) FROM t"), rows);
    EXPECT_EQ(integer(reader_, "SELECT sum(length(v)) FROM t"), bytes);
    expect_recovers_from_a_copy("after the failed commit");
    // The writer goes on once the file can grow again.
    commit(10, 1000);
    expect_reads(reader_, "after the next commit");
    expect_recovers_from_a_copy("after the next commit");
}

TEST_F(WalGatherVfsTest, AWriteFailingWhereItCannotBeReportedStopsTheProcess) {
    // With synchronous = NORMAL the frames are written at the barrier, which
    // cannot return an error: the process stops rather than publish a commit
    // whose frames are missing.
    open_writer("NORMAL");
    commit(2, 100);
    const auto wal_size = fs::file_size(path_.string() + "-wal");
    EXPECT_DEATH(
            {
                FileSizeLimit limit(wal_size + 16 * 1024);
                sqlite3_exec(writer_, "INSERT INTO t (k, v) VALUES ('x', randomblob(60000))", nullptr, nullptr, nullptr);
            },
            "store_wal_write_failed");
}

}  // namespace
