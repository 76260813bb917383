#pragma once

/// \file
/// Pareto dominance, non-dominated sorting, constrained domination and
/// crowding distance: the multi-objective maths every multi-objective sampler
/// and report needs. All functions minimise every objective; studies with
/// maximised objectives go through `to_minimization` first.
///
/// References:
///   - K. Deb, A. Pratap, S. Agarwal, T. Meyarivan. *A fast and elitist
///     multiobjective genetic algorithm: NSGA-II*. IEEE Trans. Evol. Comput.
///     6(2), 2002 (fast non-dominated sort, crowding distance, constrained
///     domination).
///   - H. T. Kung, F. Luccio, F. P. Preparata. *On finding the maxima of a set
///     of vectors*. J. ACM 22(4), 1975, and M. T. Jensen. *Reducing the
///     run-time complexity of multiobjective EAs: the NSGA-II and other
///     algorithms*. IEEE Trans. Evol. Comput. 7(5), 2003 (non-dominated
///     sorting of two objectives in O(n log n) by a sweep).
///
/// Complexity with n points of m objectives: `non_dominated_ranks` O(n log n)
/// for m <= 2, O(m n^2) otherwise (Deb 2002); `crowding_distance` O(m n log n).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../detail/format.hpp"

namespace tunekit {

/// A set of objective vectors, one per point (all of one length).
using point_set = std::vector<std::vector<double>>;

/// True when `a` Pareto-dominates `b` (minimisation): no worse in every
/// objective and strictly better in at least one. Equal points do not
/// dominate each other.
template <class = void>
bool dominates(std::span<const double> a, std::span<const double> b) noexcept {
  bool strictly = false;
  const std::size_t m = std::min(a.size(), b.size());
  for (std::size_t k = 0; k < m; ++k) {
    if (a[k] > b[k]) return false;
    strictly = strictly || a[k] < b[k];
  }
  return strictly;
}

/// The total constraint violation of Deb (2002): the sum of the positive
/// constraint values (a value <= 0 is satisfied, Optuna's convention). A NaN
/// constraint counts as violated without bound (+inf): an unknown constraint
/// is never treated as satisfied.
template <class = void>
double constraint_violation(std::span<const double> constraints) noexcept {
  double v = 0;
  for (double c : constraints) {
    if (std::isnan(c)) return std::numeric_limits<double>::infinity();
    if (c > 0) v += c;
  }
  return v;
}

/// Constrained domination (Deb 2002, section V): a feasible point dominates
/// an infeasible one; of two infeasible points the one with the smaller
/// total violation dominates; two feasible points compare by `dominates`.
/// `violation_a`/`violation_b` come from `constraint_violation` (0 = feasible).
template <class = void>
bool constrained_dominates(std::span<const double> a, double violation_a, std::span<const double> b,
                                  double violation_b) noexcept {
  const bool fa = violation_a <= 0, fb = violation_b <= 0;
  if (fa && fb) return dominates(a, b);
  if (fa != fb) return fa;
  return violation_a < violation_b;
}

/// The objective values of a study as minimisation values: maximised
/// objectives change sign. Throws if a vector's length differs from the
/// number of directions.
template <class = void>
point_set to_minimization(const point_set& values, std::span<const direction> directions) {
  point_set out = values;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].size() != directions.size())
      throw invalid_argument("to_minimization: point " + std::to_string(i) + " has " + std::to_string(out[i].size()) +
                             " values but there are " + std::to_string(directions.size()) + " directions");
    for (std::size_t k = 0; k < directions.size(); ++k)
      if (directions[k] == direction::maximize) out[i][k] = -out[i][k];
  }
  return out;
}

namespace detail {

/// Checks that every point has `m` finite values (m taken from the first
/// point when 0); returns m. `what` names the calling function.
template <class = void>
std::size_t check_points(const point_set& points, const char* what, std::size_t m = 0) {
  if (m == 0 && !points.empty()) m = points.front().size();
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].size() != m)
      throw invalid_argument(std::string(what) + ": point " + std::to_string(i) + " has " +
                             std::to_string(points[i].size()) + " values, expected " + std::to_string(m) +
                             " (every point needs one value per objective)");
    for (std::size_t k = 0; k < m; ++k)
      if (!std::isfinite(points[i][k]))
        throw invalid_argument(std::string(what) + ": point " + std::to_string(i) + " has a non-finite value (" +
                               format_number(points[i][k]) + ") in objective " + std::to_string(k) +
                               "; drop failed or NaN trials first");
  }
  if (!points.empty() && m == 0) throw invalid_argument(std::string(what) + ": points have no objective values");
  return m;
}

