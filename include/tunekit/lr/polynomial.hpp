#pragma once

#include <algorithm>
#include <cstdint>

#include "group.hpp"
#include "policy_base.hpp"

namespace tunekit {

/// Options of `polynomial_lr` (PyTorch's PolynomialLR, new in 1.13).
struct polynomial_lr_options {
  std::int64_t total_iters = 5;
  /// Exponent of the decay; >= 0.
  double power = 1.0;
};

/// Decays the lr as (1 - e / total_iters)^power, reaching exactly 0 at
/// `total_iters` and staying there: PyTorch's PolynomialLR, recursive form.
class polynomial_lr : public detail::standard_lr_policy<polynomial_lr> {
 public:
  explicit polynomial_lr(polynomial_lr_options options = {}) : o_(options) {
    detail::require_finite("polynomial_lr", "power", o_.power);
    // PyTorch 1.13 accepts a negative power and raises at epoch total_iters (0 ** power).
    if (o_.power < 0)
      detail::bad_lr_option("polynomial_lr", "power", detail::format_number(o_.power),
                            "it must be >= 0 (PyTorch 1.13 raises ZeroDivisionError at epoch total_iters)");
  }

  double get_lr(const lr_group& g, std::int64_t e) const {
    if (e == 0 || e > o_.total_iters) return g.lr;
    const auto t = static_cast<double>(o_.total_iters);
    const double decay = detail::py_pow(
        (1.0 - static_cast<double>(e) / t) / (1.0 - static_cast<double>(e - 1) / t), o_.power);
    return g.lr * decay;
  }
  double closed_form(std::int64_t e) const {
    if (o_.total_iters == 0) detail::lr_division_by_zero("polynomial_lr", "the closed form (total_iters = 0)");
    const auto t = static_cast<double>(o_.total_iters);
    return base_lr_ * detail::py_pow(1.0 - static_cast<double>(std::min(o_.total_iters, e)) / t, o_.power);
  }
  const polynomial_lr_options& options() const noexcept { return o_; }

 private:
  polynomial_lr_options o_;
};

}  // namespace tunekit
