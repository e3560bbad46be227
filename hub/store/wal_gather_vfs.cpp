#include "store/wal_gather_vfs.hpp"

#include "common/log.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

namespace ketenhub::store {
namespace {

constexpr const char* kVfsName = "ketenhub-wal-gather";
// The unix VFS writes at most 128 KiB - 1 bytes per call (its write() takes
// the length's low 17 bits), so frames are gathered up to 31 pages at a time:
// a larger commit is written in pieces, in order.
constexpr size_t kMaxGathered = 31 * 4096;
// The WAL header (32 bytes at offset 0), written again whenever the WAL starts over.
constexpr sqlite3_int64 kWalHeaderOffset = 0;

std::atomic<uint64_t> g_writes_gathered{0};
std::atomic<uint64_t> g_file_writes{0};

sqlite3_vfs g_vfs;
sqlite3_vfs* g_real = nullptr;

struct GatherFile {
    sqlite3_file base;  // first: SQLite sees a GatherFile as a sqlite3_file
    sqlite3_file* real;
    enum class Kind { database, wal, other } kind;
    GatherFile* wal;       // database: this connection's WAL while it is open
    GatherFile* database;  // wal: this connection's database file
    char* gathered;        // wal: frames not yet written, for offsets [gathered_at, gathered_at + gathered_bytes)
    size_t gathered_bytes;  // at most kMaxGathered
    sqlite3_int64 gathered_at;
    bool header_unsynced;  // wal: the header was rewritten and not synced since
};

constexpr size_t kRealOffset = (sizeof(GatherFile) + 15) & ~size_t{15};

GatherFile* self(sqlite3_file* f) { return reinterpret_cast<GatherFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return self(f)->real; }

// Writes what was gathered. The gathered bytes are dropped whether or not the
// write succeeds: a failed write is reported to SQLite like a failed write()
// of its own, and SQLite rolls the transaction back and writes its frames
// again in the next one.
int write_gathered(GatherFile* f) {
    if (f->gathered_bytes == 0) return SQLITE_OK;
    assert(f->gathered_bytes <= kMaxGathered);
    const int rc = f->real->pMethods->xWrite(f->real, f->gathered, static_cast<int>(f->gathered_bytes), f->gathered_at);
    f->gathered_bytes = 0;
    g_file_writes.fetch_add(1, std::memory_order_relaxed);
    return rc;
}

bool gather(GatherFile* f, const void* data, size_t bytes, sqlite3_int64 offset) {
    if (!f->gathered) {
        f->gathered = static_cast<char*>(sqlite3_malloc64(kMaxGathered));
        if (!f->gathered) return false;
    }
    if (f->gathered_bytes == 0) f->gathered_at = offset;
    std::memcpy(f->gathered + f->gathered_bytes, data, bytes);
    f->gathered_bytes += bytes;
    g_writes_gathered.fetch_add(1, std::memory_order_relaxed);
    return true;
}

// --- the WAL -----------------------------------------------------------

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    GatherFile* f = self(file);
    const auto bytes = static_cast<size_t>(amount);
    const bool appends = f->gathered_bytes > 0 && offset == f->gathered_at + static_cast<sqlite3_int64>(f->gathered_bytes);
    if (f->gathered_bytes > 0 && (!appends || f->gathered_bytes + bytes > kMaxGathered)) {
        if (int rc = write_gathered(f); rc != SQLITE_OK) return rc;
    }
    if (offset == kWalHeaderOffset) f->header_unsynced = true;
    if (offset == kWalHeaderOffset || bytes > kMaxGathered) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    if (!gather(f, data, bytes, offset)) {
        // No memory for the buffer: write this one directly.
        if (int rc = write_gathered(f); rc != SQLITE_OK) return rc;
        return f->real->pMethods->xWrite(f->real, data, amount, offset);
    }
    return SQLITE_OK;
}

int wal_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
    if (int rc = write_gathered(self(file)); rc != SQLITE_OK) return rc;
    return real(file)->pMethods->xRead(real(file), out, amount, offset);
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
    if (int rc = write_gathered(self(file)); rc != SQLITE_OK) return rc;
    return real(file)->pMethods->xTruncate(real(file), size);
}

int wal_sync(sqlite3_file* file, int flags) {
    GatherFile* f = self(file);
    const bool ends_a_commit = f->gathered_bytes > 0;
    if (int rc = write_gathered(f); rc != SQLITE_OK) return rc;
    // The commit's sync (it follows the frames just written): the owner
    // fsyncs the WAL. Any other sync, and a commit's when the WAL header was
    // rewritten and not yet synced, is done.
    if (ends_a_commit && !f->header_unsynced) return SQLITE_OK;
    const int rc = f->real->pMethods->xSync(f->real, flags);
    if (rc == SQLITE_OK) f->header_unsynced = false;
    return rc;
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
    if (int rc = write_gathered(self(file)); rc != SQLITE_OK) return rc;
    return real(file)->pMethods->xFileSize(real(file), size);
}

