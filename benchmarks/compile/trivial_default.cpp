// Compile-cost input (b): as trivial_random.cpp, with the default sampler.
#include <tunekit/tunekit.hpp>

int main() {
  tunekit::tuner tuner;
  tuner.optimize([](tunekit::trial& t) {
    const double x = t.suggest_float("x", -10.0, 10.0);
    return (x - 2) * (x - 2);
  }, {.n_trials = 10});
  return tuner.best_value() < 100 ? 0 : 1;
}
