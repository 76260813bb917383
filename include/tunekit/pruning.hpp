#pragma once

#include "pruning/detail/requires_target.hpp"

/// Umbrella header of the pruning component (CMake target tunekit::pruning,
/// needs xtensor): weight-pruning masks, sparsity schedules, and the
/// physically smaller tensors they produce.
#include "pruning/concepts.hpp"
#include "pruning/csr.hpp"
#include "pruning/mask.hpp"
#include "pruning/materialize.hpp"
#include "pruning/n_m.hpp"
#include "pruning/prune.hpp"
#include "pruning/random.hpp"
#include "pruning/rewind.hpp"
#include "pruning/schedule.hpp"
#include "pruning/structured.hpp"
#include "pruning/unstructured.hpp"
