#pragma once

/// \file
/// Gaussian-process regression for the GP sampler, on Eigen.
///
/// Kernel: Matérn 5/2 with one lengthscale per dimension (ARD; Rasmussen &
/// Williams 2006, eq. 4.17), a signal variance and a homoscedastic noise term:
///   k(x, x') = s2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r) + noise [x == x'],
///   r^2 = sum_d w_d delta_d^2, w_d = 1 / l_d^2,
/// where delta_d = x_d - x'_d for numeric dimensions (on the unit cube) and
/// delta_d^2 = [x_d != x'_d] for categorical ones (a Hamming distance inside
/// the Matérn, so the kernel stays positive definite).
///
/// Hyperparameters theta = (log l_1..D, log s2, log noise) by maximum a
/// posteriori, with analytic gradients of the log marginal likelihood
/// (R&W eq. 5.9) and log-normal priors:
///   - log l_d ~ Normal(-0.5 + log(D)/2, 1): lengthscales that grow like
///     sqrt(D), the dimension scaling of C. Hvarfner, E. O. Hellsten,
///     L. Nardi. *Vanilla Bayesian Optimization Performs Great in High
///     Dimensions*. ICML 2024, whose location (sqrt2) and spread (sqrt3) we
///     moved to shorter, tighter values measured on the quality suite (their
///     long lengthscales sent the 8- and 10-D searches to the corners);
///   - log s2 ~ Normal(0, 1) (outputs are standardised);
///   - log noise ~ Normal(-8, 2), floored: small noise unless the data insist,
///     since the objectives tunekit serves are mostly (nearly) deterministic.
///
/// Scaling: the per-dimension squared differences of every pair of points are
/// kept (O(n^2 D) memory, appended to as trials finish), so one evaluation of
/// the marginal likelihood is a matrix-vector product, a Cholesky (n^3/3) and,
/// for the gradient, K^-1 from the factor (2n^3/3). Predictions reuse the factor: O(n^2) per point.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "../../detail/dependent.hpp"

namespace tunekit::detail::gp {

inline constexpr double sqrt5 = 2.23606797749978969641;
inline constexpr double log_2pi = 1.83787706640934548356;

/// Box bounds and prior parameters of the hyperparameters.
struct hyper_bounds {
  double log_lengthscale_lo = std::log(1e-2), log_lengthscale_hi = std::log(1e2);
  double log_signal_lo = std::log(1e-2), log_signal_hi = std::log(1e2);
  double log_noise_lo = std::log(1e-6), log_noise_hi = std::log(2.0);
};

/// Data and cached pairwise geometry. Rows of X are points: numeric
/// coordinates in [0, 1], categorical ones the choice's index.
template <class Tag = void>
class basic_gp_data {
  // Dependent spellings of Eigen's types (detail/dependent.hpp): checked where used.
  using RowVectorXd = Eigen::Matrix<dependent_t<Tag, double>, 1, Eigen::Dynamic>;
  using MatrixXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, Eigen::Dynamic>;

 public:
  void reset(std::vector<std::uint8_t> categorical) {
    categorical_ = std::move(categorical);
    X_.resize(0, static_cast<Eigen::Index>(categorical_.size()));
    pairs_.resize(0, static_cast<Eigen::Index>(categorical_.size()));
  }
  /// Appends points (rows). O(k n D).
  void append(const MatrixXd& rows) {
    const Eigen::Index n0 = X_.rows(), k = rows.rows(), D = dims();
    X_.conservativeResize(n0 + k, D);
    X_.bottomRows(k) = rows;
    const Eigen::Index n = n0 + k;
    pairs_.conservativeResize(n * (n - 1) / 2, D);
    for (Eigen::Index b = n0; b < n; ++b)
      for (Eigen::Index a = 0; a < b; ++a) pairs_.row(pair_index(a, b)) = sq_diff(X_.row(a), X_.row(b));
  }
  /// Keeps the first n points.
  void truncate(Eigen::Index n) {
    if (n >= X_.rows()) return;
    X_.conservativeResize(n, dims());
    pairs_.conservativeResize(n * (n - 1) / 2, dims());
  }
  RowVectorXd sq_diff(const RowVectorXd& u, const RowVectorXd& v) const {
    RowVectorXd out(dims());
    for (Eigen::Index d = 0; d < dims(); ++d) {
      const double delta = u[d] - v[d];
      out[d] = categorical_[static_cast<std::size_t>(d)] ? (delta != 0 ? 1.0 : 0.0) : delta * delta;
    }
    return out;
  }
  static Eigen::Index pair_index(Eigen::Index a, Eigen::Index b) noexcept { return b * (b - 1) / 2 + a; }
  Eigen::Index size() const noexcept { return X_.rows(); }
  Eigen::Index dims() const noexcept { return static_cast<Eigen::Index>(categorical_.size()); }
  const MatrixXd& X() const noexcept { return X_; }
  const MatrixXd& pairs() const noexcept { return pairs_; }
  bool categorical(Eigen::Index d) const noexcept { return categorical_[static_cast<std::size_t>(d)] != 0; }
  const std::vector<std::uint8_t>& categorical_flags() const noexcept { return categorical_; }

