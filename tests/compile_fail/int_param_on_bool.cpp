// int_param on a bool member (a bool is a choice, not a range).
#include <tunekit/core/space.hpp>

struct params {
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
  int flag = 0;
#else
  bool flag = false;
#endif
};

int main() {
  auto binding = tunekit::int_param("flag", &params::flag, 0, 1);
  return binding.name.empty() ? 1 : 0;
}
