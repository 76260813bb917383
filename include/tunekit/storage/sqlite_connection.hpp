#pragma once

#if !defined(TUNEKIT_HAS_SQLITE)
#error "tunekit/storage/sqlite.hpp (SQLite storage) needs the CMake target tunekit::sqlite: target_link_libraries(<your target> PRIVATE tunekit::sqlite) (it defines TUNEKIT_HAS_SQLITE and links the library; without CMake, define TUNEKIT_HAS_SQLITE and link it yourself)"
#endif

// A `detail::sql_connection` over SQLite's C API: prepared statements cached
// by their text, values always bound, busy/locked turned into `sql_retry`.

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/errors.hpp"
#include "../detail/format.hpp"
#include "../detail/group_commit.hpp"
#include "durability.hpp"
#include "detail/sql.hpp"

namespace tunekit::detail {

/// One SQLite connection. Not thread-safe: `rdb_storage` guards it.
class sqlite_connection {
 public:
  static constexpr sql_dialect dialect = sql_dialect::sqlite;

  struct settings {
    int busy_timeout_ms = 10000;
    bool synchronous_full = false;
    tunekit::durability durability = tunekit::durability::trials;
  };

  sqlite_connection(const std::string& path, settings s) : path_(path), flusher_(std::make_unique<wal_flusher>()) {
    // With synchronous=FULL SQLite flushes every commit itself.
    flusher_->level = s.synchronous_full ? tunekit::durability::none : s.durability;
    const std::filesystem::path p(path);
    const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      throw storage_error(where() + ": directory " + detail::quoted(dir.string()) + " does not exist");
    if (std::filesystem::is_directory(p, ec)) throw storage_error(where() + " is a directory, not a database file");
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(db);
    if (rc != SQLITE_OK)
      throw storage_error(where() + ": cannot open: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
                          " (a SQLite storage needs a writable file in a writable directory)");
    if (sqlite3_db_readonly(db, "main") == 1)
      throw storage_error(where() + " is read-only (file or directory permissions, or a read-only file system); "
                                    "sqlite_storage needs to write to it");
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, s.busy_timeout_ms);
    // WAL: readers never block the writer nor each other; switching needs a
    // moment of exclusive access, so it is retried while others open the file.
    for (int attempt = 0;; ++attempt) {
      try {
        const auto rows = query("PRAGMA journal_mode=WAL", {});
        if (!rows.empty() && std::holds_alternative<std::string>(rows[0][0]) &&
            std::get<std::string>(rows[0][0]) != "wal")
          throw storage_error(where() + ": cannot switch to WAL mode (journal_mode stays " +
                              std::get<std::string>(rows[0][0]) + "); is it on a network file system?");
        break;
      } catch (const sql_retry&) {
        if (attempt > 200) throw storage_error(where() + ": the database stayed locked while switching to WAL mode");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    execute(s.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", {});
    if (flusher_->level != tunekit::durability::none) flusher_->commits.open(path + "-wal.tunekit-sync");
  }

  /// After a commit, outside the storage's mutex (thread-safe): makes the
  /// commit durable when the durability level asks for it. SQLite runs with
  /// synchronous=NORMAL, so a commit is in the WAL file but not flushed; an
  /// fdatasync of the WAL makes it durable (what synchronous=FULL would do
  /// inside the write lock), and group commit shares that flush between the
  /// threads and processes that committed meanwhile. The WAL is never
  /// deleted while this connection is open, and a checkpoint flushes it
  /// before copying it into the database, so flushing it is enough.
  void flush_commits(bool trial_detail) {
    wal_flusher& f = *flusher_;
    if (f.level == tunekit::durability::none || (trial_detail && f.level == tunekit::durability::trials)) return;
    {
      std::lock_guard lock(f.mutex);
      if (f.wal_fd < 0) {
        f.wal_fd = ::open((path_ + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
        // No WAL file: nothing committed waits in one (SQLite flushed it into the database).
        if (f.wal_fd < 0 && errno == ENOENT) return;
        if (f.wal_fd < 0)
          throw storage_error(where() + ": cannot open its WAL file to flush it: " + std::strerror(errno));
        // The WAL's name must survive a power cut too.
        detail::sync_parent_directory(path_);
      }
    }
    f.commits.sync(f.wal_fd, where() + " (WAL)");
  }

  /// fdatasync calls of this connection's group commit.
  std::uint64_t flushes() const noexcept { return flusher_->commits.flushes(); }

  sqlite_connection(sqlite_connection&&) noexcept = default;
  sqlite_connection& operator=(sqlite_connection&&) noexcept = default;
  ~sqlite_connection() {
    statements_.clear();  // finalize before close
  }

  std::vector<sql_row> query(std::string_view sql, std::span<const sql_value> params) {
    sqlite3_stmt* st = prepare(sql, params);
    std::vector<sql_row> rows;
    while (true) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc, st, sql);
      const int n = sqlite3_column_count(st);
      sql_row row;
      row.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(st, i)) {
          case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(st, i))); break;
          case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(st, i)); break;
          case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
            row.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(st, i))));
          }
        }
      }
      rows.push_back(std::move(row));
    }
    finish(st);
    return rows;
  }

  std::int64_t execute(std::string_view sql, std::span<const sql_value> params) {
    sqlite3_stmt* st = prepare(sql, params);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) fail(rc, st, sql);
    finish(st);
    return sqlite3_changes64(db_.get());
  }

  /// BEGIN IMMEDIATE: takes the write lock now, so a transaction never has
  /// to upgrade from reading to writing (where SQLite can only refuse).
  void begin() { execute("BEGIN IMMEDIATE", {}); }
  void commit() { execute("COMMIT", {}); }
  void rollback() {
    if (!sqlite3_get_autocommit(db_.get())) execute("ROLLBACK", {});
  }

  std::string where() const { return "SQLite database " + detail::quoted(path_); }

 private:
  struct db_close {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  struct stmt_finalize {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
  };

  sqlite3_stmt* prepare(std::string_view sql, std::span<const sql_value> params) {
    auto it = statements_.find(std::string(sql));
    if (it == statements_.end()) {
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                                        nullptr);
      if (rc != SQLITE_OK) fail(rc, nullptr, sql);
      it = statements_.emplace(std::string(sql), std::unique_ptr<sqlite3_stmt, stmt_finalize>(raw)).first;
    }
    sqlite3_stmt* st = it->second.get();
    if (sqlite3_bind_parameter_count(st) != static_cast<int>(params.size()))
      throw storage_error(where() + ": statement has " + std::to_string(sqlite3_bind_parameter_count(st)) +
                          " placeholders but " + std::to_string(params.size()) + " values were given");
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int k = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      if (auto v = std::get_if<std::int64_t>(&params[i])) rc = sqlite3_bind_int64(st, k, *v);
      else if (auto d = std::get_if<double>(&params[i])) rc = sqlite3_bind_double(st, k, *d);
      else if (auto s = std::get_if<std::string>(&params[i]))
        rc = sqlite3_bind_text64(st, k, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);  // params outlive the step
      else rc = sqlite3_bind_null(st, k);
      if (rc != SQLITE_OK) fail(rc, st, sql);
    }
    return st;
  }

  static void finish(sqlite3_stmt* st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }

  [[noreturn]] void fail(int rc, sqlite3_stmt* st, std::string_view sql) {
    const std::string msg = sqlite3_errmsg(db_.get());
    if (st) finish(st);
    const int primary = rc & 0xFF;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      // The transaction cannot go on: roll it back so the caller can rerun it whole.
      if (!sqlite3_get_autocommit(db_.get())) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw sql_retry(where() + ": " + msg);
    }
    if (primary == SQLITE_READONLY)
      throw storage_error(where() + " is read-only (" + msg + "); sqlite_storage needs to write to it");
    if (primary == SQLITE_NOTADB) throw storage_error(where() + " is not a SQLite database (" + msg + ")");
    if (primary == SQLITE_FULL) throw storage_error(where() + ": the disk is full (" + msg + ")");
    throw storage_error(where() + ": " + msg + " (in: " + std::string(sql.substr(0, 120)) + ")");
  }

  struct wal_flusher {
    tunekit::durability level = tunekit::durability::none;
    std::mutex mutex;
    int wal_fd = -1;
    group_commit commits;
    ~wal_flusher() {
      if (wal_fd >= 0) ::close(wal_fd);
    }
  };

  std::string path_;
  std::unique_ptr<wal_flusher> flusher_;  // declared before db_: closed after it
  std::unique_ptr<sqlite3, db_close> db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, stmt_finalize>> statements_;
};

static_assert(sql_connection<sqlite_connection>);

}  // namespace tunekit::detail
