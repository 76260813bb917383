#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../detail/append_log.hpp"
#include "../detail/hyperband_brackets.hpp"
#include "detail/common.hpp"
#include "successive_halving.hpp"

namespace tunekit {

/// Options of `hyperband_scheduler` (Optuna's HyperbandPruner, with an
/// explicit max_resource).
struct hyperband_scheduler_options {
  /// The first rung of the most aggressive bracket (>= 1).
  std::int64_t min_resource = 1;
  /// The last step a trial trains to, e.g. the number of epochs (>= min_resource). Required.
  std::optional<std::int64_t> max_resource = std::nullopt;
  /// η: each rung keeps the best 1/η of its trials (>= 2).
  std::int64_t reduction_factor = 3;
  /// As in `successive_halving_scheduler_options`.
  std::int64_t bootstrap_count = 0;
};

/// Hyperband (Li et al. 2018, "Hyperband: A Novel Bandit-Based Approach to
/// Hyperparameter Optimization") as brackets of asynchronous successive
/// halving, the way Optuna's HyperbandPruner runs it.
///
/// With R = max_resource / min_resource and η = reduction_factor there are
/// B = ⌊log_η R⌋ + 1 brackets; bracket b is a `successive_halving_scheduler`
/// with min_early_stopping_rate b (its first rung at min_resource · η^b), so
/// bracket 0 stops trials earliest and bracket B - 1 hardly at all. Bracket
/// b gets a share ⌈B · η^(B-1-b) / (B - b)⌉ of the trials: as in Hyperband,
/// each bracket is given about the same budget of steps. A trial's bracket
/// is fixed by its study's name and its number (CRC-32 of "name_number"
/// modulo the total share, as Optuna does), so every worker and process
/// agrees on it without talking to the others. The random name a tuner
/// gives an unnamed study is left out ("_number"), so two runs with the
/// same seeds get the same brackets.
///
/// Each bracket judges a trial only against the trials of its own bracket,
/// and the tuner gives samplers the same filtered view (`sampler_view`), so
/// a model-based sampler such as TPE never mixes trials stopped at different
/// rungs. The filtered view is a study named "<study>/bracket-<b>", so a
/// sampler that caches per study keeps one cache per bracket name it sees.
///
/// Cost: O(new trials) bookkeeping plus the bracket's O(log n) decision.
class hyperband_scheduler {
 public:
  explicit hyperband_scheduler(hyperband_scheduler_options options = {}) : options_(options) {
    const char* who = "hyperband_scheduler";
    detail::require_at_least(who, "min_resource", options.min_resource, 1);
    if (!options.max_resource)
      throw invalid_argument(std::string(who) +
                             ": max_resource is not set; give the last step a trial trains to (e.g. the number of epochs)");
    detail::require_at_least(who, "max_resource", *options.max_resource, options.min_resource);
    detail::require_at_least(who, "reduction_factor", options.reduction_factor, 2);
    detail::require_at_least(who, "bootstrap_count", options.bootstrap_count, 0);
    shares_ = detail::hyperband_shares(options.min_resource, *options.max_resource, options.reduction_factor);
    for (std::size_t b = 0; b < shares_.size(); ++b)
      brackets_.emplace_back(successive_halving_scheduler_options{.min_resource = options.min_resource,
                                                                  .reduction_factor = options.reduction_factor,
                                                                  .min_early_stopping_rate = static_cast<std::int64_t>(b),
                                                                  .bootstrap_count = options.bootstrap_count});
  }

  bool should_prune(const study_view& view, const frozen_trial& t) {
    const std::size_t b = bracket_of(view.name(), t.number);
    return brackets_[b].should_prune(bracket_view(view, b), t);
  }

  /// What samplers see for trial `t`: the finished and running trials of its bracket.
  study_view sampler_view(const study_view& view, const frozen_trial& t) {
    return bracket_view(view, bracket_of(view.name(), t.number));
  }

  /// The bracket of trial number `trial_number` in the study named `study_name`.
  std::size_t bracket_of(std::string_view study_name, std::int64_t trial_number) const {
    return detail::hyperband_bracket(shares_, study_name, trial_number);
  }

  std::size_t n_brackets() const noexcept { return brackets_.size(); }
  /// The share of trials bracket `b` gets, out of the sum over all brackets.
  std::int64_t share(std::size_t b) const { return shares_.at(b); }
  /// Bracket `b`'s successive-halving scheduler.
  const successive_halving_scheduler& bracket(std::size_t b) const { return brackets_.at(b); }
  const hyperband_scheduler_options& options() const noexcept { return options_; }

 private:
  /// Files the new finished trials under their brackets: O(new trials).
  void sync(const study_view& view) {
    const auto& finished = view.finished();
    if (finished.size() < read_ || view.name() != study_) {
      logs_.assign(brackets_.size(), {});
      infos_.clear();
      for (std::size_t b = 0; b < brackets_.size(); ++b)
        infos_.push_back(std::make_shared<const study_info>(study_info{
            view.name() + "/bracket-" + std::to_string(b),
            std::vector<direction>(view.directions().begin(), view.directions().end())}));
      read_ = 0;
      study_ = view.name();
    }
    for (; read_ < finished.size(); ++read_)
      logs_[bracket_of(study_, finished[read_].number)].push_back(finished.pointer(read_));
  }

  study_view bracket_view(const study_view& view, std::size_t b) {
    sync(view);
    // The running trials are filtered only if a sampler asks for them.
    auto running = [base = view, shares = shares_, b] {
      std::vector<frozen_trial> mine;
      for (const auto& r : base.running())
        if (detail::hyperband_bracket(shares, base.name(), r.number) == b) mine.push_back(r);
      return mine;
    };
    return study_view(infos_[b], logs_[b].take_snapshot(), std::move(running), view.n_trials());
  }

  hyperband_scheduler_options options_;
  std::vector<successive_halving_scheduler> brackets_;
  std::vector<std::int64_t> shares_;
  std::vector<detail::append_log<frozen_trial>> logs_;
  std::vector<std::shared_ptr<const study_info>> infos_;
  std::string study_;
  std::size_t read_ = 0;
};

static_assert(scheduler<hyperband_scheduler>);

}  // namespace tunekit
