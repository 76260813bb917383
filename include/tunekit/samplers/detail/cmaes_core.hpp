#pragma once

/// \file
/// The mathematics of `cmaes_sampler`: one run of the covariance matrix
/// adaptation evolution strategy on the unit cube [0, 1]^n, without any
/// notion of trials or storage (samplers/cmaes.hpp does that).
///
/// References (each formula below cites the one it comes from):
///   - [H16] N. Hansen. *The CMA Evolution Strategy: A Tutorial*.
///     arXiv:1604.00772, 2016. Default strategy parameters (Table 1, with
///     the negative weights of active CMA), the updates (eqs. 39-47),
///     termination criteria (Appendix B.3).
///   - [RH08] R. Ros, N. Hansen. *A Simple Modification in CMA-ES Achieving
///     Linear Time and Space Complexity*. PPSN 2008 (separable CMA-ES:
///     diagonal C, learning rates times (n + 2) / 3).
///   - [HSNS22] R. Hamano, S. Saito, M. Nomura, S. Shirakawa. *CMA-ES with
///     Margin: Lower-Bounding Marginal Probability for Mixed-Integer
///     Black-Box Optimization*. GECCO 2022 (the margin correction).
///   - [NWAO21] M. Nomura, S. Watanabe, Y. Akimoto, Y. Ozaki, M. Onishi.
///     *Warm Starting CMA-ES for Hyperparameter Optimization*. AAAI 2021
///     (the initial mean and covariance from a source task's good solutions).
///   - [NAO23] M. Nomura, Y. Akimoto, I. Ono. *CMA-ES with Learning Rate
///     Adaptation: Can CMA-ES with Default Population Size Solve Multimodal
///     and Noisy Problems?* GECCO 2023 (learning rates of the mean and of
///     Sigma = sigma^2 C that keep the update's signal-to-noise ratio at a
///     target; alpha = 1.4, beta_m = 0.1, beta_Sigma = 0.03, gamma = 0.1).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "../../core/random.hpp"
#include "../../detail/dependent.hpp"

namespace tunekit::detail::cma {

/// Standard normal CDF.
inline double normal_cdf(double x) noexcept { return 0.5 * std::erfc(-x * 0.70710678118654752440); }

/// Standard normal quantile by bisection on `normal_cdf` (called a few
/// times per run, never on a hot path; keeps Boost.Math out of the header).
inline double normal_quantile(double p) noexcept {
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// A coordinate of the unit cube that encodes a discrete parameter: value k
/// (0-based) owns the cell [boundary(k), boundary(k + 1)). Linear cells are
/// of equal width; a log-scaled integer's cells are equal in log(v +- 0.5),
/// matching `int_distribution::to_unit`. `size == 0`: continuous.
struct discrete_axis {
  std::int64_t size = 0;
  bool log = false;
  double low = 0, log_a = 0, log_b = 1;  ///< log integers: low, log(low - 0.5), log(high + 0.5)

  double boundary(std::int64_t k) const noexcept {
    if (k <= 0) return 0.0;
    if (k >= size) return 1.0;
    if (!log) return static_cast<double>(k) / static_cast<double>(size);
    return (std::log(low - 0.5 + static_cast<double>(k)) - log_a) / (log_b - log_a);
  }
  std::int64_t cell(double u) const noexcept {
    if (!(u > 0.0)) return 0;
    if (u >= 1.0) return size - 1;
    if (!log) return std::min<std::int64_t>(static_cast<std::int64_t>(u * static_cast<double>(size)), size - 1);
    const double v = std::round(std::exp(log_a + u * (log_b - log_a)));
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(v - low), 0, size - 1);
  }
};

/// The default population size of [H16] Table 1: 4 + floor(3 ln n).
inline int default_population(int n) { return 4 + static_cast<int>(std::floor(3.0 * std::log(static_cast<double>(n)))); }

/// How one run starts.
struct run_config {
  Eigen::VectorXd mean;                ///< in [0, 1]^n
  double sigma = 1.0 / 6.0;            ///< step size on the unit cube
  std::optional<Eigen::MatrixXd> cov;  ///< initial C (warm start); identity when empty
  int lambda = 0;                      ///< population size; 0: default_population(n)
  bool separable = false;              ///< [RH08]
  bool margin = false;                 ///< [HSNS22] on the discrete axes
  bool lr_adapt = false;               ///< [NAO23]
  std::vector<discrete_axis> axes;     ///< one per coordinate (size 0 = continuous)
};

/// One run of CMA-ES. A template only so that its Eigen code (the
/// eigensolver in particular) is instantiated in the translation units that
/// use the sampler (compile cost, as in gp.hpp).
template <class Tag = void>
class cma_run_impl {
  // Dependent spellings of Eigen::VectorXd and Eigen::MatrixXd (detail/dependent.hpp).
  using VectorXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, 1>;
  using MatrixXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, Eigen::Dynamic>;

