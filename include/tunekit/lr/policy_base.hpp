#pragma once

#include <cstdint>

#include "group.hpp"

namespace tunekit::detail {

/// What every PyTorch `_LRScheduler` subclass with the standard `step()`
/// shares: the base lr taken from `initial_lr`, the `last_epoch` counter, an
/// initial step at construction, and `step(0)` through the closed form when
/// the class has one. `Derived` provides `double get_lr(const lr_group&,
/// std::int64_t epoch) const` (PyTorch's chainable `get_lr()` at that epoch)
/// and, optionally, `double closed_form(std::int64_t epoch) const`.
///
/// The new lr is computed before `last_epoch` moves, so a step that throws
/// leaves the policy as it was.
template <class Derived>
class standard_lr_policy {
 public:
  void attach(lr_group& g) {
    base_lr_ = attach_base_lr(g);
    last_epoch_ = -1;
    step(g);
  }

  void step(lr_group& g) {
    const std::int64_t epoch = last_epoch_ + 1;
    g.lr = self().get_lr(g, epoch);
    last_epoch_ = epoch;
  }

  void restart(lr_group& g) {
    if constexpr (requires(const Derived& d) { d.closed_form(std::int64_t{0}); })
      g.lr = self().closed_form(0);
    else
      g.lr = self().get_lr(g, 0);
    last_epoch_ = 0;
  }

  void rewind() noexcept { --last_epoch_; }

  /// PyTorch's `last_epoch`: -1 before `attach`, 0 right after it.
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  /// PyTorch's `base_lrs[i]`: the group's `initial_lr` when attached.
  double base_lr() const noexcept { return base_lr_; }

 protected:
  double base_lr_ = 0;
  std::int64_t last_epoch_ = -1;

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
};

}  // namespace tunekit::detail
