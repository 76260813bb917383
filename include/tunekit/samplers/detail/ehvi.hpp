#pragma once

/// \file
/// Log expected hypervolume improvement (LogEHVI) of a Gaussian posterior
/// with independent objectives, for 2 and 3 objectives, exactly, by a box
/// decomposition of the region the current front does not dominate.
/// Minimisation throughout.
///
/// The improvement of a point y over a front P, bounded by the reference
/// point r, is the measure of { z <= r : y <= z, z not dominated by P }. If
/// the non-dominated region below r is cut into disjoint boxes [l_b, u_b)
/// (l may be -inf), then HVI(y) = sum_b prod_k (u_bk - max(l_bk, y_k))_+, and
/// for independent y_k ~ N(mu_k, sigma_k^2) the expectation factorises per
/// box (Emmerich, Giannakoglou & Naujoks 2006; Emmerich, Yang, Deutz, Wang &
/// Fonseca 2016; Yang, Emmerich, Deutz & Bäck 2019 for the 2-D and 3-D
/// decompositions):
///   E[(u - max(l, Y))_+] = sigma (h(z_u) - h(z_l)),  z = (bound - mu) / sigma,
/// with h(z) = phi(z) + z Phi(z) (h(-inf) = 0), since (u - max(l, Y))_+ =
/// (u - Y)_+ - (l - Y)_+ for l < u and E[(c - Y)_+] = sigma h((c - mu)/sigma).
/// The log of each factor uses the log h of LogEI (Ament, Daulton, Eriksson,
/// Balandat & Bakshy, NeurIPS 2023, acquisition.hpp) and log1mexp for the
/// difference; the boxes are summed by log-sum-exp, so the value stays finite
/// and its gradient informative where EHVI itself underflows.
///
/// Decomposition: 2-D, the staircase of the front gives k + 1 boxes
/// (-inf or x_j, x_{j+1}) x (-inf, y_j); 3-D, a sweep along the third
/// objective keeps the 2-D staircase of the points below; a 2-D box that
/// survives several slabs is one box, so each insertion opens and closes
/// O(1 + points it removes) boxes. The sweep recomputes the staircase's boxes
/// at each point: O(n^2) for a front of n points, cheap beside the GP.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "acquisition.hpp"

namespace tunekit::detail::ehvi {

// The functions are templates only so that they are compiled where the GP
// sampler is, not in every translation unit that includes gp.hpp.

inline constexpr double neg_inf = -std::numeric_limits<double>::infinity();

/// Disjoint boxes [lo, hi) of m <= 3 objectives, stored flat (box b, objective k at b * m + k).
struct boxes {
  std::size_t m = 0;
  std::vector<double> lo, hi;
  std::size_t size() const noexcept { return m == 0 ? 0 : lo.size() / m; }
  void add(std::span<const double> l, std::span<const double> u) {
    for (std::size_t k = 0; k < m; ++k)
      if (!(u[k] > l[k])) return;  // empty
    lo.insert(lo.end(), l.begin(), l.end());
    hi.insert(hi.end(), u.begin(), u.end());
  }
};

/// The 2-D boxes (x_lo, x_hi, y_hi; y_lo = -inf) not dominated by a
/// staircase: points with increasing x and decreasing y, all below (r0, r1).
template <class = void>
inline std::vector<std::array<double, 3>> staircase_boxes(const std::vector<std::pair<double, double>>& st, double r0,
                                                          double r1) {
  std::vector<std::array<double, 3>> out;
  out.reserve(st.size() + 1);
  for (std::size_t j = 0; j <= st.size(); ++j) {
    const double xl = j == 0 ? neg_inf : st[j - 1].first, xh = j < st.size() ? st[j].first : r0;
    const double yh = j == 0 ? r1 : st[j - 1].second;
    if (xh > xl) out.push_back({xl, xh, yh});
  }
  return out;
}

/// Inserts (x, y) into a staircase unless a point of it weakly dominates
/// (x, y); removes the points (x, y) dominates. False when not inserted.
template <class = void>
inline bool staircase_insert(std::vector<std::pair<double, double>>& st, double x, double y) {
  auto it = std::upper_bound(st.begin(), st.end(), x, [](double v, const auto& p) { return v < p.first; });
  if (it != st.begin() && std::prev(it)->second <= y) return false;  // a point with x' <= x, y' <= y
  auto first = std::lower_bound(st.begin(), st.end(), x, [](const auto& p, double v) { return p.first < v; });
  auto last = first;
  while (last != st.end() && last->second >= y) ++last;
  st.insert(st.erase(first, last), {x, y});
  return true;
}

/// Boxes partitioning { z <= reference : z not weakly dominated by `front` }
/// (lower bounds -inf where unbounded). m = reference.size() must be 2 or 3;
/// points beyond the reference point in some objective are left out (they
/// dominate none of it); dominated points and duplicates add nothing.
template <class = void>
inline boxes nondominated_boxes(const std::vector<std::vector<double>>& front, std::span<const double> reference) {
  const std::size_t m = reference.size();
  boxes out;
  out.m = m;
  std::vector<std::vector<double>> p;
  for (const auto& q : front) {
    bool inside = true;
    for (std::size_t k = 0; k < m; ++k) inside = inside && q[k] < reference[k];
    if (inside) p.push_back(q);
  }
  std::vector<std::pair<double, double>> st;
  if (m == 2) {
    for (const auto& q : p) staircase_insert(st, q[0], q[1]);
    for (const auto& b : staircase_boxes(st, reference[0], reference[1]))
      out.add(std::array{b[0], neg_inf}, std::array{b[1], b[2]});
    return out;
  }
  // 3-D: sweep by the third objective. `open` maps a 2-D box to the z where it opened.
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a[2] < b[2]; });
  std::map<std::array<double, 3>, double> open;
  open.emplace(std::array{neg_inf, reference[0], reference[1]}, neg_inf);
  auto close = [&](const std::array<double, 3>& b, double z_lo, double z_hi) {
    out.add(std::array{b[0], neg_inf, z_lo}, std::array{b[1], b[2], z_hi});
  };
  for (const auto& q : p) {
    if (!staircase_insert(st, q[0], q[1])) continue;  // dominated by a point with a lower (or equal) z
    std::map<std::array<double, 3>, double> next;
    for (const auto& b : staircase_boxes(st, reference[0], reference[1])) {
      const auto it = open.find(b);
      next.emplace(b, it == open.end() ? q[2] : it->second);
      if (it != open.end()) open.erase(it);
    }
    for (const auto& [b, z_lo] : open) close(b, z_lo, q[2]);
    open = std::move(next);
  }
  for (const auto& [b, z_lo] : open) close(b, z_lo, reference[2]);
  return out;
}

