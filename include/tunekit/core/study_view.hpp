#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../detail/append_log.hpp"
#include "frozen_trial.hpp"

namespace tunekit {

/// The finished trials of a study in the order they finished: a random-access
/// range of `const frozen_trial&`. Between two asks the range only grows at
/// the end, so a sampler may cache work on its first `size()` elements.
using finished_trials = detail::append_log<frozen_trial>::snapshot;

/// What samplers and schedulers read: the study's directions, its finished
/// trials (O(1) to obtain, never copied) and the trials running right now
/// (for constant-liar style parallel sampling).
class study_view {
 public:
  study_view() = default;
  study_view(std::string name, std::vector<direction> directions, finished_trials finished,
             std::vector<frozen_trial> running, std::int64_t n_trials)
      : name_(std::move(name)),
        directions_(std::move(directions)),
        finished_(std::move(finished)),
        running_(std::move(running)),
        n_trials_(n_trials) {}

  const std::string& name() const noexcept { return name_; }
  std::span<const direction> directions() const noexcept { return directions_; }
  /// The direction of a single-objective study.
  direction single_direction() const {
    if (directions_.size() != 1)
      throw state_error("study '" + name_ + "' has " + std::to_string(directions_.size()) + " objectives; expected one");
    return directions_.front();
  }
  const finished_trials& finished() const noexcept { return finished_; }
  const std::vector<frozen_trial>& running() const noexcept { return running_; }
  /// Every trial ever created in the study, in any state.
  std::int64_t n_trials() const noexcept { return n_trials_; }

 private:
  std::string name_;
  std::vector<direction> directions_{direction::minimize};
  finished_trials finished_;
  std::vector<frozen_trial> running_;
  std::int64_t n_trials_ = 0;
};

}  // namespace tunekit
