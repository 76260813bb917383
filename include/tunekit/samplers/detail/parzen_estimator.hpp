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
template <class = void>
class basic_parzen_estimator {
 public:
  std::vector<dim_model> dims;
  std::vector<double> weight;  ///< normalised, per component
  std::vector<double> base;    ///< per component: the log of its constant factors (widths, normalisers)

  /// Kernels further than this many widths from a point are left out of its
  /// density: each contributes less than e^-36 (2e-16) of its own peak, so
  /// with weights normalised and widths >= 1/100 the left-out mass is below
  /// 2e-14 in all, against at least prior_weight / (2 N) from the prior alone.
  static constexpr double window_widths = 8.5;
  /// Kernels within this many widths of a candidate give the first bound of
  /// `argmax_ratio` (over 98% of the density where kernels are locally uniform).
  static constexpr double inner_widths = 2.5;

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

  void clear_windows() noexcept { windowed_ = false; }

  /// Prepares windowed evaluation of a one-parameter numeric estimator whose
  /// components are sorted by centre. Most kernels of a large estimator sit
  /// at the narrowest width (the magic-clip floor): a point's density visits
  /// only those within `window_widths` floors of it (two binary searches),
  /// plus the few wider kernels, each checked against its own window. Wider
  /// kernels are rare by construction: a kernel is wider than the floor only
  /// when a gap to its neighbour is, and there are at most 1/floor such gaps.
  /// This turns O(N) per point into O(kernels near the point + wide kernels + log N).
  void index_windows() {
    windowed_ = false;
    if (dims.size() != 1 || dims[0].k == kind::categorical || weight.size() < 64) return;
    const dim_model& m = dims[0];
    floor_ = *std::min_element(m.sigma.begin(), m.sigma.end());
    wide_.clear();
    wide_base_.clear();
    const double narrow = floor_ * (1.0 + 1e-9);
    for (std::size_t j = 0; j < weight.size(); ++j)
      if (m.sigma[j] > narrow) {
        wide_.push_back(j);
        wide_base_.push_back(base[j]);
        base[j] = -std::numeric_limits<double>::infinity();  // left to the wide pass
      }
    windowed_ = true;
  }

