// A typed objective that returns something that is not a result.
#include <tunekit/tuner.hpp>

#include <string>

struct params {
  double x = 0;
};

int main() {
  tunekit::tuner tuner{tunekit::space<params>{tunekit::float_param("x", &params::x, 0, 1)},
                       tunekit::random_sampler{{.seed = 1}}};
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
  auto objective = [](const params& p, tunekit::trial&) { return p.x; };
#else
  auto objective = [](const params& p, tunekit::trial&) { return std::to_string(p.x); };
#endif
  tuner.optimize(objective, {.n_trials = 1});
}
