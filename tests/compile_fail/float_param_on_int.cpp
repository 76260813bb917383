// float_param on an integer member.
#include <tunekit/core/space.hpp>

struct params {
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
  double learning_rate = 0;
#else
  int learning_rate = 0;
#endif
};

int main() {
  auto binding = tunekit::float_param("learning_rate", &params::learning_rate, 1e-5, 1e-1, {.log = true});
  return binding.name.empty() ? 1 : 0;
}
