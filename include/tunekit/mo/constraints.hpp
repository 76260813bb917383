#pragma once

/// \file
/// Constraint values of trials, in Optuna 3.1's form: a trial carries its
/// values in the system attribute `constraints` (a JSON array), each value
/// <= 0 when its constraint is satisfied; a trial is feasible when all are.
/// Optuna's samplers, its journal and its SQL storage read the same
/// attribute, so constrained studies move between the two libraries.
///
/// Non-finite values (JSON has neither NaN nor infinity):
///   - +inf and -inf are stored as the largest finite magnitudes (violated,
///     satisfied: the meaning does not change);
///   - a NaN makes the trial infeasible, ranked below every trial with
///     finite values (an unknown constraint is never taken as satisfied).
///     `constraints` is then stored as null, which is what Optuna 3.1 writes
///     when its `constraints_func` returns NaN and what its samplers rank
///     last; the values as given (NaN as null) are kept in
///     `tunekit:constraints`, so nothing is lost.
/// A trial without the attribute counts as feasible.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/frozen_trial.hpp"
#include "pareto.hpp"

namespace tunekit {

namespace detail {
/// Where Optuna keeps a trial's constraint values.
inline constexpr std::string_view constraints_key = "constraints";
/// Where the values as given are kept when one of them is NaN.
inline constexpr std::string_view given_constraints_key = "tunekit:constraints";
}  // namespace detail

/// The system attributes that store `values` (see the file comment).
template <class = void>
attributes constraint_attributes(std::span<const double> values) {
  constexpr double big = std::numeric_limits<double>::max();
  attributes out;
  nlohmann::json stored = nlohmann::json::array(), given = nlohmann::json::array();
  bool has_nan = false;
  for (double v : values) {
    has_nan = has_nan || std::isnan(v);
    const double finite = std::isnan(v) ? v : std::clamp(v, -big, big);
    stored.push_back(finite);
    given.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(finite));
  }
  if (has_nan) {
    out[std::string(detail::constraints_key)] = nullptr;
    out[std::string(detail::given_constraints_key)] = std::move(given);
  } else {
    out[std::string(detail::constraints_key)] = std::move(stored);
  }
  return out;
}

/// A trial's constraint values: none when it has no `constraints`
/// attribute; NaN where a value is unknown (stored as null, or not a number).
template <class = void>
std::optional<std::vector<double>> trial_constraints(const frozen_trial& t) {
  auto c = t.system_attrs.find(detail::constraints_key);
  if (c == t.system_attrs.end()) return std::nullopt;
  const nlohmann::json* values = &c->second;
  if (!values->is_array()) {
    auto g = t.system_attrs.find(detail::given_constraints_key);
    if (g == t.system_attrs.end() || !g->second.is_array()) return std::vector<double>{std::nan("")};
    values = &g->second;
  }
  std::vector<double> out;
  for (const auto& v : *values) out.push_back(v.is_number() ? v.get<double>() : std::nan(""));
  if (out.empty() && !c->second.is_array()) out.push_back(std::nan(""));
  return out;
}

/// The total violation of Deb (2002) of a trial: 0 when feasible or
/// unconstrained, +inf when a value is NaN (see `constraint_violation`).
template <class = void>
double trial_violation(const frozen_trial& t) {
  const auto c = trial_constraints(t);
  return c ? constraint_violation(*c) : 0.0;
}

/// True when every constraint of `t` is satisfied (or it has none).
template <class = void>
bool is_feasible(const frozen_trial& t) { return trial_violation(t) <= 0; }

/// The best trials of COMPLETE `trials` under constrained domination (Deb
/// 2002): the Pareto front of the feasible ones if there are any; otherwise
/// (empty feasible set) those with the smallest total violation, which
/// `is_feasible` reports as infeasible. Returns positions in `trials`, in
/// order; trials that are not COMPLETE, or whose number of values differs
/// from `directions`, are skipped.
template <class Range>
std::vector<std::size_t> best_trial_positions(const Range& trials, std::span<const direction> directions) {
  point_set points;
  std::vector<double> violations;
  std::vector<std::size_t> where;
  bool constrained = false;
  std::size_t i = 0;
  for (const frozen_trial& t : trials) {
    if (t.state == trial_state::complete && t.values.size() == directions.size()) {
      std::vector<double> v = t.values;
      for (std::size_t k = 0; k < v.size(); ++k)
        if (directions[k] == direction::maximize) v[k] = -v[k];
      points.push_back(std::move(v));
      violations.push_back(trial_violation(t));
      constrained = constrained || violations.back() != 0;
      where.push_back(i);
    }
    ++i;
  }
  const auto ranks = constrained ? constrained_non_dominated_ranks(points, violations) : non_dominated_ranks(points);
  std::vector<std::size_t> best;
  for (std::size_t j = 0; j < ranks.size(); ++j)
    if (ranks[j] == 0) best.push_back(where[j]);
  return best;
}

}  // namespace tunekit
