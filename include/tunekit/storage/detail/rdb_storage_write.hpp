#pragma once

// Writing for the SQL storages: the schema of a new database, coalesced
// writes of running trials, inserted trials and values, attributes, claims
// and heartbeats (failing trials whose heartbeat expired).
// Out-of-class definitions of private members of `rdb_storage`
// (rdb_storage_class.hpp); users include rdb_storage.hpp.

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../detail/format.hpp"
#include "../../detail/journal_format.hpp"
#include "../../detail/json_line.hpp"
#include "heartbeat.hpp"
#include "rdb_pending.hpp"
#include "rdb_schema.hpp"
#include "rdb_storage_class.hpp"
#include "rdb_values.hpp"
#include "sql.hpp"

namespace tunekit::detail {

/// With `coalesce`, hands trial `id`'s unwritten values to `add` (under
/// the mutex) and writes them when `add` returns true or the oldest is
/// older than the window. False when the write must go through at once:
/// no coalescing, or a trial this handle did not start.
template <sql_connection Connection>
template <class Add>
bool rdb_storage<Connection>::coalesced(std::int64_t id, Add&& add) {
  state& st = *state_;
  if (!st.options.coalesce) return false;
  std::unique_lock lock(st.mutex);
  auto live = st.live.find(id);
  if (live == st.live.end()) return false;
  rdb::pending_trial& p = st.unwritten[id];
  p.touch();
  const bool now = add(st, live->second.study, p);
  if (!now && std::chrono::steady_clock::now() - p.oldest < st.options.coalesce_window) return true;
  flush_locked(st, id);
  lock.unlock();
  st.conn.flush_commits(true);
  return true;
}

/// Writes trial `id`'s unwritten values in one transaction.
template <sql_connection Connection>
void rdb_storage<Connection>::flush_locked(state& st, std::int64_t id) {
  auto it = st.unwritten.find(id);
  if (it == st.unwritten.end() || it->second.empty()) return;
  auto body = [&](state& s) {
    running_study(s, id, "writing a trial's coalesced values");
    write_unwritten(s, id, it->second);
    return 0;
  };
  try {
    transact_locked(st, body);
  } catch (const state_error&) {
    // The trial is no longer RUNNING (failed by an expired heartbeat, its
    // study deleted): what it held back cannot be written any more.
    st.unwritten.erase(id);
    forget_live(st, id);
    throw;
  }
  it->second = {};
}

template <sql_connection Connection>
void rdb_storage<Connection>::write_unwritten(state& st, std::int64_t id, const rdb::pending_trial& p) {
  for (const auto& [sql, values] : rdb::pending_statements(dialect, id, p)) xd(st, sql, values);
}

template <sql_connection Connection>
bool rdb_storage<Connection>::table_exists(state& st, std::string_view table) {
  return !q(st, rdb::table_exists_sql(dialect), {std::string(table)}).empty();
}

/// Creates Optuna's tables in a database that has none; checks the
/// version of one that has them.
template <sql_connection Connection>
void rdb_storage<Connection>::ensure_schema(state& st) {
  if (!table_exists(st, "alembic_version") || !table_exists(st, "version_info")) {
    auto create = [&](state& s) {
      for (auto lock_sql : rdb::schema_creation_locks(dialect)) q(s, lock_sql, {});
      if (table_exists(s, "alembic_version") && table_exists(s, "version_info")) return 0;  // another process won
      if (table_exists(s, "studies"))
        throw storage_error(s.where + " has a 'studies' table but no alembic_version/version_info: it is not an Optuna "
                                      "RDB database (or one made before Optuna 1.0); tunekit supports Optuna's schema " +
                            std::string(rdb::alembic_revision) + " (schema_version " + std::to_string(rdb::schema_version) +
                            ", Optuna 3.0 and 3.1)");
      for (const auto& ddl : rdb::schema_ddl(dialect)) x(s, ddl, {});
      x(s, "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, ?, ?)",
        {std::int64_t{rdb::schema_version}, std::string(rdb::library_version)});
      x(s, "INSERT INTO alembic_version (version_num) VALUES (?)", {std::string(rdb::alembic_revision)});
      return 0;
    };
    transact_locked(st, create);
  }
  std::string found_rev;
  for (const auto& r : q(st, "SELECT version_num FROM alembic_version", {})) found_rev += (found_rev.empty() ? "" : ",") + rdb::as_text(r[0]);
  const auto vi = q(st, "SELECT schema_version, library_version FROM version_info", {});
  const std::int64_t found_schema = vi.empty() || rdb::is_null(vi[0][0]) ? -1 : rdb::as_int(vi[0][0]);
  if (found_rev != rdb::alembic_revision || found_schema != rdb::schema_version)
    throw storage_error(st.where + " has Optuna RDB schema " + detail::quoted(found_rev) + " (schema_version " +
                        std::to_string(found_schema) + ", written by Optuna " +
                        (vi.empty() ? std::string("?") : rdb::as_text(vi[0][1])) + "); tunekit supports schema " +
                        detail::quoted(rdb::alembic_revision) + " (schema_version " + std::to_string(rdb::schema_version) +
                        ", Optuna 3.0 and 3.1). Upgrade or downgrade it with `optuna storage upgrade`, or use a new "
                        "database");
}

template <sql_connection Connection>
void rdb_storage<Connection>::set_study_attr(study_id sid, std::string_view table, std::string_view key, const nlohmann::json& value) {
  rdb::check_text("attribute key " + json_quoted(key), key);
  const std::string text = to_json_text(value);
  transact([&](state& st) {
    require_study(st, sid);
    upsert_attr(st, table, "study_id", sid, key, text);
    return 0;
  });
}

template <sql_connection Connection>
void rdb_storage<Connection>::upsert_attr(state& st, std::string_view table, std::string_view owner, std::int64_t id, std::string_view key, const std::string& json) {
  xd(st,
    "INSERT INTO " + std::string(table) + " (" + std::string(owner) + ", \"key\", value_json) VALUES (?, ?, ?) " +
        "ON CONFLICT (" + std::string(owner) + ", \"key\") DO UPDATE SET value_json = excluded.value_json",
    {id, std::string(key), json});
}

template <sql_connection Connection>
bool rdb_storage<Connection>::claim_impl(state* st, study_id sid, std::string_view key, std::int64_t number) {
  std::unique_lock lock(st->mutex);
  if (auto it = st->studies.find(sid); it != st->studies.end())
    if (auto c = it->second.claims.find(key); c != it->second.claims.end()) return c->second == number;
  const std::string attr = std::string(journal::claim_prefix) + std::string(key);
  auto body = [&](state& s) {
    xd(s,
      "INSERT INTO study_system_attributes (study_id, \"key\", value_json) VALUES (?, ?, ?) "
      "ON CONFLICT (study_id, \"key\") DO NOTHING",
      {sid, attr, std::to_string(number)});
    const auto rows = q(s, "SELECT value_json FROM study_system_attributes WHERE study_id = ? AND \"key\" = ?", {sid, attr});
    return rows.empty() ? number : rdb::as_int(rows[0][0]);
  };
  const std::int64_t holder = transact_locked(*st, body);
  if (auto it = st->studies.find(sid); it != st->studies.end()) it->second.claims.emplace(std::string(key), holder);
  lock.unlock();
  st->conn.flush_commits(false);  // a claim is acknowledged only once durable
  return holder == number;
}

/// The study of a RUNNING trial; `state_error` otherwise, and when the
/// trial was created without waiting for the flush (rdb_options::
/// async_creation) and the row is no longer the one created: the server
/// lost the creation in a crash and gave the id to another trial, which
/// must not be written to.
template <sql_connection Connection>
study_id rdb_storage<Connection>::running_study(state& st, std::int64_t id, const char* what) {
  const auto rows = q(st,
                      "SELECT state, study_id, number, datetime_start FROM trials WHERE trial_id = ?" +
                          std::string(rdb::for_update(dialect)),
                      {id});
  const auto live = st.live.find(id);
  const bool unconfirmed = live != st.live.end() && live->second.number >= 0;
  if (rows.empty())
    throw state_error(std::string(what) + ": trial id " + std::to_string(id) + " does not exist in " + st.where +
                      (unconfirmed ? " (was its study deleted, or its creation lost in a server crash before it was flushed?)"
                                   : " (was its study deleted?)"));
  if (unconfirmed && (rdb::as_int(rows[0][2]) != live->second.number ||
                      rdb::parse_time(rows[0][3]) != rdb::parse_time(sql_value{live->second.start})))
    throw state_error(std::string(what) + ": trial id " + std::to_string(id) + " in " + st.where +
                      " is no longer trial " + std::to_string(live->second.number) + " started " + live->second.start +
                      " that this worker created: the server lost that creation in a crash before it was flushed "
                      "(postgres_storage_options::async_creation) and gave the id to another trial; nothing is written "
                      "to it, and this trial's result is not recorded");
  const auto s = rdb::state_from_name(rdb::as_text(rows[0][0]));
  if (s != trial_state::running)
    throw state_error(std::string(what) + ": trial " + std::to_string(rdb::as_int(rows[0][2])) + " is " +
                      rdb::as_text(rows[0][0]) + ", not RUNNING");
  return rdb::as_int(rows[0][1]);
}

/// The condition (appended to a `WHERE trial_id = ?`, its values to
/// `bound`) that trial `id`'s row is still the one this handle created,
/// for a trial created without waiting for the flush; empty otherwise.
template <sql_connection Connection>
std::string rdb_storage<Connection>::identity_sql(state& st, std::int64_t id, std::vector<sql_value>& bound) {
  const auto live = st.live.find(id);
  if (live == st.live.end() || live->second.number < 0) return {};
  bound.insert(bound.end(), {live->second.number, live->second.start});
  return " AND number = ? AND datetime_start = " + std::string(rdb::ts_param(dialect));
}

/// After a `state_error`, forgets running trial `id`, except who it is
/// when its creation was not waited for: a retried write must still be
/// checked against that, or it could land in another trial's row.
template <sql_connection Connection>
void rdb_storage<Connection>::forget_live(state& st, std::int64_t id) {
  const auto live = st.live.find(id);
  if (live != st.live.end() && live->second.number < 0) st.live.erase(live);
}

/// Optuna ignores a parameter whose distribution is incompatible with the
/// one the study's first trial having it used; tunekit refuses it clearly.
template <sql_connection Connection>
void rdb_storage<Connection>::check_distribution(state& st, study_id sid, std::string_view name, const distribution& d) {
  // The cached study when there is one, without cache_of's round trip: the
  // write this check precedes finds out whether the study still exists.
  const auto cached = st.studies.find(sid);
  auto& c = cached != st.studies.end() ? cached->second : cache_of(st, sid);
  auto f = c.first_dist.find(name);
  if (f == c.first_dist.end()) {
    const auto rows = q(st,
                        "SELECT t.number, p.distribution_json FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
                        "WHERE t.study_id = ? AND p.param_name = ? ORDER BY t.number LIMIT 1",
                        {sid, std::string(name)});
    if (rows.empty()) return;
    f = c.first_dist.emplace(std::string(name), std::pair{rdb::as_int(rows[0][0]), dist_of(st, rdb::as_text(rows[0][1]), name)})
            .first;
  }
  if (!journal::compatible(f->second.second, d))
    throw invalid_argument("parameter " + detail::quoted(name) + " is " + describe(d) + " now, but trial " +
                           std::to_string(f->second.first) + " of study " + detail::quoted(c.info->name) + " has it as " +
                           describe(f->second.second) +
                           ": the search space changed since the study was created (kind, log scale or choices differ); "
                           "use a new study or a new parameter name");
}

template <sql_connection Connection>
void rdb_storage<Connection>::insert_values(state& st, std::int64_t id, std::span<const double> values) {
  for (double v : values)
    if (std::isnan(v)) return;  // no NaN tag in trial_values: stored without values (see finish_trial)
  for (std::size_t k = 0; k < values.size(); ++k) {
    const auto [v, type] = rdb::encode_value(values[k]);
    xd(st,
      "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, '" + std::string(type) +
          "') ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, value_type = excluded.value_type",
      {id, static_cast<std::int64_t>(k), v});
  }
}

/// Inserts a whole trial; under the study lock. Returns its id.
template <sql_connection Connection>
std::int64_t rdb_storage<Connection>::insert_locked(state& st, study_id sid, const frozen_trial& rec, bool start_now, frozen_trial* created) {
  std::optional<std::string> start, complete;
  if (start_now) {
    if (rec.state == trial_state::running) start = rdb::format_time(frozen_trial::clock::now());
  } else {
    if (rec.datetime_start) start = rdb::format_time(*rec.datetime_start);
    if (rec.datetime_complete) complete = rdb::format_time(*rec.datetime_complete);
  }
  auto opt = [](const std::optional<std::string>& s) -> sql_value {
    if (s) return *s;
    return std::monostate{};
  };
  const std::string ts(rdb::ts_param(dialect));
  // The number is computed in the INSERT itself (one round trip less):
  // this statement starts after the study lock was granted, so under READ
  // COMMITTED its snapshot holds the previous creator's trial
  // (rdb::next_number_sql says how the number is derived).
  const auto rows = q(st,
                      "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) VALUES (" +
                          std::string(rdb::next_number_sql()) + ", ?, " + rdb::state_literal(rec.state) + ", " + ts + ", " + ts +
                          ") RETURNING trial_id, number",
                      {sid, sid, sid, opt(start), opt(complete)});
  const std::int64_t id = rdb::as_int(rows.at(0).at(0));
  const std::int64_t number = rdb::as_int(rows.at(0).at(1));
  // The sequence handed out again the id of a running trial of ours: that
  // trial's creation was lost in a server crash (async_creation). Its entry
  // stays, so its worker's writes are refused; this transaction is re-run
  // and draws the next id.
  if (st.live.count(id))
    throw sql_retry(st.where + ": trial id " + std::to_string(id) + " was given again after a server crash");
  if (created) {
    created->id = id;
    created->number = number;
    created->datetime_start = start ? rdb::parse_time(*start) : std::nullopt;
  }
  for (const auto& [name, v] : rec.params) {
    auto d = rec.distributions.find(name);
    if (d == rec.distributions.end())
      throw invalid_argument("trial parameter " + detail::quoted(name) + " has no distribution");
    xd(st, "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)",
      {id, name, v, journal::distribution_to_json(d->second)});
  }
  for (const auto& [k, v] : rec.user_attrs) upsert_attr(st, "trial_user_attributes", "trial_id", id, k, to_json_text(v));
  for (const auto& [k, v] : rec.system_attrs) upsert_attr(st, "trial_system_attributes", "trial_id", id, k, to_json_text(v));
  if (!rec.fail_reason.empty())
    upsert_attr(st, "trial_system_attributes", "trial_id", id, journal::fail_reason_key, to_json_text(rec.fail_reason));
  if (!start_now && rec.resources != resource_usage{})
    upsert_attr(st, "trial_system_attributes", "trial_id", id, journal::resources_key,
                to_json_text({{"wall_seconds", rec.resources.wall_seconds},
                              {"cpu_seconds", rec.resources.cpu_seconds},
                              {"peak_memory_growth_bytes", rec.resources.peak_memory_growth_bytes}}));
  for (const auto& [step, v] : rec.intermediate_values) {
    const auto [value, type] = rdb::encode_value(v);
    xd(st,
      "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES (?, ?, "
      "?, '" + std::string(type) + "')",
      {id, step, value});
  }
  if (!start_now) insert_values(st, id, rec.values);
  if (start_now && rec.state == trial_state::running && st.options.heartbeat_interval) beat_locked(st, id);
  return id;
}

template <sql_connection Connection>
frozen_trial rdb_storage<Connection>::insert_trial(study_id sid, const frozen_trial& rec, bool start_now) {
  for (const auto& [k, v] : rec.params) rdb::check_text("parameter name " + json_quoted(k), k);
  for (const auto& [k, v] : rec.user_attrs) rdb::check_text("attribute key " + json_quoted(k), k);
  for (const auto& [k, v] : rec.system_attrs) rdb::check_text("attribute key " + json_quoted(k), k);
  // A fresh trial with nothing but system attributes (what a tuner's ask
  // creates) is returned as written, without reading it back.
  const bool as_written = start_now && rec.params.empty() && rec.distributions.empty() &&
                          rec.intermediate_values.empty() && rec.user_attrs.empty() && rec.fail_reason.empty();
  // A new RUNNING trial may commit without waiting for the flush: its
  // worker's next synchronous commit (parameters or finish) flushes it too.
  const bool no_flush = dialect == sql_dialect::postgres && state_->options.async_creation && start_now &&
                        rec.state == trial_state::running;
  frozen_trial created;
  // A COMMIT in doubt after a server restart: the trial landed if its row
  // is there as written. A new trial: id, number, start time to the
  // microsecond. An added one (a copy, a warm start, an enqueued trial):
  // id, number, study, state, both times and every parameter's value; a
  // trial another worker added with the same id and number after a crash
  // and equal in all of these cannot be told from it (docs/storage.md).
  const landed_check landed = [&](state& st) {
    const std::string ts(rdb::ts_param(dialect));
    if (start_now) {
      return created.datetime_start &&
             !q(st, "SELECT 1 FROM trials WHERE trial_id = ? AND number = ? AND datetime_start = " + ts,
                {created.id, created.number, rdb::format_time(*created.datetime_start)})
                  .empty();
    }
    auto time = [](const std::optional<frozen_trial::clock::time_point>& t) -> sql_value {
      if (t) return rdb::format_time(*t);
      return std::monostate{};
    };
    const std::string same = dialect == sql_dialect::sqlite ? " IS " : " IS NOT DISTINCT FROM ";
    if (q(st, "SELECT 1 FROM trials WHERE trial_id = ? AND number = ? AND study_id = ? AND state = " +
                  rdb::state_literal(rec.state) + " AND datetime_start" + same + ts + " AND datetime_complete" + same + ts,
          {created.id, created.number, sid, time(rec.datetime_start), time(rec.datetime_complete)})
            .empty())
      return false;
    const auto params = q(st, "SELECT param_name, param_value FROM trial_params WHERE trial_id = ?", {created.id});
    if (params.size() != rec.params.size()) return false;
    for (const auto& r : params) {
      const auto p = rec.params.find(rdb::as_text(r[0]));
      if (p == rec.params.end() || p->second != rdb::as_double(r[1])) return false;
    }
    return true;
  };
  const std::int64_t id = transact([&](state& st) {
    lock_study(st, sid, no_flush);
    if (start_now) fail_stale_locked(st, sid);
    return insert_locked(st, sid, rec, start_now, &created);
  }, false, landed);
  std::lock_guard lock(state_->mutex);
  if (start_now && rec.state == trial_state::running) {
    own(*state_, id);
    live_trial l;
    l.study = sid;
    if (no_flush && created.datetime_start) {
      l.number = created.number;
      l.start = rdb::format_time(*created.datetime_start);
    }
    state_->live.insert_or_assign(id, std::move(l));
  }
  if (!as_written) return load_trial(*state_, id).first;
  created.state = rec.state;
  for (const auto& [k, v] : rec.system_attrs) created.system_attrs[k] = parse_attr(*state_, to_json_text(v));
  return created;
}

/// Records now (database clock) as the trial's heartbeat, as Optuna's
/// `record_heartbeat` does, in the trial_heartbeats table.
/// A trial created without waiting for the flush beats only while its row
/// is still the one created (rdb_options::async_creation).
template <sql_connection Connection>
void rdb_storage<Connection>::beat_locked(state& st, std::int64_t id) {
  std::vector<sql_value> bound{id, id};
  const std::string identity = identity_sql(st, id, bound);
  if (identity.empty()) {
    xd(st,
      "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, " + std::string(rdb::now_sql(dialect)) +
          ") ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
      {id});
    return;
  }
  xd(st,
    "INSERT INTO trial_heartbeats (trial_id, heartbeat) SELECT ?, " + std::string(rdb::now_sql(dialect)) +
        " FROM trials WHERE trial_id = ?" + identity + " ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
    bound);
}

/// The heartbeat options as the shared detail::heartbeat_policy.
template <sql_connection Connection>
heartbeat_policy rdb_storage<Connection>::heartbeats(const rdb_options& o) {
  return {.interval = o.heartbeat_interval, .grace = o.grace_period, .max_retries = o.max_retries};
}

/// Fails the study's RUNNING trials (not ours) whose heartbeat expired,
/// and re-queues them when retries are allowed, with Optuna's
/// RetryFailedTrialCallback system attributes. Under the creation lock.
template <sql_connection Connection>
int rdb_storage<Connection>::fail_stale_locked(state& st, study_id sid) {
  if (!st.options.heartbeat_interval) return 0;
  const heartbeat_policy policy = heartbeats(st.options);
  const auto stale = q(st,
                       "SELECT t.trial_id, " + rdb::age_seconds_sql(dialect, "h.heartbeat") +
                           " FROM trial_heartbeats h JOIN trials t ON t.trial_id = h.trial_id WHERE t.study_id = ? AND "
                           "t.state = 'RUNNING' AND " + rdb::age_seconds_sql(dialect, "h.heartbeat") + " > ?",
                       {sid, policy.grace_seconds()});
  int failed = 0;
  for (const auto& r : stale) {
    const auto id = rdb::as_int(r[0]);
    if (st.owned.count(id)) continue;
    auto [t, tsid] = load_trial(st, id);
    upsert_attr(st, "trial_system_attributes", "trial_id", id, journal::fail_reason_key,
                to_json_text(policy.expired_reason(rdb::as_double(r[1]))));
    if (x(st,
          "UPDATE trials SET state = 'FAIL', datetime_complete = " + std::string(rdb::ts_param(dialect)) +
              " WHERE trial_id = ? AND state = 'RUNNING'",
          {rdb::format_time(frozen_trial::clock::now()), id}) != 1)
      continue;
    ++failed;
    if (auto retry = policy.retry_of(t)) insert_locked(st, sid, *retry, false);
  }
  return failed;
}

/// Marks a trial as run by this handle; starts the heartbeat thread.
template <sql_connection Connection>
void rdb_storage<Connection>::own(state& st, std::int64_t id) {
  own_for_heartbeat(st, id, &rdb_storage::beat_loop);
}

template <sql_connection Connection>
void rdb_storage<Connection>::beat_loop(state& st, std::stop_token stop) {
  heartbeat_loop(st, stop, [&st] {
    auto body = [&](state& s) {
      for (auto id : s.owned) beat_locked(s, id);
      return 0;
    };
    transact_locked(st, body);
    // Coalesced values reach the database at least once an interval.
    std::vector<std::int64_t> due;
    for (const auto& [id, p] : st.unwritten)
      if (!p.empty()) due.push_back(id);
    for (auto id : due) {
      try {
        flush_locked(st, id);
      } catch (const std::exception&) {
        // Reported by the trial's next write or its finish.
      }
    }
  });
}

template <sql_connection Connection>
std::optional<frozen_trial> rdb_storage<Connection>::pop_waiting_trial(study_id sid) {
  {
    // Most asks find nothing waiting: look before taking the write lock.
    std::lock_guard lock(state_->mutex);
    if (!state_->options.heartbeat_interval) {
      // One round trip: does the study exist, does it have a waiting trial?
      const auto rows = q(*state_,
                          "SELECT (SELECT 1 FROM studies WHERE study_id = ?), (SELECT 1 FROM trials WHERE study_id = ? AND "
                          "state = 'WAITING' LIMIT 1)",
                          {sid, sid});
      if (rows.empty() || rdb::is_null(rows[0][0])) study_gone(*state_, sid);
      if (rdb::is_null(rows[0][1])) return std::nullopt;
    }
  }
  std::int64_t popped = -1;
  std::string started;
  // A COMMIT in doubt after a server restart: landed if the trial is
  // RUNNING with the start time written.
  const landed_check landed = [&](state& st) {
    return popped >= 0 && !q(st, "SELECT 1 FROM trials WHERE trial_id = ? AND state = 'RUNNING' AND datetime_start = " +
                                     std::string(rdb::ts_param(dialect)),
                             {popped, started})
                               .empty();
  };
  auto id = transact([&](state& st) -> std::optional<std::int64_t> {
    popped = -1;
    lock_study(st, sid);
    fail_stale_locked(st, sid);
    while (true) {
      const auto rows = q(st,
                          "SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY trial_id LIMIT 1" +
                              std::string(rdb::for_update(dialect)),
                          {sid});
      if (rows.empty()) return std::nullopt;
      const std::int64_t id = rdb::as_int(rows[0][0]);
      started = rdb::format_time(frozen_trial::clock::now());
      const auto changed = x(st,
                             "UPDATE trials SET state = 'RUNNING', datetime_start = " + std::string(rdb::ts_param(dialect)) +
                                 " WHERE trial_id = ? AND state = 'WAITING'",
                             {started, id});
      if (changed != 1) continue;
      if (st.options.heartbeat_interval) beat_locked(st, id);
      popped = id;
      return id;
    }
  }, false, landed);
  if (!id) return std::nullopt;
  std::lock_guard lock(state_->mutex);
  own(*state_, *id);
  state_->live[*id].study = sid;
  return load_trial(*state_, *id).first;
}

template <sql_connection Connection>
frozen_trial rdb_storage<Connection>::finish_trial(std::int64_t id, trial_state final_state, std::span<const double> values,
                                                const resource_usage& usage, const std::string& reason) {
  if (!is_finished(final_state))
    throw invalid_argument("finish_trial: the final state must be COMPLETE, PRUNED or FAIL, got " +
                           std::string(to_string(final_state)));
  bool has_nan = false;
  for (double v : values) has_nan = has_nan || std::isnan(v);
  if (has_nan && final_state == trial_state::complete)
    throw invalid_argument("finish_trial: a value is NaN; NaN results fail the trial instead");
  // A pruned trial whose last report was NaN: Optuna's trial_values has
  // no NaN tag, so such a trial is stored without values.
  if (has_nan) values = {};
  if (!reason.empty() && !valid_utf8(reason)) throw invalid_argument("finish_trial: the reason is not valid UTF-8");
  // The same completion time in every attempt: a COMMIT in doubt after a
  // server restart landed if the row has it (and the final state).
  const std::string completed = rdb::format_time(frozen_trial::clock::now());
  const landed_check landed = [&](state& st) {
    return !q(st, "SELECT 1 FROM trials WHERE trial_id = ? AND state = " + rdb::state_literal(final_state) +
                      " AND datetime_complete = " + std::string(rdb::ts_param(dialect)),
              {id, completed})
                .empty();
  };
  try {
  transact([&](state& st) {
    // The state change first: it locks the trial's row and, changing no
    // row, says the trial is not RUNNING (running_study names why).
    // A trial created without waiting for the flush must still be the
    // row it was created as (identity_sql).
    std::vector<sql_value> bound{completed, id};
    if (x(st,
          "UPDATE trials SET state = " + rdb::state_literal(final_state) +
              ", datetime_complete = " + std::string(rdb::ts_param(dialect)) +
              " WHERE trial_id = ? AND state = 'RUNNING'" + identity_sql(st, id, bound),
          bound) != 1) {
      running_study(st, id, "finish_trial");
      throw state_error("finish_trial: trial id " + std::to_string(id) + " is not RUNNING");
    }
    if (auto p = st.unwritten.find(id); p != st.unwritten.end()) write_unwritten(st, id, p->second);
    if (usage != resource_usage{})
      upsert_attr(st, "trial_system_attributes", "trial_id", id, journal::resources_key,
                  to_json_text({{"wall_seconds", usage.wall_seconds},
                                {"cpu_seconds", usage.cpu_seconds},
                                {"peak_memory_growth_bytes", usage.peak_memory_growth_bytes}}));
    if (!reason.empty())
      upsert_attr(st, "trial_system_attributes", "trial_id", id, journal::fail_reason_key, to_json_text(reason));
    insert_values(st, id, values);
    return 0;
  }, false, landed);
  } catch (const state_error&) {
    std::lock_guard lock(state_->mutex);
    state_->owned.erase(id);  // no more heartbeats for a trial that is not ours to finish
    forget_live(*state_, id);
    state_->unwritten.erase(id);
    throw;
  }
  std::lock_guard lock(state_->mutex);
  state_->owned.erase(id);
  state_->live.erase(id);
  state_->unwritten.erase(id);
  frozen_trial done = load_trial(*state_, id).first;
  if (state_->finished_here.size() >= 1024) state_->finished_here.clear();
  state_->finished_here.insert_or_assign(id, done);
  return done;
}

}  // namespace tunekit::detail
