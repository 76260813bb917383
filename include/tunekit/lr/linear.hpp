#pragma once

#include <algorithm>
#include <cstdint>

#include "group.hpp"
#include "policy_base.hpp"

namespace tunekit {

/// Options of `linear_lr` (PyTorch's LinearLR).
struct linear_lr_options {
  /// Factor of the base lr at epoch 0; in (0, 1].
  double start_factor = 1.0 / 3;
  /// Factor reached at `total_iters`; in [0, 1].
  double end_factor = 1.0;
  std::int64_t total_iters = 5;
};

/// Moves the lr factor linearly from `start_factor` to `end_factor` over
/// `total_iters` epochs, then holds it: PyTorch's LinearLR, recursive form
/// (so it ends at 0.09999999999999998 where the closed form says 0.1).
class linear_lr : public detail::standard_lr_policy<linear_lr> {
 public:
  explicit linear_lr(linear_lr_options options = {}) : o_(options) {
    detail::require_in("linear_lr", "start_factor", o_.start_factor, 0, 1);
    detail::require_in("linear_lr", "end_factor", o_.end_factor, 0, 1);
    // PyTorch 1.13 accepts 0 and then divides by zero at epoch 1.
    if (o_.start_factor == 0 && o_.total_iters >= 1)
      detail::bad_lr_option("linear_lr", "start_factor", "0",
                            "it must be > 0 when total_iters >= 1 (PyTorch 1.13 divides by zero at epoch 1)");
  }

  double get_lr(const lr_group& g, std::int64_t e) const {
    if (e == 0) return g.lr * o_.start_factor;
    if (e > o_.total_iters) return g.lr;
    const double span = o_.end_factor - o_.start_factor;
    return g.lr * (1. + span / (static_cast<double>(o_.total_iters) * o_.start_factor +
                                static_cast<double>(e - 1) * span));
  }
  double closed_form(std::int64_t e) const {
    if (o_.total_iters == 0) detail::lr_division_by_zero("linear_lr", "the closed form (total_iters = 0)");
    return base_lr_ * (o_.start_factor + (o_.end_factor - o_.start_factor) *
                                             static_cast<double>(std::min(o_.total_iters, e)) /
                                             static_cast<double>(o_.total_iters));
  }
  const linear_lr_options& options() const noexcept { return o_; }

 private:
  linear_lr_options o_;
};

}  // namespace tunekit
