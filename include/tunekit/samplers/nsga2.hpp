#pragma once

/// \file
/// `nsga2_sampler`: the elitist multi-objective genetic algorithm NSGA-II,
/// with the options of Optuna 3.1's `NSGAIISampler`.
///
/// References:
///   - K. Deb, A. Pratap, S. Agarwal, T. Meyarivan. *A fast and elitist
///     multiobjective genetic algorithm: NSGA-II*. IEEE Trans. Evol. Comput.
///     6(2), 2002 (elitist survival by non-domination rank then crowding
///     distance, the crowded binary tournament, constrained domination).
///   - G. Syswerda. *Uniform crossover in genetic algorithms*. ICGA 1989.
///   - L. J. Eshelman, J. D. Schaffer. *Real-coded genetic algorithms and
///     interval-schemata*. FOGA 2, 1993 (BLX-alpha).
///   - K. Deb, R. B. Agrawal. *Simulated binary crossover for continuous
///     search space*. Complex Systems 9, 1995 (SBX).
///
/// Complexity of one ask with N finished trials, population P, D parameters:
/// O(k) to take in the k trials finished since the previous ask; when a
/// generation fills up, one elite selection over at most 2P + (parallel
/// extras) trials: O(m P^2) (O(P log P) for two objectives); then O(D) per
/// child. Memory O(N).
#include <utility>

#include "../core/concepts.hpp"
#include "detail/nsga2_impl.hpp"
#include "nsga2_options.hpp"

namespace tunekit {

/// NSGA-II (Deb et al. 2002) over the parameters every finished trial shares.
///
/// Generation 0 is random. Each later trial is a child of the elite parent
/// population: the best `population_size` trials of the latest full
/// generation and the previous parents, by (constrained) non-domination rank
/// then crowding distance; two parents are picked by crowded binary
/// tournaments, crossed with probability `crossover_prob` and mutated.
///
/// Generations live in the trials themselves, as in Optuna: each trial is
/// created with the system attributes `nsga2:generation` and `nsga2:parents`
/// (parent trial ids), through the tuner's `new_trial_system_attrs` hook, so
/// any number of threads and processes sharing a storage breed one
/// population, and Optuna 3.1 reads the same generations back. Enqueued
/// trials and trials without the attribute (warm starts) join no generation.
///
/// Same seed, same study, `n_jobs = 1` gives the same trials.
class nsga2_sampler : public detail::nsga2_sampler_impl<> {
 public:
  /// Throws `invalid_argument` naming the bad option. A template so that the
  /// implementation's members are instantiated only where one is constructed
  /// (compile cost: docs/compile-time.md).
  template <class Tag = void>
  explicit nsga2_sampler(nsga2_sampler_options options = {}) : detail::nsga2_sampler_impl<Tag>(std::move(options)) {}
};

static_assert(relational_sampler<nsga2_sampler>);

}  // namespace tunekit
