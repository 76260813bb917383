#pragma once

// The states every storage accepts for a trial it is asked to store: one
// rule and one message for the memory, journal and SQL storages.

#include <string>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"

namespace tunekit::detail {

/// `create_trial` starts a trial: it must be RUNNING (asked for now) or
/// WAITING (enqueued for a later ask).
inline void check_created_trial_state(const frozen_trial& record) {
  if (record.state != trial_state::running && record.state != trial_state::waiting)
    throw invalid_argument("create_trial: a new trial must be RUNNING or WAITING, got " +
                           std::string(to_string(record.state)));
}

/// `add_trial` stores a trial as it is (copying or warm-starting a study):
/// finished or WAITING, never RUNNING, since no worker would finish it.
inline void check_added_trial_state(const frozen_trial& record) {
  if (record.state == trial_state::running)
    throw invalid_argument("add_trial: the trial must be finished or WAITING, not RUNNING");
}

}  // namespace tunekit::detail
