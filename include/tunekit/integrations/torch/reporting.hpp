#pragma once

#include "detail/requires_target.hpp"

/// Per-epoch reporting for a LibTorch training loop: each epoch's validation
/// metric goes to the trial (so the study's scheduler can stop it), and
/// training stops early when the metric has not improved for `patience`
/// epochs (Keras' EarlyStopping, PyTorch Lightning's EarlyStopping). Needs
/// nothing from LibTorch itself; it lives here as the loop's companion.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../core/trial.hpp"

namespace tunekit::torch {

/// Options of `epoch_reporter`.
struct epoch_reporter_options {
  /// Whether the reported metric is better high (accuracy) or low (loss).
  direction goal = direction::maximize;
  /// Epochs without an improvement after which training stops; 0: never.
  std::int64_t patience = 0;
  /// An improvement smaller than this does not count. >= 0.
  double min_delta = 0.0;
};

/// Reports each epoch's metric to a trial, stops pruned trials, and says
/// when training has stopped improving.
///
/// \code
/// tunekit::torch::epoch_reporter report(trial, {.patience = 5});
/// for (int epoch = 0; epoch < epochs; ++epoch) {
///   train_one_epoch();
///   if (!report(epoch, validation_accuracy())) break;  // throws tunekit::trial_pruned when pruned
/// }
/// return report.best();
/// \endcode
class epoch_reporter {
 public:
  explicit epoch_reporter(trial& t, const epoch_reporter_options& options = {}) : trial_(&t), options_(options) {
    if (options.patience < 0)
      throw invalid_argument("epoch_reporter: option 'patience' = " + std::to_string(options.patience) +
                             " is not allowed; it must be >= 0 (0: no early stopping)");
    if (!(options.min_delta >= 0))
      throw invalid_argument("epoch_reporter: option 'min_delta' = " + std::to_string(options.min_delta) +
                             " is not allowed; it must be >= 0");
  }

  /// Reports `value` at step `epoch`. Throws `tunekit::trial_pruned` when the
  /// study's scheduler stops the trial (the tuner records it PRUNED); returns
  /// false when `patience` epochs went by without an improvement (stop
  /// training and return `best()`), true otherwise. NaN never improves.
  bool operator()(std::int64_t epoch, double value) {
    trial_->report(epoch, value);
    const double signed_value = options_.goal == direction::maximize ? value : -value;
    if (!std::isnan(value) && (best_epoch_ < 0 || signed_value > best_signed_ + options_.min_delta)) {
      best_signed_ = signed_value;
      best_ = value;
      best_epoch_ = epoch;
      stale_ = 0;
    } else {
      ++stale_;
    }
    if (trial_->should_prune()) throw trial_pruned{};
    return options_.patience == 0 || stale_ < options_.patience;
  }

  /// The best value reported so far (NaN before the first finite one).
  [[nodiscard]] double best() const noexcept { return best_; }
  /// The epoch of `best()` (-1 before it).
  [[nodiscard]] std::int64_t best_epoch() const noexcept { return best_epoch_; }
  /// Epochs since the last improvement.
  [[nodiscard]] std::int64_t epochs_without_improvement() const noexcept { return stale_; }

 private:
  trial* trial_;
  epoch_reporter_options options_;
  double best_ = std::numeric_limits<double>::quiet_NaN();
  double best_signed_ = 0;
  std::int64_t best_epoch_ = -1;
  std::int64_t stale_ = 0;
};

}  // namespace tunekit::torch
