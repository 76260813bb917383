#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "group.hpp"
#include "policy_base.hpp"

namespace tunekit {

/// Options of `cosine_annealing_lr` (PyTorch's CosineAnnealingLR).
struct cosine_annealing_lr_options {
  /// Epochs from the base lr down to eta_min; no default, must be >= 1.
  std::int64_t t_max = 0;
  double eta_min = 0;
};

/// Cosine annealing from the base lr to `eta_min` over `t_max` epochs
/// (Loshchilov & Hutter 2017, "SGDR", without the restarts): PyTorch's
/// CosineAnnealingLR in its recursive form. Past `t_max` it is not clamped:
/// it climbs back up, with period 2 * t_max, as PyTorch's does.
class cosine_annealing_lr : public detail::standard_lr_policy<cosine_annealing_lr> {
 public:
  explicit cosine_annealing_lr(cosine_annealing_lr_options options = {}) : o_(options) {
    detail::require_at_least("cosine_annealing_lr", "t_max", o_.t_max, 1, "PyTorch divides by it");
    detail::require_finite("cosine_annealing_lr", "eta_min", o_.eta_min);
  }

  double get_lr(const lr_group& g, std::int64_t e) const {
    constexpr double pi = std::numbers::pi;
    const auto t = static_cast<double>(o_.t_max);
    if (e == 0) return g.lr;
    // The recursion's denominator vanishes one step after each minimum:
    // PyTorch adds the first step of the climb instead.
    if (detail::py_mod(e - 1 - o_.t_max, 2 * o_.t_max) == 0)
      return g.lr + (base_lr_ - o_.eta_min) * (1 - std::cos(pi / t)) / 2;
    return (1 + std::cos(pi * static_cast<double>(e) / t)) / (1 + std::cos(pi * static_cast<double>(e - 1) / t)) *
               (g.lr - o_.eta_min) +
           o_.eta_min;
  }
  double closed_form(std::int64_t e) const {
    constexpr double pi = std::numbers::pi;
    return o_.eta_min +
           (base_lr_ - o_.eta_min) * (1 + std::cos(pi * static_cast<double>(e) / static_cast<double>(o_.t_max))) / 2;
  }
  const cosine_annealing_lr_options& options() const noexcept { return o_; }

 private:
  cosine_annealing_lr_options o_;
};

}  // namespace tunekit
