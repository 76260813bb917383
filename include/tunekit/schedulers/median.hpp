#pragma once

#include <cstdint>

#include "../core/concepts.hpp"
#include "percentile.hpp"

namespace tunekit {

/// Options of `median_scheduler` (Optuna's MedianPruner).
struct median_scheduler_options {
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
/// median of the COMPLETE trials' values at the same step: the median
/// stopping rule of Golovin et al. 2017 ("Google Vizier"), with Optuna's
/// MedianPruner options. It is `percentile_scheduler` at 50; see there for
/// every decision rule.
class median_scheduler : public percentile_scheduler {
 public:
  explicit median_scheduler(median_scheduler_options options = {})
      : percentile_scheduler({.percentile = 50,
                              .n_startup_trials = options.n_startup_trials,
                              .n_warmup_steps = options.n_warmup_steps,
                              .interval_steps = options.interval_steps,
                              .n_min_trials = options.n_min_trials},
                             "median_scheduler") {}
};

static_assert(scheduler<median_scheduler>);

}  // namespace tunekit
