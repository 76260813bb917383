#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "../core/concepts.hpp"
#include "../core/distribution.hpp"
#include "../core/random.hpp"

namespace tunekit {

/// Options of `random_sampler`.
struct random_sampler_options {
  /// Seed of every draw; unset means a fresh seed from the operating system.
  std::optional<std::uint64_t> seed = std::nullopt;
};

namespace detail {
inline std::uint64_t seed_or_entropy(std::optional<std::uint64_t> seed) {
  if (seed) return *seed;
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace detail

/// Uniform random search (Bergstra & Bengio 2012): each parameter is drawn
/// uniformly on its unit-transformed scale (log-uniform for log parameters).
/// A draw depends only on (seed, trial number, parameter name), so runs with
/// `n_jobs > 1` propose exactly the points of a sequential run. O(1) per draw,
/// whatever the size of the study.
class random_sampler {
 public:
  explicit random_sampler(random_sampler_options options = {}) : seed_(detail::seed_or_entropy(options.seed)) {}

  double sample_independent(const study_view&, const frozen_trial& t, std::string_view name,
                            const distribution& d) const {
    random_engine engine = stream_for(seed_, t.number, name);
    return from_unit(d, engine.uniform());
  }

  std::uint64_t seed() const noexcept { return seed_; }

 private:
  std::uint64_t seed_;
};

static_assert(sampler<random_sampler>);

}  // namespace tunekit
