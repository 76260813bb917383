#pragma once

#include "../core/concepts.hpp"

namespace tunekit {

/// The scheduler that never stops a trial early: the default.
struct nop_scheduler {
  bool should_prune(const study_view&, const frozen_trial&) const noexcept { return false; }
};

static_assert(scheduler<nop_scheduler>);

}  // namespace tunekit
