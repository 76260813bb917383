// warm_start: does a TPE warm-started from a related study reach a target
// regret in fewer trials than a cold start?
//
// Source task: a suite function f (default branin) run for --source-trials
// TPE trials. Target task: the shifted variant g(x) = f(x - shift) on the
// same domain (the minimisers move by `shift`, the minimum stays). For each
// seed, a cold TPE and a TPE warm-started from the source study run on g
// until the regret g(x) - min g <= --target or --budget trials; prints one
// JSON line per seed and a summary line with the medians over the seeds.
//
//   warm_start [--function branin] [--seeds 10] [--source-trials 100]
//              [--budget 200] [--target 0.05] [--shift 0.3]

#include <tunekit/samplers/tpe.hpp>
#include <tunekit/storage/memory.hpp>
#include <tunekit/testing/test_functions.hpp>
#include <tunekit/tuner.hpp>

#include "warm_start_common.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace tk = tunekit;

namespace {

struct config {
  std::string function = "branin";
  int seeds = 10;
  std::int64_t source_trials = 100, budget = 200;
  double target = 0.05, shift = 0.3;
};

/// Trials until the regret reaches the target (budget + 1 if never).
template <class Tuner>
std::int64_t trials_to_target(Tuner& tuner, const tk::testing::test_function& f, const config& c, double shift_frac) {
  std::int64_t reached = c.budget + 1;
  std::int64_t n = 0;
  tuner.optimize(
      [&](tk::trial& t) {
        const std::vector<double> x = tk::bench::shifted_point(t, f, shift_frac);
        const double value = f.evaluate(x);
        ++n;
        if (value - f.known_minimum <= c.target && reached > c.budget) reached = n;
        return value;
      },
      {.n_trials = c.budget, .callbacks = {[&](const tk::study_view&, const tk::frozen_trial&) {
         if (reached <= c.budget) tuner.stop();
       }}});
  return reached;
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[++i] : "";
    if (a == "--function") c.function = v;
    else if (a == "--seeds") c.seeds = std::atoi(v);
    else if (a == "--source-trials") c.source_trials = std::atoll(v);
    else if (a == "--budget") c.budget = std::atoll(v);
    else if (a == "--target") c.target = std::atof(v);
    else if (a == "--shift") c.shift = std::atof(v);
    else {
      std::cerr << "unknown argument " << a << '\n';
      return 2;
    }
  }
  const tk::testing::test_function* f = tk::testing::find(c.function);
  if (!f) {
    std::cerr << "unknown function " << c.function << '\n';
    return 2;
  }
  // A shift of `shift` of the range moves the function; the source task is
  // its neighbour, shifted by 0.8 * shift, so the tasks are related, not equal.
  std::vector<double> cold, warm;
  for (int seed = 0; seed < c.seeds; ++seed) {
    const auto s = static_cast<std::uint64_t>(seed);
    tk::memory_storage storage;
    tk::tuner source{tk::tpe_sampler{{.seed = 1000 + s}}, storage, tk::study_config{.name = "source"}};
    config src = c;
    src.budget = c.source_trials;
    src.target = -1e300;  // run the whole source budget
    trials_to_target(source, *f, src, 0.8 * c.shift);

    tk::tuner cold_tuner{tk::tpe_sampler{{.seed = s}}, tk::study_config{.name = "cold"}};
    const auto n_cold = trials_to_target(cold_tuner, *f, c, c.shift);

    tk::tuner warm_tuner{tk::tpe_sampler{{.seed = s}}, tk::study_config{.name = "warm"}};
    const auto added = warm_tuner.warm_start(storage, "source");
    const auto n_warm = trials_to_target(warm_tuner, *f, c, c.shift);
    cold.push_back(static_cast<double>(n_cold));
    warm.push_back(static_cast<double>(n_warm));
    std::cout << "{\"function\": \"" << f->name << "\", \"seed\": " << seed << ", \"cold_trials\": " << n_cold
              << ", \"warm_trials\": " << n_warm << ", \"warm_start_trials\": " << added << "}" << std::endl;
  }
  std::cout << "{\"function\": \"" << f->name << "\", \"seeds\": " << c.seeds << ", \"target_regret\": " << c.target
            << ", \"shift\": " << c.shift << ", \"budget\": " << c.budget << ", \"source_trials\": " << c.source_trials
            << ", \"median_cold_trials\": " << tk::bench::median(cold)
            << ", \"median_warm_trials\": " << tk::bench::median(warm) << "}"
            << std::endl;
  return 0;
}
