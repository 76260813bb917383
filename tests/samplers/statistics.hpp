// Goodness-of-fit statistics shared by the sampler tests.
//
// Thresholds are quantiles of each statistic's null distribution (what a
// correct sampler produces); the [.slow] "spread" tests measure that spread
// over many seeds and check the rejection rates, so the fast tests' pinned
// seeds are not cherry-picked.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace tunekit_test {

/// Kolmogorov-Smirnov statistic sqrt(n) * D_n of a sample against U(0, 1).
inline double ks_uniform(std::vector<double> u) {
  std::sort(u.begin(), u.end());
  const double n = static_cast<double>(u.size());
  double d = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const double lo = u[i] - static_cast<double>(i) / n, hi = static_cast<double>(i + 1) / n - u[i];
    d = std::max({d, lo, hi});
  }
  return std::sqrt(n) * d;
}

/// Asymptotic critical values of sqrt(n) * D_n (Kolmogorov distribution).
inline constexpr double ks_critical_001 = 1.949;  // P(K > x) = 0.001
inline constexpr double ks_critical_01 = 1.628;   // P(K > x) = 0.01

/// Pearson's chi-square statistic of observed counts against expected probabilities.
inline double chi_square(std::span<const std::size_t> counts, std::span<const double> probabilities) {
  double n = 0;
  for (auto c : counts) n += static_cast<double>(c);
  double x2 = 0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const double e = n * probabilities[k];
    x2 += (static_cast<double>(counts[k]) - e) * (static_cast<double>(counts[k]) - e) / e;
  }
  return x2;
}

/// Upper quantile of chi-square with `df` degrees of freedom (Wilson-Hilferty;
/// within ~1% of the exact value for df >= 1 at these tail probabilities).
/// `z` is the standard normal quantile: 3.090 for p = 0.001, 2.326 for p = 0.01.
inline double chi_square_quantile(double df, double z) {
  const double a = 2.0 / (9.0 * df);
  const double c = 1.0 - a + z * std::sqrt(a);
  return df * c * c * c;
}
inline constexpr double z_001 = 3.090;
inline constexpr double z_01 = 2.326;

/// Squared L2-star discrepancy of points in [0, 1]^d (Warnock 1972):
/// 3^-d - 2^(1-d)/n sum_i prod_k (1 - x_ik^2) + 1/n^2 sum_ij prod_k (1 - max(x_ik, x_jk)).
inline double l2_star_discrepancy_squared(const std::vector<std::vector<double>>& points) {
  const std::size_t n = points.size(), d = points.front().size();
  double first = 0, second = 0;
  for (const auto& p : points) {
    double prod = 1;
    for (double x : p) prod *= 1 - x * x;
    first += prod;
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double prod = 1;
      for (std::size_t k = 0; k < d; ++k) prod *= 1 - std::max(points[i][k], points[j][k]);
      second += prod;
    }
  const double nn = static_cast<double>(n);
  return std::pow(3.0, -static_cast<double>(d)) - std::pow(2.0, 1.0 - static_cast<double>(d)) / nn * first +
         second / (nn * nn);
}

}  // namespace tunekit_test
