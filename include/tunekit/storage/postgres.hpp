#pragma once

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "../core/concepts.hpp"
#include "detail/rdb_storage.hpp"
#include "postgres_connection.hpp"

namespace tunekit {

/// Options of `postgres_storage`.
struct postgres_storage_options {
  /// Unset: no heartbeats. Set: a thread of this process records, every
  /// interval, that each trial it runs is alive (Optuna's trial_heartbeats).
  std::optional<std::chrono::duration<double>> heartbeat_interval = std::nullopt;
  /// A RUNNING trial whose last heartbeat is older than this (by the
  /// server's clock) is failed by the next worker that starts a trial.
  /// Unset: twice the interval.
  std::optional<std::chrono::duration<double>> grace_period = std::nullopt;
  /// How many times a trial failed by an expired heartbeat is re-queued with
  /// the same parameters (Optuna's RetryFailedTrialCallback convention). 0: never.
  int max_retries = 0;
  /// Attempts of one transaction the server asked to retry (serialization
  /// failure, deadlock, lost connection) before `storage_error`.
  int max_attempts = 200;
  /// Seconds to wait for a connection (the URL's `connect_timeout` wins).
  int connect_timeout_s = 10;
  /// Attempts of the first connection while the server refuses or does not
  /// answer (e.g. still starting), the waits doubling from
  /// `reconnect_initial` to `reconnect_max` (about 6 s in all by default);
  /// a refused login or an unknown database fails at once.
  int connect_attempts = 8;
  /// After a lost connection: reconnection attempts, the waits between them
  /// doubling from `reconnect_initial` to `reconnect_max` (the defaults ride
  /// out a server restart of about 30 s), then `storage_error`.
  int reconnect_attempts = 12;
  std::chrono::milliseconds reconnect_initial{50};
  std::chrono::milliseconds reconnect_max{4000};
  /// Coalesce a running trial's writes (docs/storage.md, "Commits per
  /// trial"): its parameters are written in one statement at its first
  /// report, its reports and user attributes with its finish (or when the
  /// oldest unwritten one is older than `coalesce_window`, or at a
  /// heartbeat). A trial cycle then takes 3 commits instead of 22. A worker
  /// killed mid-trial loses the unwritten values of its running trial (the
  /// trial is failed by its heartbeat, as before). false: every write is
  /// its own transaction. URL: `coalesce=0|1`.
  bool coalesce = true;
  std::chrono::duration<double> coalesce_window{1.0};
  /// How trial creation is ordered within a study. `study_row` (default):
  /// the study row's lock, as Optuna 3.1 takes it, so Optuna and tunekit
  /// workers share a study safely. `advisory`: a per-study advisory lock
  /// (no write to the studies table per trial); safe only when every
  /// worker of the study is tunekit's with `advisory` too: an Optuna
  /// worker, or a tunekit worker with `study_row`, does not wait for it and
  /// would number trials twice. URL: `lock=row|advisory`.
  enum class lock_kind { study_row, advisory } creation_lock = lock_kind::study_row;
  /// Commit a new RUNNING trial's creation without waiting for its WAL
  /// flush (`synchronous_commit = off` for that transaction only), so the
  /// study lock that orders creations is released at once instead of after
  /// a disk flush (docs/storage.md, "Trial creation without a flush"). Every
  /// other commit waits for its flush; the trial's next one (its parameters
  /// or its finish) makes the creation durable too, because PostgreSQL
  /// flushes WAL in order. A server crash can lose a creation not yet
  /// flushed: then that trial's writes and its finish fail with
  /// `state_error` (they check the row is still the trial created), and
  /// nothing acknowledged is lost. false: the creation waits for its flush.
  /// URL: `async_create=0|1`.
  bool async_creation = true;
};

/// A study in a PostgreSQL database in the schema of Optuna 3.1's
/// RDBStorage (schema "v3.0.0.d", docs/storage.md), so Optuna workers and
/// tunekit workers share studies. Every write is one transaction; trial
/// numbers are dense and unique across processes and machines (the study
/// row's lock orders trial creation, as Optuna's does, see rdb_schema.hpp); a dropped connection is
/// re-established with back-off and the interrupted transaction re-run, never
/// half-written (postgres_connection.hpp). docs/distributed.md shows a fleet.
///
/// A handle: copies share one connection and one cache of finished trials.
class postgres_storage : public detail::rdb_storage<detail::postgres_connection> {
  using base = detail::rdb_storage<detail::postgres_connection>;
  struct connected {
    detail::postgres_connection conn;
    std::string where;
    postgres_storage_options options;  // with the URL's
  };

