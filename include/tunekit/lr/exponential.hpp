#pragma once

#include <cstdint>
#include <limits>

#include "group.hpp"
#include "policy_base.hpp"

namespace tunekit {

/// Options of `exponential_lr` (PyTorch's ExponentialLR).
struct exponential_lr_options {
  /// Multiplicative decay per epoch; no default (PyTorch requires it).
  double gamma = std::numeric_limits<double>::quiet_NaN();
};

/// Multiplies the lr by `gamma` every epoch: PyTorch's ExponentialLR.
class exponential_lr : public detail::standard_lr_policy<exponential_lr> {
 public:
  explicit exponential_lr(exponential_lr_options options = {}) : o_(options) {
    detail::require_finite("exponential_lr", "gamma", o_.gamma);
  }

  double get_lr(const lr_group& g, std::int64_t e) const { return e == 0 ? g.lr : g.lr * o_.gamma; }
  double closed_form(std::int64_t e) const { return base_lr_ * detail::py_pow(o_.gamma, static_cast<double>(e)); }
  const exponential_lr_options& options() const noexcept { return o_; }

 private:
  exponential_lr_options o_;
};

}  // namespace tunekit
