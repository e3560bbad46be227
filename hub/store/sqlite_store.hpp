// The embedded store: one SQLite database in WAL mode with 4 KiB pages.
//
// Writes go through one writer thread that takes every request queued since
// its last commit and commits them together (group commit): many partners'
// requests share one fsync, and each request still runs in its own savepoint
// so one failure cannot undo another's work. A second thread fsyncs the WAL
// after each commit and only then answers the group, while the writer
// already builds the next one. A third thread checkpoints the WAL into the
// database beside both and makes it start over every 64 MiB.
#pragma once

#include "config/config.hpp"
#include "store/store.hpp"

#include <memory>

namespace ketenhub::store {

struct SqliteOptions {
    std::string path;
    bool synchronous_full = true;  // durable: no answer before the WAL holding its commit is fsynced
    size_t max_batch = 256;        // requests per group commit
    size_t max_queue = 10000;      // beyond this, ingest answers Unavailable
    // WAL length (4 KiB pages) at which the checkpoint thread makes the WAL
    // start over, holding the writer for the last few groups' copy (see
    // SqliteStore::checkpoint). 64 MiB: under steady load the WAL file stays
    // this size and commits overwrite it.
    int wal_restart_pages = 16384;
};

// Opens (creating when needed) and migrates the database. Refuses a database
// whose schema is newer than this binary knows.
Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options);

// The schema version this binary writes.
int sqlite_schema_version();

}  // namespace ketenhub::store
