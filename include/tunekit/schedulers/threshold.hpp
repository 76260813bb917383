#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../detail/format.hpp"
#include "detail/common.hpp"

namespace tunekit {

/// Options of `threshold_scheduler` (Optuna's ThresholdPruner). At least one
/// bound must be given.
struct threshold_scheduler_options {
  /// Stop a trial whose latest value is below this.
  std::optional<double> lower = std::nullopt;
  /// Stop a trial whose latest value is above this.
  std::optional<double> upper = std::nullopt;
  /// No trial is stopped at a step below this one.
  std::int64_t n_warmup_steps = 0;
  /// After the warm-up, judge at most once per this many steps (>= 1).
  std::int64_t interval_steps = 1;
};

/// Stops a trial whose latest intermediate value leaves [lower, upper], or
/// is NaN (a diverged run): the guard against hopeless trials that needs no
/// other trial to compare with. The bounds are absolute, so the study's
/// direction plays no part. O(1) per decision.
class threshold_scheduler {
 public:
  explicit threshold_scheduler(threshold_scheduler_options options = {}) : options_(options) {
    const char* who = "threshold_scheduler";
    if (!options.lower && !options.upper)
      throw invalid_argument(std::string(who) + ": neither lower nor upper is set; give at least one bound");
    if (options.lower && std::isnan(*options.lower))
      throw invalid_argument(std::string(who) + ": lower = nan is not allowed; lower must be a number");
    if (options.upper && std::isnan(*options.upper))
      throw invalid_argument(std::string(who) + ": upper = nan is not allowed; upper must be a number");
    if (options.lower && options.upper && *options.lower > *options.upper)
      throw invalid_argument(std::string(who) + ": lower = " + detail::format_number(*options.lower) +
                             " is greater than upper = " + detail::format_number(*options.upper) +
                             "; lower must be <= upper");
    detail::require_at_least(who, "n_warmup_steps", options.n_warmup_steps, 0);
    detail::require_at_least(who, "interval_steps", options.interval_steps, 1);
  }

  bool should_prune(const study_view&, const frozen_trial& t) const {
    if (t.intermediate_values.empty()) return false;
    const auto& [step, latest] = *t.intermediate_values.rbegin();
    if (step < options_.n_warmup_steps) return false;
    if (!detail::first_in_interval(t, step, options_.n_warmup_steps, options_.interval_steps)) return false;
    if (std::isnan(latest)) return true;
    return (options_.lower && latest < *options_.lower) || (options_.upper && latest > *options_.upper);
  }

  const threshold_scheduler_options& options() const noexcept { return options_; }

 private:
  threshold_scheduler_options options_;
};

static_assert(scheduler<threshold_scheduler>);

}  // namespace tunekit
