// A define-by-run objective that does not take a tunekit::trial&.
#include <tunekit/tuner.hpp>

int main() {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 1}}};
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
  auto objective = [](tunekit::trial& t) { return t.suggest_float("x", 0, 1); };
#else
  auto objective = [](double x) { return x * x; };
#endif
  tuner.optimize(objective, {.n_trials = 1});
}
