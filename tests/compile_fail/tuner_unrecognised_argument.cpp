// A tuner argument that is none of space, sampler, scheduler, storage, study_config.
#include <tunekit/tuner.hpp>

int main() {
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
  tunekit::tuner tuner{tunekit::study_config{.name = "study"}};
#else
  tunekit::tuner tuner{42};
#endif
  return tuner.study_name().empty() ? 1 : 0;
}
