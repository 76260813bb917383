// The LibTorch integration in a program that does not link tunekit::torch:
// the error names the target, not a missing <torch/...> header. The header
// used is the one of the component that needs no LibTorch header itself, so
// that the control (the correct use) compiles without LibTorch's include
// directories, in a fraction of a second rather than the ~17 s of CPU that
// parsing <tunekit/integrations/torch.hpp> takes; every header of the
// component starts with the same check (torch/detail/requires_target.hpp).
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
#define TUNEKIT_HAS_TORCH 1    // what linking tunekit::torch defines
#define TUNEKIT_HAS_PRUNING 1  // and, through it, tunekit::pruning
#endif
#include <tunekit/integrations/torch/reporting.hpp>

int main() {}
