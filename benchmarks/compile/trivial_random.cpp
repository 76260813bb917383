// Compile-cost input (a): the smallest useful program — the umbrella header,
// a random-sampler tuner over one float. Only its compile cost matters.
#include <tunekit/tunekit.hpp>

int main() {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 1}}};
  tuner.optimize([](tunekit::trial& t) {
    const double x = t.suggest_float("x", -10.0, 10.0);
    return (x - 2) * (x - 2);
  }, {.n_trials = 10});
  return tuner.best_value() < 100 ? 0 : 1;
}
