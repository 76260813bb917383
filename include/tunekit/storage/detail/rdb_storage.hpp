#pragma once

// The logic shared by the SQL storages (sqlite_storage, postgres_storage):
// studies and trials in Optuna 3.1's RDB schema (rdb_schema.hpp) over any
// `sql_connection`. Core: no database client is included here.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../../core/concepts.hpp"
#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../core/study_view.hpp"
#include "../../detail/append_log.hpp"
#include "../../detail/format.hpp"
#include "../../detail/journal_format.hpp"
#include "../../detail/json_line.hpp"
#include "heartbeat.hpp"
#include "rdb_pending.hpp"
#include "rdb_schema.hpp"
#include "sql.hpp"

namespace tunekit::detail {

/// Options every SQL storage shares (their public option aggregates convert
/// to this).
struct rdb_options {
  std::optional<std::chrono::duration<double>> heartbeat_interval;
  std::optional<std::chrono::duration<double>> grace_period;
  int max_retries = 0;
  /// Attempts of one transaction that the database asked to retry
  /// (`sql_retry`) before giving up with `storage_error`.
  int max_attempts = 200;
  /// Coalesce a running trial's parameters, reports and user attributes
  /// into few transactions (rdb_pending.hpp states when they are written);
  /// false: one transaction per write.
  bool coalesce = false;
  /// The oldest unwritten value of a trial is written at the next write
  /// once it is older than this.
  std::chrono::duration<double> coalesce_window{1.0};
  /// Order trial creation with a per-study advisory lock instead of the
  /// study row's lock (PostgreSQL; safe only without Optuna workers, see
  /// postgres_storage_options::creation_lock).
  bool advisory_lock = false;
};

namespace rdb {

inline std::string_view state_name(trial_state s) {
  switch (s) {
    case trial_state::running: return "RUNNING";
    case trial_state::waiting: return "WAITING";
    case trial_state::complete: return "COMPLETE";
    case trial_state::pruned: return "PRUNED";
    case trial_state::fail: return "FAIL";
  }
  return "FAIL";
}

inline std::optional<trial_state> state_from_name(std::string_view s) {
  if (s == "RUNNING") return trial_state::running;
  if (s == "WAITING") return trial_state::waiting;
  if (s == "COMPLETE") return trial_state::complete;
  if (s == "PRUNED") return trial_state::pruned;
  if (s == "FAIL") return trial_state::fail;
  return std::nullopt;
}

/// A state as an SQL literal: states come from a fixed set, never from
/// users, and a literal needs no cast to PostgreSQL's enum type.
inline std::string state_literal(trial_state s) {
  // Appended piecewise: GCC 12 sees a false -Wstringop-overflow in `"'" + std::string(...) + "'"` once inlined.
  std::string out(1, '\'');
  out.append(state_name(s));
  out.push_back('\'');
  return out;
}

/// Optuna's naive local timestamps, "YYYY-MM-DD HH:MM:SS.ffffff".
inline std::string format_time(frozen_trial::clock::time_point t) {
  std::string s = journal::format_time(t);
  if (auto p = s.find('T'); p != std::string::npos) s[p] = ' ';
  return s;
}

inline std::optional<frozen_trial::clock::time_point> parse_time(const sql_value& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (!s) return std::nullopt;
  std::string text = *s;
  if (auto p = text.find(' '); p != std::string::npos) text[p] = 'T';
  return journal::parse_time(text);
}

inline bool is_null(const sql_value& v) { return std::holds_alternative<std::monostate>(v); }

inline std::int64_t as_int(const sql_value& v) {
  if (auto i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (auto s = std::get_if<std::string>(&v)) {
    try {
      return std::stoll(*s);
    } catch (const std::exception&) {
    }
  }
  throw storage_error("the database returned a non-integer where an integer was expected");
}

inline double as_double(const sql_value& v) {
  if (auto d = std::get_if<double>(&v)) return *d;
  if (auto i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto s = std::get_if<std::string>(&v)) {
    try {
      return std::stod(*s);
    } catch (const std::exception&) {
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

inline const std::string& as_text(const sql_value& v) {
  static const std::string empty;
  if (auto s = std::get_if<std::string>(&v)) return *s;
  return empty;
}

/// Optuna's TrialValueModel / TrialIntermediateValueModel encoding: infinite
/// values (and NaN for intermediate values) are NULL plus a type tag.
inline std::pair<sql_value, std::string_view> encode_value(double v) {
  if (std::isnan(v)) return {std::monostate{}, "NAN"};
  if (std::isinf(v)) return {std::monostate{}, v > 0 ? "INF_POS" : "INF_NEG"};
  return {v, "FINITE"};
}

inline double decode_value(const sql_value& v, std::string_view type) {
  if (type == "INF_POS") return std::numeric_limits<double>::infinity();
  if (type == "INF_NEG") return -std::numeric_limits<double>::infinity();
  if (type == "NAN") return std::numeric_limits<double>::quiet_NaN();
  return as_double(v);
}

/// Names, keys and study names: UTF-8 without NUL (PostgreSQL cannot store
/// NUL), at most 512 characters (Optuna's VARCHAR(512)).
inline void check_text(std::string_view what, std::string_view s) {
  if (s.find('\0') != std::string_view::npos)
    throw invalid_argument(std::string(what) + " contains a NUL character, which SQL databases cannot store");
  if (!valid_utf8(s)) throw invalid_argument(std::string(what) + " is not valid UTF-8; names and attributes must be UTF-8");
  std::size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  if (chars > 512)
    throw invalid_argument(std::string(what) + " has " + std::to_string(chars) +
                           " characters; Optuna's schema allows at most 512");
}

}  // namespace rdb

/// Studies and trials in Optuna 3.1's RDB schema over a `sql_connection`.
/// A handle: copies share one connection (guarded by a mutex) and one cache
/// of finished trials, so a view costs O(trials changed since the last one).
template <sql_connection Connection>
class rdb_storage {
  static constexpr sql_dialect dialect = Connection::dialect;

  struct study_cache {
    std::shared_ptr<const study_info> info;
    append_log<frozen_trial> finished;
    std::unordered_map<std::int64_t, std::shared_ptr<const frozen_trial>> finished_by_id;
    std::unordered_set<std::int64_t> seen;  // every trial id seen
    std::set<std::int64_t> pending;         // seen and not finished
    std::int64_t max_seen = 0;
    // First trial (by number) having each parameter, and its distribution.
    std::map<std::string, std::pair<std::int64_t, distribution>, std::less<>> first_dist;
    std::map<std::string, std::int64_t, std::less<>> claims;  // permanent once seen
  };

  struct state {
    explicit state(Connection c) : conn(std::move(c)) {}
    std::mutex mutex;
    Connection conn;
    rdb_options options;
    std::string where;  // "SQLite database '/path'" for messages
    std::map<study_id, study_cache> studies;
    std::unordered_map<std::string, distribution> dist_cache;
    std::set<std::int64_t> owned;  // running trials this handle runs (heartbeats)
    std::map<std::int64_t, study_id> live;  // running trials this handle started, and their study
    std::map<std::int64_t, rdb::pending_trial> unwritten;  // their coalesced writes (rdb_pending.hpp)
    // Trials this handle finished, as read back after the finish, until the
    // next sync of their study takes them instead of reading them again.
    std::map<std::int64_t, frozen_trial> finished_here;
    std::condition_variable_any wake;
    std::jthread heartbeat;  // last: stopped and joined before the rest goes
    ~state() {
      if (heartbeat.joinable()) {
        heartbeat.request_stop();
        wake.notify_all();
        heartbeat.join();
      }
      // The last handle goes: what it held back is written (best effort).
      std::vector<std::int64_t> due;
      for (const auto& [id, p] : unwritten)
        if (!p.empty()) due.push_back(id);
      for (auto id : due) {
        try {
          flush_locked(*this, id);
        } catch (...) {
        }
      }
    }
  };

 public:
  /// Takes an open connection; creates the schema in an empty database and
  /// refuses a database of another schema version. `where` names the
  /// database in messages (never with a password).
  rdb_storage(Connection conn, std::string where, rdb_options options)
      : state_(std::make_shared<state>(std::move(conn))) {
    heartbeats(options).check("");
    if (options.max_attempts < 1) options.max_attempts = 1;
    state_->options = options;
    state_->where = std::move(where);
    {
      std::lock_guard lock(state_->mutex);
      ensure_schema(*state_);
    }
    state_->conn.flush_commits(false);
  }

  const std::string& where() const noexcept { return state_->where; }

  // --- studies -------------------------------------------------------------

  study_id create_study(std::string_view name, std::span<const direction> directions) {
    if (directions.empty()) throw invalid_argument("a study needs at least one direction, got none");
    if (name.empty()) throw invalid_argument("a study name must not be empty");
    rdb::check_text("study name " + json_quoted(name), name);
    return transact([&](state& st) {
      // One statement checks and inserts: with ON CONFLICT DO NOTHING a
      // concurrent creator of the same name (tunekit's or Optuna's) makes
      // this insert wait for its commit and then return no row, instead of
      // failing with a unique violation (PostgreSQL, READ COMMITTED); in
      // SQLite BEGIN IMMEDIATE already serialises creators.
      const auto rows = q(st, "INSERT INTO studies (study_name) VALUES (?) ON CONFLICT (study_name) DO NOTHING RETURNING study_id",
                          {std::string(name)});
      if (rows.empty()) throw study_exists("a study named " + detail::quoted(name) + " already exists in " + st.where);
      const study_id sid = rdb::as_int(rows.at(0).at(0));
      for (std::size_t k = 0; k < directions.size(); ++k)
        // Two whole literals: concatenating them tripped GCC 12's -Warray-bounds (a false positive) at -O3.
        x(st,
          directions[k] == direction::minimize
              ? "INSERT INTO study_directions (direction, study_id, objective) VALUES ('MINIMIZE', ?, ?)"
              : "INSERT INTO study_directions (direction, study_id, objective) VALUES ('MAXIMIZE', ?, ?)",
          {sid, static_cast<std::int64_t>(k)});
      return sid;
    });
  }

  std::optional<study_id> find_study(std::string_view name) const {
    std::lock_guard lock(state_->mutex);
    const auto rows = q(*state_, "SELECT study_id FROM studies WHERE study_name = ?", {std::string(name)});
    if (rows.empty()) return std::nullopt;
    return rdb::as_int(rows[0][0]);
  }

  /// Names of the studies, in creation order.
  std::vector<std::string> study_names() const {
    std::lock_guard lock(state_->mutex);
    std::vector<std::string> out;
    for (const auto& r : q(*state_, "SELECT study_name FROM studies ORDER BY study_id", {})) out.push_back(rdb::as_text(r[0]));
    return out;
  }

  /// The id of a study that must exist; the error lists the existing ones.
  study_id study_by_name(std::string_view name) const {
    if (auto id = find_study(name)) return *id;
    std::string known;
    for (const auto& n : study_names()) {
      if (!known.empty()) known += ", ";
      known += detail::quoted(n);
    }
    throw invalid_argument("no study named " + detail::quoted(name) + " in " + where() + "; it has " +
                           (known.empty() ? std::string("no studies") : known));
  }

  std::string study_name(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    return cache_of(*state_, sid).info->name;
  }

  std::vector<direction> study_directions(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    return cache_of(*state_, sid).info->directions;
  }

  void delete_study(study_id sid) {
    transact([&](state& st) {
      // Workers may still be writing to the study: keep new trials out (the
      // study row lock) and lock its trials, so no child row is added
      // between the deletes below (PostgreSQL; SQLite's write lock already
      // excludes them).
      if (dialect == sql_dialect::postgres && st.options.advisory_lock) q(st, rdb::advisory_lock_study_sql(), {sid, sid});
      if (q(st, rdb::lock_study_sql(dialect), {sid}).empty())
        throw invalid_argument("unknown study id " + std::to_string(sid) + " in " + st.where);
      q(st, "SELECT trial_id FROM trials WHERE study_id = ?" + std::string(rdb::for_update(dialect)), {sid});
      for (const char* child : {"trial_params", "trial_values", "trial_intermediate_values", "trial_user_attributes",
                                "trial_system_attributes", "trial_heartbeats"})
        x(st, std::string("DELETE FROM ") + child + " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?)",
          {sid});
      for (const char* table : {"trials", "study_user_attributes", "study_system_attributes", "study_directions", "studies"})
        x(st, std::string("DELETE FROM ") + table + " WHERE study_id = ?", {sid});
      return 0;
    });
    std::lock_guard lock(state_->mutex);
    state_->studies.erase(sid);
    std::erase_if(state_->live, [&](const auto& kv) {
      if (kv.second != sid) return false;
      state_->unwritten.erase(kv.first);
      return true;
    });
  }

  void set_study_user_attr(study_id sid, std::string_view key, const nlohmann::json& value) {
    set_study_attr(sid, "study_user_attributes", key, value);
  }
  void set_study_system_attr(study_id sid, std::string_view key, const nlohmann::json& value) {
    set_study_attr(sid, "study_system_attributes", key, value);
  }
  attributes study_user_attrs(study_id sid) const { return study_attrs(sid, "study_user_attributes"); }
  attributes study_system_attrs(study_id sid) const { return study_attrs(sid, "study_system_attributes"); }

  /// Reserves `key` for trial `number` (see `study_view::claim`): the first
  /// insert of the study system attribute `tunekit:claim:<key>` wins; the
  /// unique (study_id, key) constraint arbitrates across processes.
  bool claim(study_id sid, std::string_view key, std::int64_t number) { return claim_impl(state_.get(), sid, key, number); }

  // --- trials --------------------------------------------------------------

  frozen_trial create_trial(study_id sid, const frozen_trial& rec) {
    if (rec.state != trial_state::running && rec.state != trial_state::waiting)
      throw invalid_argument("create_trial: a new trial must be RUNNING or WAITING, got " +
                             std::string(to_string(rec.state)));
    return insert_trial(sid, rec, true);
  }

  /// Stores a finished (or waiting) trial as it is, e.g. when copying a
  /// study or warm-starting one; returns it with its new number and id.
  frozen_trial add_trial(study_id sid, const frozen_trial& rec) {
    if (rec.state == trial_state::running)
      throw invalid_argument("add_trial: the trial must be finished or WAITING, not RUNNING");
    return insert_trial(sid, rec, false);
  }

  std::optional<frozen_trial> pop_waiting_trial(study_id sid) {
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
    auto id = transact([&](state& st) -> std::optional<std::int64_t> {
      lock_study(st, sid);
      fail_stale_locked(st, sid);
      while (true) {
        const auto rows = q(st,
                            "SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY trial_id LIMIT 1" +
                                std::string(rdb::for_update(dialect)),
                            {sid});
        if (rows.empty()) return std::nullopt;
        const std::int64_t id = rdb::as_int(rows[0][0]);
        const auto changed = x(st,
                               "UPDATE trials SET state = 'RUNNING', datetime_start = " + std::string(rdb::ts_param(dialect)) +
                                   " WHERE trial_id = ? AND state = 'WAITING'",
                               {rdb::format_time(frozen_trial::clock::now()), id});
        if (changed != 1) continue;
        if (st.options.heartbeat_interval) beat_locked(st, id);
        return id;
      }
    });
    if (!id) return std::nullopt;
    std::lock_guard lock(state_->mutex);
    own(*state_, *id);
    state_->live[*id] = sid;
    return load_trial(*state_, *id).first;
  }

  void set_param(std::int64_t id, std::string_view name, double internal, const distribution& d) {
    rdb::check_text("parameter name " + json_quoted(name), name);
    const std::string dist = journal::distribution_to_json(d);
    // With retries, a trial failed by its heartbeat is re-run with its
    // parameters, so they must be in the database before the worker can
    // die: written at once.
    if (state_->options.max_retries == 0 && coalesced(id, [&](state& st, study_id sid, rdb::pending_trial& p) {
          check_distribution(st, sid, name, d);
          p.params.insert_or_assign(std::string(name), rdb::pending_trial::param{internal, d, dist});
          return false;
        }))
      return;
    transact([&](state& st) {
      const study_id sid = running_study(st, id, "set_param");
      check_distribution(st, sid, name, d);
      x(st,
        "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = excluded.param_value, "
        "distribution_json = excluded.distribution_json",
        {id, std::string(name), internal, dist});
      return 0;
    }, true);
  }

  void set_intermediate_value(std::int64_t id, std::int64_t step, double value) {
    // Coalesced: the first report also writes the parameters (rdb_pending.hpp).
    if (coalesced(id, [&](state&, study_id, rdb::pending_trial& p) {
          const bool first = !p.params.empty();
          p.reports.insert_or_assign(step, value);
          return first;
        }))
      return;
    const auto [v, type] = rdb::encode_value(value);
    transact([&, v = v, type = type](state& st) {
      running_study(st, id, "set_intermediate_value");
      x(st,
        "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES (?, ?, "
        "?, '" + std::string(type) + "') ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = "
        "excluded.intermediate_value, intermediate_value_type = excluded.intermediate_value_type",
        {id, step, v});
      return 0;
    }, true);
  }

  void set_user_attr(std::int64_t id, std::string_view key, const nlohmann::json& value) {
    rdb::check_text("attribute key " + json_quoted(key), key);
    const std::string text = to_json_text(value);
    if (coalesced(id, [&](state&, study_id, rdb::pending_trial& p) {
          p.user_attrs.insert_or_assign(std::string(key), text);
          return false;
        }))
      return;
    transact([&](state& st) {
      running_study(st, id, "set_user_attr");
      upsert_attr(st, "trial_user_attributes", "trial_id", id, key, text);
      return 0;
    }, true);
  }

  /// Writes now what the coalescing holds back for trial `id` (nothing to
  /// do without `coalesce`, or when all is written).
  void flush(std::int64_t id) {
    std::unique_lock lock(state_->mutex);
    flush_locked(*state_, id);
    lock.unlock();
    state_->conn.flush_commits(true);
  }

  /// A system attribute of a running trial (Optuna's `set_trial_system_attr`).
  void set_system_attr(std::int64_t id, std::string_view key, const nlohmann::json& value) {
    rdb::check_text("attribute key " + json_quoted(key), key);
    const std::string text = to_json_text(value);
    transact([&](state& st) {
      running_study(st, id, "set_system_attr");
      upsert_attr(st, "trial_system_attributes", "trial_id", id, key, text);
      return 0;
    });
  }

  frozen_trial finish_trial(std::int64_t id, trial_state final_state, std::span<const double> values,
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
    try {
    transact([&](state& st) {
      // The state change first: it locks the trial's row and, changing no
      // row, says the trial is not RUNNING (running_study names why).
      if (x(st,
            "UPDATE trials SET state = " + rdb::state_literal(final_state) +
                ", datetime_complete = " + std::string(rdb::ts_param(dialect)) + " WHERE trial_id = ? AND state = 'RUNNING'",
            {rdb::format_time(frozen_trial::clock::now()), id}) != 1) {
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
    });
    } catch (const state_error&) {
      std::lock_guard lock(state_->mutex);
      state_->live.erase(id);
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

  study_view view(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    study_cache& c = sync(*state_, sid);
    auto running_now = [st = state_.get(), sid] {
      std::lock_guard inner(st->mutex);
      std::vector<frozen_trial> out;
      auto it = st->studies.find(sid);
      if (it == st->studies.end()) return out;
      for (auto id : it->second.pending) {
        auto [t, s] = load_trial(*st, id);
        if (t.state == trial_state::running) out.push_back(std::move(t));
      }
      return out;
    };
    study_view v(c.info, c.finished.take_snapshot(), std::move(running_now), static_cast<std::int64_t>(c.seen.size()),
                 state_);
    v.set_claim_source([st = state_.get(), sid](std::string_view key, std::int64_t number) {
      return claim_impl(st, sid, key, number);
    });
    return v;
  }

  frozen_trial trial(std::int64_t id) const {
    std::lock_guard lock(state_->mutex);
    for (const auto& [sid, c] : state_->studies)
      if (auto f = c.finished_by_id.find(id); f != c.finished_by_id.end()) return *f->second;
    return load_trial(*state_, id).first;
  }

  std::vector<frozen_trial> trials(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    study_cache& c = sync(*state_, sid);
    std::vector<frozen_trial> out;
    for (const auto& r : q(*state_, "SELECT trial_id FROM trials WHERE study_id = ? ORDER BY number, trial_id", {sid})) {
      const auto id = rdb::as_int(r[0]);
      if (auto f = c.finished_by_id.find(id); f != c.finished_by_id.end()) out.push_back(*f->second);
      else out.push_back(load_trial(*state_, id).first);
    }
    return out;
  }

  /// Fails the study's RUNNING trials whose heartbeat expired (and re-queues
  /// them if `max_retries` allows); returns how many it failed. Starting a
  /// trial does this too.
  int fail_stale_trials(study_id sid) {
    if (!state_->options.heartbeat_interval) return 0;
    return transact([&](state& st) {
      lock_study(st, sid);
      return fail_stale_locked(st, sid);
    });
  }

  /// Commits per trial cycle, for benchmarks: every call above that writes
  /// is one transaction.
  std::int64_t transactions() const noexcept { return transactions_.load(); }

 private:
  // --- SQL plumbing ----------------------------------------------------------

  static std::vector<sql_row> q(state& st, std::string_view sql, std::initializer_list<sql_value> params) {
    return st.conn.query(sql, std::span<const sql_value>(params.begin(), params.size()));
  }
  static std::int64_t x(state& st, std::string_view sql, std::initializer_list<sql_value> params) {
    return st.conn.execute(sql, std::span<const sql_value>(params.begin(), params.size()));
  }
  static std::vector<sql_row> q(state& st, std::string_view sql, const std::vector<sql_value>& params) {
    return st.conn.query(sql, std::span<const sql_value>(params));
  }
  static std::int64_t x(state& st, std::string_view sql, const std::vector<sql_value>& params) {
    return st.conn.execute(sql, std::span<const sql_value>(params));
  }

  // --- coalesced writes of running trials (rdb_pending.hpp) ------------------

  /// With `coalesce`, hands trial `id`'s unwritten values to `add` (under
  /// the mutex) and writes them when `add` returns true or the oldest is
  /// older than the window. False when the write must go through at once:
  /// no coalescing, or a trial this handle did not start.
  template <class Add>
  bool coalesced(std::int64_t id, Add&& add) {
    state& st = *state_;
    if (!st.options.coalesce) return false;
    std::unique_lock lock(st.mutex);
    auto live = st.live.find(id);
    if (live == st.live.end()) return false;
    rdb::pending_trial& p = st.unwritten[id];
    p.touch();
    const bool now = add(st, live->second, p);
    if (!now && std::chrono::steady_clock::now() - p.oldest < st.options.coalesce_window) return true;
    flush_locked(st, id);
    lock.unlock();
    st.conn.flush_commits(true);
    return true;
  }

  /// Writes trial `id`'s unwritten values in one transaction.
  static void flush_locked(state& st, std::int64_t id) {
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
      st.live.erase(id);
      throw;
    }
    it->second = {};
  }

  static void write_unwritten(state& st, std::int64_t id, const rdb::pending_trial& p) {
    for (const auto& [sql, values] : rdb::pending_statements(dialect, id, p)) x(st, sql, values);
  }

  static std::string json_quoted(std::string_view s) {
    return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  /// Runs `body` in one write transaction under the handle's mutex; on
  /// `sql_retry` (busy, serialization failure, reconnected) runs it again
  /// from the start after a randomised, bounded back-off. Any other error
  /// rolls back and propagates, so nothing is half-written.
  ///
  /// After the commit, outside the mutex, the connection makes the commit
  /// durable if its durability level asks for it (`flush_commits`: SQLite's
  /// group commit); `trial_detail` marks the writes of a running trial
  /// (parameters, intermediate values, attributes) that
  /// `durability::trials` leaves to the trial's finish.
  template <class Body>
  auto transact(Body&& body, bool trial_detail = false) -> decltype(body(std::declval<state&>())) {
    state& st = *state_;
    auto locked = [&] {
      std::lock_guard lock(st.mutex);
      return transact_locked(st, body);
    };
    if constexpr (std::is_void_v<decltype(body(st))>) {
      locked();
      st.conn.flush_commits(trial_detail);
    } else {
      auto result = locked();
      st.conn.flush_commits(trial_detail);
      return result;
    }
  }

  template <class Body>
  static auto transact_locked(state& st, Body& body) -> decltype(body(st)) {
    thread_local std::minstd_rand jitter(std::random_device{}());
    auto pause = std::chrono::microseconds(500);
    for (int attempt = 1;; ++attempt) {
      try {
        st.conn.begin();
        try {
          if constexpr (std::is_void_v<decltype(body(st))>) {
            body(st);
            st.conn.commit();
            ++transactions_;
            return;
          } else {
            auto result = body(st);
            st.conn.commit();
            ++transactions_;
            return result;
          }
        } catch (...) {
          try {
            st.conn.rollback();
          } catch (...) {
            // The connection reports its own state; the first error is the one to tell.
          }
          throw;
        }
      } catch (const sql_retry& e) {
        if (attempt >= st.options.max_attempts)
          throw storage_error(st.where + ": gave up after " + std::to_string(attempt) +
                              " attempts of a transaction the database kept refusing: " + e.what());
        // Forget cached state a rolled-back transaction may have added.
        for (auto& [sid, c] : st.studies) c.first_dist.clear();
        std::this_thread::sleep_for(pause / 2 + std::chrono::microseconds(jitter() % (pause.count() + 1)));
        pause = std::min(pause * 2, std::chrono::microseconds(200000));
      }
    }
  }

  // --- schema ----------------------------------------------------------------

  static bool table_exists(state& st, std::string_view table) {
    return !q(st, rdb::table_exists_sql(dialect), {std::string(table)}).empty();
  }

  /// Creates Optuna's tables in a database that has none; checks the
  /// version of one that has them.
  static void ensure_schema(state& st) {
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

  // --- studies ---------------------------------------------------------------

  /// Locks the study's row (see rdb::lock_study_sql: the lock order shared
  /// with Optuna) and checks that the study exists.
  static void lock_study(state& st, study_id sid) {
    if (dialect == sql_dialect::postgres && st.options.advisory_lock) {
      if (q(st, rdb::advisory_lock_study_sql(), {sid, sid}).empty()) study_gone(st, sid);
      return;
    }
    if (q(st, rdb::lock_study_sql(dialect), {sid}).empty()) study_gone(st, sid);
  }

  [[noreturn]] static void study_gone(state& st, study_id sid) {
    st.studies.erase(sid);
    throw invalid_argument("study id " + std::to_string(sid) + " does not exist in " + st.where +
                           " (it was deleted, or never existed)");
  }

  static void require_study(state& st, study_id sid) {
    if (q(st, "SELECT 1 FROM studies WHERE study_id = ?", {sid}).empty()) study_gone(st, sid);
  }

  /// The cached study, loaded on first use; checks it still exists.
  static study_cache& cache_of(state& st, study_id sid) {
    const auto rows = q(st, "SELECT study_name FROM studies WHERE study_id = ?", {sid});
    auto it = st.studies.find(sid);
    if (rows.empty() || (it != st.studies.end() && it->second.info->name != rdb::as_text(rows[0][0]))) {
      st.studies.erase(sid);
      throw invalid_argument("study id " + std::to_string(sid) + " does not exist in " + st.where +
                             " (it was deleted, or never existed)");
    }
    if (it != st.studies.end()) return it->second;
    study_info info{rdb::as_text(rows[0][0]), {}};
    for (const auto& r : q(st, "SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective", {sid}))
      info.directions.push_back(rdb::as_text(r[0]) == "MAXIMIZE" ? direction::maximize : direction::minimize);
    if (info.directions.empty()) info.directions.push_back(direction::minimize);
    study_cache c;
    c.info = std::make_shared<const study_info>(std::move(info));
    return st.studies.emplace(sid, std::move(c)).first->second;
  }

  /// Brings the study's cache up to date: new trials since the last sync
  /// (trial_id above the highest seen, found through the primary key) and
  /// the pending ones that finished. O(changed trials), not O(all trials).
  static study_cache& sync(state& st, study_id sid) {
    const auto cached = st.studies.find(sid);
    const bool known = cached != st.studies.end();
    study_cache& c = known ? cached->second : cache_of(st, sid);
    // One statement finds the new trials and the states of the pending ones,
    // and checks that the study still exists (no row: it is gone).
    // PostgreSQL's sequences hand out ids before commit, so a trial may
    // become visible after one with a higher id: look back a little.
    const std::int64_t from = dialect == sql_dialect::sqlite ? c.max_seen : std::max<std::int64_t>(0, c.max_seen - 64);
    std::vector<std::int64_t> asked;
    for (auto id : c.pending)
      if (id <= from && asked.size() < 500) asked.push_back(id);
    const auto rows = q(st,
                        "SELECT s.study_name, t.trial_id, t.state FROM studies s LEFT JOIN trials t ON t.study_id = s.study_id AND "
                        "(t.trial_id > ?" + (asked.empty() ? std::string() : " OR t.trial_id IN " + rdb::placeholders(asked.size())) +
                            ") WHERE s.study_id = ? ORDER BY t.trial_id",
                        [&] {
                          // Parameters in text order: from, the pending ids, then the study.
                          std::vector<sql_value> v{from};
                          v.insert(v.end(), asked.begin(), asked.end());
                          v.push_back(sid);
                          return v;
                        }());
    if (rows.empty() || (known && rdb::as_text(rows[0][0]) != c.info->name)) {
      st.studies.erase(sid);
      throw invalid_argument("study id " + std::to_string(sid) + " does not exist in " + st.where +
                             " (it was deleted, or never existed)");
    }
    std::set<std::int64_t> present;
    std::vector<std::int64_t> done;
    for (const auto& r : rows) {
      if (rdb::is_null(r[1])) continue;
      const auto id = rdb::as_int(r[1]);
      present.insert(id);
      if (c.seen.insert(id).second) {
        c.max_seen = std::max(c.max_seen, id);
        c.pending.insert(id);
      }
      const auto s = rdb::state_from_name(rdb::as_text(r[2]));
      if (c.pending.count(id) && s && is_finished(*s)) done.push_back(id);
    }
    // Pending trials asked for but gone (deleted): forget them.
    for (auto id : asked)
      if (!present.count(id)) c.pending.erase(id);
    std::sort(done.begin(), done.end());
    std::vector<std::int64_t> to_load;
    std::map<std::int64_t, std::pair<frozen_trial, study_id>> loaded;
    for (auto id : done) {
      if (auto h = st.finished_here.find(id); h != st.finished_here.end()) {
        loaded.emplace(id, std::pair{std::move(h->second), sid});
        st.finished_here.erase(h);
      } else {
        to_load.push_back(id);
      }
    }
    loaded.merge(load_trials(st, to_load));
    for (auto id : done) {
      auto it = loaded.find(id);
      if (it != loaded.end() && !is_finished(it->second.first.state)) continue;
      c.pending.erase(id);
      if (it == loaded.end()) continue;  // deleted in between
      auto p = std::make_shared<const frozen_trial>(std::move(it->second.first));
      c.finished_by_id.emplace(id, p);
      c.finished.push_back(std::move(p));
    }
    return c;
  }

  void set_study_attr(study_id sid, std::string_view table, std::string_view key, const nlohmann::json& value) {
    rdb::check_text("attribute key " + json_quoted(key), key);
    const std::string text = to_json_text(value);
    transact([&](state& st) {
      require_study(st, sid);
      upsert_attr(st, table, "study_id", sid, key, text);
      return 0;
    });
  }

  attributes study_attrs(study_id sid, std::string_view table) const {
    std::lock_guard lock(state_->mutex);
    cache_of(*state_, sid);
    attributes out;
    // Appended piecewise: GCC 12 sees a false -Warray-bounds in the one-expression concatenation.
    std::string sql = "SELECT \"key\", value_json FROM ";
    sql.append(table).append(" WHERE study_id = ?");
    for (const auto& r : q(*state_, sql, {sid}))
      out[rdb::as_text(r[0])] = parse_attr(*state_, rdb::as_text(r[1]));
    return out;
  }

  static void upsert_attr(state& st, std::string_view table, std::string_view owner, std::int64_t id, std::string_view key,
                          const std::string& json) {
    x(st,
      "INSERT INTO " + std::string(table) + " (" + std::string(owner) + ", \"key\", value_json) VALUES (?, ?, ?) " +
          "ON CONFLICT (" + std::string(owner) + ", \"key\") DO UPDATE SET value_json = excluded.value_json",
      {id, std::string(key), json});
  }

  static nlohmann::json parse_attr(state& st, const std::string& text) {
    try {
      return parse_json_line(text);
    } catch (const std::exception& e) {
      throw storage_error(st.where + ": an attribute's value_json is not JSON: " + e.what());
    }
  }

  static bool claim_impl(state* st, study_id sid, std::string_view key, std::int64_t number) {
    std::unique_lock lock(st->mutex);
    if (auto it = st->studies.find(sid); it != st->studies.end())
      if (auto c = it->second.claims.find(key); c != it->second.claims.end()) return c->second == number;
    const std::string attr = std::string(journal::claim_prefix) + std::string(key);
    auto body = [&](state& s) {
      x(s,
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

  // --- trials ----------------------------------------------------------------

  /// The study of a RUNNING trial; `state_error` otherwise.
  static study_id running_study(state& st, std::int64_t id, const char* what) {
    const auto rows = q(st, "SELECT state, study_id, number FROM trials WHERE trial_id = ?" + std::string(rdb::for_update(dialect)),
                        {id});
    if (rows.empty())
      throw state_error(std::string(what) + ": trial id " + std::to_string(id) + " does not exist in " + st.where +
                        " (was its study deleted?)");
    const auto s = rdb::state_from_name(rdb::as_text(rows[0][0]));
    if (s != trial_state::running)
      throw state_error(std::string(what) + ": trial " + std::to_string(rdb::as_int(rows[0][2])) + " is " +
                        rdb::as_text(rows[0][0]) + ", not RUNNING");
    return rdb::as_int(rows[0][1]);
  }

  /// Optuna ignores a parameter whose distribution is incompatible with the
  /// one the study's first trial having it used; tunekit refuses it clearly.
  static void check_distribution(state& st, study_id sid, std::string_view name, const distribution& d) {
    auto& c = cache_of(st, sid);
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

  static distribution dist_of(state& st, const std::string& text, std::string_view name) {
    if (auto hit = st.dist_cache.find(text); hit != st.dist_cache.end()) return hit->second;
    try {
      distribution d = journal::distribution_from_json(text, name);
      if (st.dist_cache.size() >= 4096) st.dist_cache.clear();
      st.dist_cache.emplace(text, d);
      return d;
    } catch (const invalid_argument& e) {
      throw storage_error(st.where + ": " + e.what());
    }
  }

  static void insert_values(state& st, std::int64_t id, std::span<const double> values) {
    for (double v : values)
      if (std::isnan(v)) return;  // no NaN tag in trial_values: stored without values (see finish_trial)
    for (std::size_t k = 0; k < values.size(); ++k) {
      const auto [v, type] = rdb::encode_value(values[k]);
      x(st,
        "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, '" + std::string(type) +
            "') ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, value_type = excluded.value_type",
        {id, static_cast<std::int64_t>(k), v});
    }
  }

  /// Inserts a whole trial; under the study lock. Returns its id.
  static std::int64_t insert_locked(state& st, study_id sid, const frozen_trial& rec, bool start_now,
                                    frozen_trial* created = nullptr) {
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
    if (created) {
      created->id = id;
      created->number = number;
      created->datetime_start = start ? rdb::parse_time(*start) : std::nullopt;
    }
    for (const auto& [name, v] : rec.params) {
      auto d = rec.distributions.find(name);
      if (d == rec.distributions.end())
        throw invalid_argument("trial parameter " + detail::quoted(name) + " has no distribution");
      x(st, "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)",
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
      x(st,
        "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES (?, ?, "
        "?, '" + std::string(type) + "')",
        {id, step, value});
    }
    if (!start_now) insert_values(st, id, rec.values);
    if (start_now && rec.state == trial_state::running && st.options.heartbeat_interval) beat_locked(st, id);
    return id;
  }

  frozen_trial insert_trial(study_id sid, const frozen_trial& rec, bool start_now) {
    for (const auto& [k, v] : rec.params) rdb::check_text("parameter name " + json_quoted(k), k);
    for (const auto& [k, v] : rec.user_attrs) rdb::check_text("attribute key " + json_quoted(k), k);
    for (const auto& [k, v] : rec.system_attrs) rdb::check_text("attribute key " + json_quoted(k), k);
    // A fresh trial with nothing but system attributes (what a tuner's ask
    // creates) is returned as written, without reading it back.
    const bool as_written = start_now && rec.params.empty() && rec.distributions.empty() &&
                            rec.intermediate_values.empty() && rec.user_attrs.empty() && rec.fail_reason.empty();
    frozen_trial created;
    const std::int64_t id = transact([&](state& st) {
      lock_study(st, sid);
      if (start_now) fail_stale_locked(st, sid);
      return insert_locked(st, sid, rec, start_now, &created);
    });
    std::lock_guard lock(state_->mutex);
    if (start_now && rec.state == trial_state::running) {
      own(*state_, id);
      state_->live[id] = sid;
    }
    if (!as_written) return load_trial(*state_, id).first;
    created.state = rec.state;
    for (const auto& [k, v] : rec.system_attrs) created.system_attrs[k] = parse_attr(*state_, to_json_text(v));
    return created;
  }

  /// Loads trials by id, up to 100 per round trip (PostgreSQL: one
  /// statement that aggregates each child table as JSON; SQLite, whose JSON
  /// prints reals with 15 digits only: one statement per table); ids that
  /// do not exist are left out.
  static std::map<std::int64_t, std::pair<frozen_trial, study_id>> load_trials(state& st, std::span<const std::int64_t> ids) {
    std::map<std::int64_t, std::pair<frozen_trial, study_id>> out;
    for (std::size_t from = 0; from < ids.size(); from += 100) {
      const auto chunk = ids.subspan(from, std::min<std::size_t>(100, ids.size() - from));
      const std::vector<sql_value> bound(chunk.begin(), chunk.end());
      const std::string in = " WHERE trial_id IN " + rdb::placeholders(chunk.size());
      // Child rows, each (trial_id, ...) as the per-table statements return them.
      std::vector<sql_row> params, values, steps, user, system;
      std::vector<sql_row> heads;
      if constexpr (dialect == sql_dialect::postgres) {
        auto agg = [](const char* cols, const char* table, const char* order) {
          return std::string("(SELECT json_agg(json_build_array(") + cols + ")" + order + ") FROM " + table +
                 " c WHERE c.trial_id = t.trial_id)";
        };
        heads = q(st,
                  "SELECT t.trial_id, t.number, t.study_id, t.state, t.datetime_start, t.datetime_complete, " +
                      agg("param_name, param_value, distribution_json", "trial_params", "") + ", " +
                      agg("objective, value, value_type", "trial_values", " ORDER BY objective") + ", " +
                      agg("step, intermediate_value, intermediate_value_type", "trial_intermediate_values", "") + ", " +
                      agg("\"key\", value_json", "trial_user_attributes", "") + ", " +
                      agg("\"key\", value_json", "trial_system_attributes", "") + " FROM trials t" +
                      " WHERE t.trial_id IN " + rdb::placeholders(chunk.size()),
                  bound);
        auto unpack = [&](const sql_value& id, const sql_value& text, std::vector<sql_row>& into) {
          if (rdb::is_null(text)) return;
          const nlohmann::json all = parse_attr(st, rdb::as_text(text));
          for (const nlohmann::json& item : all) {
            sql_row r{id};
            for (const nlohmann::json& v : item) {
              if (v.is_null()) r.emplace_back(std::monostate{});
              else if (v.is_number_integer()) r.emplace_back(v.get<std::int64_t>());
              else if (v.is_number()) r.emplace_back(v.get<double>());
              else if (v.is_string()) r.emplace_back(v.get<std::string>());  // text, or "NaN"/"Infinity"
              else r.emplace_back(v.dump());
            }
            into.push_back(std::move(r));
          }
        };
        for (const auto& h : heads) {
          unpack(h[0], h[6], params);
          unpack(h[0], h[7], values);
          unpack(h[0], h[8], steps);
          unpack(h[0], h[9], user);
          unpack(h[0], h[10], system);
        }
      } else {
        heads = q(st, "SELECT trial_id, number, study_id, state, datetime_start, datetime_complete FROM trials" + in, bound);
        params = q(st, "SELECT trial_id, param_name, param_value, distribution_json FROM trial_params" + in, bound);
        values = q(st, "SELECT trial_id, objective, value, value_type FROM trial_values" + in + " ORDER BY trial_id, objective",
                   bound);
        steps = q(st, "SELECT trial_id, step, intermediate_value, intermediate_value_type FROM trial_intermediate_values" + in,
                  bound);
        user = q(st, "SELECT trial_id, \"key\", value_json FROM trial_user_attributes" + in, bound);
        system = q(st, "SELECT trial_id, \"key\", value_json FROM trial_system_attributes" + in, bound);
      }
      for (const auto& r : heads) {
        const std::int64_t id = rdb::as_int(r[0]);
        frozen_trial t;
        t.id = id;
        t.number = rdb::is_null(r[1]) ? -1 : rdb::as_int(r[1]);
        const auto s = rdb::state_from_name(rdb::as_text(r[3]));
        if (!s)
          throw storage_error(st.where + ": trial id " + std::to_string(id) + " has unknown state " +
                              detail::quoted(rdb::as_text(r[3])));
        t.state = *s;
        t.datetime_start = rdb::parse_time(r[4]);
        t.datetime_complete = rdb::parse_time(r[5]);
        out.emplace(id, std::pair{std::move(t), rdb::as_int(r[2])});
      }
      auto of = [&](const sql_value& v) -> frozen_trial* {
        auto it = out.find(rdb::as_int(v));
        return it == out.end() ? nullptr : &it->second.first;
      };
      for (const auto& r : params)
        if (frozen_trial* t = of(r[0])) {
          const std::string& name = rdb::as_text(r[1]);
          t->distributions.insert_or_assign(name, dist_of(st, rdb::as_text(r[3]), name));
          t->params[name] = rdb::as_double(r[2]);
        }
      for (const auto& r : values)
        if (frozen_trial* t = of(r[0])) t->values.push_back(rdb::decode_value(r[2], rdb::as_text(r[3])));
      for (const auto& r : steps)
        if (frozen_trial* t = of(r[0])) t->intermediate_values[rdb::as_int(r[1])] = rdb::decode_value(r[2], rdb::as_text(r[3]));
      for (const auto& r : user)
        if (frozen_trial* t = of(r[0])) t->user_attrs[rdb::as_text(r[1])] = parse_attr(st, rdb::as_text(r[2]));
      for (const auto& r : system)
        if (frozen_trial* t = of(r[0])) {
          const std::string& key = rdb::as_text(r[1]);
          nlohmann::json v = parse_attr(st, rdb::as_text(r[2]));
          if (key == journal::fail_reason_key && v.is_string()) t->fail_reason = v.get<std::string>();
          if (key == journal::resources_key && v.is_object()) {
            t->resources.wall_seconds = v.value("wall_seconds", 0.0);
            t->resources.cpu_seconds = v.value("cpu_seconds", 0.0);
            t->resources.peak_memory_growth_bytes = v.value("peak_memory_growth_bytes", std::int64_t{0});
          }
          t->system_attrs[key] = std::move(v);
        }
    }
    for (auto& [id, entry] : out)
      if (auto p = st.unwritten.find(id); p != st.unwritten.end()) p->second.overlay(entry.first);
    return out;
  }

  static std::pair<std::optional<frozen_trial>, study_id> load_trial_opt(state& st, std::int64_t id) {
    auto found = load_trials(st, std::span<const std::int64_t>(&id, 1));
    if (found.empty()) return {std::nullopt, -1};
    auto& [t, sid] = found.begin()->second;
    return {std::move(t), sid};
  }

  static std::pair<frozen_trial, study_id> load_trial(state& st, std::int64_t id) {
    auto [t, sid] = load_trial_opt(st, id);
    if (!t)
      throw invalid_argument("trial id " + std::to_string(id) + " does not exist in " + st.where +
                             " (was its study deleted?)");
    return {std::move(*t), sid};
  }

  // --- heartbeats ------------------------------------------------------------

  /// Records now (database clock) as the trial's heartbeat, as Optuna's
  /// `record_heartbeat` does, in the trial_heartbeats table.
  static void beat_locked(state& st, std::int64_t id) {
    x(st,
      "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, " + std::string(rdb::now_sql(dialect)) +
          ") ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
      {id});
  }

  /// Fails the study's RUNNING trials (not ours) whose heartbeat expired,
  /// and re-queues them when retries are allowed, with Optuna's
  /// RetryFailedTrialCallback system attributes. Under the creation lock.
  static heartbeat_policy heartbeats(const rdb_options& o) {
    return {.interval = o.heartbeat_interval, .grace = o.grace_period, .max_retries = o.max_retries};
  }

  static int fail_stale_locked(state& st, study_id sid) {
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
  static void own(state& st, std::int64_t id) {
    if (!st.options.heartbeat_interval) return;
    st.owned.insert(id);
    if (!st.heartbeat.joinable())
      st.heartbeat = std::jthread([s = &st](std::stop_token stop) { beat_loop(*s, stop); });
  }

  static void beat_loop(state& st, std::stop_token stop) {
    const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*st.options.heartbeat_interval);
    std::unique_lock lock(st.mutex);
    while (!stop.stop_requested()) {
      st.wake.wait_for(lock, stop, interval, [] { return false; });
      if (stop.stop_requested()) break;
      if (st.owned.empty()) continue;
      try {
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
      } catch (const std::exception&) {
        // A failed beat is retried next interval; the trial's own writes report errors.
      }
    }
  }

  static inline std::atomic<std::int64_t> transactions_{0};
  std::shared_ptr<state> state_;
};

}  // namespace tunekit::detail
