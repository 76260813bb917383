#pragma once

/// \file
/// Exact hypervolume (the Lebesgue measure of the region a point set
/// dominates, bounded by a reference point) and each point's exclusive
/// contribution. Minimisation throughout (see `to_minimization`).
///
/// References:
///   - E. Zitzler, L. Thiele. *Multiobjective optimization using evolutionary
///     algorithms: a comparative case study*. PPSN V, 1998 (the indicator).
///   - C. M. Fonseca, L. Paquete, M. López-Ibáñez. *An improved
///     dimension-sweep algorithm for the hypervolume indicator*. IEEE CEC
///     2006, and N. Beume, C. M. Fonseca, M. López-Ibáñez, L. Paquete,
///     J. Vahrenhold. *On the complexity of computing the hypervolume
///     indicator*. IEEE Trans. Evol. Comput. 13(5), 2009 (3-D in O(n log n):
///     sweep along the third objective keeping the 2-D staircase in a
///     balanced search tree).
///   - L. While, L. Bradstreet, L. Barone. *A fast way of calculating exact
///     hypervolumes*. IEEE Trans. Evol. Comput. 16(1), 2012 (WFG: the sum of
///     exclusive hypervolumes, each the point's box minus the hypervolume of
///     the others limited to it).
///
/// Complexity with n points: 2-D O(n log n); 3-D O(n log n); m >= 4 WFG,
/// exponential in m in the worst case but fast on the fronts samplers see.
/// Contributions: 2-D O(n log n), otherwise one limited hypervolume per point.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "pareto.hpp"

namespace tunekit {

/// What `hypervolume` does with points that have a coordinate beyond the
/// reference point (they dominate none of the bounded region in that axis).
enum class outside_reference {
  /// Throw `invalid_argument` naming the point (the default: a reference
  /// point that does not bound the front is usually a mistake).
  error,
  /// Leave such points out: they add nothing (the convention of the
  /// multi-objective benchmark suite).
  ignore,
};

namespace detail {

/// Checks dimensions and finiteness, then keeps the points that weakly
/// dominate the reference point (or throws, per `rule`).
inline point_set checked_points(const point_set& points, std::span<const double> reference, outside_reference rule,
                                const char* what) {
  if (reference.empty()) throw invalid_argument(std::string(what) + ": the reference point is empty");
  for (std::size_t k = 0; k < reference.size(); ++k)
    if (!std::isfinite(reference[k]))
      throw invalid_argument(std::string(what) + ": reference point value " + std::to_string(k) + " is " +
                             format_number(reference[k]) + "; it must be finite");
  check_points(points, what, reference.size());
  point_set kept;
  kept.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    bool inside = true;
    for (std::size_t k = 0; k < reference.size(); ++k)
      if (points[i][k] > reference[k]) {
        if (rule == outside_reference::error)
          throw invalid_argument(std::string(what) + ": point " + std::to_string(i) + " does not dominate the reference point (objective " +
                                 std::to_string(k) + ": " + format_number(points[i][k]) + " > " +
                                 format_number(reference[k]) +
                                 "); choose a worse reference point or pass outside_reference::ignore");
        inside = false;
        break;
      }
    if (inside) kept.push_back(points[i]);
  }
  return kept;
}

/// 2-D: sort by the first objective and sweep, adding the slab each point
/// lowers the second objective by. O(n log n).
inline double hv_2d(point_set p, std::span<const double> r) {
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a[0] != b[0] ? a[0] < b[0] : a[1] < b[1]; });
  double hv = 0, y = r[1];
  for (const auto& q : p)
    if (q[1] < y) {
      hv += (r[0] - q[0]) * (y - q[1]);
      y = q[1];
    }
  return hv;
}

/// The 2-D staircase of the 3-D sweep: non-dominated (x, y) points in a
/// balanced tree keyed by x (y then decreases), with sentinels (-inf, r1) and
/// (r0, -inf) so every point has both neighbours, and the dominated area
/// kept up to date as points come and go.
class staircase {
 public:
  staircase(double r0, double r1) : r0_(r0) {
    s_.emplace(-std::numeric_limits<double>::infinity(), r1);
    s_.emplace(r0, -std::numeric_limits<double>::infinity());
  }
  double area() const noexcept { return area_; }

