#pragma once

#include "detail/requires_target.hpp"

/// Entry points over xtensor expressions: compute a criterion's mask from any
/// xtensor container, view or `xt::adapt` over memory the user owns (an Eigen
/// matrix, a libtorch tensor's buffer), and prune weights in place.

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <xtensor/xarray.hpp>

#include "concepts.hpp"
#include "mask.hpp"

namespace tunekit {

namespace detail {

/// The importance as a float view: the expression's own memory when it is
/// contiguous row-major float (no copy, the common case), else a float copy.
struct importance_holder {
  xt::xarray<float> copy;
  importance_view view;
};

template <class E>
importance_holder make_importance(const E& e) {
  importance_holder h;
  using value_type = std::remove_cvref_t<typename E::value_type>;
  if constexpr (std::is_same_v<value_type, float> && requires { e.data(); }) {
    if (is_row_major_contiguous(e)) {
      h.view = {std::span<const float>(e.data(), e.size()), shape_of(e)};
      return h;
    }
  }
  h.copy = xt::xarray<float>::from_shape(shape_of(e));
  std::transform(e.begin(), e.end(), h.copy.begin(), [](const auto& v) { return static_cast<float>(v); });
  h.view = {std::span<const float>(h.copy.data(), h.copy.size()), shape_of(e)};
  return h;
}

template <class C>
pruning_mask compute_fresh(const C& c, const importance_view& v) {
  if constexpr (requires { { c.compute_mask(v) } -> std::convertible_to<pruning_mask>; }) {
    return c.compute_mask(v);
  } else {
    return c.compute_mask(v, full_mask(v.shape));
  }
}

}  // namespace detail

/// The mask `criterion` computes from `importance` (the weights, for
/// magnitude criteria), with nothing pruned yet.
template <mask_criterion C, class E>
pruning_mask compute_mask(const C& criterion, const E& importance) {
  const auto h = detail::make_importance(importance);
  return detail::compute_fresh(criterion, h.view);
}

/// Iterative pruning: the mask `criterion` computes on top of `current`;
/// new pruning happens only among the entries `current` keeps.
template <mask_criterion C, class E>
pruning_mask compute_mask(const C& criterion, const E& importance, const pruning_mask& current) {
  const auto h = detail::make_importance(importance);
  return criterion.compute_mask(h.view, current);
}

/// Computes the mask from `weights` and zeroes the pruned weights in place.
/// `weights` may be an `xt::adapt` over memory the user owns.
template <mask_criterion C, class E>
pruning_mask prune(const C& criterion, E&& weights) {
  pruning_mask mask = compute_mask(criterion, weights);
  apply_mask(std::forward<E>(weights), mask);
  return mask;
}

/// Iterative pruning in place: prunes more among what `current` keeps and
/// returns the combined mask.
template <mask_criterion C, class E>
pruning_mask prune(const C& criterion, E&& weights, const pruning_mask& current) {
  pruning_mask mask = compute_mask(criterion, weights, current);
  apply_mask(std::forward<E>(weights), mask);
  return mask;
}

}  // namespace tunekit
