#pragma once
// What the warm-start benchmarks (warm_start.cpp for TPE, cmaes_warm_start.cpp
// for CMA-ES) share: the shifted variant of a suite function and the median.
#include <algorithm>
#include <vector>

#include <tunekit/testing/test_functions.hpp>
#include <tunekit/tuner.hpp>

namespace tunekit::bench {

/// Suggests `f`'s parameters and returns the point at which the shifted
/// variant evaluates f: x - shift_frac · range, clamped to the domain.
template <class Function>
std::vector<double> shifted_point(tunekit::trial& t, const Function& f, double shift_frac) {
  std::vector<double> x;
  x.reserve(f.domain.size());
  for (const auto& p : f.domain) {
    const double v = t.suggest_float(p.name, p.low, p.high);
    x.push_back(std::clamp(v - shift_frac * (p.high - p.low), p.low, p.high));
  }
  return x;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace tunekit::bench
