#pragma once

/// \file
/// The Parzen estimators of the TPE sampler: weighted mixtures of one kernel
/// per observation plus a prior kernel, over the unit-transformed space of
/// `tunekit::distribution` (see `to_unit`). A numeric parameter gets a normal
/// kernel truncated to [0, 1]; an int or stepped float is a grid of cells of
/// [0, 1] and its kernel is the mass of the truncated normal on each cell (a
/// log-scale int has unequal cells: value k owns [log(k - 1/2), log(k + 1/2)]
/// rescaled); a categorical kernel puts a fixed mass on the observed choice
/// and spreads a smoothing prior over the others. A mixture over several
/// parameters (multivariate TPE, Falkner et al. 2018) multiplies one kernel
/// per parameter within each component.
///
/// Everything is stored as contiguous arrays per parameter, so scoring
/// candidates is a tight loop over components (vectorised by Eigen).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include "../../core/distribution.hpp"
#include "../../core/random.hpp"
#include "truncnorm.hpp"

namespace tunekit::detail::tpe {

/// How a parameter is modelled.
enum class kind : std::uint8_t { continuous, discrete, categorical };

inline kind kind_of(const distribution& d) noexcept {
  if (std::holds_alternative<categorical_distribution>(d)) return kind::categorical;
  return is_discrete(d) ? kind::discrete : kind::continuous;
}

/// Number of values of a discrete or categorical distribution.
inline std::int64_t n_values(const distribution& d) noexcept {
  return std::visit([](const auto& x) -> std::int64_t { return x.size(); }, d);
}

/// The coordinate the estimator works on: the unit value of a numeric
/// parameter, the index of a categorical one.
inline double coordinate(const distribution& d, double internal) noexcept {
  if (std::holds_alternative<categorical_distribution>(d)) return internal;
  return to_unit(d, internal);
}

/// The cell of [0, 1] that a discrete numeric value owns: every unit value in
/// it maps back to that value (`from_unit`).
inline std::pair<double, double> cell_of(const distribution& d, double internal) noexcept {
  if (const auto* i = std::get_if<int_distribution>(&d)) {
    if (i->log()) {
      const double a = std::log(static_cast<double>(i->low()) - 0.5);
      const double b = std::log(static_cast<double>(i->high()) + 0.5);
      const double lo = (std::log(internal - 0.5) - a) / (b - a), hi = (std::log(internal + 0.5) - a) / (b - a);
      return {std::clamp(lo, 0.0, 1.0), std::clamp(hi, 0.0, 1.0)};
    }
    const double n = static_cast<double>(i->size());
    const double k = std::round((internal - static_cast<double>(i->low())) / static_cast<double>(i->step()));
    return {k / n, (k + 1.0) / n};
  }
  const auto& f = std::get<float_distribution>(d);
  const double n = static_cast<double>(f.size());
  const double k = std::clamp(std::round((internal - f.low()) / *f.step()), 0.0, n - 1.0);
  return {k / n, (k + 1.0) / n};
}

/// One parameter of a mixture: per component (the prior last) its kernel.
struct dim_model {
  kind k = kind::continuous;
  // numeric: centre and width on [0, 1]
  std::vector<double> mu, sigma, inv_sigma;
  // categorical: the observed choice per component (-1: the prior, uniform)
  std::vector<std::int32_t> choice;
  std::int64_t n_choices = 0;
  double log_hit = 0, log_miss = 0, log_uniform = 0;
};

/// Candidates drawn from an estimator, one array per parameter.
struct candidates {
  std::size_t count = 0;
  std::vector<std::vector<double>> internal;  ///< [dim][candidate]: what the sampler returns
  std::vector<std::vector<double>> coord;     ///< unit value (continuous) / index (categorical)
  std::vector<std::vector<double>> lo, hi;    ///< the cell of a discrete value
  void resize(std::size_t dims, std::size_t n) {
    count = n;
    for (auto* v : {&internal, &coord, &lo, &hi}) {
      v->resize(dims);
      for (auto& x : *v) x.assign(n, 0.0);
    }
  }
};

/// A weighted mixture of product kernels. Built by the sampler (which owns
/// the bandwidth rules and the caches of normalisers), then sampled and
/// evaluated here.
class parzen_estimator {
 public:
  std::vector<dim_model> dims;
  std::vector<double> weight;  ///< normalised, per component
  std::vector<double> base;    ///< per component: the log of its constant factors (widths, normalisers)

