#pragma once

// The two operators of differential evolution (Storn & Price 1997,
// "Differential Evolution – A Simple and Efficient Heuristic for Global
// Optimization over Continuous Spaces") on the unit cube, as DEHB uses them
// (Awad, Mallik & Hutter 2021): rand/1 mutation and binomial crossover.

#include <cstddef>
#include <span>

#include "../../core/random.hpp"

namespace tunekit::detail {

/// rand/1 mutation: out = a + F · (b − c). A coordinate that leaves [0, 1]
/// is redrawn uniformly in [0, 1] (DEHB's default repair, "random").
inline void de_mutant(std::span<const double> a, std::span<const double> b, std::span<const double> c,
                      double mutation_factor, random_engine& rng, std::span<double> out) {
  for (std::size_t j = 0; j < out.size(); ++j) {
    const double v = a[j] + mutation_factor * (b[j] - c[j]);
    out[j] = v >= 0.0 && v <= 1.0 ? v : rng.uniform();
  }
}

/// Binomial crossover: out_j = mutant_j with probability CR, else
/// target_j; coordinate j_rand (drawn uniformly, returned) always comes
/// from the mutant, so the offspring differs from the target whenever the
/// mutant does.
inline std::size_t de_binomial_crossover(std::span<const double> target, std::span<const double> mutant,
                                         double crossover_prob, random_engine& rng, std::span<double> out) {
  const auto j_rand = static_cast<std::size_t>(rng.below(out.size()));
  for (std::size_t j = 0; j < out.size(); ++j) out[j] = j == j_rand || rng.uniform() < crossover_prob ? mutant[j] : target[j];
  return j_rand;
}

}  // namespace tunekit::detail
