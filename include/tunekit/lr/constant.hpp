#pragma once

#include <cstdint>

#include "group.hpp"
#include "policy_base.hpp"

namespace tunekit {

/// Options of `constant_lr` (PyTorch's ConstantLR).
struct constant_lr_options {
  /// Factor applied until `total_iters`; in [0, 1].
  double factor = 1.0 / 3;
  std::int64_t total_iters = 5;
};

/// Scales the lr by `factor` for the first `total_iters` epochs, then
/// restores it: PyTorch's ConstantLR, recursive form (the restore divides by
/// the factor, so the lr after it may differ from the base lr in the last bit).
class constant_lr : public detail::standard_lr_policy<constant_lr> {
 public:
  explicit constant_lr(constant_lr_options options = {}) : o_(options) {
    detail::require_in("constant_lr", "factor", o_.factor, 0, 1);
    // PyTorch 1.13 accepts 0 and then divides by zero at epoch total_iters.
    if (o_.factor == 0 && o_.total_iters >= 1)
      detail::bad_lr_option("constant_lr", "factor", "0",
                            "it must be > 0 when total_iters >= 1 (PyTorch 1.13 divides by it at epoch total_iters)");
  }

  double get_lr(const lr_group& g, std::int64_t e) const {
    if (e == 0) return g.lr * o_.factor;
    if (e != o_.total_iters) return g.lr;
    return g.lr * (1.0 / o_.factor);
  }
  double closed_form(std::int64_t e) const {
    return base_lr_ * (o_.factor + (e >= o_.total_iters ? 1.0 : 0.0) * (1 - o_.factor));
  }
  const constant_lr_options& options() const noexcept { return o_; }

 private:
  constant_lr_options o_;
};

}  // namespace tunekit
