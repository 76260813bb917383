#pragma once

/// \file
/// The standard normal and the truncated normal in log space, for the Parzen
/// estimators of the TPE sampler: log Φ, the log of the Gaussian mass of an
/// interval (the normaliser of a truncated kernel, and the probability of a
/// grid cell), and inverse-CDF draws. Every function stays finite and
/// accurate where the naive formulas underflow or cancel, i.e. far in a tail
/// and for intervals that are tiny compared with the kernel's width.

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/erf.hpp>

#include "../../detail/dependent.hpp"

namespace tunekit::detail::tpe {

/// Boost.Math evaluates double functions in long double by default, which
/// is several times slower on x86-64 and buys nothing at our tolerances; and
/// it throws on domain errors, which our callers rule out beforehand (the
/// errno policy keeps these functions honest `noexcept`).
using double_policy = boost::math::policies::policy<
    boost::math::policies::promote_double<false>,
    boost::math::policies::domain_error<boost::math::policies::errno_on_error>,
    boost::math::policies::overflow_error<boost::math::policies::errno_on_error>,
    boost::math::policies::pole_error<boost::math::policies::errno_on_error>,
    boost::math::policies::evaluation_error<boost::math::policies::errno_on_error>>;

// The argument is cast to a dependent spelling of double (detail/dependent.hpp)
// so that Boost.Math's overloads are resolved, and its templates
// instantiated, only where these functions are used.
template <class Tag = void>
inline double erf(double x) noexcept { return boost::math::erf(static_cast<dependent_t<Tag, double>>(x), double_policy{}); }
template <class Tag = void>
inline double erfc(double x) noexcept { return boost::math::erfc(static_cast<dependent_t<Tag, double>>(x), double_policy{}); }
template <class Tag = void>
inline double erfc_inv(double p) noexcept {
  return boost::math::erfc_inv(static_cast<dependent_t<Tag, double>>(p), double_policy{});
}

inline constexpr double inv_sqrt2 = 0.70710678118654752440;
/// log(sqrt(2 pi)): the constant of the normal log-density.
inline constexpr double log_sqrt_2pi = 0.91893853320467274178;

/// Φ(z), the standard normal CDF, accurate in both tails (erfc of the side
/// where the result is small, so there is no cancellation).
template <class = void>
inline double ndtr(double z) noexcept {
  if (std::isnan(z)) return z;
  const double x = z * inv_sqrt2;
  if (x < -inv_sqrt2) return 0.5 * erfc(-x);
  if (x < inv_sqrt2) return 0.5 + 0.5 * erf(x);
  return 1.0 - 0.5 * erfc(x);
}

/// log Φ(z), finite for every finite z (Φ(-40) is 4e-350, below the doubles).
template <class = void>
inline double log_ndtr(double z) noexcept {
  if (std::isnan(z)) return z;
  if (z == -std::numeric_limits<double>::infinity()) return z;
  if (z > 6.0) return std::log1p(-0.5 * erfc(z * inv_sqrt2));
  if (z > -20.0) return std::log(0.5 * erfc(-z * inv_sqrt2));
  // Asymptotic expansion of the Mills ratio: Φ(z) = φ(z)/|z| (1 - 1/z² + 3/z⁴ - 15/z⁶ ...);
  // at z <= -20 the terms fall by >= 400x each, so eight reach double precision.
  const double inv_z2 = 1.0 / (z * z);
  double sum = 1.0, term = 1.0;
  for (int k = 1; k <= 8; ++k) {
    term *= -static_cast<double>(2 * k - 1) * inv_z2;
    sum += term;
  }
  return -0.5 * z * z - std::log(-z) - log_sqrt_2pi + std::log(sum);
}

/// log(exp(a) - exp(b)) for a >= b, without cancelling when b is close to a.
template <class = void>
inline double log_diff_exp(double a, double b) noexcept {
  if (b == -std::numeric_limits<double>::infinity()) return a;
  const double d = b - a;
  // log(1 - e^d): log(-expm1(d)) near 0, log1p(-exp(d)) further out (Mächler 2012).
  return a + (d > -std::numbers::ln2 ? std::log(-std::expm1(d)) : std::log1p(-std::exp(d)));
}

/// log(Φ(b) - Φ(a)) for a < b: the log of the standard normal mass of [a, b].
/// Works on the tail where the mass is small, so [40, 41] or [-1e9, -1e9 + 1e-3]
/// give finite, accurate values.
template <class = void>
inline double log_gauss_mass(double a, double b) noexcept {
  if (!(a < b)) return -std::numeric_limits<double>::infinity();
  const double mid = 0.5 * (a + b), width = b - a;
  if (width * std::max(1.0, std::abs(mid)) < 1e-2) {
    // A narrow interval: differences of Φ would cancel. Midpoint rule with
    // its second-order term, mass = w φ(m) (1 + (m² - 1) w² / 24 + O((m w)⁴)),
    // relative error below 1e-11 here.
    return std::log(width) - 0.5 * mid * mid - log_sqrt_2pi + std::log1p((mid * mid - 1.0) * width * width / 24.0);
  }
  if (b <= 0.0) return log_diff_exp(log_ndtr(b), log_ndtr(a));
  if (a > 0.0) return log_diff_exp(log_ndtr(-a), log_ndtr(-b));
  // The interval holds 0: the mass is >= Φ(b) - 1/2 and no term is tiny.
  return std::log1p(-ndtr(a) - ndtr(-b));
}

/// Φ⁻¹(p) for p in (0, 1), through Boost's inverse erfc (accurate in both tails).
template <class = void>
inline double ndtri(double p) noexcept {
  if (p <= 0.0) return -std::numeric_limits<double>::infinity();
  if (p >= 1.0) return std::numeric_limits<double>::infinity();
  return -std::numbers::sqrt2 * erfc_inv(2.0 * p);
}

/// A draw from the standard normal truncated to [a, b] (a < b) by inversion:
/// `u` is a uniform number in [0, 1). Inverts on the side of the interval
/// nearer to 0, where Φ does not round to 1; the result is clamped to [a, b].
template <class = void>
inline double truncnorm_ppf(double u, double a, double b) noexcept {
  if (!(a < b)) return a;
  if (a > 0.0) return -truncnorm_ppf(1.0 - u, -b, -a);  // mirror into the lower half
  const double pa = ndtr(a), pb = ndtr(b);
  double z;
  if (pb - pa > 1e-300) {
    z = ndtri(pa + u * (pb - pa));
  } else {
    // Far in the lower tail both Φ round to 0: invert in log space,
    // log Φ(z) = log(Φ(a) + u (Φ(b) - Φ(a))), by bisection on log_ndtr.
    const double la = log_ndtr(a), lb = log_ndtr(b);
    const double target = lb + std::log(u + (1.0 - u) * std::exp(la - lb));
    double lo = a, hi = b;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * std::max(1.0, std::abs(lo)); ++i) {
      const double mid = 0.5 * (lo + hi);
      (log_ndtr(mid) < target ? lo : hi) = mid;
    }
    z = 0.5 * (lo + hi);
  }
  if (!std::isfinite(z)) z = u < 0.5 ? a : b;
  return std::clamp(z, a, b);
}

}  // namespace tunekit::detail::tpe
