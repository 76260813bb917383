#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "detail/sobol.hpp"

#include "../core/concepts.hpp"
#include "../core/random.hpp"
#include "detail/intersection.hpp"
#include "random.hpp"

namespace tunekit {

/// Options of `qmc_sampler`.
struct qmc_sampler_options {
  /// Seed of the scrambling and of the random fallback; unset: from the OS.
  std::optional<std::uint64_t> seed = std::nullopt;
  /// Randomise the sequence by a random digital shift. Without it the first
  /// point is the corner (all parameters at their lower bound).
  bool scramble = true;
};

/// Quasi-random search over the Sobol low-discrepancy sequence (Sobol 1967;
/// Joe & Kuo 2008 direction numbers, as shipped by Boost.Random), optionally
/// randomised by a digital shift (an XOR of each coordinate with a seeded
/// random word, which keeps the sequence's (t, s) net structure; Owen 2003).
///
/// Trial number n receives point n of the sequence, so parallel workers and
/// repeated runs get the same points. The relational space is the typed
/// space, or for define-by-run studies the parameters every finished trial
/// shares; parameters outside it are drawn at random (as Optuna's
/// QMCSampler does). O(dimension) per trial.
class qmc_sampler {
 public:
  explicit qmc_sampler(qmc_sampler_options options = {})
      : seed_(detail::seed_or_entropy(options.seed)), scramble_(options.scramble), fallback_({.seed = seed_}) {}

  search_space infer_relative_search_space(const study_view& view, const frozen_trial&) {
    return intersection_.update(view);
  }

  param_map sample_relative(const study_view&, const frozen_trial& t, const search_space& space) {
    param_map out;
    if (space.empty()) return out;
    if (!engine_ || engine_->dimension() != space.size()) {
      engine_.emplace(space.size());
      random_engine shifts(detail::mix(seed_, 0x51ed));
      shift_.assign(space.size(), 0);
      if (scramble_)
        for (auto& s : shift_) s = shifts();
    }
    // Trial n gets point n, starting at the origin. Boost's engine skips the
    // origin (its seed(k) is point k + 1); without it the first 2^m points
    // are not a (t, m, s)-net, and the unscrambled first point is not the corner.
    if (t.number > 0) engine_->seed(static_cast<std::uint64_t>(t.number - 1));
    for (std::size_t d = 0; d < space.size(); ++d) {
      const std::uint64_t raw = t.number > 0 ? static_cast<std::uint64_t>((*engine_)()) : 0;
      const std::uint64_t bits = raw ^ shift_[d];
      const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
      out.emplace(space[d].first, from_unit(space[d].second, u));
    }
    return out;
  }

  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) const {
    return fallback_.sample_independent(view, t, name, d);
  }

 private:
  std::uint64_t seed_;
  bool scramble_;
  random_sampler fallback_;
  detail::intersection_search_space intersection_;
  std::optional<detail::sobol_engine> engine_;
  std::vector<std::uint64_t> shift_;
};

static_assert(relational_sampler<qmc_sampler>);

}  // namespace tunekit
