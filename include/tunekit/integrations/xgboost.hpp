#pragma once

#include "xgboost/detail/requires_target.hpp"

/// Umbrella header of the XGBoost integration (CMake target tunekit::xgboost,
/// needs libxgboost's C API): RAII types over the C API whose failures are
/// exceptions carrying XGBoost's message, the boosting loop with a callback
/// that reports each round and stops pruned trials, and the search-space
/// fragment for the tree booster. See docs/integrations.md.
#include "xgboost/booster.hpp"
#include "xgboost/dmatrix.hpp"
#include "xgboost/error.hpp"
#include "xgboost/eval_result.hpp"
#include "xgboost/search_space.hpp"
#include "xgboost/train.hpp"
