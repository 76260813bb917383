#pragma once

// The logic shared by the SQL storages (sqlite_storage, postgres_storage):
// studies and trials in Optuna 3.1's RDB schema (rdb_schema.hpp) over any
// `sql_connection`. Core: no database client is included here.
//
// This header holds the options and the class: its state, its public
// operations and the SQL plumbing (transactions). Its private steps are
// defined out of the class in rdb_storage_read.hpp and
// rdb_storage_write.hpp; include rdb_storage.hpp, which brings all three.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
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
#include <type_traits>
#include <unordered_map>
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
#include "trial_checks.hpp"
#include "rdb_pending.hpp"
#include "rdb_schema.hpp"
#include "rdb_trial_index.hpp"
#include "rdb_values.hpp"
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
  /// Commit the creation of a RUNNING trial without waiting for its WAL
  /// flush (PostgreSQL `synchronous_commit = off` for that transaction
  /// only): the study lock is released at once; the trial's next
  /// synchronous commit (its parameters or its finish) makes the creation
  /// durable too, and every later write checks the row is still the trial
  /// created (see postgres_storage_options::async_creation).
  bool async_creation = false;
};

/// Studies and trials in Optuna 3.1's RDB schema over a `sql_connection`.
/// A handle: copies share one connection (guarded by a mutex) and one cache
/// of finished trials, so a view costs O(trials changed since the last one).
template <sql_connection Connection>
class rdb_storage {
  static constexpr sql_dialect dialect = Connection::dialect;

  struct study_cache {
    std::shared_ptr<const study_info> info;
    append_log<frozen_trial> finished;
    rdb::trial_index known;         // every trial id seen; finished ones point into `finished`
    std::set<std::int64_t> pending;  // seen and not finished
    // First trial (by number) having each parameter, and its distribution.
    std::map<std::string, std::pair<std::int64_t, distribution>, std::less<>> first_dist;
    std::map<std::string, std::int64_t, std::less<>> claims;  // permanent once seen
  };