  /// log density (mass, for discrete and categorical parameters) of each candidate.
  void log_pdf(const candidates& cand, std::span<double> out) const {
    if (windowed_) {
      for (std::size_t c = 0; c < cand.count; ++c) {
        partial sums{};
        window_sum(cand, c, 0.0, window_widths, sums);
        out[c] = sums.log_total();
      }
      return;
    }
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
      // Components more than 40 nats below the best are skipped (each adds
      // under 4e-18 of the best one's term; in many dimensions most
      // components are that far, and an exp is the dearest step here).
      // Multiplying by the weights (rather than adding their logs, one log
      // per component) can underflow only if every component with a nonzero
      // weight lies > 700 nats below the best one; redo exactly then.
      const double cut = top - 40.0;
      double sum = 0;
      for (Eigen::Index j = 0; j < m; ++j)
        if (acc_[j] > cut) sum += w[j] * std::exp(acc_[j] - top);
      out[c] = sum > 0 ? top + std::log(sum) : exact_logsumexp();
    }
  }

  /// The candidate maximising log_l[c] - log g(c), g being this estimator:
  /// the TPE acquisition. Ties go to the lowest index.
  ///
  /// Windowed estimators prune: a candidate's density is first summed over
  /// the kernels within `inner_widths` of it, a lower bound of g(c) (every
  /// term is positive) and, where kernels are dense, within a few percent of
  /// it. If even that bound cannot lift the candidate's score to the best so
  /// far, the rest of its window is skipped. The result is the exact argmax;
  /// typically only the few candidates that set a new best pay for a full window.
  std::size_t argmax_ratio(const candidates& cand, std::span<const double> log_l) const {
    const std::size_t n = cand.count;
    std::size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    if (!windowed_) {
      ratio_scratch_.resize(n);
      log_pdf(cand, ratio_scratch_);
      for (std::size_t c = 0; c < n; ++c)
        if (log_l[c] - ratio_scratch_[c] > best_score) {
          best_score = log_l[c] - ratio_scratch_[c];
          best = c;
        }
      return best;
    }
    // Most promising first (by l), so that the best score rises early.
    order_c_.resize(n);
    for (std::size_t c = 0; c < n; ++c) order_c_[c] = c;
    std::stable_sort(order_c_.begin(), order_c_.end(), [&](std::size_t a, std::size_t b) { return log_l[a] > log_l[b]; });
    bool have_best = false;
    for (const std::size_t c : order_c_) {
      partial sums{};
      window_sum(cand, c, 0.0, inner_widths, sums);
      if (have_best && sums.count > 0 && log_l[c] - sums.log_total() < best_score) continue;  // cannot win
      window_sum(cand, c, inner_widths, window_widths, sums);
      const double score = log_l[c] - sums.log_total();
      if (!have_best || score > best_score || (score == best_score && c < best)) {
        best_score = score;
        best = c;
        have_best = true;
      }
    }
    return best;
  }

 private:
  /// A log-sum-exp accumulated in pieces (with a running maximum).
  struct partial {
    double top = -std::numeric_limits<double>::infinity();
    double sum = 0;  ///< sum of w e^(a - top)
    std::size_t count = 0;
    double log_total() const noexcept { return count == 0 ? top : top + std::log(sum); }
  };

  /// Adds to `acc` the kernels at distance in [from, to) widths from
  /// candidate c: narrow kernels by the floor width (two ranges of sorted
  /// centres), wide ones by their own.
  void window_sum(const candidates& cand, std::size_t c, double from, double to, partial& acc) const {
    const dim_model& m = dims[0];
    const bool discrete = m.k == kind::discrete;
    const double x = cand.coord[0][c];
    const double lo = discrete ? cand.lo[0][c] : x, hi = discrete ? cand.hi[0][c] : x;
    kept_.resize(weight.size());
    kept_w_.resize(weight.size());
    std::size_t n = 0;
    double top = acc.top;
    auto kernel = [&](std::size_t j, double b) {
      if (discrete) return b + log_cell_mass(lo, hi, m.mu[j], m.inv_sigma[j]);
      const double z = (x - m.mu[j]) * m.inv_sigma[j];
      return b - 0.5 * z * z;
    };
    auto visit = [&](std::size_t b, std::size_t e) {
      for (std::size_t j = b; j < e; ++j) {
        const double a = kernel(j, base[j]);
        kept_[n] = a;
        kept_w_[n++] = weight[j];
        top = std::max(top, a);
      }
    };
    const auto first = m.mu.begin(), last = m.mu.end();
    auto index = [&](auto it) { return static_cast<std::size_t>(it - first); };
    const double r_to = to * floor_, r_from = from * floor_;
    const std::size_t b_out = index(std::lower_bound(first, last, lo - r_to));
    const std::size_t e_out = index(std::upper_bound(first, last, hi + r_to));
    if (from <= 0) {
      visit(b_out, e_out);
    } else {
      const std::size_t b_in = std::max(b_out, index(std::lower_bound(first, last, lo - r_from)));
      const std::size_t e_in = std::min(e_out, std::max(b_in, index(std::upper_bound(first, last, hi + r_from))));
      visit(b_out, b_in);
      visit(e_in, e_out);
    }
    for (std::size_t i = 0; i < wide_.size(); ++i) {
      const std::size_t j = wide_[i];
      const double gap = std::max({0.0, lo - m.mu[j], m.mu[j] - hi}) * m.inv_sigma[j];
      if (gap < from || gap >= to) continue;
      const double a = kernel(j, wide_base_[i]);
      kept_[n] = a;
      kept_w_[n++] = weight[j];
      top = std::max(top, a);
    }
    if (n == 0 || !std::isfinite(top)) return;
    double sum = acc.count > 0 ? acc.sum * std::exp(acc.top - top) : 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += kept_w_[i] * std::exp(kept_[i] - top);
    acc.top = top;
    acc.sum = sum;
    acc.count += n;
  }

  /// log of a kernel's mass on the cell [lo, hi] (before its normaliser).
  static double log_cell_mass(double lo, double hi, double mu, double inv) noexcept {
    return log_gauss_mass((lo - mu) * inv, (hi - mu) * inv);
  }

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
        const double lo = cand.lo[d][c], hi = cand.hi[d][c];
        for (Eigen::Index j = 0; j < n; ++j) {
          const auto uj = static_cast<std::size_t>(j);
          acc_[j] += log_cell_mass(lo, hi, m.mu[uj], m.inv_sigma[uj]);
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

  bool windowed_ = false;
  double floor_ = 0;                ///< the narrowest width
  std::vector<std::size_t> wide_;  ///< kernels wider than the floor, with their constants
  std::vector<double> wide_base_;

  mutable std::vector<double> cumulative_, kept_, kept_w_, ratio_scratch_;
  mutable std::vector<std::size_t> order_c_;
  mutable Eigen::ArrayXd acc_;
};
using parzen_estimator = basic_parzen_estimator<>;

/// The categorical kernel of Optuna's TPE: each observation's row is
/// `c + [k == observed]` normalised, with c = prior_weight / (n + 1); the
/// prior row is uniform. The smoothing shrinks as observations accumulate.
template <class = void>
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
template <class = void>
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
template <class = void>
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
template <class = void>
inline double log_normaliser(double mu, double sigma) noexcept {
  return log_gauss_mass(-mu / sigma, (1.0 - mu) / sigma);
}

}  // namespace tunekit::detail::tpe
