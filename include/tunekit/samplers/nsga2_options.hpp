#pragma once

/// \file
/// The options of `nsga2_sampler` (samplers/nsga2.hpp), apart so that the
/// implementation in detail/nsga2_impl.hpp can include them on its own.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "../core/frozen_trial.hpp"

namespace tunekit {

/// How two parents' numerical parameters are combined. Categorical
/// parameters always use uniform crossover.
enum class nsga2_crossover {
  /// Each parameter from either parent (Syswerda 1989), the second one with
  /// probability `swapping_prob`. Optuna's default.
  uniform,
  /// Simulated binary crossover (Deb & Agrawal 1995) with index `sbx_eta`,
  /// on the unit-transformed scale.
  sbx,
  /// BLX-alpha (Eshelman & Schaffer 1993): uniform on the parents' interval
  /// widened by `blx_alpha` times its length on each side.
  blx_alpha,
};

/// Options of `nsga2_sampler`; defaults are Optuna 3.1's.
struct nsga2_sampler_options {
  /// Trials per generation (>= 2). A generation's children are bred once this
  /// many trials of it are COMPLETE.
  std::int64_t population_size = 50;
  /// Probability that a child's parameter is drawn afresh (uniformly, as
  /// `random_sampler` does) instead of inherited; unset: 1 / max(1, D).
  std::optional<double> mutation_prob = std::nullopt;
  nsga2_crossover crossover = nsga2_crossover::uniform;
  /// Probability that a child is bred by crossover; otherwise it copies its
  /// first parent (before mutation).
  double crossover_prob = 0.9;
  /// Uniform crossover (and categorical parameters): probability of taking
  /// a parameter from the second parent.
  double swapping_prob = 0.5;
  /// BLX-alpha's widening (>= 0).
  double blx_alpha = 0.5;
  /// SBX's distribution index (>= 0; larger keeps children nearer their parents).
  double sbx_eta = 20.0;
  /// Seed of every draw; unset means a fresh seed from the operating system.
  std::optional<std::uint64_t> seed = std::nullopt;
  /// Constraint values of a COMPLETE trial, each <= 0 when satisfied
  /// (Optuna's `constraints_func`); selection then uses Deb's constrained
  /// domination. A NaN value counts as violated. Unset: a trial's
  /// `constraints` system attribute (Optuna's key) is used when present,
  /// else every trial is feasible. Must be pure: it is re-evaluated.
  std::function<std::vector<double>(const frozen_trial&)> constraints_func = nullptr;
};

}  // namespace tunekit