 public:
  explicit cma_run_impl(run_config c)
      : axes_(std::move(c.axes)), separable_(c.separable), margin_(c.margin), lr_adapt_(c.lr_adapt) {
    n_ = static_cast<int>(c.mean.size());
    const double nd = n_;
    lambda_ = c.lambda > 0 ? c.lambda : default_population(n_);
    mu_ = lambda_ / 2;
    if (axes_.size() != static_cast<std::size_t>(n_)) axes_.assign(static_cast<std::size_t>(n_), discrete_axis{});

    // --- strategy parameters, [H16] Table 1 ------------------------------------
    VectorXd wp(lambda_);
    for (int i = 0; i < lambda_; ++i) wp[i] = std::log((lambda_ + 1) / 2.0) - std::log(i + 1.0);
    const double sum_pos = wp.head(mu_).sum();
    mu_eff_ = sum_pos * sum_pos / wp.head(mu_).squaredNorm();
    const double sum_neg = -wp.tail(lambda_ - mu_).sum();
    const double mu_eff_neg = lambda_ - mu_ > 0 && sum_neg > 0 ? sum_neg * sum_neg / wp.tail(lambda_ - mu_).squaredNorm() : 0.0;
    const double alpha_cov = 2.0;
    c1_ = alpha_cov / ((nd + 1.3) * (nd + 1.3) + mu_eff_);
    c_mu_ = std::min(1.0 - c1_, alpha_cov * (0.25 + mu_eff_ + 1.0 / mu_eff_ - 2.0) /
                                    ((nd + 2.0) * (nd + 2.0) + alpha_cov * mu_eff_ / 2.0));
    if (separable_) {  // [RH08]: a diagonal C learns n times fewer numbers, so faster
      c1_ = std::min(1.0, c1_ * (nd + 2.0) / 3.0);
      c_mu_ = std::min(1.0 - c1_, c_mu_ * (nd + 2.0) / 3.0);
    }
    c_sigma_ = (mu_eff_ + 2.0) / (nd + mu_eff_ + 5.0);
    d_sigma_ = 1.0 + 2.0 * std::max(0.0, std::sqrt((mu_eff_ - 1.0) / (nd + 1.0)) - 1.0) + c_sigma_;
    c_c_ = (4.0 + mu_eff_ / nd) / (nd + 4.0 + 2.0 * mu_eff_ / nd);
    chi_n_ = std::sqrt(nd) * (1.0 - 1.0 / (4.0 * nd) + 1.0 / (21.0 * nd * nd));
    // Negative weights (active CMA), scaled so that C stays positive definite.
    const double alpha_mu_neg = 1.0 + c1_ / c_mu_;
    const double alpha_mueff_neg = 1.0 + 2.0 * mu_eff_neg / (mu_eff_ + 2.0);
    const double alpha_posdef_neg = (1.0 - c1_ - c_mu_) / (nd * c_mu_);
    const double neg_scale = std::min({alpha_mu_neg, alpha_mueff_neg, alpha_posdef_neg});
    weights_.resize(lambda_);
    for (int i = 0; i < lambda_; ++i)
      weights_[i] = i < mu_ ? wp[i] / sum_pos : (sum_neg > 0 ? neg_scale * wp[i] / sum_neg : 0.0);

    // --- state ---------------------------------------------------------------
    mean_ = c.mean;
    sigma_ = sigma0_ = c.sigma;
    p_sigma_ = VectorXd::Zero(n_);
    p_c_ = VectorXd::Zero(n_);
    A_ = VectorXd::Ones(n_);
    if (separable_) diag_ = c.cov ? VectorXd(c.cov->diagonal()) : VectorXd::Ones(n_);
    else C_ = c.cov ? *c.cov : MatrixXd::Identity(n_, n_);
    history_length_ = 10 + static_cast<int>(std::ceil(30.0 * nd / lambda_));
    if (margin_) {  // [HSNS22]: alpha = 1 / (N lambda)
      const double alpha = 1.0 / (nd * lambda_);
      z_half_ = normal_quantile(1.0 - alpha / 2.0);
      z_full_ = normal_quantile(1.0 - alpha);
      alpha_ = alpha;
      correct_margin();
    }
  }

