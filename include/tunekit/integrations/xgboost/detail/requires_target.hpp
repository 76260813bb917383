#pragma once

// Every xgboost integration header includes this first: without the
// tunekit::xgboost target, <xgboost/c_api.h> may be missing or the link may
// fail, and the first error would name XGBoost, not the target to link.
#if !defined(TUNEKIT_HAS_XGBOOST)
#error "tunekit/integrations/xgboost.hpp (the XGBoost C API) needs the CMake target tunekit::xgboost: target_link_libraries(<your target> PRIVATE tunekit::xgboost) (it defines TUNEKIT_HAS_XGBOOST and links libxgboost; without CMake, define TUNEKIT_HAS_XGBOOST and link -lxgboost yourself)"
#endif
