#pragma once

/// \file
/// What the GP sampler does to one output before it proposes: standardise
/// (optionally warp) the observed values, and fit the kernel
/// hyperparameters by MAP from a warm start and draws from the priors
/// (gp_model.hpp has the model, the priors and the references). The sampler
/// calls these once per modelled output: the objective, or each objective
/// and each constraint of a multi-objective or constrained study.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include <Eigen/Core>

#include "../../core/random.hpp"
#include "box_lbfgs.hpp"
#include "gp_model.hpp"

namespace tunekit::detail::gp {

/// Standardised (with `warp`, warped first) outputs; constant outputs map
/// to 0. Safe for any finite scale (1e-300 .. 1e300): deviations are
/// rescaled before squaring, and the warp divides by a spread first. With
/// `zero` (and no warp), *zero receives the image of the value 0 (a
/// constraint's threshold); for constant outputs, +10 when they are <= 0
/// and -10 otherwise (far on the side the data are on).
template <class = void>
inline Eigen::VectorXd standardise(const std::vector<double>& values, bool warp, double* zero = nullptr) {
  const auto n = static_cast<Eigen::Index>(values.size());
  Eigen::VectorXd y(n);
  double mean = 0;
  for (double v : values) mean += v / static_cast<double>(n);
  double scale = 0;
  for (double v : values) scale = std::max(scale, std::abs(v - mean));
  if (zero) *zero = !values.empty() && values.front() <= 0 ? 10.0 : -10.0;
  if (!(scale > 0) || !std::isfinite(scale)) return Eigen::VectorXd::Zero(n);
  if (warp) {
    // y -> log(1 + (y - min) / c), c = median - min: monotone (the argmin
    // is kept), near-linear below the median, and heavy upper tails
    // (rosenbrock's 1e5 next to its 0) no longer flatten the good region.
    const double lo = *std::min_element(values.begin(), values.end());
    std::vector<double> sorted(values);
    std::nth_element(sorted.begin(), sorted.begin() + n / 2, sorted.end());
    double c = sorted[static_cast<std::size_t>(n / 2)] - lo;
    if (!(c > 0) || !std::isfinite(c)) c = *std::max_element(values.begin(), values.end()) - lo;
    if (!(c > 0) || !std::isfinite(c)) return Eigen::VectorXd::Zero(n);
    for (Eigen::Index i = 0; i < n; ++i) y[i] = std::log1p((values[static_cast<std::size_t>(i)] - lo) / c);
    return (y.array() - y.mean()) / std::sqrt(std::max((y.array() - y.mean()).square().mean(), 1e-300));
  }
  double ss = 0;
  for (double v : values) ss += ((v - mean) / scale) * ((v - mean) / scale);
  const double sd = scale * std::sqrt(ss / static_cast<double>(n));
  for (Eigen::Index i = 0; i < n; ++i) y[i] = (values[static_cast<std::size_t>(i)] - mean) / sd;
  if (zero) *zero = (0 - mean / scale) * (scale / sd);
  return y;
}

/// Settings of `fit_map` (from gp_sampler_options).
struct fit_settings {
  double min_noise;
  std::int64_t n_restarts;
};

/// MAP hyperparameters theta for outputs y over `data`: the prior's mode
/// and draws from the priors screened by value, then projected L-BFGS from
/// the best start; `warm` (the previous fit of this output) is refined alone
/// unless a draw beats it, and receives the result. Adds the number of
/// marginal-likelihood evaluations to `evaluations`. Throws when no
/// hyperparameters give a positive definite kernel matrix.
template <class = void>
Eigen::VectorXd fit_map(const gp_data& data, const Eigen::VectorXd& y, random_engine& rng,
                        std::optional<Eigen::VectorXd>& warm_start, const fit_settings& settings, lml_workspace& ws,
                        int& evaluations) {
  const Eigen::Index D = data.dims();
  hyper_bounds b;
  b.log_noise_lo = std::log(settings.min_noise);
  Eigen::VectorXd lo(D + 2), hi(D + 2);
  lo << Eigen::VectorXd::Constant(D, b.log_lengthscale_lo), b.log_signal_lo, b.log_noise_lo;
  hi << Eigen::VectorXd::Constant(D, b.log_lengthscale_hi), b.log_signal_hi, b.log_noise_hi;
  auto clamp = [&](Eigen::VectorXd t) { return Eigen::VectorXd(t.cwiseMax(lo).cwiseMin(hi)); };
  auto objective = [&](const Eigen::VectorXd& t, Eigen::VectorXd& g) { return neg_log_posterior(data, y, t, &g, ws); };

  // The prior's mode, and random draws from the priors screened by their
  // value alone (a Cholesky each, no gradient).
  Eigen::VectorXd mode(D + 2);
  const prior pr;
  mode << Eigen::VectorXd::Constant(D, pr.lengthscale_mean(D)), pr.signal_mean, pr.noise_mean;
  mode = clamp(mode);
  Eigen::VectorXd best_draw = mode;
  double best_draw_f = neg_log_posterior(data, y, mode, nullptr, ws);
  ++evaluations;
  // Warm-started fits screen a quarter of the draws (at least one): the
  // previous optimum is usually still the best start.
  const bool warm = warm_start && warm_start->size() == D + 2;
  const std::int64_t n_draws = warm ? (settings.n_restarts + 3) / 4 : settings.n_restarts;
  for (std::int64_t r = 0; r < n_draws; ++r) {
    Eigen::VectorXd t(D + 2);
    for (Eigen::Index d = 0; d < D; ++d) t[d] = pr.lengthscale_mean(D) + pr.lengthscale_sd * rng.normal();
    t[D] = pr.signal_mean + pr.signal_sd * rng.normal();
    t[D + 1] = pr.noise_mean + pr.noise_sd * rng.normal();
    t = clamp(t);
    const double f = neg_log_posterior(data, y, t, nullptr, ws);
    ++evaluations;
    if (f < best_draw_f) best_draw_f = f, best_draw = t;
  }
  // A warm start (the previous fit) is refined alone unless a screened draw
  // already beats it: re-optimising from a worse draw every ask doubled the
  // cost and rarely won (issue 4's cost bar).
  std::vector<Eigen::VectorXd> starts;
  if (warm) {
    starts.push_back(clamp(*warm_start));
    const double warm_f = neg_log_posterior(data, y, starts.back(), nullptr, ws);
    ++evaluations;
    if (best_draw_f < warm_f) starts.push_back(best_draw);
  } else {
    starts.push_back(best_draw);
  }
  Eigen::VectorXd best;
  double best_f = std::numeric_limits<double>::infinity();
  for (const auto& s : starts) {
    // The log posterior grows like n; so does the gradient that still matters.
    const double tolerance = 1e-4 * static_cast<double>(std::max<Eigen::Index>(data.size(), 10));
    // One more trial moves the optimum little: the warm start gets fewer
    // iterations (the next ask continues from where this one stops).
    const bool from_warm = warm && &s == &starts.front();
    const auto r = box_lbfgs(objective, s, lo, hi,
                             {.max_iterations = from_warm ? 8 : 60, .gradient_tolerance = tolerance,
                              .relative_tolerance = 1e-9});
    evaluations += r.evaluations;
    if (r.f < best_f) best_f = r.f, best = r.x;
  }
  if (!std::isfinite(best_f)) throw std::runtime_error("no hyperparameters give a positive definite kernel matrix");
  warm_start = best;
  return best;
}

}  // namespace tunekit::detail::gp
