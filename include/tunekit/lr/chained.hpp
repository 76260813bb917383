#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "any.hpp"
#include "group.hpp"

namespace tunekit {

/// Runs several policies on the same lr at every step, in order: PyTorch's
/// ChainedScheduler (with the policies attached in order first, as
/// constructing them on one optimizer does). Recursive policies multiply
/// their factors; closed-form ones (cyclic, one-cycle, warm restarts)
/// overwrite what came before them.
class chained_lr {
 public:
  /// Cannot sit inside a `sequential_lr` (PyTorch cannot step it with an epoch).
  static constexpr bool composite = true;

  explicit chained_lr(std::vector<any_chainable_lr> schedules) : schedules_(std::move(schedules)) {
    if (schedules_.empty()) throw invalid_argument("chained_lr: option 'schedules' must not be empty");
  }

  void attach(lr_group& g) {
    for (auto& s : schedules_) s.attach(g);
    steps_ = 0;
  }
  void step(lr_group& g) {
    for (auto& s : schedules_) s.step(g);
    ++steps_;
  }
  [[noreturn]] void restart(lr_group&) {
    throw state_error("chained_lr: cannot restart at epoch 0 (PyTorch's ChainedScheduler.step takes no epoch)");
  }
  void rewind() noexcept { --steps_; }
  /// Steps taken since attached (ChainedScheduler itself keeps no epoch).
  std::int64_t last_epoch() const noexcept { return steps_; }
  const std::vector<any_chainable_lr>& schedules() const noexcept { return schedules_; }

 private:
  std::vector<any_chainable_lr> schedules_;
  std::int64_t steps_ = 0;
};

}  // namespace tunekit