  /// Adds (x, y) unless the staircase already weakly dominates it. O(log n)
  /// amortised (each point is removed at most once).
  void insert(double x, double y) {
    auto right = s_.upper_bound(x);
    auto left = std::prev(right);  // largest key <= x
    if (left->second <= y) return;  // weakly dominated
    // Remove the points (x' >= x, y' >= y) that (x, y) dominates.
    auto it = left->first == x ? left : right;
    while (it->first < r0_ && it->second >= y) {
      area_ -= exclusive(it);
      it = s_.erase(it);
    }
    auto placed = s_.emplace_hint(it, x, y);
    area_ += exclusive(placed);
  }

 private:
  using map = std::map<double, double>;
  /// Area only this point dominates: up to its right neighbour's x and its
  /// left neighbour's y.
  double exclusive(map::iterator it) const {
    const double xr = std::next(it)->first, yl = std::prev(it)->second;
    return (xr - it->first) * (yl - it->second);
  }
  double r0_;
  map s_;
  double area_ = 0;
};

/// 3-D by the dimension sweep of Fonseca et al. (2006) / Beume et al.
/// (2009): visit points by increasing third objective, keep the 2-D
/// staircase of the points seen so far, add area × height of each slab.
inline double hv_3d(point_set p, std::span<const double> r) {
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a[2] < b[2]; });
  staircase st(r[0], r[1]);
  double hv = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    st.insert(p[i][0], p[i][1]);
    const double next_z = i + 1 < p.size() ? p[i + 1][2] : r[2];
    hv += st.area() * (next_z - p[i][2]);
  }
  return hv;
}

inline double box_volume(std::span<const double> p, std::span<const double> r) {
  double v = 1;
  for (std::size_t k = 0; k < r.size(); ++k) v *= r[k] - p[k];
  return v;
}

/// The points no other point weakly dominates (duplicates kept once).
inline point_set nondominated_unique(point_set p) {
  std::sort(p.begin(), p.end());
  p.erase(std::unique(p.begin(), p.end()), p.end());
  point_set out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < p.size() && !dominated; ++j) dominated = j != i && dominates(p[j], p[i]);
    if (!dominated) out.push_back(p[i]);
  }
  return out;
}

inline double hv_any(point_set p, std::span<const double> r);

/// WFG (While et al. 2012): with the points sorted by the last objective,
/// HV = Σ_i exclusive(p_i, {p_{i+1}, ...}); each exclusive hypervolume is
/// the box of p_i minus the hypervolume of the later points limited to
/// (made no better than) p_i, whose non-dominated subset is small.
inline double hv_wfg(point_set p, std::span<const double> r) {
  const std::size_t m = r.size();
  std::sort(p.begin(), p.end(), [m](const auto& a, const auto& b) { return a[m - 1] > b[m - 1]; });
  double hv = 0;
  point_set limited;
  for (std::size_t i = 0; i < p.size(); ++i) {
    limited.clear();
    for (std::size_t j = i + 1; j < p.size(); ++j) {
      std::vector<double> q(m);
      for (std::size_t k = 0; k < m; ++k) q[k] = std::max(p[i][k], p[j][k]);
      limited.push_back(std::move(q));
    }
    hv += box_volume(p[i], r) - hv_any(nondominated_unique(std::move(limited)), r);
    limited = {};
  }
  return hv;
}

/// Dispatch by dimension; small sets directly.
inline double hv_any(point_set p, std::span<const double> r) {
  if (p.empty()) return 0;
  if (p.size() == 1) return box_volume(p[0], r);
  switch (r.size()) {
    case 1: {
      double best = r[0];
      for (const auto& q : p) best = std::min(best, q[0]);
      return r[0] - best;
    }
    case 2: return hv_2d(std::move(p), r);
    case 3: return hv_3d(std::move(p), r);
    default: return hv_wfg(std::move(p), r);
  }
}

}  // namespace detail

