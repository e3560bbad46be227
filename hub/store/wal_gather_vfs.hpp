// A SQLite VFS for the store's writer connection that writes a commit's WAL
// frames in one write() per 31 frames instead of two per frame.
//
// SQLite writes each WAL frame as two write() calls, its 24-byte header and
// then the 4 KiB page, so a frame spans three page-cache pages in two system
// calls. Under load those calls were a fifth of the writer thread's time
// (perf, docs/performance.md). This VFS wraps the default one and, for the WAL
// only, gathers the frames SQLite appends into one buffer and writes it when
// SQLite syncs the WAL at the end of the commit (or when 31 frames are
// gathered: the unix VFS writes less than 128 KiB per call).
//
// The contract of a connection opened with it:
//  - PRAGMA synchronous = FULL. The commit's sync of the WAL is where the
//    gathered frames are written, before SQLite publishes the commit to other
//    connections, and where a failed write is reported (the commit fails and
//    is rolled back). A commit published without that sync (synchronous =
//    NORMAL) still has its frames written first (the write-ahead-log index's
//    barrier), but a failure there cannot be reported, so the process stops.
//  - The connection's owner makes the WAL durable itself: the commit's sync
//    writes the frames but does not fsync (SqliteStore's sync thread fsyncs
//    the WAL once per group before any answer). Every other sync is done:
//    the WAL header's when the WAL starts over (it must reach the disk before
//    the frames that follow it) and the one before a checkpoint.
//  - Writes SQLite does not append (a frame rewritten in place, the WAL
//    header) write what was gathered first, so the file sees SQLite's writes
//    in SQLite's order; reads, truncation and the file size do too.
#pragma once

#include <cstdint>

namespace ketenhub::store {

// The VFS's name for sqlite3_open_v2; registers it on the first call.
const char* wal_gather_vfs();

// Process-wide counts: WAL writes SQLite made through the VFS, and the
// writes that reached the file for them.
struct WalGatherCounts {
    uint64_t writes_gathered = 0;
    uint64_t file_writes = 0;
};
WalGatherCounts wal_gather_counts();

}  // namespace ketenhub::store
