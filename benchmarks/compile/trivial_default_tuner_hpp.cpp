// Compile-cost input (b'): trivial_default.cpp including only
// <tunekit/tuner.hpp> (which brings the default sampler) instead of the
// umbrella: what a user pays who includes what they use.
#include <tunekit/tuner.hpp>

int main() {
  tunekit::tuner tuner;
  tuner.optimize([](tunekit::trial& t) {
    const double x = t.suggest_float("x", -10.0, 10.0);
    return (x - 2) * (x - 2);
  }, {.n_trials = 10});
  return tuner.best_value() < 100 ? 0 : 1;
}