 private:
  std::vector<std::uint8_t> categorical_;
  MatrixXd X_;      ///< n x D
  MatrixXd pairs_;  ///< n(n-1)/2 x D squared differences, pair (a < b) at row b(b-1)/2 + a
};
using gp_data = basic_gp_data<>;

/// Matérn 5/2 from r^2: the value per unit signal variance, and
/// -dk/d(r^2) per unit signal variance (5/6 (1 + s) e^-s, s = sqrt5 r), finite at r = 0.
inline double matern52(double r2) noexcept {
  const double s = sqrt5 * std::sqrt(std::max(r2, 0.0));
  return (1.0 + s + s * s / 3.0) * std::exp(-s);
}
inline double matern52_slope(double r2) noexcept {
  const double s = sqrt5 * std::sqrt(std::max(r2, 0.0));
  return 5.0 / 6.0 * (1.0 + s) * std::exp(-s);
}

/// Unpacked view of theta.
struct hyper {
  Eigen::VectorXd log_lengthscale;
  double log_signal = 0, log_noise = std::log(1e-3);
  Eigen::VectorXd pack() const {
    Eigen::VectorXd t(log_lengthscale.size() + 2);
    t << log_lengthscale, log_signal, log_noise;
    return t;
  }
  static hyper unpack(const Eigen::VectorXd& t) {
    const Eigen::Index D = t.size() - 2;
    return {t.head(D), t[D], t[D + 1]};
  }
};

/// Parameters of the hyperpriors (see the file comment).
struct prior {
  double lengthscale_shift = -0.5;  ///< mean of log l: shift + log(D) / 2
  double lengthscale_sd = 1.0;
  double signal_mean = 0.0, signal_sd = 1.0;  ///< log s2
  double noise_mean = -8.0, noise_sd = 2.0;   ///< log noise
  double lengthscale_mean(Eigen::Index D) const { return lengthscale_shift + 0.5 * std::log(static_cast<double>(D)); }
};


/// Log prior density of theta (up to a constant) and, if `grad`, adds its gradient.
template <class = void>
inline double log_prior(const Eigen::VectorXd& t, Eigen::VectorXd* grad, const prior& p = {}) {
  const Eigen::Index D = t.size() - 2;
  double lp = 0;
  auto normal = [&](Eigen::Index i, double mean, double sd) {
    const double z = (t[i] - mean) / sd;
    lp -= 0.5 * z * z;
    if (grad) (*grad)[i] -= z / sd;
  };
  for (Eigen::Index d = 0; d < D; ++d) normal(d, p.lengthscale_mean(D), p.lengthscale_sd);
  normal(D, p.signal_mean, p.signal_sd);
  normal(D + 1, p.noise_mean, p.noise_sd);
  return lp;
}

/// Jitter added to the diagonal before a Cholesky is tried again: relative
/// to the signal variance, x10 per attempt up to 1e-4 (then the fit fails).
inline constexpr double jitter_start = 1e-10, jitter_max = 1e-4;

/// Scratch for marginal-likelihood evaluations (reused: no allocation per call once sized).
template <class Tag = void>
struct basic_lml_workspace {
  // Dependent spellings of Eigen's types (detail/dependent.hpp): checked where used.
  using VectorXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, 1>;
  using MatrixXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, Eigen::Dynamic>;
  VectorXd w, r2, kpair, epair, alpha, gpair;
  MatrixXd K, Kinv, Linv;
  // Factorised once (of nothing) so that its status is set: Eigen's default
  // constructor leaves it uninitialised, and moving the workspace reads it.
  Eigen::LLT<MatrixXd> llt{MatrixXd(0, 0)};
  double jitter = 0;
};
using lml_workspace = basic_lml_workspace<>;

/// Builds K(theta) (lower triangle and diagonal), factorises it with jitter
/// escalation; false if even the largest jitter fails or K is not finite.
template <class Tag = void>
inline bool factorize(const basic_gp_data<Tag>& data, const hyper& h, basic_lml_workspace<Tag>& ws) {
  const Eigen::Index n = data.size();
  ws.w = (-2.0 * h.log_lengthscale.array()).exp().matrix();
  const double s2 = std::exp(h.log_signal), noise = std::exp(h.log_noise);
  ws.r2.noalias() = data.pairs() * ws.w;
  ws.kpair.resize(ws.r2.size());
  ws.epair.resize(ws.r2.size());
  for (Eigen::Index p = 0; p < ws.r2.size(); ++p) {
    const double s = sqrt5 * std::sqrt(std::max(ws.r2[p], 0.0)), e = std::exp(-s);
    ws.kpair[p] = s2 * (1.0 + s + s * s / 3.0) * e;
    ws.epair[p] = s2 * (5.0 / 3.0) * (1.0 + s) * e;  // -2 dk/d(r^2)
  }
  ws.K.resize(n, n);
  for (Eigen::Index b = 0; b < n; ++b)
    for (Eigen::Index a = 0; a < b; ++a) ws.K(b, a) = ws.kpair[gp_data::pair_index(a, b)];
  if (!ws.kpair.allFinite() || !std::isfinite(s2 + noise)) return false;
  for (double jitter = 0;; jitter = jitter == 0 ? jitter_start : jitter * 10) {
    if (jitter > jitter_max) return false;
    ws.K.diagonal().setConstant(s2 + noise + jitter * s2);
    ws.llt.compute(ws.K);  // reads the lower triangle only
    if (ws.llt.info() == Eigen::Success && ws.llt.matrixLLT().diagonal().minCoeff() > 0) {
      ws.jitter = jitter * s2;
      return true;
    }
  }
}

/// Lower triangle (and diagonal) of K^-1 from the Cholesky factor L, in
/// about 2n^3/3 flops instead of the 2n^3 of two full triangular solves
/// against the identity: Linv = L^-1 column by column skipping its zero upper
/// part (n^3/3), then K^-1 = Linv^T Linv summing only where Linv is nonzero
/// (n^3/3). The upper triangle of ws.Kinv is left unspecified.
template <class Tag = void>
inline void inverse_from_factor(basic_lml_workspace<Tag>& ws) {
  const auto& L = ws.llt.matrixLLT();  // lower triangle holds L
  const Eigen::Index n = L.rows();
  ws.Linv.setZero(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const Eigen::Index m = n - j;
    auto col = ws.Linv.col(j).tail(m);
    col[0] = 1.0;
    L.bottomRightCorner(m, m).template triangularView<Eigen::Lower>().solveInPlace(col);
  }
  ws.Kinv.resize(n, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = j; i < n; ++i)
      ws.Kinv(i, j) = ws.Linv.col(i).tail(n - i).dot(ws.Linv.col(j).tail(n - i));
}

/// Negative log posterior (negative log marginal likelihood minus log prior)
/// of theta and, if `grad`, its gradient. +inf where K cannot be factorised.
template <class Tag = void>
inline double neg_log_posterior(const basic_gp_data<Tag>& data, const Eigen::VectorXd& y, const Eigen::VectorXd& theta,
                                Eigen::VectorXd* grad, basic_lml_workspace<Tag>& ws) {
  const Eigen::Index n = data.size(), D = data.dims();
  const hyper h = hyper::unpack(theta);
  if (!factorize(data, h, ws)) {
    if (grad) grad->setZero(theta.size());
    return std::numeric_limits<double>::infinity();
  }
  ws.alpha = ws.llt.solve(y);
  const double log_det = 2.0 * ws.llt.matrixLLT().diagonal().array().log().sum();
  double lml = -0.5 * y.dot(ws.alpha) - 0.5 * log_det - 0.5 * static_cast<double>(n) * log_2pi;
  if (grad) {
    grad->setZero(theta.size());
    // dL/dtheta_j = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta_j); W = alpha alpha^T - K^-1.
    inverse_from_factor(ws);
    const double s2 = std::exp(h.log_signal), noise = std::exp(h.log_noise);
    ws.gpair.resize(ws.kpair.size());
    double g_signal = 0, trace_w = 0;
    for (Eigen::Index b = 0; b < n; ++b) {
      for (Eigen::Index a = 0; a < b; ++a) {
        const Eigen::Index p = gp_data::pair_index(a, b);
        const double W = ws.alpha[a] * ws.alpha[b] - ws.Kinv(b, a);
        ws.gpair[p] = W * ws.epair[p];
        g_signal += W * ws.kpair[p];
      }
      trace_w += ws.alpha[b] * ws.alpha[b] - ws.Kinv(b, b);
    }
    // Lengthscales: dK_ab/dlog l_d = (5/3) s2 (1 + s) e^-s w_d delta_d^2 (pairs counted once, W symmetric).
    grad->head(D).noalias() = (data.pairs().transpose() * ws.gpair).cwiseProduct(ws.w);
    (*grad)[D] = g_signal + 0.5 * s2 * trace_w;
    (*grad)[D + 1] = 0.5 * noise * trace_w;
    lml += log_prior(theta, grad);
    *grad = -*grad;
    return -lml;
  }
  lml += log_prior(theta, nullptr);
  return std::isfinite(lml) ? -lml : std::numeric_limits<double>::infinity();
}

/// A fitted posterior: the factor of K(theta) over the data, alpha = K^-1 y.
template <class Tag = void>
class basic_posterior {
  // Dependent spellings of Eigen's types (detail/dependent.hpp): checked where used.
  using VectorXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, 1>;
  using RowVectorXd = Eigen::Matrix<dependent_t<Tag, double>, 1, Eigen::Dynamic>;
  using MatrixXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, Eigen::Dynamic>;
  using ArrayXd = Eigen::Array<dependent_t<Tag, double>, Eigen::Dynamic, 1>;

