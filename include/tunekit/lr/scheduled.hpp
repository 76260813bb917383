#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "../detail/format.hpp"
#include "concepts.hpp"
#include "group.hpp"

namespace tunekit {

/// A `chainable_lr` policy bound to a learning rate: the `lr_schedule` a
/// training loop uses, like a PyTorch scheduler constructed on a fresh
/// optimizer whose lr (and momentum) you give here.
///
/// \code
/// tunekit::scheduled_lr lr{0.1, tunekit::cosine_annealing_lr{{.t_max = 100}}};
/// for (int epoch = 0; epoch < 100; ++epoch) {
///   train_one_epoch(lr.lr());
///   lr.step();
/// }
/// \endcode
///
/// Several parameter groups: one `scheduled_lr` per group, stepped together
/// (PyTorch's schedules treat groups independently; per-group arguments
/// such as one-cycle's max_lr list become one policy per group).
template <chainable_lr P>
class scheduled_lr {
 public:
  /// `lr`: the optimizer's learning rate; `momentum`: its momentum, for
  /// policies that cycle it (they set it themselves when it is unset).
  scheduled_lr(double lr, P policy, std::optional<double> momentum = std::nullopt)
      : scheduled_lr(lr_group{.lr = lr, .momentum = momentum}, std::move(policy)) {}

  /// On a group as it stands (e.g. one another schedule already used).
  scheduled_lr(lr_group group, P policy) : group_(std::move(group)), policy_(std::move(policy)) {
    if (!std::isfinite(group_.lr) || group_.lr < 0)
      throw invalid_argument("scheduled_lr: option 'lr' = " + detail::format_number(group_.lr) +
                             " is not allowed; it must be finite and >= 0 (PyTorch's optimizers reject a negative lr)");
    policy_.attach(group_);
  }

  /// The learning rate for the next optimizer step.
  double lr() const noexcept { return group_.lr; }
  /// The momentum for the next optimizer step, when set or cycled.
  std::optional<double> momentum() const noexcept { return group_.momentum; }
  /// Advance one epoch (or batch). Call after the optimizer step.
  void step() { policy_.step(group_); }
  /// PyTorch's `last_epoch`: 0 before the first `step()`.
  std::int64_t last_epoch() const { return static_cast<std::int64_t>(policy_.last_epoch()); }

  const P& policy() const noexcept { return policy_; }
  const lr_group& group() const noexcept { return group_; }

 private:
  lr_group group_;
  P policy_;
};

}  // namespace tunekit