/// Ranks for m = 2 by a sweep in lexicographic order (Jensen 2003): every
/// dominator of a point comes before it, and the fronts' smallest second
/// objective grows with the rank, so a point's rank is the first front none
/// of whose members dominates it, found by binary search. O(n log n).
template <class = void>
std::vector<std::size_t> ranks_2d(const point_set& p) {
  const std::size_t n = p.size();
  // Contiguous copies: sorting through the vectors of vectors costs a cache
  // miss per comparison.
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = p[i][0], y[i] = p[i][1];
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return x[a] != x[b] ? x[a] < x[b] : y[a] < y[b]; });
  // Per front: its smallest f2 and the smallest f1 among members with that f2
  // (the first such member in sweep order).
  std::vector<double> min_f2, f1_at_min;
  std::vector<std::size_t> rank(n);
  for (std::size_t i : order) {
    const double f1 = x[i], f2 = y[i];
    auto dominated_by = [&](std::size_t k) { return min_f2[k] < f2 || (min_f2[k] == f2 && f1_at_min[k] < f1); };
    std::size_t lo = 0, hi = min_f2.size();  // first front that does not dominate p[i]
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (dominated_by(mid)) lo = mid + 1;
      else hi = mid;
    }
    rank[i] = lo;
    if (lo == min_f2.size()) {
      min_f2.push_back(f2);
      f1_at_min.push_back(f1);
    } else if (f2 < min_f2[lo]) {
      min_f2[lo] = f2;
      f1_at_min[lo] = f1;
    }
  }
  return rank;
}

/// Deb's fast non-dominated sort (2002): count each point's dominators,
/// peel fronts off. O(m n^2) time, O(n^2) memory in the worst case.
template <class = void>
std::vector<std::size_t> ranks_general(const point_set& p) {
  const std::size_t n = p.size();
  std::vector<std::vector<std::size_t>> dominated(n);
  std::vector<std::size_t> count(n, 0), rank(n, 0), current;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      if (dominates(p[i], p[j])) dominated[i].push_back(j), ++count[j];
      else if (dominates(p[j], p[i])) dominated[j].push_back(i), ++count[i];
    }
  for (std::size_t i = 0; i < n; ++i)
    if (count[i] == 0) current.push_back(i);
  for (std::size_t r = 0; !current.empty(); ++r) {
    std::vector<std::size_t> next;
    for (std::size_t i : current) {
      rank[i] = r;
      for (std::size_t j : dominated[i])
        if (--count[j] == 0) next.push_back(j);
    }
    current = std::move(next);
  }
  return rank;
}

}  // namespace detail

/// The non-domination rank of every point: 0 for the Pareto front, 1 for the
/// front of what remains, and so on (Deb 2002). O(n log n) for up to two
/// objectives, O(m n^2) for more. Throws `invalid_argument` on points of
/// different lengths or non-finite values.
template <class = void>
std::vector<std::size_t> non_dominated_ranks(const point_set& points) {
  const std::size_t m = detail::check_points(points, "non_dominated_ranks");
  if (points.empty()) return {};
  if (m == 1) {
    std::vector<double> sorted;
    for (const auto& p : points) sorted.push_back(p[0]);
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::vector<std::size_t> rank;
    for (const auto& p : points)
      rank.push_back(static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), p[0]) - sorted.begin()));
    return rank;
  }
  return m == 2 ? detail::ranks_2d(points) : detail::ranks_general(points);
}

