#pragma once

#include <tunekit/core/frozen_trial.hpp>
#include <tunekit/core/study_view.hpp>
#include <tunekit/detail/append_log.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tests {

/// A study built by hand: finished trials with given intermediate values, and
/// the views schedulers read, so decisions can be checked against numbers
/// worked out on paper.
class fake_study {
 public:
  explicit fake_study(tunekit::direction d = tunekit::direction::minimize, std::string name = "fake")
      : name_(std::move(name)), direction_(d) {}

  /// Adds a finished trial; returns its number.
  std::int64_t finish(std::map<std::int64_t, double> values, tunekit::trial_state state = tunekit::trial_state::complete) {
    auto t = std::make_shared<tunekit::frozen_trial>();
    t->number = next_++;
    t->id = t->number;
    t->state = state;
    if (state == tunekit::trial_state::complete && !values.empty()) t->values = {values.rbegin()->second};
    t->intermediate_values = std::move(values);
    log_.push_back(t);
    return t->number;
  }

  /// A running trial (not in the study's finished list) with these reports.
  tunekit::frozen_trial running(std::map<std::int64_t, double> values, std::int64_t number = -1) {
    tunekit::frozen_trial t;
    t.number = number >= 0 ? number : next_++;
    t.id = t.number;
    t.intermediate_values = std::move(values);
    return t;
  }

  /// Finishes a trial made by `running`, keeping its number; a COMPLETE one's value is its last report.
  void finish(tunekit::frozen_trial t, tunekit::trial_state state) {
    t.state = state;
    if (state == tunekit::trial_state::complete && !t.intermediate_values.empty())
      t.values = {t.intermediate_values.rbegin()->second};
    log_.push_back(std::make_shared<tunekit::frozen_trial>(std::move(t)));
  }

  /// The view, with these trials running (other workers' trials, as a storage shows them).
  tunekit::study_view view(std::vector<tunekit::frozen_trial> running = {}) const {
    return tunekit::study_view(name_, {direction_}, log_.take_snapshot(), std::move(running), next_);
  }

 private:
  std::string name_;
  tunekit::direction direction_;
  tunekit::detail::append_log<tunekit::frozen_trial> log_;
  std::int64_t next_ = 0;
};

}  // namespace tests
