#pragma once

/// \file
/// The outputs the GP sampler models, one GP each, and what its acquisition
/// needs besides their posteriors (samplers/gp.hpp has the references):
///   - each objective (sign flipped when maximised), standardised and, by
///     default, warped (gp_fit.hpp);
///   - each constraint (<= 0 satisfied, Optuna's convention), standardised
///     without warp, with the image of 0 as the threshold of its
///     probability of feasibility, log Phi((threshold - mu) / sigma);
///   - for one objective, the incumbent of log EI: the best feasible value;
///     for two or three, the front of the feasible trials, the reference
///     point and the boxes of the region it does not dominate (ehvi.hpp).
/// With no feasible trial the acquisition is the log probability of
/// feasibility alone (Gardner et al. 2014, "Bayesian optimization with
/// inequality constraints", ICML, for EI x PoF; log form as in Ament et al. 2023).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "../../core/random.hpp"
#include "../../mo/pareto.hpp"
#include "ehvi.hpp"
#include "gp_fit.hpp"
#include "motpe.hpp"

namespace tunekit::detail::gp {

/// What the acquisition needs besides the posteriors (set by `outputs`).
struct acquisition_state {
  std::size_t n_objectives = 1;
  bool improve = true;             ///< false while no trial is feasible: feasibility alone
  double best = 0;                 ///< one objective: the best feasible standardised value
  ehvi::boxes boxes;               ///< several: the region the feasible front does not dominate
  point_set front;                 ///< several: the feasible standardised objectives (and fantasies)
  std::vector<double> reference;   ///< several: the reference point
  std::vector<double> thresholds;  ///< per constraint, the standardised image of 0
  std::vector<double> rank;        ///< per trial, the order in which local candidates take centres
};

/// ParEGO's augmented Chebyshev scalarisation (Knowles 2006) of the
/// objectives (`objectives[k][i]`, minimised): each objective normalised to
/// [0, 1] over the trials, then max_k w_k f_k + 0.05 sum_k w_k f_k, the
/// weights `w` drawn uniformly on the simplex (normalised exponentials) and
/// written to `weights`. The small linear term keeps weakly dominated points
/// from tying with the points that dominate them.
template <class = void>
inline std::vector<double> chebyshev_scalarised(const std::vector<std::vector<double>>& objectives, random_engine& rng,
                                                std::vector<double>& weights) {
  constexpr double rho = 0.05;
  const std::size_t m = objectives.size(), n = m == 0 ? 0 : objectives.front().size();
  weights.assign(m, 0.0);
  double sum = 0;
  for (double& w : weights) w = -std::log1p(-rng.uniform()), sum += w;
  for (double& w : weights) w = sum > 0 ? w / sum : 1.0 / static_cast<double>(m);
  std::vector<double> worst(n, -std::numeric_limits<double>::infinity()), linear(n, 0.0);
  for (std::size_t k = 0; k < m; ++k) {
    // Halves, so that the range of values near +-DBL_MAX does not overflow.
    const auto [lo, hi] = std::minmax_element(objectives[k].begin(), objectives[k].end());
    const double low = n ? *lo / 2 : 0, range = n && *hi > *lo ? *hi / 2 - low : 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double f = weights[k] * (objectives[k][i] / 2 - low) / range;
      worst[i] = std::max(worst[i], f), linear[i] += f;
    }
  }
  for (std::size_t i = 0; i < n; ++i) worst[i] += rho * linear[i];
  return worst;
}

/// The standardised outputs (the objectives, then the constraints) of the
/// modelled trials, and the acquisition's state from them. `objectives[k][i]`
/// is objective k of trial i (minimised); `constraints[i]` trial i's
/// constraint values, if it has any. The study's number of constraints is
/// the largest a trial has. Constraint values enter the model as they are,
/// except: a trial without constraints (feasible) at the smallest value seen
/// (0 if larger); NaN, +-inf (stored as the largest double) and a wrong number
/// of values (infeasible) at the largest value seen (0 if smaller) plus the
/// values' spread, -inf at the smallest minus the spread. `rng` breaks ties
/// between the centres of the local candidates (several objectives only).
template <class = void>
inline std::vector<Eigen::VectorXd> outputs(const std::vector<std::vector<double>>& objectives,
                                            const std::vector<std::optional<std::vector<double>>>& constraints,
                                            bool warp, random_engine& rng, acquisition_state& acq) {
  const std::size_t m = objectives.size(), n = constraints.size();
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<Eigen::VectorXd> ys;
  for (const auto& v : objectives) ys.push_back(standardise(v, warp));
  acq = {};
  acq.n_objectives = m;
  std::size_t c = 0;
  for (const auto& k : constraints)
    if (k) c = std::max(c, k->size());
  std::vector<double> violation(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    if (const auto& k = constraints[i]) violation[i] = k->size() == c ? constraint_violation(*k) : inf;
  for (std::size_t j = 0; j < c; ++j) {
    constexpr double huge = 1e300;
    double lo = inf, hi = -inf;
    for (const auto& k : constraints)
      if (k && k->size() == c && std::abs((*k)[j]) < huge) lo = std::min(lo, (*k)[j]), hi = std::max(hi, (*k)[j]);
    if (lo > hi) lo = hi = 0;
    const double spread = hi > lo ? hi - lo : std::max(std::abs(hi), 1.0);
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& k = constraints[i];
      const double x = !k ? std::min(lo, 0.0) : k->size() != c ? std::numeric_limits<double>::quiet_NaN() : (*k)[j];
      v[i] = std::abs(x) < huge ? x : x < 0 ? std::min(lo, 0.0) - spread : std::max(hi, 0.0) + spread;
    }
    double zero = 0;
    ys.push_back(standardise(v, false, &zero));
    acq.thresholds.push_back(zero);
  }
  point_set front;  // the feasible trials' standardised objectives
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < n; ++i) {
    if (violation[i] > 0) continue;
    std::vector<double> p(m);
    for (std::size_t k = 0; k < m; ++k) p[k] = ys[k][static_cast<Eigen::Index>(i)];
    front.push_back(std::move(p));
    where.push_back(i);
  }
  // Centres of the local candidates: the best feasible trials (by value, or
  // by non-domination rank with ties broken at random); with none feasible,
  // the least violating.
  acq.improve = !front.empty();
  acq.rank = violation;
  if (!acq.improve) return ys;
  for (double& r : acq.rank) r = r > 0 ? inf : r;
  if (m == 1) {
    acq.best = inf;
    for (std::size_t j = 0; j < front.size(); ++j) acq.rank[where[j]] = front[j][0], acq.best = std::min(acq.best, front[j][0]);
    return ys;
  }
  const auto ranks = non_dominated_ranks(front);
  for (std::size_t j = 0; j < front.size(); ++j) acq.rank[where[j]] = static_cast<double>(ranks[j]) + 0.5 * rng.uniform();
  // The reference point: Optuna's rule (motpe::reference_of, as its
  // multi-objective TPE and GP samplers) on the standardised feasible
  // values: per objective max(1.1 w, 0.9 w) of the worst value w.
  acq.reference = motpe::reference_of(front);
  acq.front = std::move(front);
  acq.boxes = ehvi::nondominated_boxes(acq.front, acq.reference);
  return ys;
}

}  // namespace tunekit::detail::gp
