#pragma once

/// \file
/// `pareto_scheduler`: early stopping for multi-objective studies. A trial is
/// stopped when the vector of intermediate values it reported at its latest
/// step is Pareto-dominated by the vectors that enough COMPLETE, feasible
/// trials reported at the same step.
///
/// It generalises the median rule (Golovin et al. 2017, "Google Vizier") and
/// the percentile rule from a ranking by one value to the dominance order of
/// Pareto (Deb et al. 2002): in one objective "dominated by k completed
/// trials" is "worse than the k-th best completed trial at that step".
///
/// Assumptions (when they fail, do not use it):
///   - learning curves rarely cross: a trial dominated at step s by trials
///     that went on to finish stays dominated at the end. Objectives that
///     settle late (a loss that falls slowly at first with a large learning
///     rate schedule's warm-up) break it; raise `n_warmup_steps` then;
///   - every trial reports a vector at the same steps (epochs), so that
///     vectors at one step compare like with like;
///   - objectives that do not change during training (model size, latency)
///     are reported at every step; a trial that is small enough is never
///     dominated, so the cheap end of the front is kept.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../detail/format.hpp"
#include "../mo/constraints.hpp"
#include "../mo/intermediate.hpp"
#include "../mo/pareto.hpp"
#include "detail/common.hpp"

namespace tunekit {

/// Options of `pareto_scheduler`.
struct pareto_scheduler_options {
  /// Stop a trial whose vector is dominated by at least this many COMPLETE
  /// trials' vectors at the same step (>= 1). Larger is safer.
  std::int64_t n_dominating = 3;
  /// ... and by at least this fraction of the COMPLETE trials that reported
  /// that step, in [0, 1]: the threshold is max(n_dominating,
  /// ceil(fraction * reported)). 0: n_dominating alone.
  double fraction = 0.0;
  /// No trial is stopped before this many trials have completed.
  std::int64_t n_startup_trials = 5;
  /// No trial is stopped at a step below this one.
  std::int64_t n_warmup_steps = 0;
  /// After the warm-up, judge at most once per this many steps (>= 1).
  std::int64_t interval_steps = 1;
};

/// Stops a trial of a multi-objective study when the vector it reported at
/// its latest step (`trial::report_values`) is dominated by the vectors that
/// at least max(`n_dominating`, ceil(`fraction` x reported)) COMPLETE,
/// feasible trials reported at that step (see the file comment for the
/// assumptions).
///
/// Decisions, at the trial's latest vector step `s`:
///   - no stop while fewer than `n_startup_trials` trials are COMPLETE, at
///     `s < n_warmup_steps`, when an earlier vector fell in the same
///     `interval_steps` window after the warm-up, or when the trial has
///     reported no vector;
///   - a vector with a NaN or infinite value is never stopped on (the
///     values are unknown); a completed trial's vector with one is not
///     counted;
///   - infeasible completed trials (`is_feasible`) do not count: they are
///     not on the front the study is after.
///
/// Cost: each finished trial is read once (its vectors filed by step);
/// a decision is O(k m) for the k vectors filed at the step, m objectives.
class pareto_scheduler {
 public:
  explicit pareto_scheduler(pareto_scheduler_options options = {}) : options_(options) {
    constexpr const char* who = "pareto_scheduler";
    detail::require_at_least(who, "n_dominating", options.n_dominating, 1);
    detail::require_at_least(who, "n_startup_trials", options.n_startup_trials, 0);
    detail::require_at_least(who, "n_warmup_steps", options.n_warmup_steps, 0);
    detail::require_at_least(who, "interval_steps", options.interval_steps, 1);
    if (!(options.fraction >= 0 && options.fraction <= 1))
      throw invalid_argument("pareto_scheduler: fraction = " + detail::format_number(options.fraction) +
                             " is not allowed; fraction must be in [0, 1]");
  }

  bool should_prune(const study_view& view, const frozen_trial& t) {
    sync(view);
    if (n_complete_ == 0 || n_complete_ < options_.n_startup_trials) return false;
    const auto vectors = intermediate_vectors(t);
    if (vectors.empty()) return false;
    const auto& [step, values] = vectors.back();
    if (step < options_.n_warmup_steps) return false;
    const std::int64_t nearest = (step - options_.n_warmup_steps) / options_.interval_steps * options_.interval_steps +
                                 options_.n_warmup_steps;
    if (vectors.size() >= 2 && vectors[vectors.size() - 2].first >= nearest) return false;
    const auto v = minimised(values, view);
    if (!v) return false;
    auto at = steps_.find(step);
    if (at == steps_.end()) return false;
    const auto& others = at->second;
    const auto needed = std::max<std::int64_t>(
        options_.n_dominating,
        static_cast<std::int64_t>(std::ceil(options_.fraction * static_cast<double>(others.size()))));
    std::int64_t dominating = 0;
    for (const auto& o : others)
      if (dominates(o, *v) && ++dominating >= needed) return true;
    return false;
  }

  const pareto_scheduler_options& options() const noexcept { return options_; }

 private:
  /// The vector with maximised objectives negated; none when a value is not
  /// finite or the length is not the number of directions.
  static std::optional<std::vector<double>> minimised(std::vector<double> v, const study_view& view) {
    const auto dirs = view.directions();
    if (v.size() != dirs.size()) return std::nullopt;
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (!std::isfinite(v[k])) return std::nullopt;
      if (dirs[k] == direction::maximize) v[k] = -v[k];
    }
    return v;
  }

  void sync(const study_view& view) {
    cursor_.sync(
        view,
        [&] {
          steps_.clear();
          n_complete_ = 0;
        },
        [&](const frozen_trial& done) {
          if (done.state != trial_state::complete) return;
          ++n_complete_;
          if (!is_feasible(done)) return;
          for (auto& [step, values] : intermediate_vectors(done))
            if (auto v = minimised(std::move(values), view)) steps_[step].push_back(std::move(*v));
        });
  }

  pareto_scheduler_options options_;
  detail::finished_cursor cursor_;
  std::map<std::int64_t, point_set> steps_;  // step -> COMPLETE feasible trials' vectors (minimised)
  std::int64_t n_complete_ = 0;
};

static_assert(scheduler<pareto_scheduler>);

}  // namespace tunekit