 public:
  /// Connects to `url` (`postgresql://user[:password]@host[:port]/database`,
  /// or any libpq connection string; credentials may also come from
  /// PGPASSWORD or ~/.pgpass), creating Optuna's tables in an empty database.
  /// tunekit's own URL options `heartbeat=<s>`, `grace=<s>`, `retries=<n>`
  /// (as in journal and sqlite URLs) set the options of the same meaning and
  /// are removed before libpq sees the URL; the others (`sslmode`,
  /// `connect_timeout`, ...) are libpq's.
  /// Throws `storage_error` naming host and database (never the password)
  /// if the server is unreachable, refuses the login, or holds another schema
  /// version.
  explicit postgres_storage(std::string url, postgres_storage_options options = {})
      : postgres_storage(connect(std::move(url), options), options) {}

 private:
  postgres_storage(connected c, const postgres_storage_options&)
      : base(std::move(c.conn), std::move(c.where),
             {.heartbeat_interval = c.options.heartbeat_interval,
              .grace_period = c.options.grace_period,
              .max_retries = c.options.max_retries,
              .max_attempts = c.options.max_attempts,
              .coalesce = c.options.coalesce,
              .coalesce_window = c.options.coalesce_window,
              .advisory_lock = c.options.creation_lock == postgres_storage_options::lock_kind::advisory,
              .async_creation = c.options.async_creation}) {}

  // Takes tunekit's options out of a postgresql:// URL's query string.
  static std::string take_url_options(const std::string& url, postgres_storage_options& o) {
    const auto q = url.find('?');
    if (url.find("://") == std::string::npos || q == std::string::npos) return url;
    std::string kept;
    std::size_t pos = q + 1;
    while (pos <= url.size()) {
      auto end = url.find('&', pos);
      if (end == std::string::npos) end = url.size();
      const std::string item = url.substr(pos, end - pos);
      const auto eq = item.find('=');
      const std::string key = item.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
      auto number = [&] {
        char* stop = nullptr;
        const double v = std::strtod(value.c_str(), &stop);
        if (value.empty() || *stop != '\0' || !(v >= 0) || !std::isfinite(v))
          throw invalid_argument("postgres storage URL option " + key + " = \"" + value +
                                 "\": must be a non-negative number");
        return v;
      };
      if (key == "heartbeat") o.heartbeat_interval = std::chrono::duration<double>(number());
      else if (key == "grace") o.grace_period = std::chrono::duration<double>(number());
      else if (key == "retries") o.max_retries = static_cast<int>(number());
      else if (key == "coalesce" && (value == "0" || value == "1")) o.coalesce = value == "1";
      else if (key == "coalesce") throw invalid_argument("postgres storage URL option coalesce = \"" + value + "\": must be 0 or 1");
      else if (key == "async_create" && (value == "0" || value == "1")) o.async_creation = value == "1";
      else if (key == "async_create")
        throw invalid_argument("postgres storage URL option async_create = \"" + value + "\": must be 0 or 1");
      else if (key == "lock" && (value == "row" || value == "advisory"))
        o.creation_lock = value == "row" ? postgres_storage_options::lock_kind::study_row
                                         : postgres_storage_options::lock_kind::advisory;
      else if (key == "lock") throw invalid_argument("postgres storage URL option lock = \"" + value + "\": must be row or advisory");
      else if (!item.empty()) kept += (kept.empty() ? "" : "&") + item;
      pos = end + 1;
    }
    return url.substr(0, q) + (kept.empty() ? "" : "?" + kept);
  }

  static connected connect(std::string url, postgres_storage_options o) {
    url = take_url_options(url, o);
    if (o.connect_timeout_s < 0)
      throw invalid_argument("postgres_storage_options::connect_timeout_s = " + std::to_string(o.connect_timeout_s) +
                             " must be >= 0 (0: wait forever)");
    if (o.max_attempts < 1)
      throw invalid_argument("postgres_storage_options::max_attempts = " + std::to_string(o.max_attempts) +
                             " must be >= 1");
    detail::postgres_connection conn(std::move(url), {.connect_timeout_s = o.connect_timeout_s,
                                                      .connect_attempts = o.connect_attempts,
                                                      .reconnect_attempts = o.reconnect_attempts,
                                                      .reconnect_initial = o.reconnect_initial,
                                                      .reconnect_max = o.reconnect_max});
    std::string where = conn.where();
    return {std::move(conn), std::move(where), o};
  }
};

static_assert(storage<postgres_storage>);

}  // namespace tunekit
