#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "../../core/distribution.hpp"
#include "../../core/study_view.hpp"

namespace tunekit::detail {

/// The group-decomposed search space of a define-by-run study (Optuna's
/// `_GroupDecomposedSearchSpace`): a partition of every parameter seen in a
/// COMPLETE or PRUNED trial into groups such that each trial holds either
/// all or none of a group's parameters. Parameters that always appear
/// together (the sub-space below one branch of a categorical) form a group,
/// and a multivariate sampler models each group jointly on the trials that
/// hold it. Incremental: each call looks only at trials finished since the
/// previous one (adding a trial's parameter set twice changes nothing).
class group_decomposed_search_space {
 public:
  using group = std::vector<std::pair<std::string, distribution>>;

  const std::vector<group>& update(const study_view& view) {
    const auto& finished = view.finished();
    if (finished.size() < scanned_) *this = {};  // another study
    for (; scanned_ < finished.size(); ++scanned_) {
      const frozen_trial& t = finished[scanned_];
      if (t.state != trial_state::complete && t.state != trial_state::pruned) continue;
      add(t);
    }
    return groups_;
  }

  const std::vector<group>& groups() const noexcept { return groups_; }

 private:
  void add(const frozen_trial& t) {
    // Names in the trial not yet placed in a group (the trial's map is sorted).
    std::vector<const std::pair<std::string, distribution>*> left;
    left.reserve(t.distributions.size());
    for (const auto& entry : t.distributions) left.push_back(&entry);
    std::vector<group> next;
    next.reserve(groups_.size() + 1);
    for (auto& g : groups_) {
      group inside, outside;
      for (auto& entry : g) {
        auto it = std::find_if(left.begin(), left.end(), [&](const auto* p) { return p->first == entry.first; });
        if (it != left.end()) {
          inside.push_back(std::move(entry));
          left.erase(it);
        } else {
          outside.push_back(std::move(entry));
        }
      }
      if (!inside.empty()) next.push_back(std::move(inside));
      if (!outside.empty()) next.push_back(std::move(outside));
    }
    if (!left.empty()) {
      group fresh;
      for (const auto* p : left) fresh.push_back(*p);
      next.push_back(std::move(fresh));
    }
    groups_ = std::move(next);
  }

  std::vector<group> groups_;
  std::size_t scanned_ = 0;
};

}  // namespace tunekit::detail
