#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "../core/concepts.hpp"
#include "detail/rdb_storage.hpp"
#include "sqlite_connection.hpp"

namespace tunekit {

/// SQLite's own flushing (`PRAGMA synchronous`); `durability` below says
/// what an acknowledged write survives.
enum class sqlite_sync {
  /// The default: SQLite does not flush commits (with WAL, a crash never
  /// corrupts the database); tunekit flushes the WAL after the commits that
  /// `sqlite_storage_options::durability` asks for, outside the write lock,
  /// one flush shared by concurrent writers (group commit).
  normal,
  /// SQLite flushes every commit inside its write lock (durable, no group
  /// commit: writers wait for each other's flushes); `durability` is moot.
  full,
};

/// Options of `sqlite_storage`.
struct sqlite_storage_options {
  /// What an acknowledged write survives (`durability::trials`: every
  /// created and finished trial survives a power cut).
  tunekit::durability durability = tunekit::durability::trials;
  sqlite_sync synchronous = sqlite_sync::normal;
  /// How long SQLite waits for another process's write lock before our own
  /// retry (with back-off) takes over; either way callers never see
  /// "database is locked".
  std::chrono::milliseconds busy_timeout{10000};
  /// Unset: no heartbeats. Set: a thread of this process records, every
  /// interval, that each trial it runs is alive (Optuna's trial_heartbeats).
  std::optional<std::chrono::duration<double>> heartbeat_interval = std::nullopt;
  /// A RUNNING trial whose last heartbeat is older than this is failed by
  /// the next worker that starts a trial. Unset: twice the interval.
  std::optional<std::chrono::duration<double>> grace_period = std::nullopt;
  /// How many times a trial failed by an expired heartbeat is re-queued
  /// with the same parameters (Optuna's RetryFailedTrialCallback
  /// convention, as in `journal_storage`). 0: never.
  int max_retries = 0;
};

/// A study in a SQLite file in the schema of Optuna 3.1's RDBStorage
/// (schema "v3.0.0.d", docs/storage.md), so Optuna opens what tunekit writes
/// and the other way round. WAL mode; every write is one transaction; safe
/// across threads and processes on one machine.
///
/// A handle: copies share one connection and one cache of finished trials.
class sqlite_storage : public detail::rdb_storage<detail::sqlite_connection> {
  using base = detail::rdb_storage<detail::sqlite_connection>;

 public:
  /// Opens (creating if needed) the database at `path`. Throws
  /// `storage_error` if the directory is missing, the file is read-only or
  /// not a SQLite database, or its schema is another Optuna version.
  explicit sqlite_storage(const std::filesystem::path& path, sqlite_storage_options options = {})
      : base(connect(path, options), "SQLite database " + detail::quoted(path.string()),
             {.heartbeat_interval = options.heartbeat_interval,
              .grace_period = options.grace_period,
              .max_retries = options.max_retries}),
        path_(path.string()) {}

  const std::string& path() const noexcept { return path_; }

 private:
  static detail::sqlite_connection connect(const std::filesystem::path& path, const sqlite_storage_options& o) {
    if (o.busy_timeout.count() < 0)
      throw invalid_argument("sqlite_storage_options::busy_timeout = " + std::to_string(o.busy_timeout.count()) +
                             " ms must be >= 0");
    return detail::sqlite_connection(path.string(), {.busy_timeout_ms = static_cast<int>(o.busy_timeout.count()),
                                                     .synchronous_full = o.synchronous == sqlite_sync::full,
                                                     .durability = o.durability});
  }

  std::string path_;
};

static_assert(storage<sqlite_storage>);

}  // namespace tunekit