  int dimension() const noexcept { return n_; }
  int population_size() const noexcept { return lambda_; }
  std::int64_t generation() const noexcept { return generation_; }
  double sigma() const noexcept { return sigma_; }
  const VectorXd& mean() const noexcept { return mean_; }
  const VectorXd& margin_scale() const noexcept { return A_; }
  /// [NAO23]'s learning rates (1 without `lr_adapt`).
  double eta_mean() const noexcept { return eta_m_; }
  double eta_cov() const noexcept { return eta_S_; }

  /// One candidate in [0, 1]^n drawn with `rng`: x = m + sigma A B D z
  /// ([H16] eq. 38, A the margin's diagonal), redrawn until inside the cube
  /// (at most 100 times, then clipped), as Optuna's sampler repairs bounds.
  /// A function of the state and the engine's stream only, so another
  /// worker replaying the study recomputes the same point.
  VectorXd sample(random_engine& rng) const {
    refresh_eigen();
    VectorXd z(n_), x(n_);
    for (int attempt = 0; attempt < 100; ++attempt) {
      for (int i = 0; i < n_; ++i) z[i] = rng.normal();
      x = mean_ + sigma_ * A_.cwiseProduct(to_y(z));
      if ((x.array() >= 0.0).all() && (x.array() <= 1.0).all()) return x;
    }
    return x.cwiseMax(0.0).cwiseMin(1.0);
  }