  std::size_t size() const noexcept { return weight.size(); }

  /// Draws `out.count` candidates: a component by weight, then each kernel.
  void sample(random_engine& engine, std::span<const distribution* const> dists, candidates& out) const {
    cumulative_.resize(weight.size());
    double acc = 0;
    for (std::size_t j = 0; j < weight.size(); ++j) cumulative_[j] = (acc += weight[j]);
    for (std::size_t c = 0; c < out.count; ++c) {
      const double r = engine.uniform() * acc;
      const std::size_t j = std::min<std::size_t>(
          static_cast<std::size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin()),
          weight.size() - 1);
      for (std::size_t d = 0; d < dims.size(); ++d) {
        const dim_model& m = dims[d];
        const distribution& dist = *dists[d];
        if (m.k == kind::categorical) {
          const auto k = draw_choice(engine, m, j);
          out.internal[d][c] = out.coord[d][c] = static_cast<double>(k);
          continue;
        }
        const double mu = m.mu[j], s = m.sigma[j];
        const double z = truncnorm_ppf(engine.uniform(), -mu * m.inv_sigma[j], (1.0 - mu) * m.inv_sigma[j]);
        const double u = std::clamp(mu + s * z, 0.0, 1.0);
        const double x = from_unit(dist, u);
        out.internal[d][c] = x;
        out.coord[d][c] = to_unit(dist, x);
        if (m.k == kind::discrete) std::tie(out.lo[d][c], out.hi[d][c]) = cell_of(dist, x);
      }
    }
  }

  /// log density (mass, for discrete and categorical parameters) of each candidate.
  void log_pdf(const candidates& cand, std::span<double> out) const {
    const Eigen::Index m = static_cast<Eigen::Index>(weight.size());
    acc_.resize(m);
    const Eigen::Map<const Eigen::ArrayXd> base_a(base.data(), m), w(weight.data(), m);
    for (std::size_t c = 0; c < cand.count; ++c) {
      acc_ = base_a;
      for (std::size_t d = 0; d < dims.size(); ++d) add_log_kernel(dims[d], cand, d, c);
      const double top = acc_.maxCoeff();
      if (!std::isfinite(top)) {
        out[c] = top;
        continue;
      }
      const double sum = (w * (acc_ - top).exp()).sum();
      // Multiplying by the weights (rather than adding their logs, one log
      // per component) can underflow only if every component with a nonzero
      // weight lies > 700 nats below the best one; redo exactly then.
      out[c] = sum > 0 ? top + std::log(sum) : exact_logsumexp();
    }
  }

 private:
  static std::int64_t draw_choice(random_engine& engine, const dim_model& m, std::size_t j) {
    const std::int32_t hit = m.choice[j];
    if (hit < 0) return static_cast<std::int64_t>(engine.below(static_cast<std::uint64_t>(m.n_choices)));
    const double p_hit = std::exp(m.log_hit), p_miss = std::exp(m.log_miss);
    double r = engine.uniform() * (p_hit + p_miss * static_cast<double>(m.n_choices - 1));
    if (r < p_hit) return hit;
    r -= p_hit;
    auto k = static_cast<std::int64_t>(r / p_miss);
    k = std::clamp<std::int64_t>(k, 0, m.n_choices - 2);
    return k >= hit ? k + 1 : k;  // skip the observed choice
  }