/// The hypervolume improvement of the point y over the front the boxes came from.
template <class = void>
inline double improvement(const boxes& b, std::span<const double> y) {
  double total = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    double v = 1;
    for (std::size_t k = 0; k < b.m; ++k) v *= std::max(0.0, b.hi[i * b.m + k] - std::max(b.lo[i * b.m + k], y[k]));
    total += v;
  }
  return total;
}

/// log EHVI and its derivatives with respect to each objective's mean and sd.
struct log_ehvi_value {
  double value = neg_inf;
  std::array<double, 3> d_mu{}, d_sigma{};
};

/// log EHVI of independent N(mu_k, sigma_k^2) (sigma_k > 0) over the boxes;
/// -inf when there are no boxes (a front that dominates the whole region).
template <class = void>
inline log_ehvi_value log_ehvi(const boxes& b, std::span<const double> mu, std::span<const double> sigma) {
  const std::size_t m = b.m, n = b.size();
  log_ehvi_value r;
  if (n == 0) return r;
  // Per box: the sum over objectives of log T_k and its partial derivatives.
  std::vector<double> s(n), dmu(n * m), dsg(n * m);
  struct end_value {
    double lh, slope, q;  // log h(z), Phi/h, phi/h
  };
  auto at = [](double z) {
    if (z == neg_inf) return end_value{neg_inf, 0, 0};
    const auto [lh, slope] = acq::log_h(z);
    return end_value{lh, slope, std::exp(-0.5 * z * z - acq::log_sqrt_2pi - lh)};
  };
  double top = neg_inf;
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (std::size_t k = 0; k < m; ++k) {
      const double lo = b.lo[i * m + k], hi = b.hi[i * m + k];
      const end_value u = at((hi - mu[k]) / sigma[k]);
      const end_value l = lo == neg_inf ? end_value{neg_inf, 0, 0} : at((lo - mu[k]) / sigma[k]);
      // T = sigma (h_u - h_l) = sigma h_u (1 - rho), rho = h_l / h_u;
      // dT/dmu = -(Phi_u - Phi_l), dT/dsigma = phi_u - phi_l.
      const double rho = l.lh == neg_inf ? 0.0 : std::exp(l.lh - u.lh);
      const double log_t = std::log(sigma[k]) + u.lh + (rho == 0 ? 0.0 : acq::log1mexp(l.lh - u.lh));
      sum += log_t;
      dmu[i * m + k] = -(u.slope - l.slope * rho) / (sigma[k] * (1 - rho));
      dsg[i * m + k] = (u.q - l.q * rho) / (sigma[k] * (1 - rho));
    }
    s[i] = sum;
    top = std::max(top, sum);
  }
  if (!std::isfinite(top)) return r;
  double z = 0;
  for (std::size_t i = 0; i < n; ++i) z += std::exp(s[i] - top);
  r.value = top + std::log(z);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = std::exp(s[i] - r.value);  // the box's share of EHVI
    if (w == 0) continue;
    for (std::size_t k = 0; k < m; ++k) {
      r.d_mu[k] += w * dmu[i * m + k];
      r.d_sigma[k] += w * dsg[i * m + k];
    }
  }
  return r;
}

}  // namespace tunekit::detail::ehvi
