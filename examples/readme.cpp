// The usage example of README.md, compiled and run by the test suite; the
// test `readme.snippets` checks that README.md shows exactly this code.
// snippet-begin
#include <tunekit/tunekit.hpp>

#include <cmath>
#include <cstdio>
#include <string>

struct params {
  double lr;
  int layers;
  std::string activation;
};

// Stands in for a training run: lowest at lr = 1e-3, 3 layers, gelu.
double validation_loss(const params& p) {
  const double u = std::log10(p.lr) + 3;
  return u * u + 0.1 * (p.layers - 3) * (p.layers - 3) + (p.activation == "gelu" ? 0.0 : 0.5);
}

int main() {
  auto space = tunekit::space<params>{
      tunekit::float_param("lr", &params::lr, 1e-5, 1.0, {.log = true}),
      tunekit::int_param("layers", &params::layers, 1, 8),
      tunekit::categorical_param("activation", &params::activation, {"relu", "tanh", "gelu"}),
  };
  tunekit::tuner tuner{space, tunekit::random_sampler{{.seed = 7}}};
  tuner.optimize([](const params& p, tunekit::trial&) { return validation_loss(p); },
                 {.n_trials = 200, .n_jobs = 2});

  const params best = tuner.best_params();
  std::printf("best loss %.4f: lr=%.2e layers=%d activation=%s\n", tuner.best_value(), best.lr,
              best.layers, best.activation.c_str());
}
// snippet-end
