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
  /// After a lost connection: reconnection attempts, the waits between them
  /// doubling from `reconnect_initial` to `reconnect_max` (the defaults ride
  /// out a server restart of about 30 s), then `storage_error`.
  int reconnect_attempts = 12;
  std::chrono::milliseconds reconnect_initial{50};
  std::chrono::milliseconds reconnect_max{4000};
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
              .max_attempts = c.options.max_attempts}) {}

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
                                                      .reconnect_attempts = o.reconnect_attempts,
                                                      .reconnect_initial = o.reconnect_initial,
                                                      .reconnect_max = o.reconnect_max});
    std::string where = conn.where();
    return {std::move(conn), std::move(where), o};
  }
};

static_assert(storage<postgres_storage>);

}  // namespace tunekit
