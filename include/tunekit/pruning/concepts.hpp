#pragma once

#include "detail/requires_target.hpp"

/// The `mask_criterion` concept: importance scores in, pruning mask out.

#include <concepts>

#include "mask.hpp"

namespace tunekit {

/// `mask_criterion`: computes which entries of a tensor to prune.
///
/// The library calls `c.compute_mask(importance, current)` where
///   1. `importance` is a contiguous row-major `importance_view` (float): the
///      weights themselves for magnitude criteria, or any score the user
///      computed (Taylor |w * g|, movement, ...) for score criteria;
///   2. `current` is the existing mask, of importance's shape (all ones when
///      nothing is pruned yet). The result must prune everything `current`
///      prunes: new pruning happens only among the survivors, and an amount
///      given as a fraction counts the survivors, as PyTorch's
///      PruningContainer does;
///   3. the result is a `pruning_mask` of importance's shape, 0 = pruned;
///   4. bad arguments throw `tunekit::invalid_argument` naming the argument.
/// Optional: `c.compute_mask(importance)`, the same with nothing pruned yet
/// (saves reading an all-ones mask; the library uses it when present).
///
/// Minimal conforming example (prunes every negative score):
/// \code
/// struct negative_scores {
///   tunekit::pruning_mask compute_mask(const tunekit::importance_view& s,
///                                      const tunekit::pruning_mask& current) const {
///     tunekit::pruning_mask m = current;
///     for (std::size_t i = 0; i < s.size(); ++i) if (s.values[i] < 0) m.data()[i] = 0;
///     return m;
///   }
/// };
/// static_assert(tunekit::mask_criterion<negative_scores>);
/// \endcode
template <class C>
concept mask_criterion = requires(const C& c, const importance_view& importance, const pruning_mask& current) {
  { c.compute_mask(importance, current) } -> std::convertible_to<pruning_mask>;
};

}  // namespace tunekit
