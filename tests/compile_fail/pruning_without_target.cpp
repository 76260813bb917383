// The pruning umbrella in a program that does not link tunekit::pruning: the
// error names the target, not a missing xtensor header or symbol.
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
#define TUNEKIT_HAS_PRUNING 1  // what linking tunekit::pruning defines
#endif
#include <tunekit/pruning.hpp>

int main() {}
