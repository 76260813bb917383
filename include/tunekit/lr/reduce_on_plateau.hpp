#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "../detail/format.hpp"
#include "group.hpp"

namespace tunekit {

/// Whether `reduce_lr_on_plateau` watches a metric that should fall or rise.
enum class plateau_mode { min, max };
/// Whether an improvement must beat the best by a factor (rel) or an amount (abs).
enum class plateau_threshold_mode { rel, abs };

/// Options of `reduce_lr_on_plateau` (PyTorch's ReduceLROnPlateau).
struct reduce_lr_on_plateau_options {
  plateau_mode mode = plateau_mode::min;
  /// new lr = lr * factor; in [0, 1).
  double factor = 0.1;
  /// Epochs without improvement tolerated; the next one reduces the lr.
  std::int64_t patience = 10;
  double threshold = 1e-4;
  plateau_threshold_mode threshold_mode = plateau_threshold_mode::rel;
  /// Epochs after a reduction during which bad epochs are not counted.
  std::int64_t cooldown = 0;
  /// The lr never goes below this.
  double min_lr = 0;
  /// A reduction smaller than eps is skipped.
  double eps = 1e-8;
};

/// Reduces the lr by `factor` when a metric has stopped improving for more
/// than `patience` epochs: PyTorch's ReduceLROnPlateau. Step it with the
/// metric: `s.step(validation_loss)`. A NaN metric is never an improvement
/// (every comparison with NaN is false), so it counts as a bad epoch, as in
/// PyTorch. Not chainable (PyTorch's cannot be chained or sequenced either).
class reduce_lr_on_plateau {
 public:
  reduce_lr_on_plateau(double lr, reduce_lr_on_plateau_options options = {}) : lr_(lr), o_(options) {
    constexpr const char* name = "reduce_lr_on_plateau";
    if (!std::isfinite(lr) || lr < 0)
      detail::bad_lr_option(name, "lr", detail::format_number(lr), "it must be finite and >= 0");
    if (o_.mode != plateau_mode::min && o_.mode != plateau_mode::max)
      detail::bad_lr_option(name, "mode", std::to_string(static_cast<int>(o_.mode)), "use min or max");
    if (o_.threshold_mode != plateau_threshold_mode::rel && o_.threshold_mode != plateau_threshold_mode::abs)
      detail::bad_lr_option(name, "threshold_mode", std::to_string(static_cast<int>(o_.threshold_mode)),
                            "use rel or abs");
    if (!(o_.factor < 1.0)) detail::bad_lr_option(name, "factor", detail::format_number(o_.factor), "it must be < 1");
    if (!(o_.factor >= 0)) detail::bad_lr_option(name, "factor", detail::format_number(o_.factor), "it must be >= 0");
    detail::require_at_least(name, "patience", o_.patience, 0);
    detail::require_at_least(name, "cooldown", o_.cooldown, 0);
    if (!(o_.threshold >= 0) || !std::isfinite(o_.threshold))
      detail::bad_lr_option(name, "threshold", detail::format_number(o_.threshold), "it must be finite and >= 0");
    if (!(o_.min_lr >= 0) || !std::isfinite(o_.min_lr))
      detail::bad_lr_option(name, "min_lr", detail::format_number(o_.min_lr), "it must be finite and >= 0");
    if (!(o_.eps >= 0) || !std::isfinite(o_.eps))
      detail::bad_lr_option(name, "eps", detail::format_number(o_.eps), "it must be finite and >= 0");
    best_ = worst();
  }

  /// The learning rate for the next optimizer step.
  double lr() const noexcept { return lr_; }

  /// Records the metric of the epoch that just ended.
  void step(double metric) {
    ++last_epoch_;
    if (is_better(metric, best_)) {
      best_ = metric;
      num_bad_epochs_ = 0;
    } else {
      ++num_bad_epochs_;
    }
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
    }
    if (num_bad_epochs_ > o_.patience) {
      reduce();
      cooldown_counter_ = o_.cooldown;
      num_bad_epochs_ = 0;
    }
  }

  /// Best metric so far (+inf / -inf before the first step).
  double best() const noexcept { return best_; }
  std::int64_t num_bad_epochs() const noexcept { return num_bad_epochs_; }
  bool in_cooldown() const noexcept { return cooldown_counter_ > 0; }
  /// Metrics seen so far (PyTorch's `last_epoch`).
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  const reduce_lr_on_plateau_options& options() const noexcept { return o_; }

 private:
  double worst() const noexcept {
    return o_.mode == plateau_mode::min ? std::numeric_limits<double>::infinity()
                                        : -std::numeric_limits<double>::infinity();
  }

  bool is_better(double a, double best) const noexcept {
    const bool rel = o_.threshold_mode == plateau_threshold_mode::rel;
    if (o_.mode == plateau_mode::min) return rel ? a < best * (1. - o_.threshold) : a < best - o_.threshold;
    return rel ? a > best * (o_.threshold + 1.) : a > best + o_.threshold;
  }

  void reduce() noexcept {
    const double old_lr = lr_;
    const double scaled = old_lr * o_.factor;
    const double new_lr = o_.min_lr > scaled ? o_.min_lr : scaled;  // Python's max(scaled, min_lr)
    if (old_lr - new_lr > o_.eps) lr_ = new_lr;
  }

  double lr_;
  reduce_lr_on_plateau_options o_;
  double best_ = 0;
  std::int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
};

}  // namespace tunekit