  // A running trial this handle started: its study and, when its creation
  // was committed without waiting for the flush, who it is (number and
  // start time as written), which every later write checks.
  struct live_trial {
    study_id study = 0;
    std::int64_t number = -1;  // -1: created durably, nothing to check
    std::string start;
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
    std::map<std::int64_t, live_trial> live;  // running trials this handle started
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
        xd(st,
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
        xd(st, std::string("DELETE FROM ") + child + " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?)",
          {sid});
      for (const char* table : {"trials", "study_user_attributes", "study_system_attributes", "study_directions", "studies"})
        xd(st, std::string("DELETE FROM ") + table + " WHERE study_id = ?", {sid});
      return 0;
    });
    std::lock_guard lock(state_->mutex);
    state_->studies.erase(sid);
    std::erase_if(state_->live, [&](const auto& kv) {
      if (kv.second.study != sid) return false;
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
    check_created_trial_state(rec);
    return insert_trial(sid, rec, true);
  }

  /// Stores a finished (or waiting) trial as it is, e.g. when copying a
  /// study or warm-starting one; returns it with its new number and id.
  frozen_trial add_trial(study_id sid, const frozen_trial& rec) {
    check_added_trial_state(rec);
    return insert_trial(sid, rec, false);
  }

  /// The oldest WAITING trial of the study, now RUNNING and owned by this
  /// handle; nullopt when none waits (rdb_storage_write.hpp).
  std::optional<frozen_trial> pop_waiting_trial(study_id sid);

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
      xd(st,
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
      xd(st,
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

  /// Ends a RUNNING trial of this handle in one transaction with its unwritten
  /// values (rdb_storage_write.hpp).
  frozen_trial finish_trial(std::int64_t id, trial_state final_state, std::span<const double> values,
                            const resource_usage& usage, const std::string& reason);

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
    study_view v(c.info, c.finished.take_snapshot(), std::move(running_now), static_cast<std::int64_t>(c.known.size()),
                 state_);
    v.set_claim_source([st = state_.get(), sid](std::string_view key, std::int64_t number) {
      return claim_impl(st, sid, key, number);
    });
    return v;
  }

  frozen_trial trial(std::int64_t id) const {
    std::lock_guard lock(state_->mutex);
    for (const auto& [sid, c] : state_->studies)
      if (const frozen_trial* f = c.known.finished(id)) return *f;
    return load_trial(*state_, id).first;
  }

  std::vector<frozen_trial> trials(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    study_cache& c = sync(*state_, sid);
    std::vector<frozen_trial> out;
    for (const auto& r : q(*state_, "SELECT trial_id FROM trials WHERE study_id = ? ORDER BY number, trial_id", {sid})) {
      const auto id = rdb::as_int(r[0]);
      if (const frozen_trial* f = c.known.finished(id)) out.push_back(*f);
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
  // A write whose row count is not needed: a connection that pipelines
  // (PostgreSQL) sends it with the transaction's next statement or its
  // COMMIT; its error is still thrown before anything commits.
  static void xd(state& st, std::string_view sql, std::span<const sql_value> params) {
    if constexpr (requires { st.conn.defer(sql, params); }) st.conn.defer(sql, params);
    else st.conn.execute(sql, params);
  }
  static void xd(state& st, std::string_view sql, std::initializer_list<sql_value> params) {
    xd(st, sql, std::span<const sql_value>(params.begin(), params.size()));
  }
  static void xd(state& st, std::string_view sql, const std::vector<sql_value>& params) {
    xd(st, sql, std::span<const sql_value>(params));
  }
  // A query whose rows go to `on_rows` when the pipeline is read (at once
  // without one), before any later statement's error is thrown.
  template <class F>
  static void qd(state& st, std::string_view sql, std::initializer_list<sql_value> params, F on_rows) {
    const std::span<const sql_value> p(params.begin(), params.size());
    if constexpr (requires { st.conn.defer(sql, p, std::function<void(std::vector<sql_row>)>{}); })
      st.conn.defer(sql, p, std::function<void(std::vector<sql_row>)>(std::move(on_rows)));
    else on_rows(st.conn.query(sql, p));
  }

  // --- coalesced writes of running trials (rdb_pending.hpp) ------------------

  template <class Add>
  bool coalesced(std::int64_t id, Add&& add);
  static void flush_locked(state& st, std::int64_t id);
  static void write_unwritten(state& st, std::int64_t id, const rdb::pending_trial& p);
  static std::string json_quoted(std::string_view s) {
    return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  using landed_check = std::function<bool(state&)>;

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
  auto transact(Body&& body, bool trial_detail = false, const landed_check& landed = {})
      -> decltype(body(std::declval<state&>())) {
    state& st = *state_;
    auto locked = [&] {
      std::lock_guard lock(st.mutex);
      return transact_locked(st, body, landed);
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

  /// `landed`: asked (outside the transaction) when the connection cannot
  /// tell whether a COMMIT whose answer was lost took effect (`sql_in_doubt`);
  /// true: its rows are there. Without it, such a transaction is re-run, which
  /// is right for the writes that are upserts.
  template <class Body>
  static auto transact_locked(state& st, Body& body, const landed_check& landed = {}) -> decltype(body(st)) {
    thread_local std::minstd_rand jitter(std::random_device{}());
    auto pause = std::chrono::microseconds(500);
    for (int attempt = 1;; ++attempt) {
      try {
        st.conn.begin();
        try {
          if constexpr (std::is_void_v<decltype(body(st))>) {
            body(st);
            commit_or_ask(st, landed);
            ++transactions_;
            return;
          } else {
            auto result = body(st);
            commit_or_ask(st, landed);
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

  static void commit_or_ask(state& st, const landed_check& landed) {
    try {
      st.conn.commit();
    } catch (const sql_in_doubt& e) {
      if (landed && landed(st)) return;
      throw sql_retry(std::string(e.what()) + (landed ? "; its rows are not there: re-running it" : "; re-running it"));
    }
  }

  // --- schema ----------------------------------------------------------------

  static bool table_exists(state& st, std::string_view table);
  static void ensure_schema(state& st);

  // --- studies ---------------------------------------------------------------

  static void lock_study(state& st, study_id sid, bool no_flush = false);
  [[noreturn]] static void study_gone(state& st, study_id sid);
  static void require_study(state& st, study_id sid);
  static study_cache& cache_of(state& st, study_id sid);
  static study_cache& sync(state& st, study_id sid);
  void set_study_attr(study_id sid, std::string_view table, std::string_view key, const nlohmann::json& value);
  attributes study_attrs(study_id sid, std::string_view table) const;
  static void upsert_attr(state& st, std::string_view table, std::string_view owner, std::int64_t id, std::string_view key,
                          const std::string& json);
  static nlohmann::json parse_attr(state& st, const std::string& text);
  static bool claim_impl(state* st, study_id sid, std::string_view key, std::int64_t number);

  // --- trials ----------------------------------------------------------------

  static study_id running_study(state& st, std::int64_t id, const char* what);
  static std::string identity_sql(state& st, std::int64_t id, std::vector<sql_value>& bound);
  static void forget_live(state& st, std::int64_t id);
  static void check_distribution(state& st, study_id sid, std::string_view name, const distribution& d);
  static distribution dist_of(state& st, const std::string& text, std::string_view name);
  static void insert_values(state& st, std::int64_t id, std::span<const double> values);
  static std::int64_t insert_locked(state& st, study_id sid, const frozen_trial& rec, bool start_now,
                                    frozen_trial* created = nullptr);
  frozen_trial insert_trial(study_id sid, const frozen_trial& rec, bool start_now);
  static std::map<std::int64_t, std::pair<frozen_trial, study_id>> load_trials(state& st, std::span<const std::int64_t> ids);
  static std::pair<std::optional<frozen_trial>, study_id> load_trial_opt(state& st, std::int64_t id);
  static std::pair<frozen_trial, study_id> load_trial(state& st, std::int64_t id);

  // --- heartbeats ------------------------------------------------------------

  static void beat_locked(state& st, std::int64_t id);
  static heartbeat_policy heartbeats(const rdb_options& o);
  static int fail_stale_locked(state& st, study_id sid);
  static void own(state& st, std::int64_t id);
  static void beat_loop(state& st, std::stop_token stop);
  static inline std::atomic<std::int64_t> transactions_{0};
  std::shared_ptr<state> state_;
};

}  // namespace tunekit::detail
