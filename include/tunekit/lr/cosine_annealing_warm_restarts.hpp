#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "group.hpp"

namespace tunekit {

/// Options of `cosine_annealing_warm_restarts_lr` (PyTorch's CosineAnnealingWarmRestarts).
struct cosine_annealing_warm_restarts_lr_options {
  /// Epochs until the first restart; no default, must be >= 1.
  std::int64_t t_0 = 0;
  /// Each period is `t_mult` times the previous one; >= 1.
  std::int64_t t_mult = 1;
  double eta_min = 0;
};

/// Cosine annealing with warm restarts (Loshchilov & Hutter 2017, "SGDR"):
/// the lr follows a half cosine from the base lr to `eta_min` over t_0
/// epochs, jumps back to the base lr, and repeats over periods t_0 * t_mult^k.
/// PyTorch's CosineAnnealingWarmRestarts (a closed form in the epoch within
/// the current period; it ignores other policies' changes to the lr).
class cosine_annealing_warm_restarts_lr {
 public:
  explicit cosine_annealing_warm_restarts_lr(cosine_annealing_warm_restarts_lr_options options = {})
      : o_(options), t_i_(options.t_0) {
    detail::require_at_least("cosine_annealing_warm_restarts_lr", "t_0", o_.t_0, 1);
    detail::require_at_least("cosine_annealing_warm_restarts_lr", "t_mult", o_.t_mult, 1);
    detail::require_finite("cosine_annealing_warm_restarts_lr", "eta_min", o_.eta_min);
  }

  void attach(lr_group& g) {
    base_lr_ = detail::attach_base_lr(g);
    last_epoch_ = -1;
    t_i_ = o_.t_0;
    t_cur_ = -1;
    step(g);
  }

  void step(lr_group& g) {
    if (last_epoch_ < 0) {
      restart(g);  // PyTorch steps a fresh (or rewound) schedule to epoch 0
      return;
    }
    ++t_cur_;
    if (t_cur_ >= t_i_) {
      t_cur_ -= t_i_;
      t_i_ *= o_.t_mult;
    }
    ++last_epoch_;
    g.lr = current();
  }

  void restart(lr_group& g) {
    t_i_ = o_.t_0;
    t_cur_ = 0;
    last_epoch_ = 0;
    g.lr = current();
  }

  void rewind() noexcept { --last_epoch_; }
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  double base_lr() const noexcept { return base_lr_; }
  /// Epochs since the last restart, and the length of the current period.
  std::int64_t t_cur() const noexcept { return t_cur_; }
  std::int64_t t_i() const noexcept { return t_i_; }
  const cosine_annealing_warm_restarts_lr_options& options() const noexcept { return o_; }

 private:
  double current() const {
    constexpr double pi = std::numbers::pi;
    return o_.eta_min + (base_lr_ - o_.eta_min) *
                            (1 + std::cos(pi * static_cast<double>(t_cur_) / static_cast<double>(t_i_))) / 2;
  }

  cosine_annealing_warm_restarts_lr_options o_;
  double base_lr_ = 0;
  std::int64_t last_epoch_ = -1, t_i_ = 0, t_cur_ = -1;
};

}  // namespace tunekit