 public:
  /// Factorises at theta. False (and the posterior unusable) on failure.
  bool fit(const basic_gp_data<Tag>& data, const VectorXd& y, const VectorXd& theta) {
    h_ = hyper::unpack(theta);
    if (!factorize(data, h_, ws_)) return false;
    L_ = ws_.llt.matrixL();
    n_ = data.size();
    y_ = y;
    alpha_ = ws_.llt.solve(y);
    w_ = ws_.w;
    s2_ = std::exp(h_.log_signal);
    X_ = data.X();
    categorical_ = data.categorical_flags();
    return alpha_.allFinite();
  }

  /// Adds points with given targets at fixed hyperparameters (the kriging
  /// believer's fantasies): the factor is extended in O(n^2 k), not recomputed.
  bool extend(const MatrixXd& rows, const VectorXd& targets) {
    const Eigen::Index k = rows.rows();
    if (k == 0) return true;
    MatrixXd K12(n_, k), K22(k, k);
    for (Eigen::Index j = 0; j < k; ++j) {
      K12.col(j) = cross(rows.row(j));
      for (Eigen::Index i = 0; i <= j; ++i) K22(j, i) = K22(i, j) = s2_ * matern52(r2(rows.row(i), rows.row(j)));
    }
    K22.diagonal().array() += std::exp(h_.log_noise) + ws_.jitter;
    const MatrixXd L21t = L_.template triangularView<Eigen::Lower>().solve(K12);
    MatrixXd S = K22 - L21t.transpose() * L21t;
    Eigen::LLT<MatrixXd> l22(S);
    if (l22.info() != Eigen::Success) return false;
    MatrixXd L(n_ + k, n_ + k);
    L.setZero();
    L.topLeftCorner(n_, n_) = L_;
    L.bottomLeftCorner(k, n_) = L21t.transpose();
    L.bottomRightCorner(k, k) = l22.matrixL();
    L_ = std::move(L);
    X_.conservativeResize(n_ + k, Eigen::NoChange);
    X_.bottomRows(k) = rows;
    y_.conservativeResize(n_ + k);
    y_.tail(k) = targets;
    n_ += k;
    alpha_ = L_.template triangularView<Eigen::Lower>().solve(y_);
    L_.template triangularView<Eigen::Lower>().transpose().solveInPlace(alpha_);
    return alpha_.allFinite();
  }

