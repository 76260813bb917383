#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace tunekit::testing {

/// Spearman's ρ for distinct values by the textbook formula 1 − 6 Σ d² / (n (n² − 1)):
/// written apart from the library's (Pearson of average ranks) to check it.
inline double textbook_spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  auto ranks = [n](const std::vector<double>& v) {
    std::vector<double> r(n);
    for (std::size_t i = 0; i < n; ++i)
      r[i] = 1.0 + static_cast<double>(std::count_if(v.begin(), v.end(), [&](double w) { return w < v[i]; }));
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  double d2 = 0;
  for (std::size_t i = 0; i < n; ++i) d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
  const double nn = static_cast<double>(n);
  return 1.0 - 6.0 * d2 / (nn * (nn * nn - 1.0));
}

}  // namespace tunekit::testing