  /// Updates the distribution from a full population: (x, f) pairs, f to be
  /// minimised. Ties keep the given order, so replays agree.
  void tell(std::vector<std::pair<VectorXd, double>> population) {
    refresh_eigen();
    std::stable_sort(population.begin(), population.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    const int lam = std::min<int>(lambda_, static_cast<int>(population.size()));
    // y_i = A^-1 (x_i - m) / sigma: the margin's A only widens the sampling.
    std::vector<VectorXd> y(static_cast<std::size_t>(lam));
    VectorXd y_w = VectorXd::Zero(n_);
    for (int i = 0; i < lam; ++i) {
      y[static_cast<std::size_t>(i)] = (population[static_cast<std::size_t>(i)].first - mean_).cwiseQuotient(A_) / sigma_;
      if (i < mu_) y_w += weights_[i] * y[static_cast<std::size_t>(i)];
    }
    // [NAO23] needs the distribution before the update, and Sigma^-1/2 of it.
    const VectorXd m_old = mean_;
    const double sigma_old = sigma_;
    const MatrixXd C_old = lr_adapt_ && !separable_ ? C_ : MatrixXd();
    const VectorXd diag_old = lr_adapt_ && separable_ ? diag_ : VectorXd();
    const VectorXd d_old = d_;
    mean_ += sigma_ * A_.cwiseProduct(y_w);  // [H16] eq. 41 with c_m = 1

    // Cumulation and step size, [H16] eqs. 43-44.
    p_sigma_ = (1.0 - c_sigma_) * p_sigma_ + std::sqrt(c_sigma_ * (2.0 - c_sigma_) * mu_eff_) * inv_sqrt_C(y_w);
    const double ps_norm = p_sigma_.norm();
    sigma_ *= std::exp(std::min(1.0, (c_sigma_ / d_sigma_) * (ps_norm / chi_n_ - 1.0)));  // capped as in pycma
    ++generation_;
    const double decay = 1.0 - std::pow(1.0 - c_sigma_, 2.0 * static_cast<double>(generation_));
    const double h_sigma = ps_norm / std::sqrt(std::max(decay, 1e-300)) < (1.4 + 2.0 / (n_ + 1.0)) * chi_n_ ? 1.0 : 0.0;
    p_c_ = (1.0 - c_c_) * p_c_ + h_sigma * std::sqrt(c_c_ * (2.0 - c_c_) * mu_eff_) * y_w;

    // Rank-one and rank-mu updates with active weights, [H16] eqs. 46-47.
    const double delta_h = (1.0 - h_sigma) * c_c_ * (2.0 - c_c_);
    const double sum_w = weights_.head(lam).sum();
    const double keep = 1.0 + c1_ * delta_h - c1_ - c_mu_ * sum_w;
    std::vector<double> w_circ(static_cast<std::size_t>(lam));
    for (int i = 0; i < lam; ++i) {
      double w = weights_[i];
      if (w < 0) {
        const double s = inv_sqrt_C(y[static_cast<std::size_t>(i)]).squaredNorm();
        w *= s > 1e-300 ? n_ / s : 0.0;
      }
      w_circ[static_cast<std::size_t>(i)] = w;
    }
    if (separable_) {
      VectorXd rank_mu = VectorXd::Zero(n_);
      for (int i = 0; i < lam; ++i) rank_mu += w_circ[static_cast<std::size_t>(i)] * y[static_cast<std::size_t>(i)].cwiseAbs2();
      diag_ = keep * diag_ + c1_ * p_c_.cwiseAbs2() + c_mu_ * rank_mu;
    } else {
      MatrixXd rank_mu = MatrixXd::Zero(n_, n_);
      for (int i = 0; i < lam; ++i)
        rank_mu.noalias() += w_circ[static_cast<std::size_t>(i)] * y[static_cast<std::size_t>(i)] * y[static_cast<std::size_t>(i)].transpose();
      C_ = keep * C_ + c1_ * p_c_ * p_c_.transpose() + c_mu_ * rank_mu;
      C_ = 0.5 * (C_ + C_.transpose());
    }
    if (lr_adapt_) adapt_learning_rates(m_old, sigma_old, C_old, diag_old, d_old);
    eigen_fresh_ = false;

    best_history_.push_back(population.front().second);
    if (static_cast<int>(best_history_.size()) > history_length_) best_history_.pop_front();
    last_range_ = population[static_cast<std::size_t>(lam - 1)].second - population.front().second;
    if (margin_) correct_margin();
  }

  /// Why this run should end, or empty: [H16] Appendix B.3 (tolfun,
  /// tolx, NoEffectAxis, NoEffectCoord, ConditionCov, TolXUp), plus a
  /// numerically broken state ("degenerate"), which always ends a run.
  /// `tolfun` is absolute (objective units); `tolx` is relative to the
  /// initial step (Hansen's default 1e-12 sigma0).
  std::string should_stop(double tolfun = 1e-12, double tolx_factor = 1e-12) const {
    if (!std::isfinite(sigma_) || !(sigma_ > 0) || !mean_.allFinite()) return "degenerate";
    refresh_eigen();
    if (degenerate_) return "degenerate";
    if (static_cast<int>(best_history_.size()) >= history_length_) {
      const auto [lo, hi] = std::minmax_element(best_history_.begin(), best_history_.end());
      if (*hi - *lo < tolfun && last_range_ < tolfun) return "tolfun";
    }
    const double tolx = tolx_factor * sigma0_;
    const VectorXd sd = sigma_ * variances().cwiseSqrt();
    if ((sd.array() < tolx).all() && ((sigma_ * p_c_).array().abs() < tolx).all()) return "tolx";
    if (sigma_ * d_.maxCoeff() > 1e4 * sigma0_) return "tolxup";
    if (d_.maxCoeff() > 1e7 * d_.minCoeff()) return "conditioncov";  // cond(C) = (max d / min d)^2 > 1e14
    const int axis = static_cast<int>(generation_ % n_);
    const VectorXd shifted = mean_ + 0.1 * sigma_ * d_[axis] * column(axis);
    if (shifted == mean_) return "noeffectaxis";
    for (int i = 0; i < n_; ++i)
      if (mean_[i] + 0.2 * sd[i] == mean_[i]) return "noeffectcoord";
    return {};
  }

 private:
  VectorXd variances() const { return separable_ ? diag_ : VectorXd(C_.diagonal()); }

  /// [NAO23] Algorithm 1: the update just made (m', sigma', C') is taken as
  /// Delta_m = m' - m and Delta_Sigma = sigma'^2 C' - sigma^2 C, expressed in
  /// the local coordinates of the old distribution (Sigma^-1/2 Delta_m,
  /// Sigma^-1/2 Delta_Sigma Sigma^-1/2, with the symmetric square root so
  /// that successive generations share axes). Exponential moving averages
  /// E and V of these and of their squared norms estimate the
  /// signal-to-noise ratio SNR = (|E|^2 - beta/(2 - beta) V) / (V - |E|^2),
  /// and each learning rate moves towards SNR / alpha:
  /// eta <- min(1, eta exp(min(gamma eta, beta) clip(SNR / (alpha eta) - 1, -1, 1))).
  /// Then m = m_old + eta_m Delta_m. Our choice for splitting Sigma's
  /// update between sigma and C (the paper states it on Sigma): C = C_old +
  /// eta_Sigma (C' - C_old) and sigma = sigma_old (sigma' / sigma_old)^eta_Sigma.
  void adapt_learning_rates(const VectorXd& m_old, double sigma_old, const MatrixXd& C_old,
                            const VectorXd& diag_old, const VectorXd& d_old) {
    constexpr double alpha = 1.4, beta_m = 0.1, beta_S = 0.03, gamma = 0.1;
    const VectorXd dm = mean_ - m_old;
    VectorXd dm_local;
    MatrixXd dS_local;
    const double s2_old = sigma_old * sigma_old, s2 = sigma_ * sigma_;
    if (separable_) {
      dm_local = dm.cwiseQuotient(d_old) / sigma_old;
      dS_local = MatrixXd((s2 * diag_ - s2_old * diag_old).cwiseQuotient(diag_old) / s2_old);
    } else {
      const MatrixXd isqrt = B_ * d_old.cwiseInverse().asDiagonal() * B_.transpose() / sigma_old;
      dm_local = isqrt * dm;
      dS_local = isqrt * (s2 * C_ - s2_old * C_old) * isqrt;
    }
    if (!dm_local.allFinite() || !dS_local.allFinite()) return;
    if (E_m_.size() == 0) {
      E_m_ = VectorXd::Zero(dm_local.size());
      E_S_ = MatrixXd::Zero(dS_local.rows(), dS_local.cols());
    }
    E_m_ = (1 - beta_m) * E_m_ + beta_m * dm_local;
    V_m_ = (1 - beta_m) * V_m_ + beta_m * dm_local.squaredNorm();
    E_S_ = (1 - beta_S) * E_S_ + beta_S * dS_local;
    V_S_ = (1 - beta_S) * V_S_ + beta_S * dS_local.squaredNorm();
    auto step = [&](double& eta, double E2, double V, double beta) {
      const double denom = V - E2;
      const double snr = denom > 1e-300 ? (E2 - beta / (2 - beta) * V) / denom : 1e300;
      const double r = std::clamp(snr / (alpha * eta) - 1.0, -1.0, 1.0);
      eta = std::min(1.0, eta * std::exp(std::min(gamma * eta, beta) * r));
    };
    step(eta_m_, E_m_.squaredNorm(), V_m_, beta_m);
    step(eta_S_, E_S_.squaredNorm(), V_S_, beta_S);
    mean_ = m_old + eta_m_ * dm;
    sigma_ = sigma_old * std::pow(sigma_ / sigma_old, eta_S_);
    if (separable_) diag_ = diag_old + eta_S_ * (diag_ - diag_old);
    else C_ = C_old + eta_S_ * (C_ - C_old);
  }

  /// B D z (full) or sqrt(diag) z (separable).
  VectorXd to_y(const VectorXd& z) const {
    return separable_ ? VectorXd(d_.cwiseProduct(z)) : VectorXd(B_ * d_.cwiseProduct(z));
  }
  VectorXd inv_sqrt_C(const VectorXd& v) const {
    if (separable_) return v.cwiseQuotient(d_);
    return B_ * (B_.transpose() * v).cwiseQuotient(d_);
  }
  VectorXd column(int i) const {
    if (separable_) return VectorXd::Unit(n_, i);
    return B_.col(i);
  }

  /// The eigendecomposition C = B D^2 B^T, done lazily: after an update,
  /// the first sample or stop check pays it (O(n^3); O(n) when separable).
  /// A non-finite or non-positive spectrum marks the run degenerate and is
  /// floored so that sampling still gives finite points.
  void refresh_eigen() const {
    if (eigen_fresh_) return;
    eigen_fresh_ = true;
    VectorXd ev;
    if (separable_) {
      ev = diag_;
    } else if (C_.allFinite()) {
      Eigen::SelfAdjointEigenSolver<MatrixXd> es(C_);
      if (es.info() != Eigen::Success) {
        degenerate_ = true;
        B_ = MatrixXd::Identity(n_, n_);
        ev = VectorXd::Ones(n_);
      } else {
        B_ = es.eigenvectors();
        ev = es.eigenvalues();
      }
    } else {
      degenerate_ = true;
      B_ = MatrixXd::Identity(n_, n_);
      ev = VectorXd::Ones(n_);
    }
    const double top = ev.allFinite() ? ev.maxCoeff() : 0.0;
    if (!(top > 0) || !std::isfinite(top)) {
      degenerate_ = true;
      ev = VectorXd::Ones(n_);
    } else if (ev.minCoeff() <= top * 1e-20) {
      degenerate_ = true;
      ev = ev.cwiseMax(top * 1e-20);
    }
    d_ = ev.cwiseSqrt();
  }

  /// [HSNS22]: keeps the probability that a discrete coordinate leaves the
  /// cell of the mean's value at least alpha (alpha / 2 to each side with a
  /// neighbour on both), so a converged integer can still move. First the
  /// mean is moved towards the thin tail; when no position of the mean can
  /// give both tails their mass, the mean goes to the cell's centre and the
  /// coordinate's scale A_jj grows until both tails hold alpha / 2.
  void correct_margin() {
    refresh_eigen();
    const VectorXd var = variances();
    for (int j = 0; j < n_; ++j) {
      const auto& ax = axes_[static_cast<std::size_t>(j)];
      if (ax.size < 2) continue;
      const double s = sigma_ * A_[j] * std::sqrt(std::max(var[j], 0.0));
      if (!(s > 0) || !std::isfinite(s)) continue;
      const std::int64_t k = ax.cell(mean_[j]);
      const double lo = ax.boundary(k), hi = ax.boundary(k + 1);
      const bool has_lo = k > 0, has_hi = k + 1 < ax.size;
      const double p_lo = normal_cdf((lo - mean_[j]) / s), p_hi = normal_cdf((mean_[j] - hi) / s);
      if (has_lo && has_hi) {
        if (p_lo >= alpha_ / 2 && p_hi >= alpha_ / 2) continue;
        if ((hi - lo) / 2.0 <= z_half_ * s) {
          mean_[j] = p_lo < alpha_ / 2 ? lo + z_half_ * s : hi - z_half_ * s;
        } else {
          mean_[j] = 0.5 * (lo + hi);
          A_[j] *= ((hi - lo) / (2.0 * z_half_)) / s;
        }
      } else if (has_hi && p_hi < alpha_) {
        mean_[j] = hi - z_full_ * s;
      } else if (has_lo && p_lo < alpha_) {
        mean_[j] = lo + z_full_ * s;
      }
    }
  }

  std::vector<discrete_axis> axes_;
  bool separable_, margin_, lr_adapt_;
  double eta_m_ = 1.0, eta_S_ = 1.0, V_m_ = 0.0, V_S_ = 0.0;  ///< [NAO23]
  VectorXd E_m_;
  MatrixXd E_S_;
  int n_ = 0, lambda_ = 0, mu_ = 0, history_length_ = 0;
  double mu_eff_ = 0, c_sigma_ = 0, d_sigma_ = 0, c_c_ = 0, c1_ = 0, c_mu_ = 0, chi_n_ = 0;
  double alpha_ = 0, z_half_ = 0, z_full_ = 0;
  VectorXd weights_;

  VectorXd mean_, p_sigma_, p_c_, A_, diag_;
  MatrixXd C_;
  double sigma_ = 0, sigma0_ = 0;
  std::int64_t generation_ = 0;
  std::deque<double> best_history_;
  double last_range_ = std::numeric_limits<double>::infinity();

  mutable MatrixXd B_;
  mutable VectorXd d_;
  mutable bool eigen_fresh_ = false, degenerate_ = false;
};

using cma_run = cma_run_impl<>;

/// [NWAO21]: the initial distribution from a source task's solutions (unit
/// cube coordinates, best first): the top `gamma` fraction (at least one)
/// gives m = their mean and Sigma = alpha^2 I + their covariance (the moment
/// match of a mixture of N(x_i, alpha^2 I)); then sigma = det(Sigma)^(1/2n)
/// and C = Sigma / sigma^2.
template <class Tag = void>
std::pair<run_config, int> warm_start_config(const std::vector<Eigen::VectorXd>& sorted_best_first, double gamma,
                                             double alpha) {
  using VectorXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, 1>;
  using MatrixXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, Eigen::Dynamic>;
  const auto n = sorted_best_first.front().size();
  const int k = std::max(1, static_cast<int>(std::floor(gamma * static_cast<double>(sorted_best_first.size()))));
  VectorXd m = VectorXd::Zero(n);
  for (int i = 0; i < k; ++i) m += sorted_best_first[static_cast<std::size_t>(i)] / k;
  MatrixXd S = alpha * alpha * MatrixXd::Identity(n, n);
  for (int i = 0; i < k; ++i) {
    const VectorXd d = sorted_best_first[static_cast<std::size_t>(i)] - m;
    S.noalias() += d * d.transpose() / k;
  }
  const Eigen::SelfAdjointEigenSolver<MatrixXd> es(S, Eigen::EigenvaluesOnly);
  const double log_det = es.eigenvalues().cwiseMax(1e-300).array().log().sum();
  const double sigma = std::exp(log_det / (2.0 * static_cast<double>(n)));
  run_config c;
  c.mean = m.cwiseMax(0.0).cwiseMin(1.0);
  c.sigma = sigma;
  c.cov = S / (sigma * sigma);
  return {std::move(c), k};
}

}  // namespace tunekit::detail::cma
