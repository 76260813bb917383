#pragma once

/// The optional trust region of `gp_sampler` (`gp_sampler_options::trust_region`):
/// TuRBO-1 (D. Eriksson, M. Pearce, J. Gardner, R. Turner, M. Poloczek.
/// *Scalable Global Optimization via Local Bayesian Optimization*. NeurIPS
/// 2019), a box around the best trial, its sides proportional to the fitted
/// lengthscales with geometric mean `length`. The length is replayed from the
/// modelled trials in order (a trial improves on the best so far by more than
/// 1e-3 of its size, or not), so it depends on the study alone, also across
/// workers.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace tunekit::detail::gp {

/// The side length after the values `y` (minimised, in trial order), the
/// first `n0` of them the start-up; `dimensions` sets the failure tolerance.
/// TuRBO-1's constants for a batch of one: length in [0.5^7, 1.6], from 0.8,
/// doubled after 3 improvements in a row, halved after max(4, D) failures in
/// a row, back to 0.8 below the shortest (TuRBO's restart).
inline double trust_region_length(const std::vector<double>& y, std::size_t n0, std::size_t dimensions) {
  static constexpr double initial = 0.8, longest = 1.6, shortest = 0.0078125;
  static constexpr int success_tolerance = 3;
  const int failure_tolerance = std::max(4, static_cast<int>(dimensions));
  n0 = std::min(std::max<std::size_t>(n0, 1), y.size());
  if (n0 == 0) return initial;
  double best = *std::min_element(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n0));
  double length = initial;
  int successes = 0, failures = 0;
  for (std::size_t i = n0; i < y.size(); ++i) {
    if (y[i] < best - 1e-3 * std::abs(best)) ++successes, failures = 0;
    else ++failures, successes = 0;
    best = std::min(best, y[i]);
    if (successes == success_tolerance) length = std::min(2 * length, longest), successes = 0;
    if (failures == failure_tolerance) length /= 2, failures = 0;
    if (length < shortest) length = initial, successes = failures = 0;
  }
  return length;
}

/// The box around `centre` (unit cube) in the dimensions `boxed` marks: half
/// side 0.5 * length * l_d / (geometric mean of the boxed l), clipped to
/// [0, 1]; `lo`/`hi` keep their values elsewhere. False when nothing is boxed.
template <class Row, class Vector>
bool trust_region_bounds(const Row& centre, const std::vector<bool>& boxed, const Vector& log_lengthscale, double length,
                         Vector& lo, Vector& hi) {
  double log_mean = 0;
  int count = 0;
  for (std::size_t d = 0; d < boxed.size(); ++d)
    if (boxed[d]) log_mean += log_lengthscale[static_cast<std::ptrdiff_t>(d)], ++count;
  if (count == 0) return false;
  log_mean /= count;
  for (std::size_t d = 0; d < boxed.size(); ++d) {
    if (!boxed[d]) continue;
    const auto i = static_cast<std::ptrdiff_t>(d);
    const double half = 0.5 * length * std::exp(log_lengthscale[i] - log_mean);
    lo[i] = std::max(0.0, centre[i] - half);
    hi[i] = std::min(1.0, centre[i] + half);
  }
  return true;
}

}  // namespace tunekit::detail::gp
