#pragma once

// Coalesced writes of a running trial for the SQL storages (rdb_storage.hpp):
// what a worker has suggested, reported and attached to a trial it runs,
// held in memory until one transaction writes it all, in one multi-row
// statement per table. Core: no database client is included here.
//
// The rule (docs/storage.md, "Commits per trial"): a running trial's
// parameters, intermediate values and user attributes are written
//   - parameters: at the trial's first report, or at its finish if it never
//     reports (so constant-liar samplers in other workers see a training
//     trial's parameters while it trains);
//   - reports and user attributes: at the trial's finish, in the finish's
//     own transaction; earlier when the oldest unwritten one is older than
//     the coalescing window (checked at each write), and at each heartbeat.
// No scheduler of tunekit (nor Optuna's pruners) reads another worker's
// *running* trial's intermediate values: their decisions read finished
// trials and claims, which are written at once. The worker's own reads
// (its view's running trials, `trial(id)`) see the unwritten values.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../core/distribution.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../detail/json_line.hpp"
#include "sql.hpp"

namespace tunekit::detail::rdb {

/// Unwritten writes of one running trial.
struct pending_trial {
  struct param {
    double internal = 0;
    distribution dist;
    std::string dist_json;
  };
  std::map<std::string, param, std::less<>> params;
  std::map<std::int64_t, double> reports;
  std::map<std::string, std::string, std::less<>> user_attrs;  // key -> JSON text
  std::chrono::steady_clock::time_point oldest{};              // of the unwritten ones

  [[nodiscard]] bool empty() const noexcept { return params.empty() && reports.empty() && user_attrs.empty(); }
  void touch() {
    if (empty()) oldest = std::chrono::steady_clock::now();
  }
  /// Puts the unwritten values into a record read from the database.
  void overlay(frozen_trial& t) const {
    for (const auto& [name, p] : params) {
      t.params[name] = p.internal;
      t.distributions.insert_or_assign(name, p.dist);
    }
    for (const auto& [step, v] : reports) t.intermediate_values.insert_or_assign(step, v);
    for (const auto& [key, text] : user_attrs) t.user_attrs[key] = parse_json_line(text);
  }
};

/// `head` + `n` copies of `row` separated by ", " + `tail`: a multi-row
/// INSERT whose values are all bound.
inline std::string multi_row(std::string_view head, std::string_view row, std::size_t n, std::string_view tail) {
  std::string out(head);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    out += row;
  }
  out += tail;
  return out;
}

/// "(?, ?, ?)" with `n` placeholders, for `IN` lists.
inline std::string placeholders(std::size_t n) {
  std::string out = "(";
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out + ")";
}

/// The statements (SQL, bound values) that write `p` for trial `id`: at
/// most one per table, each an upsert, so writing twice is harmless.
inline std::vector<std::pair<std::string, std::vector<sql_value>>> pending_statements(sql_dialect d, std::int64_t id,
                                                                                       const pending_trial& p) {
  std::vector<std::pair<std::string, std::vector<sql_value>>> out;
  if (!p.params.empty()) {
    std::vector<sql_value> v;
    for (const auto& [name, x] : p.params) v.insert(v.end(), {id, name, x.internal, x.dist_json});
    out.emplace_back(multi_row("INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES ",
                               "(?, ?, ?, ?)", p.params.size(),
                               " ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = excluded.param_value, "
                               "distribution_json = excluded.distribution_json"),
                     std::move(v));
  }
  if (!p.reports.empty()) {
    // The value's type tag is bound as text; PostgreSQL needs the cast to
    // its enum type in a multi-row VALUES list.
    const std::string row = d == sql_dialect::postgres ? "(?, ?, ?, CAST(? AS trialintermediatevaluetype))" : "(?, ?, ?, ?)";
    std::vector<sql_value> v;
    for (const auto& [step, value] : p.reports) {
      const bool nan = value != value;
      const bool inf = !nan && (value > 1.7976931348623157e308 || value < -1.7976931348623157e308);
      sql_value stored = nan || inf ? sql_value{} : sql_value{value};
      std::string tag = nan ? "NAN" : !inf ? "FINITE" : value > 0 ? "INF_POS" : "INF_NEG";
      v.insert(v.end(), {id, step, std::move(stored), std::move(tag)});
    }
    out.emplace_back(multi_row("INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
                               "intermediate_value_type) VALUES ",
                               row, p.reports.size(),
                               " ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = "
                               "excluded.intermediate_value, intermediate_value_type = excluded.intermediate_value_type"),
                     std::move(v));
  }
  if (!p.user_attrs.empty()) {
    std::vector<sql_value> v;
    for (const auto& [key, text] : p.user_attrs) v.insert(v.end(), {id, key, text});
    out.emplace_back(multi_row("INSERT INTO trial_user_attributes (trial_id, \"key\", value_json) VALUES ", "(?, ?, ?)",
                               p.user_attrs.size(),
                               " ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json"),
                     std::move(v));
  }
  return out;
}

}  // namespace tunekit::detail::rdb
