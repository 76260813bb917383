#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../core/concepts.hpp"
#include "hyperband.hpp"

namespace tunekit {

/// The bracket half of BOHB (Falkner, Klein & Hutter 2018): Hyperband's
/// brackets of successive halving, run asynchronously, with every trial
/// feeding one model. Pair it with `bohb_sampler` given the same
/// min_resource, max_resource and reduction_factor.
///
/// It is `hyperband_scheduler` (same brackets, shares, rungs and
/// promotions: ASHA's rule within each bracket, so a trial is judged the
/// moment it reaches a rung and no worker waits for a rung to fill) without
/// `sampler_view`: the sampler sees the whole study, because BOHB's model
/// at a budget pools the observations of every bracket that reached it.
/// This is the asynchronous reading of the paper's synchronous brackets
/// (the paper's parallel scheme keeps workers busy by starting the next
/// bracket; here a trial's bracket is fixed by hashing its number, so
/// nothing is ever waited for).
///
/// Bad input, as `successive_halving_scheduler` documents: a trial is judged
/// on its highest reported step (reports at decreasing steps leave the
/// judgement on the highest; a repeated step is ignored by `trial::report`);
/// a report past a rung's step counts at that rung (budgets need not match
/// the rungs); a trial that never reports is never stopped; a trial whose
/// worker died keeps its place in every rung it reached and blocks no one.
class bohb_scheduler {
 public:
  explicit bohb_scheduler(hyperband_scheduler_options options = {}) : brackets_(options) {}

  bool should_prune(const study_view& view, const frozen_trial& t) { return brackets_.should_prune(view, t); }

  /// The bracket of trial number `trial_number` in the study named `study_name`.
  std::size_t bracket_of(std::string_view study_name, std::int64_t trial_number) const {
    return brackets_.bracket_of(study_name, trial_number);
  }
  std::size_t n_brackets() const noexcept { return brackets_.n_brackets(); }
  const hyperband_scheduler_options& options() const noexcept { return brackets_.options(); }

 private:
  hyperband_scheduler brackets_;
};

static_assert(scheduler<bohb_scheduler>);

}  // namespace tunekit
