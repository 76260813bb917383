#pragma once

// Reading for the SQL storages: a study's cache synced from the database,
// study attributes, distributions and whole trials loaded by id.
// Out-of-class definitions of private members of `rdb_storage`
// (rdb_storage_class.hpp); users include rdb_storage.hpp.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../detail/format.hpp"
#include "../../detail/journal_format.hpp"
#include "../../detail/json_line.hpp"
#include "rdb_schema.hpp"
#include "rdb_storage_class.hpp"
#include "rdb_values.hpp"
#include "sql.hpp"

namespace tunekit::detail {

/// Locks the study's row (see rdb::lock_study_sql: the lock order shared
/// with Optuna) and checks that the study exists.
/// `no_flush`: this transaction commits without waiting for its WAL flush
/// (PostgreSQL, rdb::no_flush_column).
template <sql_connection Connection>
void rdb_storage<Connection>::lock_study(state& st, study_id sid, bool no_flush) {
  const std::string_view columns = dialect == sql_dialect::postgres && no_flush ? rdb::no_flush_column : "";
  // Sent with the transaction's next statement (PostgreSQL's pipeline): a
  // study that is gone is reported before that statement's own error.
  auto gone = [&st, sid](const std::vector<sql_row>& rows) {
    if (rows.empty()) study_gone(st, sid);
  };
  if (dialect == sql_dialect::postgres && st.options.advisory_lock) {
    qd(st, rdb::advisory_lock_study_sql(columns), {sid, sid}, gone);
    return;
  }
  qd(st, rdb::lock_study_sql(dialect, columns), {sid}, gone);
}

template <sql_connection Connection>
void rdb_storage<Connection>::study_gone(state& st, study_id sid) {
  st.studies.erase(sid);
  throw invalid_argument("study id " + std::to_string(sid) + " does not exist in " + st.where +
                         " (it was deleted, or never existed)");
}

template <sql_connection Connection>
void rdb_storage<Connection>::require_study(state& st, study_id sid) {
  if (q(st, "SELECT 1 FROM studies WHERE study_id = ?", {sid}).empty()) study_gone(st, sid);
}

/// The cached study, loaded on first use; checks it still exists.
template <sql_connection Connection>
auto rdb_storage<Connection>::cache_of(state& st, study_id sid) -> study_cache& {
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
template <sql_connection Connection>
auto rdb_storage<Connection>::sync(state& st, study_id sid) -> study_cache& {
  const auto cached = st.studies.find(sid);
  const bool known = cached != st.studies.end();
  study_cache& c = known ? cached->second : cache_of(st, sid);
  // One statement finds the new trials and the states of the pending ones,
  // and checks that the study still exists (no row: it is gone).
  // PostgreSQL's sequences hand out ids before commit, so a trial may
  // become visible after one with a higher id: look back a little.
  const std::int64_t from = dialect == sql_dialect::sqlite ? c.known.max_id() : std::max<std::int64_t>(0, c.known.max_id() - 64);
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
    if (c.known.insert(id)) c.pending.insert(id);
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
    c.known.set_finished(id, p.get());
    c.finished.push_back(std::move(p));
  }
  return c;
}

template <sql_connection Connection>
attributes rdb_storage<Connection>::study_attrs(study_id sid, std::string_view table) const {
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

template <sql_connection Connection>
nlohmann::json rdb_storage<Connection>::parse_attr(state& st, const std::string& text) {
  try {
    return parse_json_line(text);
  } catch (const std::exception& e) {
    throw storage_error(st.where + ": an attribute's value_json is not JSON: " + e.what());
  }
}

template <sql_connection Connection>
distribution rdb_storage<Connection>::dist_of(state& st, const std::string& text, std::string_view name) {
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

/// Loads trials by id, up to 100 per round trip (PostgreSQL: one
/// statement, the UNION ALL of one indexed select per table; SQLite, local:
/// one statement per table); ids that do not exist are left out.
template <sql_connection Connection>
std::map<std::int64_t, std::pair<frozen_trial, study_id>> rdb_storage<Connection>::load_trials(state& st, std::span<const std::int64_t> ids) {
  std::map<std::int64_t, std::pair<frozen_trial, study_id>> out;
  for (std::size_t from = 0; from < ids.size(); from += 100) {
    const auto chunk = ids.subspan(from, std::min<std::size_t>(100, ids.size() - from));
    // Child rows, each (trial_id, ...) as the per-table statements return them.
    std::vector<sql_row> params, values, steps, user, system;
    std::vector<sql_row> heads;
    if constexpr (dialect == sql_dialect::postgres) {
      // One statement, one plain index scan per table (no correlated
      // subqueries, no JSON built on the server), the ids bound once per
      // table as one array so the text (and its prepared plan) is fixed.
      // Columns: table, trial_id, an integer, study_id, a text, a real,
      // a second text, datetime_complete.
      std::string ids = "{";
      for (auto id : chunk) ids.append(ids.size() > 1 ? "," : "").append(std::to_string(id));
      ids += "}";
      static const std::string any = " WHERE trial_id = ANY(?::bigint[])";
      static const std::string sql =
          "SELECT 0, trial_id::bigint, number::bigint, study_id::bigint, state::text, NULL::float8, datetime_start::text, "
          "datetime_complete::text FROM trials" + any +
          " UNION ALL SELECT 1, trial_id, NULL, NULL, param_name, param_value, distribution_json, NULL FROM trial_params" + any +
          " UNION ALL SELECT 2, trial_id, objective, NULL, NULL, value, value_type::text, NULL FROM trial_values" + any +
          " UNION ALL SELECT 3, trial_id, step, NULL, NULL, intermediate_value, intermediate_value_type::text, NULL "
          "FROM trial_intermediate_values" + any +
          " UNION ALL SELECT 4, trial_id, NULL, NULL, \"key\", NULL, value_json, NULL FROM trial_user_attributes" + any +
          " UNION ALL SELECT 5, trial_id, NULL, NULL, \"key\", NULL, value_json, NULL FROM trial_system_attributes" + any;
      for (sql_row& r : q(st, sql, {ids, ids, ids, ids, ids, ids})) {
        auto m = [&r](std::size_t j) { return std::move(r[j]); };
        switch (rdb::as_int(r[0])) {
          case 0: heads.push_back({m(1), m(2), m(3), m(4), m(6), m(7)}); break;
          case 1: params.push_back({m(1), m(4), m(5), m(6)}); break;
          case 2: values.push_back({m(1), m(2), m(5), m(6)}); break;
          case 3: steps.push_back({m(1), m(2), m(5), m(6)}); break;
          case 4: user.push_back({m(1), m(4), m(6)}); break;
          default: system.push_back({m(1), m(4), m(6)}); break;
        }
      }
      // Each trial's values in objective order (UNION ALL promises no order).
      std::sort(values.begin(), values.end(), [](const sql_row& x, const sql_row& y) {
        return std::pair{rdb::as_int(x[0]), rdb::as_int(x[1])} < std::pair{rdb::as_int(y[0]), rdb::as_int(y[1])};
      });
    } else {
      const std::vector<sql_value> bound(chunk.begin(), chunk.end());
      const std::string in = " WHERE trial_id IN " + rdb::placeholders(chunk.size());
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

template <sql_connection Connection>
std::pair<std::optional<frozen_trial>, study_id> rdb_storage<Connection>::load_trial_opt(state& st, std::int64_t id) {
  auto found = load_trials(st, std::span<const std::int64_t>(&id, 1));
  if (found.empty()) return {std::nullopt, -1};
  auto& [t, sid] = found.begin()->second;
  return {std::move(t), sid};
}

template <sql_connection Connection>
std::pair<frozen_trial, study_id> rdb_storage<Connection>::load_trial(state& st, std::int64_t id) {
  auto [t, sid] = load_trial_opt(st, id);
  if (!t)
    throw invalid_argument("trial id " + std::to_string(id) + " does not exist in " + st.where +
                           " (was its study deleted?)");
  return {std::move(*t), sid};
}

}  // namespace tunekit::detail