  double r2(const RowVectorXd& u, const RowVectorXd& v) const {
    double s = 0;
    for (Eigen::Index d = 0; d < u.size(); ++d) {
      const double delta = u[d] - v[d];
      s += w_[d] * (categorical_[static_cast<std::size_t>(d)] ? (delta != 0 ? 1.0 : 0.0) : delta * delta);
    }
    return s;
  }

  /// Covariances between the data and one point.
  VectorXd cross(const RowVectorXd& x) const {
    VectorXd k(n_);
    for (Eigen::Index a = 0; a < n_; ++a) k[a] = s2_ * matern52(r2(X_.row(a), x));
    return k;
  }

  /// Posterior means and latent variances of the candidate rows, in O(n^2) per candidate.
  void predict(const MatrixXd& C, VectorXd& mean, VectorXd& var) const {
    const Eigen::Index m = C.rows();
    MatrixXd R2 = MatrixXd::Zero(n_, m);
    for (Eigen::Index d = 0; d < C.cols(); ++d) {
      if (categorical_[static_cast<std::size_t>(d)]) {
        for (Eigen::Index j = 0; j < m; ++j)
          R2.col(j).array() += w_[d] * (X_.col(d).array() != C(j, d)).template cast<double>();
      } else {
        for (Eigen::Index j = 0; j < m; ++j) R2.col(j).array() += w_[d] * (X_.col(d).array() - C(j, d)).square();
      }
    }
    MatrixXd Kc = R2.unaryExpr([s2 = s2_](double r) { return s2 * matern52(r); });
    mean.noalias() = Kc.transpose() * alpha_;
    L_.template triangularView<Eigen::Lower>().solveInPlace(Kc);
    var = (s2_ - Kc.colwise().squaredNorm().array()).max(var_floor()).matrix().transpose();
  }

