#pragma once

/// \file
/// A small bound-constrained quasi-Newton minimiser on Eigen: projected
/// L-BFGS with an active set (variables at a bound whose gradient points
/// outward are held), the two-loop recursion of Nocedal (1980) on the free
/// variables, and a backtracking Armijo search along the projected path
/// (Bertsekas 1982, "projected Newton methods"). It is not Byrd, Lu, Nocedal
/// & Zhu's L-BFGS-B (no generalized Cauchy point), which matters little for
/// the low-dimensional, smooth problems of the GP sampler: the kernel
/// hyperparameters (D + 2 variables) and one acquisition point (D variables).
///
/// Why our own and not NLopt (Debian's libnlopt-dev): tunekit's core is
/// header-only on Eigen, and NLopt would make a compiled library a
/// dependency of every consumer for ~150 lines of code; ours allocates
/// nothing per iteration beyond its history, takes an objective that may
/// return +inf (a failed Cholesky) and backs off from it, and is tested
/// against known minima (tests/samplers/gp.test.cpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include "../../detail/dependent.hpp"

namespace tunekit::detail {

struct box_lbfgs_options {
  int max_iterations = 100;
  int memory = 8;
  /// Stop when the projected gradient's largest component is below this.
  double gradient_tolerance = 1e-6;
  /// Stop when an iteration lowers f by less than this, relative to max(1, |f|).
  double relative_tolerance = 1e-10;
};

struct box_lbfgs_result {
  Eigen::VectorXd x;
  double f = std::numeric_limits<double>::infinity();
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
};

/// Minimises f over the box [lo, hi] (lo_i == hi_i fixes x_i). `fg(x, g)`
/// returns f(x) and writes the gradient to g; it may return +inf or NaN
/// where f is undefined, and the search then steps back. Starts from x0 clamped into the box.
template <class F>
box_lbfgs_result box_lbfgs(F&& fg, const Eigen::VectorXd& x0, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi,
                           const box_lbfgs_options& options = {}) {
  // Dependent spellings of Eigen's types (detail/dependent.hpp): checked where used.
  using VectorXd = Eigen::Matrix<dependent_t<F, double>, Eigen::Dynamic, 1>;
  const Eigen::Index n = x0.size();
  box_lbfgs_result r;
  VectorXd x = x0.cwiseMax(lo).cwiseMin(hi), g(n), x_new(n), g_new(n), d(n), q(n);
  double f = fg(x, g);
  r.evaluations = 1;
  if (!std::isfinite(f)) {
    r.x = x;
    return r;
  }
  std::deque<VectorXd> S, Y;
  std::deque<double> rho;
  std::vector<double> alpha(static_cast<std::size_t>(std::max(options.memory, 1)));
  Eigen::Array<bool, Eigen::Dynamic, 1> free(n);

  for (; r.iterations < options.max_iterations; ++r.iterations) {
    // Projected gradient and the free set.
    double pg = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const bool at_lo = x[i] <= lo[i] && g[i] > 0, at_hi = x[i] >= hi[i] && g[i] < 0;
      free[i] = lo[i] < hi[i] && !at_lo && !at_hi;
      if (free[i]) pg = std::max(pg, std::abs(g[i]));
    }
    if (pg < options.gradient_tolerance) {
      r.converged = true;
      break;
    }
    // Two-loop recursion on the free variables.
    q = free.select(g, 0.0);
    for (std::size_t k = S.size(); k-- > 0;) {
      alpha[k] = rho[k] * free.select(S[k], 0.0).dot(q);
      q -= alpha[k] * free.select(Y[k], 0.0);
    }
    if (!S.empty()) {
      const double yy = free.select(Y.back(), 0.0).squaredNorm();
      const double sy = free.select(S.back(), 0.0).dot(free.select(Y.back(), 0.0));
      if (yy > 0 && sy > 0) q *= sy / yy;
    }
    for (std::size_t k = 0; k < S.size(); ++k) {
      const double beta = rho[k] * free.select(Y[k], 0.0).dot(q);
      q += (alpha[k] - beta) * free.select(S[k], 0.0);
    }
    d = -q;
    double slope = g.dot(d);
    bool steepest = S.empty();
    if (!(slope < 0)) {  // not a descent direction: restart from the gradient
      S.clear(), Y.clear(), rho.clear();
      d = -free.select(g, 0.0);
      slope = g.dot(d);
      steepest = true;
    }
    // First step of steepest descent: at most a unit move.
    double t = steepest ? std::min(1.0, 1.0 / std::max(d.cwiseAbs().maxCoeff(), 1e-300)) : 1.0;
    double f_new = std::numeric_limits<double>::infinity();
    bool accepted = false;
    for (int back = 0; back < 40; ++back, t *= 0.5) {
      x_new = (x + t * d).cwiseMax(lo).cwiseMin(hi);
      const double decrease = g.dot(x_new - x);  // <= 0 along a projected descent path
      f_new = fg(x_new, g_new);
      ++r.evaluations;
      if (std::isfinite(f_new) && f_new <= f + 1e-4 * decrease) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      if (steepest) break;  // no progress even along the gradient: a (numerical) minimum
      S.clear(), Y.clear(), rho.clear();
      continue;
    }
    VectorXd s = x_new - x, y = g_new - g;
    const double sy = s.dot(y);
    if (sy > 1e-12 * s.norm() * y.norm()) {
      if (static_cast<int>(S.size()) == options.memory) S.pop_front(), Y.pop_front(), rho.pop_front();
      S.push_back(std::move(s));
      Y.push_back(std::move(y));
      rho.push_back(1.0 / sy);
    }
    const double change = f - f_new;
    x.swap(x_new);
    g.swap(g_new);
    f = f_new;
    if (change <= options.relative_tolerance * std::max(1.0, std::abs(f))) {
      r.converged = true;
      ++r.iterations;
      break;
    }
  }
  r.x = x;
  r.f = f;
  return r;
}

}  // namespace tunekit::detail