  void add_log_kernel(const dim_model& m, const candidates& cand, std::size_t d, std::size_t c) const {
    const Eigen::Index n = acc_.size();
    switch (m.k) {
      case kind::continuous: {
        const Eigen::Map<const Eigen::ArrayXd> mu(m.mu.data(), n), inv(m.inv_sigma.data(), n);
        acc_ -= 0.5 * ((cand.coord[d][c] - mu) * inv).square();
        return;
      }
      case kind::discrete: {
        const double lo = cand.lo[d][c], hi = cand.hi[d][c], mid = 0.5 * (lo + hi), width = hi - lo;
        for (Eigen::Index j = 0; j < n; ++j) {
          const auto uj = static_cast<std::size_t>(j);
          const double inv = m.inv_sigma[uj];
          const double cells = width * inv;
          if (cells < 1e-2) {
            // The cell is narrow against the kernel: midpoint rule with its
            // second-order correction (relative error < 1e-10), no erfc.
            const double z = (mid - m.mu[uj]) * inv;
            acc_[j] += std::log(cells) - 0.5 * z * z - log_sqrt_2pi +
                       std::log1p((z * z - 1.0) * cells * cells / 24.0);
          } else {
            acc_[j] += log_gauss_mass((lo - m.mu[uj]) * inv, (hi - m.mu[uj]) * inv);
          }
        }
        return;
      }
      case kind::categorical: {
        const auto x = static_cast<std::int32_t>(cand.coord[d][c]);
        for (Eigen::Index j = 0; j < n; ++j) {
          const std::int32_t o = m.choice[static_cast<std::size_t>(j)];
          acc_[j] += o < 0 ? m.log_uniform : (o == x ? m.log_hit : m.log_miss);
        }
        return;
      }
    }
  }

  double exact_logsumexp() const {
    double top = -std::numeric_limits<double>::infinity();
    for (Eigen::Index j = 0; j < acc_.size(); ++j)
      if (weight[static_cast<std::size_t>(j)] > 0)
        top = std::max(top, acc_[j] + std::log(weight[static_cast<std::size_t>(j)]));
    if (!std::isfinite(top)) return top;
    double sum = 0;
    for (Eigen::Index j = 0; j < acc_.size(); ++j)
      if (weight[static_cast<std::size_t>(j)] > 0)
        sum += std::exp(acc_[j] + std::log(weight[static_cast<std::size_t>(j)]) - top);
    return top + std::log(sum);
  }

  mutable std::vector<double> cumulative_;
  mutable Eigen::ArrayXd acc_;
};

/// The categorical kernel of Optuna's TPE: each observation's row is
/// `c + [k == observed]` normalised, with c = prior_weight / (n + 1); the
/// prior row is uniform. The smoothing shrinks as observations accumulate.
inline void categorical_kernel(dim_model& m, std::int64_t n_choices, std::size_t n_obs, double prior_weight) {
  const double c = prior_weight / (static_cast<double>(n_obs) + 1.0);
  const double norm = 1.0 + c * static_cast<double>(n_choices);
  m.n_choices = n_choices;
  m.log_hit = std::log((1.0 + c) / norm);
  m.log_miss = std::log(c / norm);
  m.log_uniform = -std::log(static_cast<double>(n_choices));
}

/// The Aitchison & Aitken (1976) kernel: mass 1 - b on the observed choice,
/// b / (K - 1) on each other one, whatever the number of observations.
inline void aitchison_aitken_kernel(dim_model& m, std::int64_t n_choices, double b) {
  m.n_choices = n_choices;
  m.log_hit = std::log(1.0 - b);
  m.log_miss = n_choices > 1 ? std::log(b / static_cast<double>(n_choices - 1)) : 0.0;
  m.log_uniform = -std::log(static_cast<double>(n_choices));
}

/// The neighbour rule of Bergstra et al. (2011), in Optuna's form: each
/// kernel is as wide as the larger gap to its neighbours among the sorted
/// centres (the domain's ends count as neighbours); without
/// `consider_endpoints` the outermost kernels use their inner gap only.
/// `mu` must be sorted; writes the widths in the same order.
inline void neighbour_widths(std::span<const double> mu, bool consider_endpoints, std::span<double> sigma) {
  const std::size_t m = mu.size();
  for (std::size_t j = 0; j < m; ++j) {
    const double left = mu[j] - (j == 0 ? 0.0 : mu[j - 1]);
    const double right = (j + 1 == m ? 1.0 : mu[j + 1]) - mu[j];
    sigma[j] = std::max(left, right);
  }
  if (!consider_endpoints && m >= 2) {
    sigma[0] = mu[1] - mu[0];
    sigma[m - 1] = mu[m - 1] - mu[m - 2];
  }
}

/// The normaliser of a kernel truncated to [0, 1]: log of its mass there.
inline double log_normaliser(double mu, double sigma) noexcept {
  return log_gauss_mass(-mu / sigma, (1.0 - mu) / sigma);
}

}  // namespace tunekit::detail::tpe
