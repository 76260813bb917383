#pragma once
// Multi-fidelity test functions with known optima, from Kandasamy et al.
// 2017 ("Multi-fidelity Bayesian Optimisation with Continuous
// Approximations", ICML; the definitions of their Dragonfly library). The
// fidelity z ∈ [0, 1] (1 = the real objective) is one number here, the
// fraction of the training steps done, used for every fidelity coordinate
// of the paper. At z = 1 both are the functions of the quality suite, so
// their minima are the suite's. Minimised.
#include <tunekit/core/trial.hpp>
#include <tunekit/testing/test_functions.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numbers>
#include <span>

namespace tunekit_bench {

/// One training run of a task (bohb_bench): each call trains one more step
/// (a step of f's fidelity, a boosting round, an epoch) and returns the
/// value after it.
using training_run = std::function<double()>;

/// A multi-fidelity task: suggests a trial's hyperparameters and starts its
/// training run of at most `max_steps` steps.
using task_start = std::function<training_run(tunekit::trial&, std::int64_t max_steps)>;

/// Branin with b, c, t moved by the fidelity: b = b0 − 0.01(1 − z),
/// c = c0 − 0.1(1 − z), t = t0 + 0.005(1 − z). x0 ∈ [−5, 10], x1 ∈ [0, 15];
/// minimum 0.397887... at z = 1.
inline double branin_mf(std::span<const double> x, double z) {
  constexpr double pi = std::numbers::pi;
  const double b = 5.1 / (4.0 * pi * pi) - 0.01 * (1.0 - z);
  const double c = 5.0 / pi - 0.1 * (1.0 - z);
  const double t = 1.0 / (8.0 * pi) + 0.005 * (1.0 - z);
  const double u = x[1] - b * x[0] * x[0] + c * x[0] - 6.0;
  return u * u + 10.0 * (1.0 - t) * std::cos(x[0]) + 10.0;
}

/// Hartmann-6 with α(z) = α − 0.1(1 − z) (every α_i); [0, 1]^6, minimum
/// −3.32237 at z = 1.
inline double hartmann6_mf(std::span<const double> x, double z) {
  static constexpr double a[4][6] = {{10.0, 3.0, 17.0, 3.5, 1.7, 8.0},
                                     {0.05, 10.0, 17.0, 0.1, 8.0, 14.0},
                                     {3.0, 3.5, 1.7, 10.0, 17.0, 8.0},
                                     {17.0, 8.0, 0.05, 10.0, 0.1, 14.0}};
  static constexpr double p[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                     {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                     {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                     {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  static constexpr double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  double sum = 0.0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0.0;
    for (int j = 0; j < 6; ++j) inner += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]);
    sum += (alpha[i] - 0.1 * (1.0 - z)) * std::exp(-inner);
  }
  return -sum;
}

/// Not from the literature: a task whose learning curves cross, to test
/// what early stopping does to slow starters. Hartmann-6 reached along a
/// saturating curve whose time constant grows as x0 falls:
/// f(x, z) = H6(x) · (1 − e^(−z/τ)) / (1 − e^(−1/τ)), τ = 0.05 + 0.6 (1 − x0).
/// The optimum (x0 ≈ 0.20, τ ≈ 0.53) is a slow starter: after 1 of 81 steps
/// it is at 3 % of its final value while a configuration with x0 = 1 is at
/// 22 %. f(x, 1) = H6(x): minimum −3.32237.
inline double hartmann6_slow(std::span<const double> x, double z) {
  const double tau = 0.05 + 0.6 * (1.0 - x[0]);
  return tunekit::testing::hartmann6(x) * (1.0 - std::exp(-z / tau)) / (1.0 - std::exp(-1.0 / tau));
}

// Held-back shapes (not from the literature), made to choose budget_aware_sampler's
// min_rank_agreement on problems it was not tuned on: curves that cross on
// another function, noisy early steps, a distractor that only low budgets
// see, and early rankings that are wrong about the optimum. Each equals its
// base function at z = 1, so the known minima hold.

/// Branin approached from above along e^(−z/τ) with τ growing with x0: the
/// two optima at x0 ≈ π and 9.42 start slower than the one at −π.
inline double branin_slow(std::span<const double> x, double z) {
  const double tau = 0.05 + 0.3 * (x[0] + 5.0) / 15.0;
  return tunekit::testing::branin(x) + 300.0 * (std::exp(-z / tau) - std::exp(-1.0 / tau));
}

/// A deterministic pseudo-random number in [−1, 1] from x and z (SplitMix64
/// over their bits), so a configuration always gives the same curve.
inline double curve_noise(std::span<const double> x, double z) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull;
  auto mix = [&](double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    h ^= bits + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    h ^= h >> 31;
  };
  for (double v : x) mix(v);
  mix(z);
  return static_cast<double>(h >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

/// hartmann6_mf with noise of amplitude 0.5 · (1 − z): noisy early steps,
/// exact at the end.
inline double hartmann6_noisy(std::span<const double> x, double z) {
  return hartmann6_mf(x, z) + 0.5 * (1.0 - z) * curve_noise(x, z);
}

/// Hartmann-3 in x0..x2 of a 10-D unit cube; x3..x9 do not matter at the end
/// but a distractor 3 (1 − z)² Σ (x_j − 0.5)² dominates the first steps.
inline double hartmann3_distracted(std::span<const double> x, double z) {
  double distractor = 0.0;
  for (std::size_t j = 3; j < 10; ++j) distractor += (x[j] - 0.5) * (x[j] - 0.5);
  return tunekit::testing::hartmann3(x.first(3)) + 3.0 * (1.0 - z) * (1.0 - z) * distractor;
}

/// Hartmann-6 whose early steps favour configurations far from the optimum's
/// x0 ≈ 0.20: f = H6(x) − 2 (1 − z)² |x0 − 0.2|. Early rankings are wrong
/// about where the optimum is.
inline double hartmann6_misleading(std::span<const double> x, double z) {
  return tunekit::testing::hartmann6(x) - 2.0 * (1.0 - z) * (1.0 - z) * std::abs(x[0] - 0.2);
}

}  // namespace tunekit_bench
