#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "group.hpp"
#include "policy_base.hpp"

namespace tunekit {

/// Options of `multi_step_lr` (PyTorch's MultiStepLR).
struct multi_step_lr_options {
  /// Epochs at which the lr decays. As in PyTorch they need not be sorted, and
  /// a milestone listed k times decays by gamma^k.
  std::vector<std::int64_t> milestones = {};
  double gamma = 0.1;
};

/// Multiplies the lr by `gamma` at each milestone: PyTorch's MultiStepLR.
class multi_step_lr : public detail::standard_lr_policy<multi_step_lr> {
 public:
  explicit multi_step_lr(multi_step_lr_options options = {}) : o_(std::move(options)) {
    detail::require_finite("multi_step_lr", "gamma", o_.gamma);
    sorted_ = o_.milestones;
    std::sort(sorted_.begin(), sorted_.end());
  }

  double get_lr(const lr_group& g, std::int64_t e) const {
    const auto [lo, hi] = std::equal_range(sorted_.begin(), sorted_.end(), e);
    if (lo == hi) return g.lr;
    return g.lr * detail::py_pow(o_.gamma, static_cast<double>(hi - lo));
  }
  double closed_form(std::int64_t e) const {
    const auto passed = std::upper_bound(sorted_.begin(), sorted_.end(), e) - sorted_.begin();
    return base_lr_ * detail::py_pow(o_.gamma, static_cast<double>(passed));
  }
  const multi_step_lr_options& options() const noexcept { return o_; }

 private:
  multi_step_lr_options o_;
  std::vector<std::int64_t> sorted_;
};

}  // namespace tunekit