/// The hypervolume of `points` bounded by `reference` (minimisation): the
/// measure of { x : x <= reference and some point <= x }. Exact: O(n log n)
/// for 2 and 3 objectives, WFG for more. Throws `invalid_argument` on an
/// empty or non-finite reference point, points whose length differs from
/// the reference point's, non-finite values, and (with the default `rule`)
/// points that do not weakly dominate the reference point.
inline double hypervolume(const point_set& points, std::span<const double> reference,
                          outside_reference rule = outside_reference::error) {
  point_set p = detail::checked_points(points, reference, rule, "hypervolume");
  return detail::hv_any(std::move(p), reference);
}

/// Each point's exclusive contribution: the hypervolume lost if it alone
/// were removed (0 for dominated points and for duplicates). Same checks as
/// `hypervolume`; with `outside_reference::ignore`, points outside the
/// reference contribute 0.
inline std::vector<double> hypervolume_contributions(const point_set& points, std::span<const double> reference,
                                                     outside_reference rule = outside_reference::error) {
  detail::checked_points(points, reference, rule, "hypervolume_contributions");
  const std::size_t n = points.size(), m = reference.size();
  std::vector<double> out(n, 0.0);
  std::vector<std::size_t> inside;
  for (std::size_t i = 0; i < n; ++i) {
    bool in = true;
    for (std::size_t k = 0; k < m; ++k) in = in && points[i][k] <= reference[k];
    if (in) inside.push_back(i);
  }
  if (m == 2) {
    // The staircase (points that strictly lower the second objective in
    // order of the first) splits into disjoint exclusive rectangles R_s =
    // [x_s, x_{s+1}) x [y_s, y_{s-1}). Every other point is dominated and its
    // corner lies in at most one R_s, which its box alone can cut: so
    // contribution_s = area(R_s) - HV(points cornered in R_s, bounded by
    // R_s's far corner). O(n log n) in all.
    std::sort(inside.begin(), inside.end(), [&](std::size_t a, std::size_t b) {
      return points[a][0] != points[b][0] ? points[a][0] < points[b][0] : points[a][1] < points[b][1];
    });
    std::vector<std::size_t> stair;
    std::vector<std::size_t> rest;
    for (std::size_t i : inside) {
      if (stair.empty() || points[i][1] < points[stair.back()][1]) stair.push_back(i);
      else rest.push_back(i);
    }
    auto far_x = [&](std::size_t s) { return s + 1 < stair.size() ? points[stair[s + 1]][0] : reference[0]; };
    auto far_y = [&](std::size_t s) { return s > 0 ? points[stair[s - 1]][1] : reference[1]; };
    std::vector<point_set> cornered(stair.size());
    for (std::size_t i : rest) {
      // The last step with x_s <= x: it has the least y among points left of i.
      auto it = std::upper_bound(stair.begin(), stair.end(), points[i][0],
                                 [&](double x, std::size_t j) { return x < points[j][0]; });
      const auto s = static_cast<std::size_t>(it - stair.begin()) - 1;
      if (points[i][1] < far_y(s)) cornered[s].push_back(points[i]);
    }
    for (std::size_t s = 0; s < stair.size(); ++s) {
      const std::vector<double> corner{far_x(s), far_y(s)};
      const auto& q = points[stair[s]];
      out[stair[s]] = (corner[0] - q[0]) * (corner[1] - q[1]) - detail::hv_2d(std::move(cornered[s]), corner);
    }
    return out;
  }
  // Exclusive hypervolume by WFG's limiting (While et al. 2012).
  for (std::size_t a : inside) {
    point_set limited;
    for (std::size_t b : inside) {
      if (b == a) continue;
      std::vector<double> q(m);
      for (std::size_t k = 0; k < m; ++k) q[k] = std::max(points[a][k], points[b][k]);
      limited.push_back(std::move(q));
    }
    out[a] = std::max(0.0, detail::box_volume(points[a], reference) -
                               detail::hv_any(detail::nondominated_unique(std::move(limited)), reference));
  }
  return out;
}

}  // namespace tunekit
