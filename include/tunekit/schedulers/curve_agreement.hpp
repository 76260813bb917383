#pragma once

// How well a study's early values rank its final ones, rung by rung: the
// measurement behind "do my learning curves cross?", which decides whether
// early stopping can tell good configurations apart (docs/schedulers.md,
// "Which early stopping?").

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "../core/errors.hpp"
#include "../core/study_view.hpp"
#include "../detail/budget_ladder.hpp"
#include "../detail/rank_correlation.hpp"

namespace tunekit {

/// Options of `curve_agreement`: the rungs, as a scheduler's.
struct curve_agreement_options {
  /// The first rung's step (>= 1).
  std::int64_t min_resource = 1;
  /// The last step a trial trains to, the reference ranking (>= min_resource). Required.
  std::optional<std::int64_t> max_resource = std::nullopt;
  /// η: rungs at min_resource · η^k below max_resource, as Hyperband's (>= 2).
  std::int64_t reduction_factor = 3;
};

/// One rung's agreement with the last step, over the trials that have a
/// finite value at both (their report at the first step at or past each).
struct rung_agreement {
  /// The rung's step.
  std::int64_t step = 0;
  /// How many trials have finite values at this rung and at max_resource.
  std::size_t trials = 0;
  /// Spearman's ρ between their values here and at max_resource (NaN with fewer than 3 trials).
  double rank_correlation = std::numeric_limits<double>::quiet_NaN();
  /// The same ρ over the best ⌈trials/η⌉ of them at this rung only (NaN with fewer than 3):
  /// whether the configurations a cut here keeps are ranked as they end, which decides
  /// every later cut. Low while `rank_correlation` is high means the early values
  /// separate bad from good but not good from best.
  double top_rank_correlation = std::numeric_limits<double>::quiet_NaN();
  /// Of the trials best at max_resource (the best ⌈trials/η²⌉), the fraction that a cut
  /// here keeps (the best ⌈trials/η⌉ at this rung); NaN with no trials.
  double best_kept = std::numeric_limits<double>::quiet_NaN();
};

/// For each rung below max_resource (min_resource · η^k), how the finished
/// trials' values there rank them against their values at max_resource.
///
/// Measure it on trials that were not stopped early (a pilot study with no
/// scheduler, or the trials that reached the end): stopped trials have no
/// value at max_resource and are left out, so a study run under ASHA compares
/// its survivors only. Values are read as the samplers of the budget rule
/// read them: a trial's report at the first step at or past the rung; a
/// COMPLETE trial that never reported counts at max_resource only; NaN and
/// ±inf values are left out. Maximised studies are ranked best-first as
/// minimised ones. Single-objective studies only (an error otherwise).
///
/// How to read it: `best_kept` near 1 at a rung means a first cut there keeps
/// the configurations that end best; `top_rank_correlation` below about 0.5
/// means later cuts among the kept ones are close to coin flips, so stopping
/// saves little past the first cut there (see docs/schedulers.md for the
/// values measured on XGBoost and a network). Cost O(n log n) per rung.
inline std::vector<rung_agreement> curve_agreement(const study_view& view, const curve_agreement_options& options) {
  const std::vector<std::int64_t> budgets =
      detail::budget_ladder("curve_agreement: ", options.min_resource, options.max_resource, options.reduction_factor,
                            " (e.g. the number of epochs)");
  const double sign = view.single_direction() == direction::maximize ? -1.0 : 1.0;
  const std::size_t last = budgets.size() - 1;
  const auto eta = static_cast<std::size_t>(options.reduction_factor);
  // values[k][i]: trial i's value at budget k (NaN when it has none).
  std::vector<std::vector<double>> values(budgets.size());
  for (const auto& t : view.finished()) {
    std::vector<double> at(budgets.size(), std::numeric_limits<double>::quiet_NaN());
    detail::for_each_budget_value(t, budgets, [&](std::size_t k, double v) {
      if (std::isfinite(v)) at[k] = sign * v;
    });
    if (std::isnan(at[last])) continue;
    for (std::size_t k = 0; k < budgets.size(); ++k) values[k].push_back(at[k]);
  }
  auto best_of = [](const std::vector<double>& v, std::vector<std::size_t> idx, std::size_t count) {
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    idx.resize(std::min(count, idx.size()));
    return idx;
  };
  auto ceil_div = [](std::size_t a, std::size_t b) { return (a + b - 1) / b; };
  std::vector<rung_agreement> out;
  for (std::size_t k = 0; k < last; ++k) {
    rung_agreement r{.step = budgets[k]};
    std::vector<std::size_t> both;
    for (std::size_t i = 0; i < values[k].size(); ++i)
      if (!std::isnan(values[k][i])) both.push_back(i);
    r.trials = both.size();
    auto rho = [&](const std::vector<std::size_t>& idx) {
      if (idx.size() < 3) return std::numeric_limits<double>::quiet_NaN();
      std::vector<double> early, final;
      for (std::size_t i : idx) {
        early.push_back(values[k][i]);
        final.push_back(values[last][i]);
      }
      return detail::spearman(early, final);
    };
    r.rank_correlation = rho(both);
    if (!both.empty()) {
      const std::vector<std::size_t> kept = best_of(values[k], both, ceil_div(both.size(), eta));
      r.top_rank_correlation = rho(kept);
      const std::vector<std::size_t> best = best_of(values[last], both, ceil_div(both.size(), eta * eta));
      std::size_t hits = 0;
      for (std::size_t i : best) hits += static_cast<std::size_t>(std::find(kept.begin(), kept.end(), i) != kept.end());
      r.best_kept = static_cast<double>(hits) / static_cast<double>(best.size());
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace tunekit
