#pragma once

/// \file
/// Acquisition functions of the GP sampler, for minimisation, on a Gaussian
/// posterior N(mu, sigma^2) and an incumbent `best`, with their derivatives
/// with respect to mu and sigma (the sampler chains them through the GP).
///
/// LogEI follows S. Ament, S. Daulton, D. Eriksson, M. Balandat, E. Bakshy.
/// *Unexpected Improvements to Expected Improvement for Bayesian
/// Optimization*. NeurIPS 2023: log EI = log sigma + log h(z), z = (best - mu) / sigma,
/// h(z) = phi(z) + z Phi(z), with log h evaluated in three regimes so that it
/// stays finite and accurate where EI itself underflows to 0 (z << 0), which
/// is where most of a large candidate set lies late in a run.
/// UCB (Srinivas et al. 2010) and log PI (Kushner 1964) are the alternatives.

#include <cmath>
#include <limits>

namespace tunekit::detail::acq {

inline constexpr double inv_sqrt2 = 0.70710678118654752440;
inline constexpr double log_sqrt_2pi = 0.91893853320467274178;  // log(2 pi) / 2
inline constexpr double log_sqrt_pi_over_2 = 0.22579135264472743236;  // log(pi / 2) / 2
inline constexpr double sqrt_2pi = 2.50662827463100050242;
inline constexpr double inv_sqrt_pi = 0.56418958354775628695;

/// erfcx(x) = exp(x^2) erfc(x) for x >= 0: directly while erfc does not
/// underflow, then the asymptotic series (relative error < 1e-13 for x > 26).
inline double erfcx(double x) noexcept {
  if (x < 26.0) return std::exp(x * x) * std::erfc(x);
  const double r = 1.0 / (x * x);
  return inv_sqrt_pi / x * (1.0 - 0.5 * r * (1.0 - 1.5 * r * (1.0 - 2.5 * r * (1.0 - 3.5 * r))));
}

inline double normal_pdf(double z) noexcept { return std::exp(-0.5 * z * z) / sqrt_2pi; }
inline double normal_cdf(double z) noexcept { return 0.5 * std::erfc(-z * inv_sqrt2); }

/// log Phi(z), accurate in the lower tail.
inline double log_normal_cdf(double z) noexcept {
  if (z > -1.0) return std::log1p(-0.5 * std::erfc(z * inv_sqrt2));
  return std::log(0.5 * erfcx(-z * inv_sqrt2)) - 0.5 * z * z;
}

/// log(1 - exp(a)) for a < 0 (Maechler 2012).
inline double log1mexp(double a) noexcept {
  return a > -0.6931471805599453 ? std::log(-std::expm1(a)) : std::log1p(-std::exp(a));
}

/// log h(z) and its derivative d log h / dz = Phi(z) / h(z).
struct log_h_value {
  double value, slope;
};

inline log_h_value log_h(double z) noexcept {
  if (z > -1.0) {
    const double cdf = normal_cdf(z), h = normal_pdf(z) + z * cdf;
    return {std::log(h), cdf / h};
  }
  if (z > -36.0) {
    // h(z) = phi(z) (1 - sqrt(pi/2) |z| erfcx(-z / sqrt 2)) (Ament et al., eq. 9);
    // the cancellation costs log10(z^2) < 3.2 digits here.
    const double ex = erfcx(-z * inv_sqrt2);
    const double lm = log1mexp(std::log(ex * -z) + log_sqrt_pi_over_2);
    // Phi / h = (erfcx / 2) sqrt(2 pi) / (1 - sqrt(pi/2) |z| erfcx).
    return {-0.5 * z * z - log_sqrt_2pi + lm, 0.5 * ex * sqrt_2pi / std::exp(lm)};
  }
  // Far tail: h(z) = phi(z) u S(u), u = 1/z^2, S = sum_k (-1)^k (2k+1)!! u^k (the
  // asymptotic series of the Mills ratio, integrated; 7 terms are exact to
  // double precision for |z| >= 36), with no cancellation and no underflow:
  // log h stays finite for |z| up to 1e154, where z^2 overflows.
  const double u = 1.0 / (z * z);
  static constexpr double a[] = {1.0, -3.0, 15.0, -105.0, 945.0, -10395.0, 135135.0};
  double s = 0, ds = 0;  // S and sum_k a_k (k + 1) u^k
  for (int k = 6; k >= 0; --k) {
    s = s * u + a[k];
    ds = ds * u + a[k] * (k + 1);
  }
  // d log h / dz = -z + d log(u S) / dz, du/dz = -2u/z.
  return {-0.5 * z * z - log_sqrt_2pi - 2.0 * std::log(-z) + std::log(s), -z - 2.0 / z * ds / s};
}

/// An acquisition value (to maximise) and its partial derivatives.
struct value_grad {
  double value, d_mu, d_sigma;
};

/// log EI for minimisation. sigma must be > 0.
inline value_grad log_ei(double mu, double sigma, double best) noexcept {
  const double z = (best - mu) / sigma;
  const auto [lh, s] = log_h(z);
  // d/dmu = s * dz/dmu = -s / sigma; d/dsigma = 1/sigma + s * (-z / sigma).
  return {std::log(sigma) + lh, -s / sigma, (1.0 - s * z) / sigma};
}

/// log PI for minimisation: log Phi((best - mu) / sigma).
inline value_grad log_pi(double mu, double sigma, double best) noexcept {
  const double z = (best - mu) / sigma;
  const double lc = log_normal_cdf(z);
  // d log Phi / dz = phi / Phi, computed in the log domain.
  const double ratio = std::exp(-0.5 * z * z - log_sqrt_2pi - lc);
  return {lc, -ratio / sigma, -ratio * z / sigma};
}

/// Negated lower confidence bound for minimisation: -(mu - kappa sigma).
inline value_grad ucb(double mu, double sigma, double kappa) noexcept { return {-mu + kappa * sigma, -1.0, kappa}; }

}  // namespace tunekit::detail::acq
