// An int member bound to fractional choices: each would be truncated.
#include <tunekit/core/space.hpp>

struct params {
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
  double scale = 0;
#else
  int scale = 0;
#endif
};

int main() {
  auto binding = tunekit::categorical_param("scale", &params::scale, {0.5, 1.5, 2.5});
  return binding.name.empty() ? 1 : 0;
}
