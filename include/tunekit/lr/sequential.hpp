#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "any.hpp"
#include "group.hpp"

namespace tunekit {

/// Runs one policy after another, switching at the milestones (e.g. a
/// linear warm-up, then cosine annealing): PyTorch's SequentialLR, quirks
/// included. Building it attaches every policy in order (as constructing
/// them on one optimizer does), resets the lr to the group's initial lr and
/// starts the first policy again; at each milestone the next policy is
/// restarted at epoch 0 from its closed form, so a warm-up then cosine
/// reaches exactly the base lr at the switch.
class sequential_lr {
 public:
  /// Cannot itself sit inside another `sequential_lr`.
  static constexpr bool composite = true;

  sequential_lr(std::vector<any_chainable_lr> schedules, std::vector<std::int64_t> milestones)
      : schedules_(std::move(schedules)), milestones_(std::move(milestones)) {
    if (schedules_.empty()) throw invalid_argument("sequential_lr: option 'schedules' must not be empty");
    if (milestones_.size() + 1 != schedules_.size())
      throw invalid_argument("sequential_lr: option 'milestones' has " + std::to_string(milestones_.size()) +
                             " entries for " + std::to_string(schedules_.size()) +
                             " schedules; it needs one fewer than there are schedules");
    for (std::size_t i = 1; i < milestones_.size(); ++i)
      if (milestones_[i] <= milestones_[i - 1])
        throw invalid_argument("sequential_lr: option 'milestones' must be strictly increasing, got " +
                               std::to_string(milestones_[i - 1]) + " then " + std::to_string(milestones_[i]));
    for (std::size_t i = 0; i < schedules_.size(); ++i)
      if (schedules_[i].composite())
        throw invalid_argument("sequential_lr: option 'schedules' entry " + std::to_string(i) +
                               " is a sequential_lr or chained_lr; PyTorch 1.13 cannot run those inside SequentialLR");
  }

  void attach(lr_group& g) {
    const double lr0 = g.lr;
    for (auto& s : schedules_) s.attach(g);
    last_epoch_ = 0;
    g.lr = g.initial_lr.value_or(lr0);  // the built-in policies all set initial_lr
    for (auto& s : schedules_) s.rewind();
    schedules_.front().step(g);
  }

  void step(lr_group& g) {
    const std::int64_t epoch = last_epoch_ + 1;
    const auto idx = static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), epoch) -
                                              milestones_.begin());
    if (idx > 0 && milestones_[idx - 1] == epoch) schedules_[idx].restart(g);
    else schedules_[idx].step(g);
    last_epoch_ = epoch;
  }

  [[noreturn]] void restart(lr_group&) {
    throw state_error("sequential_lr: cannot restart at epoch 0 (PyTorch's SequentialLR.step takes no epoch)");
  }
  void rewind() noexcept { --last_epoch_; }
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  const std::vector<any_chainable_lr>& schedules() const noexcept { return schedules_; }
  const std::vector<std::int64_t>& milestones() const noexcept { return milestones_; }

 private:
  std::vector<any_chainable_lr> schedules_;
  std::vector<std::int64_t> milestones_;
  std::int64_t last_epoch_ = 0;
};

}  // namespace tunekit
