#pragma once

#include "torch/detail/requires_target.hpp"

/// Umbrella header of the LibTorch integration (CMake target tunekit::torch,
/// needs LibTorch and tunekit::pruning): pruning masks kept on a module's
/// parameters through training, structured pruning made physical in smaller
/// layers, tunekit's LR schedules driving torch::optim parameter groups,
/// per-epoch reporting with early stopping, and module + optimizer
/// checkpoints for PBT. See docs/integrations.md.
///
/// Everything lives in `tunekit::torch`; inside it, LibTorch is `::torch`.
#include "torch/checkpoint.hpp"
#include "torch/lr.hpp"
#include "torch/masks.hpp"
#include "torch/materialize.hpp"
#include "torch/reporting.hpp"
