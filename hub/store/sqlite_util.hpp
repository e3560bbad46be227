// Small RAII helpers over the SQLite C API, shared by the SQLite store's files.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <memory>
#include <string>
#include <unordered_map>

namespace ketenhub::store {

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
    std::optional<std::string> opt_text(int col) const {
        if (is_null(col)) return std::nullopt;
        return text(col);
    }
    Statement& bind_opt(int i, const std::optional<std::string>& v) { return v ? bind(i, *v) : bind_null(i); }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

inline void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string m = err ? err : "unknown";
        sqlite3_free(err);
        throw std::runtime_error("sqlite: " + m);
    }
}

// Prepared statements kept for the life of a connection: preparing costs
// more than running the small statements of the ingest path.
class StatementCache {
public:
    explicit StatementCache(sqlite3* db) : db_(db) {}
    sqlite3* db() const { return db_; }
    // The statement for `sql`, reset and with no bindings.
    Statement& get(const std::string& sql) {
        auto& slot = statements_[sql];
        if (!slot) slot = std::make_unique<Statement>(db_, sql.c_str());
        return slot->reset();
    }
    // Finalizes every statement (before the connection is closed).
    void clear() { statements_.clear(); }
    // Ends every statement's read cursor (before COMMIT, and on failure).
    void reset_all() {
        for (auto& [sql, st] : statements_) st->reset();
    }

private:
    sqlite3* db_;
    std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

}  // namespace ketenhub::store
