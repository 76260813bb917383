#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../detail/append_log.hpp"
#include "frozen_trial.hpp"

namespace tunekit {

/// The finished trials of a study in the order they finished: a random-access
/// range of `const frozen_trial&`. Between two asks the range only grows at
/// the end, so a sampler may cache work on its first `size()` elements.
using finished_trials = detail::append_log<frozen_trial>::snapshot;

/// A study's identity: its name and directions. Shared, never copied per view.
struct study_info {
  std::string name;
  std::vector<direction> directions{direction::minimize};
};

/// What samplers and schedulers read: the study's directions, its finished
/// trials (O(1) to obtain, never copied) and the trials running right now
/// (for constant-liar style parallel sampling).
///
/// A view is a cheap value made for one sampler or scheduler call. The
/// running trials are fetched from the storage the first time `running()`
/// is called, because most samplers never ask and copying them on every
/// call would dominate the cost of an ask; a trial that finishes in between
/// is then in neither list. A view is not meant to be shared between threads.
class study_view {
 public:
  using running_source = std::function<std::vector<frozen_trial>()>;
  /// Reserves a key for a trial, atomically across every worker of the
  /// study; true if the trial now holds it (or already did).
  using claim_source = std::function<bool(std::string_view key, std::int64_t trial_number)>;

  study_view() : info_(std::make_shared<const study_info>()) {}
  /// `owner` keeps alive whatever `running` refers to (e.g. the storage's
  /// state), so `running` can capture a plain pointer and fit
  /// std::function's inline buffer: no allocation per view.
  study_view(std::shared_ptr<const study_info> info, finished_trials finished, running_source running,
             std::int64_t n_trials, std::shared_ptr<const void> owner = nullptr)
      : info_(std::move(info)),
        finished_(std::move(finished)),
        source_(std::move(running)),
        owner_(std::move(owner)),
        n_trials_(n_trials) {}
  /// A view over given trials, e.g. in a test or a user's own storage.
  study_view(std::string name, std::vector<direction> directions, finished_trials finished,
             std::vector<frozen_trial> running, std::int64_t n_trials)
      : info_(std::make_shared<const study_info>(study_info{std::move(name), std::move(directions)})),
        finished_(std::move(finished)),
        running_(std::move(running)),
        n_trials_(n_trials) {}

  const std::string& name() const noexcept { return info_->name; }
  std::span<const direction> directions() const noexcept { return info_->directions; }
  /// The direction of a single-objective study.
  direction single_direction() const {
    if (info_->directions.size() != 1)
      throw state_error("study '" + info_->name + "' has " + std::to_string(info_->directions.size()) +
                        " objectives; expected one");
    return info_->directions.front();
  }
  const finished_trials& finished() const noexcept { return finished_; }
  /// The trials running when this is first called (fetched once per view).
  const std::vector<frozen_trial>& running() const {
    if (!running_) running_ = source_ ? source_() : std::vector<frozen_trial>{};
    return *running_;
  }
  /// Every trial ever created in the study, in any state.
  std::int64_t n_trials() const noexcept { return n_trials_; }

  /// Reserves `key` (e.g. a grid point) for trial `t` in the storage, so
  /// that no other worker, thread or process, can reserve it: true if `t`
  /// holds it now (it may already have), false if another trial does.
  /// Claims are permanent. A view without a claim source (a storage that
  /// cannot arbitrate) grants every claim.
  bool claim(std::string_view key, const frozen_trial& t) const { return claim_ ? claim_(key, t.number) : true; }
  /// Set by storages that can arbitrate claims (see `storage` in concepts.hpp).
  void set_claim_source(claim_source c) { claim_ = std::move(c); }

 private:
  std::shared_ptr<const study_info> info_;
  finished_trials finished_;
  running_source source_;
  claim_source claim_;
  std::shared_ptr<const void> owner_;
  mutable std::optional<std::vector<frozen_trial>> running_;
  std::int64_t n_trials_ = 0;
};

}  // namespace tunekit