/// Ranks under constrained domination (Deb 2002): the feasible points
/// (violation <= 0) ranked by `non_dominated_ranks`, then the infeasible
/// ones, one rank per distinct violation, smallest first. `violations[i]`
/// is `constraint_violation` of point i.
template <class = void>
std::vector<std::size_t> constrained_non_dominated_ranks(const point_set& points,
                                                                std::span<const double> violations) {
  detail::check_points(points, "constrained_non_dominated_ranks");
  if (violations.size() != points.size())
    throw invalid_argument("constrained_non_dominated_ranks: " + std::to_string(violations.size()) +
                           " violations for " + std::to_string(points.size()) + " points; give one per point");
  point_set feasible;
  std::vector<std::size_t> feasible_index;
  std::vector<double> infeasible_violations;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (std::isnan(violations[i]) || violations[i] > 0) infeasible_violations.push_back(violations[i]);
    else feasible.push_back(points[i]), feasible_index.push_back(i);
  }
  std::vector<std::size_t> rank(points.size(), 0);
  const std::vector<std::size_t> fr = non_dominated_ranks(feasible);
  std::size_t n_feasible_ranks = 0;
  for (std::size_t j = 0; j < fr.size(); ++j) {
    rank[feasible_index[j]] = fr[j];
    n_feasible_ranks = std::max(n_feasible_ranks, fr[j] + 1);
  }
  auto as_key = [](double v) { return std::isnan(v) ? std::numeric_limits<double>::infinity() : v; };
  for (double& v : infeasible_violations) v = as_key(v);
  std::sort(infeasible_violations.begin(), infeasible_violations.end());
  infeasible_violations.erase(std::unique(infeasible_violations.begin(), infeasible_violations.end()),
                              infeasible_violations.end());
  for (std::size_t i = 0; i < points.size(); ++i)
    if (std::isnan(violations[i]) || violations[i] > 0) {
      const double key = as_key(violations[i]);
      rank[i] = n_feasible_ranks + static_cast<std::size_t>(std::lower_bound(infeasible_violations.begin(),
                                                                             infeasible_violations.end(), key) -
                                                            infeasible_violations.begin());
    }
  return rank;
}

/// The points grouped by rank: `fronts[r]` lists the indices of rank r in
/// increasing order.
template <class = void>
std::vector<std::vector<std::size_t>> fronts_of(std::span<const std::size_t> ranks) {
  std::vector<std::vector<std::size_t>> fronts;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (ranks[i] >= fronts.size()) fronts.resize(ranks[i] + 1);
    fronts[ranks[i]].push_back(i);
  }
  return fronts;
}

/// Non-dominated sorting: the fronts of `points`, best first.
template <class = void>
std::vector<std::vector<std::size_t>> non_dominated_fronts(const point_set& points) {
  const auto ranks = non_dominated_ranks(points);
  return fronts_of(ranks);
}

/// The indices of the Pareto-optimal points (rank 0), in increasing order.
/// Duplicates of a Pareto-optimal point are all kept.
template <class = void>
std::vector<std::size_t> pareto_front(const point_set& points) {
  auto fronts = non_dominated_fronts(points);
  return fronts.empty() ? std::vector<std::size_t>{} : std::move(fronts.front());
}

/// Crowding distance of the points `members` of one front (Deb 2002,
/// section III-B): per objective, the gap between each point's neighbours
/// normalised by the front's range, summed; the extreme points of every
/// objective get +inf. Objectives on which the whole front is equal add
/// nothing. Returns one distance per member, in the order of `members`.
template <class = void>
std::vector<double> crowding_distance(const point_set& points, std::span<const std::size_t> members) {
  const std::size_t n = members.size();
  std::vector<double> d(n, 0.0);
  if (n == 0) return d;
  const std::size_t m = points[members[0]].size();
  if (n <= 2) return std::vector<double>(n, std::numeric_limits<double>::infinity());
  std::vector<std::size_t> order(n);
  for (std::size_t k = 0; k < m; ++k) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return points[members[a]][k] < points[members[b]][k]; });
    const double lo = points[members[order.front()]][k], hi = points[members[order.back()]][k];
    if (!(hi > lo)) continue;
    d[order.front()] = d[order.back()] = std::numeric_limits<double>::infinity();
    for (std::size_t j = 1; j + 1 < n; ++j)
      d[order[j]] += (points[members[order[j + 1]]][k] - points[members[order[j - 1]]][k]) / (hi - lo);
  }
  return d;
}

}  // namespace tunekit
