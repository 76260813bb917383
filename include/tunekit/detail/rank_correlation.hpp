#pragma once

// Spearman's rank correlation: budget_aware_sampler's check whether a
// small budget ranks trials as a larger one does, and curve_agreement's report.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace tunekit::detail {

/// Ranks 1..n of `v`, ties given their average rank.
inline std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = average;
    i = j + 1;
  }
  return rank;
}

/// Spearman's ρ of the pairs (a[i], b[i]): the Pearson correlation of their
/// average ranks. 0 when either side is constant or there are fewer than 2
/// pairs (no evidence of agreement). Values must be finite.
inline double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  if (n < 2) return 0.0;
  std::vector<double> ra = average_ranks(std::vector<double>(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n)));
  std::vector<double> rb = average_ranks(std::vector<double>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)));
  const double mean = 0.5 * static_cast<double>(n + 1);  // the mean of ranks 1..n, ties or not
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double da = ra[i] - mean, db = rb[i] - mean;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa <= 0 || sbb <= 0) return 0.0;
  return sab / std::sqrt(saa * sbb);
}

}  // namespace tunekit::detail