// --- every file --------------------------------------------------------

int file_close(sqlite3_file* file) {
    GatherFile* f = self(file);
    int rc = SQLITE_OK;
    if (f->kind == GatherFile::Kind::wal) {
        rc = write_gathered(f);
        sqlite3_free(f->gathered);
        f->gathered = nullptr;
        if (f->database && f->database->wal == f) f->database->wal = nullptr;
    } else if (f->kind == GatherFile::Kind::database && f->wal) {
        f->wal->database = nullptr;
    }
    const int closed = f->real->pMethods->xClose(f->real);
    return rc != SQLITE_OK ? rc : closed;
}

int file_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
    return real(f)->pMethods->xRead(real(f), out, amount, offset);
}
int file_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
    return real(f)->pMethods->xWrite(real(f), data, amount, offset);
}
int file_truncate(sqlite3_file* f, sqlite3_int64 size) { return real(f)->pMethods->xTruncate(real(f), size); }
int file_sync(sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); }
int file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int file_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int file_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int file_check_reserved_lock(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int file_control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int file_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int file_device_characteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }

int file_shm_map(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
    const sqlite3_io_methods* m = real(f)->pMethods;
    if (m->iVersion < 2 || !m->xShmMap) return SQLITE_IOERR_SHMMAP;
    return m->xShmMap(real(f), page, page_size, extend, out);
}
int file_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    const sqlite3_io_methods* m = real(f)->pMethods;
    if (m->iVersion < 2 || !m->xShmLock) return SQLITE_IOERR_SHMLOCK;
    return m->xShmLock(real(f), offset, n, flags);
}
int file_shm_unmap(sqlite3_file* f, int delete_flag) {
    const sqlite3_io_methods* m = real(f)->pMethods;
    if (m->iVersion < 2 || !m->xShmUnmap) return SQLITE_OK;
    return m->xShmUnmap(real(f), delete_flag);
}
void forward_shm_barrier(sqlite3_file* f) {
    const sqlite3_io_methods* m = real(f)->pMethods;
    if (m->iVersion >= 2 && m->xShmBarrier) m->xShmBarrier(real(f));
}
void file_shm_barrier(sqlite3_file* f) { forward_shm_barrier(f); }
int file_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
    const sqlite3_io_methods* m = real(f)->pMethods;
    if (m->iVersion < 3 || !m->xFetch) {
        *out = nullptr;  // no mapping: SQLite reads instead
        return SQLITE_OK;
    }
    return m->xFetch(real(f), offset, amount, out);
}
int file_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
    const sqlite3_io_methods* m = real(f)->pMethods;
    if (m->iVersion < 3 || !m->xUnfetch) return SQLITE_OK;
    return m->xUnfetch(real(f), offset, p);
}

// SQLite publishes a commit in the WAL index behind this barrier on the
// database file. With synchronous = FULL the commit's sync has written the
// frames already; without it they are written here, and since a failure
// cannot be reported from here, the process stops before anyone reads a
// commit whose frames are missing.
void database_shm_barrier(sqlite3_file* file) {
    GatherFile* f = self(file);
    if (f->wal && f->wal->gathered_bytes > 0) {
        if (int rc = write_gathered(f->wal); rc != SQLITE_OK) {
            log::error("store_wal_write_failed", {{"reason", sqlite3_errstr(rc)},
                                                  {"detail", "a commit published without the sync that reports write errors"}});
            std::abort();
        }
    }
    forward_shm_barrier(file);
}

constexpr sqlite3_io_methods make_methods(decltype(sqlite3_io_methods::xRead) read, decltype(sqlite3_io_methods::xWrite) write,
                                          decltype(sqlite3_io_methods::xTruncate) truncate,
                                          decltype(sqlite3_io_methods::xSync) sync,
                                          decltype(sqlite3_io_methods::xFileSize) size,
                                          decltype(sqlite3_io_methods::xShmBarrier) barrier) {
    return {3,
            file_close,
            read,
            write,
            truncate,
            sync,
            size,
            file_lock,
            file_unlock,
            file_check_reserved_lock,
            file_control,
            file_sector_size,
            file_device_characteristics,
            file_shm_map,
            file_shm_lock,
            barrier,
            file_shm_unmap,
            file_fetch,
            file_unfetch};
}

const sqlite3_io_methods kWalMethods =
        make_methods(wal_read, wal_write, wal_truncate, wal_sync, wal_file_size, file_shm_barrier);
