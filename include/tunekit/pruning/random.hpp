#pragma once

#include "detail/requires_target.hpp"

/// Random unstructured criterion (PyTorch: `random_unstructured`), seeded:
/// the same seed, amount and mask give the same result on every platform.

#include <cstddef>
#include <cstdint>

#include "../core/random.hpp"
#include "concepts.hpp"
#include "mask.hpp"

namespace tunekit {

/// Prunes `amount` of the surviving entries chosen uniformly at random
/// (every subset of that size equally likely), ignoring the values. A
/// baseline for the other criteria.
struct random_unstructured {
  prune_amount amount = fraction(0.0);
  std::uint64_t seed = 0;

  [[nodiscard]] pruning_mask compute_mask(const importance_view& w) const { return compute(w, nullptr); }
  [[nodiscard]] pruning_mask compute_mask(const importance_view& w, const pruning_mask& current) const {
    return compute(w, detail::prior_data(current, w.shape));
  }

 private:
  pruning_mask compute(const importance_view& w, const std::uint8_t* current) const {
    detail::require_non_empty(w.size(), "weights");
    std::size_t survivors = w.size();
    if (current != nullptr) {
      survivors = 0;
      for (std::size_t i = 0; i < w.size(); ++i) survivors += current[i] != 0;
    }
    std::size_t to_prune = amount.resolve(survivors);
    // Selection sampling (Knuth, TAOCP vol. 2, Algorithm S): one pass, no
    // index array; each survivor is pruned with probability to_prune / left.
    random_engine rng(seed);
    pruning_mask out(w.shape);
    std::uint8_t* o = out.data();
    std::size_t left = survivors;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (current != nullptr && current[i] == 0) {
        o[i] = 0;
        continue;
      }
      const bool prune = rng.below(left) < to_prune;
      o[i] = prune ? 0 : 1;
      to_prune -= prune;
      --left;
    }
    return out;
  }
};

static_assert(mask_criterion<random_unstructured>);

}  // namespace tunekit
