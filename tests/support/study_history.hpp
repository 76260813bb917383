#pragma once

// A study written straight into a memory storage, for tests that call a
// sampler by hand (no tuner in between).

#include <tunekit/tunekit.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tunekit::testing {

struct study_history {
  using dimensions = std::vector<std::pair<std::string, distribution>>;

  tunekit::memory_storage storage;
  tunekit::study_id study;

  explicit study_history(tunekit::direction d = tunekit::direction::minimize, const std::string& name = "history") {
    const std::array<tunekit::direction, 1> dirs{d};
    study = storage.create_study(name, dirs);
  }

  /// Adds a finished trial with the given internal values.
  void add(const dimensions& dists, const std::vector<double>& internal, tunekit::trial_state state,
           std::vector<double> values = {}, std::map<std::int64_t, double> intermediate = {}) {
    const auto t = storage.create_trial(study, tunekit::frozen_trial{});
    for (std::size_t i = 0; i < dists.size(); ++i) storage.set_param(t.id, dists[i].first, internal[i], dists[i].second);
    for (const auto& [step, v] : intermediate) storage.set_intermediate_value(t.id, step, v);
    storage.finish_trial(t.id, state, values, {}, state == tunekit::trial_state::fail ? "failed" : "");
  }

  /// Adds a trial with one objective value (none kept when it failed).
  void add(const dimensions& dists, const std::vector<double>& internal, double value,
           tunekit::trial_state state = tunekit::trial_state::complete) {
    add(dists, internal, state, state == tunekit::trial_state::fail ? std::vector<double>{} : std::vector<double>{value});
  }

  /// A running trial holding the given parameters.
  tunekit::frozen_trial start(const dimensions& dists = {}, const std::vector<double>& internal = {}) {
    const auto t = storage.create_trial(study, tunekit::frozen_trial{});
    for (std::size_t i = 0; i < dists.size(); ++i) storage.set_param(t.id, dists[i].first, internal[i], dists[i].second);
    return storage.trial(t.id);
  }

  tunekit::study_view view() const { return storage.view(study); }
};

}  // namespace tunekit::testing
