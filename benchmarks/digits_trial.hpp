// benchmarks/digits_trial.hpp — the digits network's six hyperparameters
// drawn through a trial (define-by-run), shared by the benchmarks that train
// it epoch by epoch (scheduler_savings.cpp, real_tasks.hpp). The same ranges
// as the typed space of examples/digits_space.hpp, without its epochs: here
// the budget sets them.
#pragma once

#include <tunekit/core/trial.hpp>

#include "../examples/digits.hpp"

#include <string>

namespace digits {

/// A trial's training settings for `epochs` epochs; seed 0, so every trial
/// starts from the same initial weights.
inline mlp_config suggest_mlp_config(tunekit::trial& t, int epochs) {
  mlp_config c;
  c.learning_rate = t.suggest_float("learning_rate", 1e-4, 0.3, {.log = true});
  c.l2 = t.suggest_float("l2", 1e-6, 1e-2, {.log = true});
  c.hidden = static_cast<int>(t.suggest_int("hidden", 16, 128));
  c.activation = t.suggest_categorical<std::string>("activation", {"relu", "tanh"});
  c.optimizer = t.suggest_categorical<std::string>("optimizer", {"adam", "sgd"});
  c.batch_size = static_cast<int>(t.suggest_int("batch_size", 16, 256, {.log = true}));
  c.epochs = epochs;
  c.seed = 0;
  return c;
}

}  // namespace digits
