#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>

#include "group.hpp"

namespace tunekit {

/// The amplitude policies of `cyclic_lr` (Smith 2017).
enum class cyclic_mode { triangular, triangular2, exp_range };
/// What a custom `cyclic_lr` scale function receives: the cycle number
/// (from 1) or the step number.
enum class cyclic_scale_mode { cycle, iterations };

/// Options of `cyclic_lr` (PyTorch's CyclicLR).
struct cyclic_lr_options {
  /// Lower and upper lr of the cycle; no defaults (PyTorch requires both).
  double base_lr = std::numeric_limits<double>::quiet_NaN();
  double max_lr = std::numeric_limits<double>::quiet_NaN();
  /// Steps up and down; down defaults to up. up >= 1, down >= 0.
  std::int64_t step_size_up = 2000;
  std::optional<std::int64_t> step_size_down = std::nullopt;
  cyclic_mode mode = cyclic_mode::triangular;
  /// exp_range: the amplitude is scaled by gamma^step.
  double gamma = 1.0;
  /// Custom amplitude scale in [0, 1]; when set, `mode` is ignored and
  /// `scale_mode` says what it receives.
  std::function<double(double)> scale_fn = {};
  cyclic_scale_mode scale_mode = cyclic_scale_mode::cycle;
  /// Cycle the group's momentum inversely to the lr, between these two.
  bool cycle_momentum = true;
  double base_momentum = 0.8;
  double max_momentum = 0.9;
};

/// Cyclical learning rates (Smith 2017, "Cyclical Learning Rates for
/// Training Neural Networks"): triangular waves between base_lr and max_lr,
/// with constant (triangular), halving (triangular2) or exponentially
/// decaying (exp_range) amplitude. PyTorch's CyclicLR, per batch. It sets
/// the lr itself (other policies' changes to it are overwritten).
class cyclic_lr {
 public:
  explicit cyclic_lr(cyclic_lr_options options = {}) : o_(std::move(options)) {
    constexpr const char* name = "cyclic_lr";
    detail::require_finite(name, "base_lr", o_.base_lr);
    detail::require_finite(name, "max_lr", o_.max_lr);
    // PyTorch 1.13 raises ZeroDivisionError at construction for step_size_up = 0.
    detail::require_at_least(name, "step_size_up", o_.step_size_up, 1, "PyTorch divides by it");
    if (o_.step_size_down) detail::require_at_least(name, "step_size_down", *o_.step_size_down, 0);
    if (!o_.scale_fn && o_.mode != cyclic_mode::triangular && o_.mode != cyclic_mode::triangular2 &&
        o_.mode != cyclic_mode::exp_range)
      detail::bad_lr_option(name, "mode", std::to_string(static_cast<int>(o_.mode)),
                            "use triangular, triangular2 or exp_range, or give a scale_fn");
    if (o_.scale_fn && o_.scale_mode != cyclic_scale_mode::cycle && o_.scale_mode != cyclic_scale_mode::iterations)
      detail::bad_lr_option(name, "scale_mode", std::to_string(static_cast<int>(o_.scale_mode)),
                            "use cycle or iterations");
    detail::require_finite(name, "gamma", o_.gamma);
    detail::require_finite(name, "base_momentum", o_.base_momentum);
    detail::require_finite(name, "max_momentum", o_.max_momentum);
    const auto up = static_cast<double>(o_.step_size_up);
    const double down = o_.step_size_down ? static_cast<double>(*o_.step_size_down) : up;
    total_size_ = up + down;
    step_ratio_ = up / total_size_;
    by_cycle_ = o_.scale_fn ? o_.scale_mode == cyclic_scale_mode::cycle : o_.mode != cyclic_mode::exp_range;
  }

  void attach(lr_group& g) {
    g.lr = o_.base_lr;
    if (o_.cycle_momentum) g.momentum = o_.base_momentum;
    // PyTorch's initial step runs before CyclicLR sets its own base lr, so
    // it computes from the group's initial_lr (base_lr unless another
    // schedule was attached first); the base lr is set after it.
    base_lr_ = detail::attach_base_lr(g);
    last_epoch_ = -1;
    step(g);
    base_lr_ = o_.base_lr;
  }

  void step(lr_group& g) {
    apply(g, last_epoch_ + 1);
    ++last_epoch_;
  }
  void restart(lr_group& g) {
    apply(g, 0);
    last_epoch_ = 0;
  }
  void rewind() noexcept { --last_epoch_; }
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  const cyclic_lr_options& options() const noexcept { return o_; }

 private:
  double scale(double x) const {
    if (o_.scale_fn) return o_.scale_fn(x);
    switch (o_.mode) {
      case cyclic_mode::triangular: return 1.;
      case cyclic_mode::triangular2: return 1 / std::pow(2., x - 1);
      case cyclic_mode::exp_range: return detail::py_pow(o_.gamma, x);
    }
    return 1.;
  }

  void apply(lr_group& g, std::int64_t e) const {
    const auto epoch = static_cast<double>(e);
    const double cycle = std::floor(1 + epoch / total_size_);
    const double x = 1. + epoch / total_size_ - cycle;
    const double scale_factor = x <= step_ratio_ ? x / step_ratio_ : (x - 1) / (step_ratio_ - 1);
    const double arg = by_cycle_ ? cycle : epoch;
    const double s = scale(arg);
    const double lr = base_lr_ + (o_.max_lr - base_lr_) * scale_factor * s;
    if (o_.cycle_momentum) g.momentum = o_.max_momentum - (o_.max_momentum - o_.base_momentum) * scale_factor * s;
    g.lr = lr;
  }

  cyclic_lr_options o_;
  double total_size_ = 0, step_ratio_ = 0;
  bool by_cycle_ = true;
  double base_lr_ = 0;
  std::int64_t last_epoch_ = -1;
};

}  // namespace tunekit
