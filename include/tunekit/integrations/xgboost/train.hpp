#pragma once

#include "detail/requires_target.hpp"

/// The boosting loop, and the callback that reports each round to a trial
/// and stops it when the scheduler says so (the counterpart of Optuna's
/// `XGBoostPruningCallback`).

#include <concepts>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../core/errors.hpp"
#include "../../core/trial.hpp"
#include "booster.hpp"
#include "dmatrix.hpp"
#include "eval_result.hpp"

namespace tunekit::xgboost {

/// Options of `train`.
struct train_options {
  /// Boosting rounds (at most: the callback may stop earlier). >= 1.
  int rounds = 100;
};

/// Boosts `options.rounds` rounds of `b` on `data`, evaluating on `evals`
/// after each and handing the round (0-based) and its `eval_result` to
/// `after_round`; a callback returning `false` stops the loop, and an
/// exception from it (`tunekit::trial_pruned` from `pruning_callback`)
/// leaves it. Returns the last round's evaluation.
template <class F>
eval_result train(booster& b, const dmatrix& data, const std::vector<eval_set>& evals, const train_options& options,
                  F&& after_round) {
  static_assert(std::is_invocable_v<F&, int, const eval_result&>,
                "tunekit::xgboost::train: the callback must be callable as f(int round, const xgboost::eval_result&)");
  if (options.rounds < 1)
    throw invalid_argument("xgboost::train_options::rounds = " + std::to_string(options.rounds) +
                           " is not allowed; rounds must be >= 1");
  if (evals.empty())
    throw invalid_argument("xgboost::train: no eval sets; pass at least one, e.g. {{validation, \"validation\"}}, "
                           "so that each round has a metric to report");
  eval_result last;
  for (int round = 0; round < options.rounds; ++round) {
    b.update(round, data);
    last = b.evaluate(round, evals);
    if constexpr (std::is_convertible_v<std::invoke_result_t<F&, int, const eval_result&>, bool>) {
      if (!after_round(round, std::as_const(last))) break;
    } else {
      after_round(round, std::as_const(last));
    }
  }
  return last;
}

/// `train` without a callback: every round, evaluated on `evals`.
inline eval_result train(booster& b, const dmatrix& data, const std::vector<eval_set>& evals,
                         const train_options& options = {}) {
  return train(b, data, evals, options, [](int, const eval_result&) {});
}

/// After every round: reports the value of `observation_key` (e.g.
/// "validation-mlogloss") as the trial's intermediate value at step = round,
/// and throws `tunekit::trial_pruned` when the scheduler stops the trial; the
/// tuner records it as PRUNED. Holds a reference to the trial.
///
///     xgboost::train(b, train, {{valid, "validation"}}, {.rounds = 200},
///                    xgboost::pruning_callback(trial, "validation-mlogloss"));
class pruning_callback {
 public:
  pruning_callback(trial& t, std::string observation_key) : trial_(&t), key_(std::move(observation_key)) {
    if (key_.empty())
      throw invalid_argument("xgboost::pruning_callback: observation_key is empty; name the metric to report as "
                             "<eval set name>-<metric>, e.g. \"validation-mlogloss\"");
  }

  void operator()(int round, const eval_result& result) const {
    trial_->report(round, result.at(key_));  // at() names the keys there are when key_ is not one
    if (trial_->should_prune()) throw trial_pruned{};
  }

  const std::string& observation_key() const noexcept { return key_; }

 private:
  trial* trial_;
  std::string key_;
};

}  // namespace tunekit::xgboost
