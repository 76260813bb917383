#pragma once

#include <cstdint>

#include "../detail/format.hpp"
#include "group.hpp"
#include "policy_base.hpp"

namespace tunekit {

/// Options of `step_lr` (PyTorch's StepLR).
struct step_lr_options {
  /// Epochs between two decays; no default (PyTorch requires it), must be >= 1.
  std::int64_t step_size = 0;
  /// Multiplicative decay.
  double gamma = 0.1;
};

/// Multiplies the lr by `gamma` every `step_size` epochs: PyTorch's StepLR,
/// recursive form (lr[e] = lr[e-1] * gamma when e % step_size == 0).
class step_lr : public detail::standard_lr_policy<step_lr> {
 public:
  explicit step_lr(step_lr_options options = {}) : o_(options) {
    detail::require_at_least("step_lr", "step_size", o_.step_size, 1, "PyTorch divides by it");
    detail::require_finite("step_lr", "gamma", o_.gamma);
  }

  double get_lr(const lr_group& g, std::int64_t e) const {
    if (e == 0 || detail::py_mod(e, o_.step_size) != 0) return g.lr;
    return g.lr * o_.gamma;
  }
  double closed_form(std::int64_t e) const {
    return base_lr_ * detail::py_pow(o_.gamma, static_cast<double>(detail::py_floordiv(e, o_.step_size)));
  }
  const step_lr_options& options() const noexcept { return o_; }

 private:
  step_lr_options o_;
};

}  // namespace tunekit
