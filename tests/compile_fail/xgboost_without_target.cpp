// The XGBoost integration in a program that does not link tunekit::xgboost:
// the error names the target, not a missing <xgboost/c_api.h> or symbol.
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
#define TUNEKIT_HAS_XGBOOST 1  // what linking tunekit::xgboost defines
#endif
#include <tunekit/integrations/xgboost.hpp>

int main() {}
