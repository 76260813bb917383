// A double member bound to a categorical of strings.
#include <tunekit/core/space.hpp>

#include <string>

struct params {
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
  std::string activation;
#else
  double activation = 0;
#endif
};

int main() {
  auto binding = tunekit::categorical_param("activation", &params::activation, {"relu", "tanh"});
  return binding.name.empty() ? 1 : 0;
}
