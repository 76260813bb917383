#pragma once

/// The multi-objective split of TPE (used by tpe_impl.hpp): which trials are
/// "good" and how much each weighs, as Optuna 3.1's multi-objective
/// `TPESampler` decides it.
///
/// References:
///   - Y. Ozaki, Y. Tanigaki, S. Watanabe, M. Onishi. *Multiobjective
///     tree-structured Parzen estimator for computationally expensive
///     optimization problems*. GECCO 2020 (MOTPE: the good trials are the
///     best non-domination ranks, the last one cut by hypervolume subset
///     selection; their kernels weighted by hypervolume contribution).
///   - A. P. Guerreiro, C. M. Fonseca, L. Paquete. *Greedy hypervolume subset
///     selection in low dimensions*. Evol. Comput. 24(3), 2016 (the greedy
///     HSSP, a (1 - 1/e)-approximation).
///   - Constraints: feasible trials first, then by total violation
///     (constrained_split.hpp, with its reference).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "../../mo/hypervolume.hpp"
#include "../../mo/pareto.hpp"
#include "constrained_split.hpp"

namespace tunekit::detail::motpe {

inline constexpr double eps = 1e-12;  // Optuna's EPS

/// Optuna's reference point for a set of losses: per objective
/// max(1.1 w, 0.9 w) of the worst value w (so it bounds negative values
/// too), EPS where that is 0.
inline std::vector<double> reference_of(const point_set& p) {
  std::vector<double> r(p.front().size(), -std::numeric_limits<double>::infinity());
  for (const auto& v : p)
    for (std::size_t k = 0; k < r.size(); ++k) r[k] = std::max(r[k], v[k]);
  for (double& x : r) {
    x = std::max(1.1 * x, 0.9 * x);
    if (x == 0) x = eps;
  }
  return r;
}

/// Greedy hypervolume subset selection: `k` of `p` (positions), each step
/// the point that adds the most hypervolume to those already chosen.
inline std::vector<std::size_t> greedy_hssp(const point_set& p, std::size_t k) {
  const auto ref = reference_of(p);
  std::vector<std::size_t> chosen;
  std::vector<bool> taken(p.size(), false);
  point_set selected;
  double hv_selected = 0;
  while (chosen.size() < k) {
    std::size_t best = p.size();
    double best_gain = -1;
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (taken[j]) continue;
      selected.push_back(p[j]);
      const double gain = hypervolume(selected, ref) - hv_selected;
      selected.pop_back();
      if (gain > best_gain) best_gain = gain, best = j;
    }
    taken[best] = true;
    chosen.push_back(best);
    selected.push_back(p[best]);
    hv_selected += best_gain;
  }
  return chosen;
}

/// The good trials of `losses` (minimised objective vectors, one per usable
/// trial, in chronological order) and their kernel weights, `n_below` of
/// them: by constrained order first when `violations` is given (feasible
/// first, then by total violation), else by non-domination rank, the last
/// rank cut by greedy HSSP. Weights: each good feasible trial's
/// hypervolume contribution within the good set, + EPS, scaled to mean 1
/// (Optuna 3.1 scales the largest to 1; see below); EPS for infeasible ones. `below` gets positions in increasing order.
inline void split(const point_set& losses, std::span<const double> violations, std::size_t n_below,
                  std::vector<std::size_t>& below, std::vector<double>& weights) {
  const std::size_t n = losses.size();
  below.clear();
  weights.clear();
  n_below = std::min(n_below, n);
  if (n_below == 0) return;
  std::vector<std::size_t> pool;
  if (violations.empty()) {
    pool.resize(n);
    std::iota(pool.begin(), pool.end(), std::size_t{0});
  } else if (!split_by_violation(violations, n_below, below)) {  // enough feasible trials: split those by dominance
    for (std::size_t i = 0; i < n; ++i)
      if (!(violations[i] > 0)) pool.push_back(i);
  }
  if (!pool.empty()) {
    point_set p;
    for (std::size_t i : pool) p.push_back(losses[i]);
    const auto fronts = non_dominated_fronts(p);
    for (const auto& front : fronts) {
      const std::size_t room = n_below - below.size();
      if (room == 0) break;
      if (front.size() <= room) {
        for (std::size_t j : front) below.push_back(pool[j]);
      } else {
        point_set last;
        for (std::size_t j : front) last.push_back(p[j]);
        for (std::size_t j : greedy_hssp(last, room)) below.push_back(pool[front[j]]);
      }
    }
  }
  std::sort(below.begin(), below.end());
  // Weights from hypervolume contributions of the feasible good trials.
  point_set good;
  for (std::size_t i : below)
    if (violations.empty() || violations[i] <= 0) good.push_back(losses[i]);
  std::vector<double> contributions;
  if (good.size() == 1) contributions = {1.0};
  else if (good.size() > 1) {
    contributions = hypervolume_contributions(good, reference_of(good));
    double sum = 0;
    for (double& c : contributions) c += eps, sum += c;
    // Mean 1 (Optuna 3.1: largest 1): the prior kernel then has the share of
    // l(x) it has in single-objective TPE, 1 / (n_good + 1), rather than
    // outweighing good kernels whose contributions are mostly small.
    for (double& c : contributions) c = c * static_cast<double>(contributions.size()) / sum;
  }
  std::size_t g = 0;
  for (std::size_t i : below) weights.push_back(violations.empty() || violations[i] <= 0 ? contributions[g++] : eps);
}

}  // namespace tunekit::detail::motpe
