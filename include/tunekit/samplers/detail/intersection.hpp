#pragma once

#include <cstddef>

#include "../../core/search_space.hpp"
#include "../../core/study_view.hpp"

namespace tunekit::detail {

/// The parameters, with identical distributions, that every COMPLETE or
/// PRUNED trial has: the relational space of a define-by-run study (as in
/// Optuna's IntersectionSearchSpace). Incremental: each call looks only at
/// trials finished since the previous one.
class intersection_search_space {
 public:
  const search_space& update(const study_view& view) {
    const auto& finished = view.finished();
    for (; scanned_ < finished.size(); ++scanned_) {
      const frozen_trial& t = finished[scanned_];
      if (t.state != trial_state::complete && t.state != trial_state::pruned) continue;
      if (!initialised_) {
        for (const auto& [name, d] : t.distributions) space_.add(name, d);
        initialised_ = true;
        continue;
      }
      search_space kept;
      for (const auto& [name, d] : space_) {
        auto other = t.distributions.find(name);
        if (other != t.distributions.end() && other->second == d) kept.add(name, d);
      }
      space_ = std::move(kept);
    }
    return space_;
  }

 private:
  search_space space_;
  std::size_t scanned_ = 0;
  bool initialised_ = false;
};

}  // namespace tunekit::detail