  /// Mean, latent variance and their gradients at one point, with respect to
  /// the numeric coordinates (categorical entries of the gradients are 0).
  void predict_grad(const RowVectorXd& x, double& mean, double& var, VectorXd& dmean,
                    VectorXd& dvar) const {
    const Eigen::Index D = x.size();
    VectorXd k(n_), slope(n_);
    for (Eigen::Index a = 0; a < n_; ++a) {
      const double r = r2(X_.row(a), x);
      k[a] = s2_ * matern52(r);
      slope[a] = s2_ * matern52_slope(r);  // -dk/d(r^2)
    }
    mean = k.dot(alpha_);
    VectorXd v = L_.template triangularView<Eigen::Lower>().solve(k);
    var = s2_ - v.squaredNorm();
    VectorXd u = L_.template triangularView<Eigen::Lower>().transpose().solve(v);  // K^-1 k
    dmean.setZero(D);
    dvar.setZero(D);
    for (Eigen::Index d = 0; d < D; ++d) {
      if (categorical_[static_cast<std::size_t>(d)]) continue;
      // dk_a/dx_d = -slope_a * 2 w_d (x_d - X_ad)
      const ArrayXd dk = -slope.array() * 2.0 * w_[d] * (x[d] - X_.col(d).array());
      dmean[d] = (dk * alpha_.array()).sum();
      dvar[d] = -2.0 * (dk * u.array()).sum();
    }
    if (var < var_floor()) {
      var = var_floor();
      dvar.setZero();
    }
  }

  double var_floor() const noexcept { return 1e-12 * s2_; }
  const hyper& hyperparameters() const noexcept { return h_; }
  Eigen::Index size() const noexcept { return n_; }
  double jitter() const noexcept { return ws_.jitter; }

 private:
  hyper h_;
  basic_lml_workspace<Tag> ws_;
  MatrixXd L_, X_;
  VectorXd y_, alpha_, w_;
  std::vector<std::uint8_t> categorical_;
  Eigen::Index n_ = 0;
  double s2_ = 1;
};
using posterior = basic_posterior<>;

}  // namespace tunekit::detail::gp
