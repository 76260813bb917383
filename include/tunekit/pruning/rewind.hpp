#pragma once

#include "detail/requires_target.hpp"

/// Iterative magnitude pruning with weight rewinding (Frankle & Carbin 2019,
/// "The Lottery Ticket Hypothesis"; rewinding to an early step rather than
/// to initialisation: Frankle et al. 2020, "Linear Mode Connectivity and the
/// Lottery Ticket Hypothesis"). Train, prune a fraction of the survivors by
/// magnitude, reset the survivors to their saved values, repeat.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include <xtensor/xarray.hpp>

#include "../core/errors.hpp"
#include "mask.hpp"
#include "unstructured.hpp"

namespace tunekit {

/// The rounds of iterative magnitude pruning: each prunes `amount_per_round`
/// of the surviving weights, so after r rounds the sparsity is
/// 1 - (1 - amount_per_round)^r. `rewind_step` is the training step whose
/// weights survivors are reset to (0: the initial weights).
struct iterative_magnitude_schedule {
  int rounds = 1;
  double amount_per_round = 0.2;
  std::int64_t rewind_step = 0;

  /// Sparsity after `round` rounds (0 before the first).
  [[nodiscard]] double sparsity_after(int round) const {
    check();
    return 1.0 - std::pow(1.0 - amount_per_round, std::clamp(round, 0, rounds));
  }
  /// The criterion for one round: L1 magnitude on the survivors.
  [[nodiscard]] l1_unstructured round_criterion() const {
    check();
    return l1_unstructured{fraction(amount_per_round)};
  }

 private:
  void check() const {
    if (rounds < 1) throw invalid_argument("'rounds' must be >= 1, got " + std::to_string(rounds));
    if (!(amount_per_round >= 0.0 && amount_per_round <= 1.0))
      throw invalid_argument("'amount_per_round' must be in [0, 1], got " + std::to_string(amount_per_round));
    if (rewind_step < 0) throw invalid_argument("'rewind_step' must be >= 0, got " + std::to_string(rewind_step));
  }
};

/// Saved weights to rewind to: `save` at the rewind step, `rewind` after each
/// pruning round (survivors get their saved values, pruned entries 0).
class weight_snapshot {
 public:
  weight_snapshot() = default;
  template <class E>
  explicit weight_snapshot(const E& weights) {
    save(weights);
  }

  template <class E>
  void save(const E& weights) {
    saved_ = xt::xarray<float>::from_shape(detail::shape_of(weights));
    std::transform(weights.begin(), weights.end(), saved_.begin(), [](const auto& v) { return static_cast<float>(v); });
  }

  [[nodiscard]] bool empty() const noexcept { return saved_.size() == 0 || saved_.dimension() == 0; }
  [[nodiscard]] const xt::xarray<float>& weights() const noexcept { return saved_; }

  /// weights = saved where `mask` keeps, 0 where it prunes. `weights` may be
  /// an `xt::adapt` over the user's memory; its shape must be the saved one.
  template <class E>
  void rewind(E&& weights, const pruning_mask& mask) const {
    if (empty()) throw state_error("weight_snapshot::rewind before save");
    const tensor_shape s = detail::shape_of(weights);
    if (s != detail::shape_of(saved_))
      throw invalid_argument("'weights' have shape " + detail::shape_string(s) + " but the snapshot has " +
                             detail::shape_string(detail::shape_of(saved_)));
    if (detail::shape_of(mask) != s)
      throw invalid_argument("'mask' has shape " + detail::shape_string(detail::shape_of(mask)) +
                             " but the weights have shape " + detail::shape_string(s));
    using value_type = std::remove_cvref_t<decltype(*weights.begin())>;
    auto w = weights.begin();
    auto m = mask.begin();
    for (auto v = saved_.begin(); v != saved_.end(); ++v, ++w, ++m)
      *w = *m ? static_cast<value_type>(*v) : value_type(0);
  }

 private:
  xt::xarray<float> saved_;
};

}  // namespace tunekit
