#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../detail/format.hpp"
#include "detail/common.hpp"
#include "detail/rank_tracker.hpp"

namespace tunekit {

/// Options of `percentile_scheduler` (Optuna's PercentilePruner).
struct percentile_scheduler_options {
  /// Keep trials whose best value so far is within the best `percentile` %
  /// of the COMPLETE trials' values at the same step; in [0, 100].
  double percentile = 25.0;
  /// No trial is stopped before this many trials have completed.
  std::int64_t n_startup_trials = 5;
  /// No trial is stopped at a step below this one.
  std::int64_t n_warmup_steps = 0;
  /// After the warm-up, judge at most once per this many steps (>= 1).
  std::int64_t interval_steps = 1;
  /// No trial is stopped at a step that fewer completed trials have reported.
  std::int64_t n_min_trials = 1;
};

/// Stops a trial whose best intermediate value so far is worse than the
/// given percentile of the COMPLETE trials' values at the same step
/// (Optuna's PercentilePruner; the median rule of Golovin et al. 2017,
/// "Google Vizier", at 50).
///
/// Decisions, at the trial's last reported step `s`:
///   - no stop while fewer than `n_startup_trials` trials are COMPLETE, at
///     `s < n_warmup_steps`, or when an earlier report fell in the same
///     `interval_steps` window after the warm-up;
///   - stop when every value the trial reported is NaN;
///   - keep when fewer than `n_min_trials` completed trials reported step
///     `s`, or all of theirs are NaN;
///   - otherwise stop when the best value (NaNs ignored) is worse than the
///     percentile (for maximisation: the (100 - percentile)-th percentile).
///
/// Cost: each finished trial is read once and its values inserted into one
/// `running_percentile` per step (O(log n) each); a decision is O(log steps)
/// plus O(1) amortised for the trial's own best value. Single-objective
/// studies only (`state_error` otherwise).
class percentile_scheduler {
 public:
  explicit percentile_scheduler(percentile_scheduler_options options = {})
      : percentile_scheduler(options, "percentile_scheduler") {}

  bool should_prune(const study_view& view, const frozen_trial& t) {
    const direction dir = view.single_direction();
    sync(view, dir);
    if (n_complete_ == 0 || n_complete_ < options_.n_startup_trials) return false;
    if (t.intermediate_values.empty()) return false;
    const std::int64_t step = t.intermediate_values.rbegin()->first;
    if (step < options_.n_warmup_steps) return false;
    if (!detail::first_in_interval(t, step, options_.n_warmup_steps, options_.interval_steps)) return false;

    const double best = best_so_far(t, dir);
    if (std::isnan(best)) return true;
    auto at = steps_.find(step);
    if (at == steps_.end() || at->second.reported < options_.n_min_trials) return false;
    const double threshold = at->second.values.value();
    if (std::isnan(threshold)) return false;
    return dir == direction::maximize ? best < threshold : best > threshold;
  }

  const percentile_scheduler_options& options() const noexcept { return options_; }

 protected:
  /// `who` names the scheduler in error messages (median_scheduler reuses this one).
  percentile_scheduler(percentile_scheduler_options options, const char* who) : options_(options) {
    if (!(options.percentile >= 0 && options.percentile <= 100))
      throw invalid_argument(std::string(who) + ": percentile = " + detail::format_number(options.percentile) +
                             " is not allowed; percentile must be in [0, 100]");
    detail::require_at_least(who, "n_startup_trials", options.n_startup_trials, 0);
    detail::require_at_least(who, "n_warmup_steps", options.n_warmup_steps, 0);
    detail::require_at_least(who, "interval_steps", options.interval_steps, 1);
    detail::require_at_least(who, "n_min_trials", options.n_min_trials, 1);
  }

 private:
  struct step_stats {
    explicit step_stats(double q) : values(q) {}
    detail::running_percentile values;
    std::int64_t reported = 0;  // NaNs included, as Optuna counts them for n_min_trials
  };
  struct best_cache {
    std::size_t n_values = 0;
    std::int64_t last_step = 0;
    double best = 0;
  };

  void sync(const study_view& view, direction dir) {
    // For maximisation the threshold is the (100 - p)-th percentile.
    const double q = dir == direction::maximize ? 100 - options_.percentile : options_.percentile;
    cursor_.sync(
        view,
        [&] {
          steps_.clear();
          best_.clear();
          n_complete_ = 0;
        },
        [&](const frozen_trial& done) {
          best_.erase(done.id);
          if (done.state != trial_state::complete) return;
          ++n_complete_;
          for (const auto& [step, value] : done.intermediate_values) {
            auto it = steps_.try_emplace(step, q).first;
            it->second.values.insert(value);
            ++it->second.reported;
          }
        });
  }

  /// The best of the trial's values, NaNs ignored (NaN if all are NaN).
  /// A reported value never changes (`trial::report` ignores a repeated
  /// step), so when the trial only appended a later step since the last
  /// call, folding that one value in is enough: O(1). Otherwise (the first
  /// call, or a report out of order) O(steps of this trial).
  double best_so_far(const frozen_trial& t, direction dir) {
    auto fold = [dir](double best, double v) {
      if (std::isnan(v)) return best;
      if (std::isnan(best)) return v;
      return better(dir, v, best) ? v : best;
    };
    const auto& values = t.intermediate_values;
    const auto& [last_step, last_value] = *values.rbegin();
    auto [it, fresh] = best_.try_emplace(t.id);
    best_cache& c = it->second;
    if (!fresh && values.size() == c.n_values + 1 && last_step > c.last_step) {
      c.best = fold(c.best, last_value);
    } else if (fresh || values.size() != c.n_values) {
      c.best = std::nan("");
      for (const auto& [step, v] : values) c.best = fold(c.best, v);
    }
    c.n_values = values.size();
    c.last_step = last_step;
    return c.best;
  }

  percentile_scheduler_options options_;
  detail::finished_cursor cursor_;
  std::map<std::int64_t, step_stats> steps_;
  std::unordered_map<std::int64_t, best_cache> best_;  // running trials, by id
  std::int64_t n_complete_ = 0;
};

static_assert(scheduler<percentile_scheduler>);

}  // namespace tunekit