const sqlite3_io_methods kDatabaseMethods =
        make_methods(file_read, file_write, file_truncate, file_sync, file_size, database_shm_barrier);
const sqlite3_io_methods kOtherMethods =
        make_methods(file_read, file_write, file_truncate, file_sync, file_size, file_shm_barrier);

// --- the VFS -----------------------------------------------------------

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    GatherFile* f = self(file);
    std::memset(f, 0, sizeof(GatherFile));
    f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
    const int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (f->real->pMethods) f->real->pMethods->xClose(f->real);
        f->base.pMethods = nullptr;
        return rc;
    }
    if (flags & SQLITE_OPEN_WAL) {
        f->kind = GatherFile::Kind::wal;
        f->base.pMethods = &kWalMethods;
        sqlite3_file* database = sqlite3_database_file_object(name);
        if (database && database->pMethods == &kDatabaseMethods) {
            f->database = self(database);
            f->database->wal = f;
        }
    } else if (flags & SQLITE_OPEN_MAIN_DB) {
        f->kind = GatherFile::Kind::database;
        f->base.pMethods = &kDatabaseMethods;
    } else {
        f->kind = GatherFile::Kind::other;
        f->base.pMethods = &kOtherMethods;
    }
    return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_real->xDelete(g_real, name, sync_dir); }
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_real->xAccess(g_real, name, flags, out); }
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return g_real->xFullPathname(g_real, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return g_real->xDlOpen(g_real, name); }
void vfs_dl_error(sqlite3_vfs*, int n, char* out) { g_real->xDlError(g_real, n, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) { return g_real->xDlSym(g_real, handle, symbol); }
void vfs_dl_close(sqlite3_vfs*, void* handle) { g_real->xDlClose(g_real, handle); }
int vfs_randomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int vfs_sleep(sqlite3_vfs*, int microseconds) { return g_real->xSleep(g_real, microseconds); }
int vfs_current_time(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int vfs_get_last_error(sqlite3_vfs*, int n, char* out) {
    return g_real->xGetLastError ? g_real->xGetLastError(g_real, n, out) : 0;
}
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_real->xCurrentTimeInt64(g_real, out); }
int vfs_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
    return g_real->xSetSystemCall(g_real, name, p);
}
sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs*, const char* name) { return g_real->xGetSystemCall(g_real, name); }
const char* vfs_next_system_call(sqlite3_vfs*, const char* name) { return g_real->xNextSystemCall(g_real, name); }

void register_vfs() {
    if (sqlite3_initialize() != SQLITE_OK) throw std::runtime_error("SQLite failed to initialise");
    g_real = sqlite3_vfs_find(nullptr);
    if (!g_real) throw std::runtime_error("SQLite has no default VFS");
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = g_real->iVersion < 3 ? g_real->iVersion : 3;
    g_vfs.szOsFile = static_cast<int>(kRealOffset) + g_real->szOsFile;
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = kVfsName;
    g_vfs.xOpen = vfs_open;
    g_vfs.xDelete = vfs_delete;
    g_vfs.xAccess = vfs_access;
    g_vfs.xFullPathname = vfs_full_pathname;
    g_vfs.xDlOpen = vfs_dl_open;
    g_vfs.xDlError = vfs_dl_error;
    g_vfs.xDlSym = vfs_dl_sym;
    g_vfs.xDlClose = vfs_dl_close;
    g_vfs.xRandomness = vfs_randomness;
    g_vfs.xSleep = vfs_sleep;
    g_vfs.xCurrentTime = vfs_current_time;
    g_vfs.xGetLastError = vfs_get_last_error;
    if (g_vfs.iVersion >= 2) g_vfs.xCurrentTimeInt64 = g_real->xCurrentTimeInt64 ? vfs_current_time_int64 : nullptr;
    if (g_vfs.iVersion >= 3) {
        g_vfs.xSetSystemCall = g_real->xSetSystemCall ? vfs_set_system_call : nullptr;
        g_vfs.xGetSystemCall = g_real->xGetSystemCall ? vfs_get_system_call : nullptr;
        g_vfs.xNextSystemCall = g_real->xNextSystemCall ? vfs_next_system_call : nullptr;
    }
    if (int rc = sqlite3_vfs_register(&g_vfs, 0); rc != SQLITE_OK)
        throw std::runtime_error(std::string("cannot register the SQLite VFS ") + kVfsName + ": " + sqlite3_errstr(rc));
}

}  // namespace

const char* wal_gather_vfs() {
    static std::once_flag once;
    std::call_once(once, register_vfs);
    return kVfsName;
}

WalGatherCounts wal_gather_counts() {
    return {g_writes_gathered.load(std::memory_order_relaxed), g_file_writes.load(std::memory_order_relaxed)};
}

}  // namespace ketenhub::store
