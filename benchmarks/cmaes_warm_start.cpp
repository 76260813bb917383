// cmaes_warm_start: does WS-CMA-ES (Nomura et al. 2021) reach cold CMA-ES's
// median regret at --budget trials in at most half the trials? (issue 18)
//
// Pairs of related tasks, as in warm_start.cpp (the TPE version): the target
// task is a suite function shifted by `shift` of each range, g(x) =
// f(clamp(x - shift (high - low))); the source task is its neighbour, shifted
// by 0.8 shift. Per seed: a cold CMA-ES runs --source-trials trials on the
// source task; its trials are the warm start's `source_trials`. Then a cold
// and a warm-started CMA-ES run --budget trials each on the target task.
// Prints one JSON line per function with the median (over seeds) best-so-far
// regret of each at a few budgets, cold's median regret at --budget, and the
// first trial count at which warm's median regret is at most that.
//
//   cmaes_warm_start [--functions branin,hartmann6] [--seeds 10]
//                    [--source-trials 200] [--budget 200] [--shift 0.3]

#include <tunekit/samplers/cmaes.hpp>
#include <tunekit/testing/test_functions.hpp>
#include <tunekit/tunekit.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "warm_start_common.hpp"

namespace tk = tunekit;

namespace {

struct config {
  std::vector<std::string> functions = {"branin", "hartmann3", "hartmann6", "rosenbrock4", "ackley5", "levy10",
                                        "styblinski_tang8"};
  int seeds = 10;
  std::int64_t source_trials = 200, budget = 200;
  double shift = 0.3;
};

/// Runs `n` trials on f shifted by `shift_frac`; returns the best-so-far regret after each trial.
std::vector<double> run(tk::cmaes_sampler sampler, const tk::testing::test_function& f, std::int64_t n,
                        double shift_frac, std::vector<tk::frozen_trial>* trials = nullptr) {
  tk::tuner tuner{std::move(sampler)};
  std::vector<double> curve;
  double best = std::numeric_limits<double>::infinity();
  tuner.optimize(
      [&](tk::trial& t) {
        const std::vector<double> x = tk::bench::shifted_point(t, f, shift_frac);
        const double value = f.evaluate(x);
        best = std::min(best, value - f.known_minimum);
        curve.push_back(best);
        return value;
      },
      {.n_trials = n});
  if (trials) *trials = tuner.trials();
  return curve;
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[++i] : "";
    if (a == "--functions") {
      c.functions.clear();
      std::stringstream ss(v);
      for (std::string s; std::getline(ss, s, ',');) c.functions.push_back(s);
    } else if (a == "--seeds") c.seeds = std::atoi(v);
    else if (a == "--source-trials") c.source_trials = std::atoll(v);
    else if (a == "--budget") c.budget = std::atoll(v);
    else if (a == "--shift") c.shift = std::atof(v);
    else {
      std::cerr << "unknown argument " << a << '\n';
      return 2;
    }
  }
  for (const auto& name : c.functions) {
    const tk::testing::test_function* f = tk::testing::find(name);
    if (!f) {
      std::cerr << "unknown function " << name << '\n';
      return 2;
    }
    std::vector<std::vector<double>> cold, warm;
    for (int seed = 0; seed < c.seeds; ++seed) {
      const auto s = static_cast<std::uint64_t>(seed);
      std::vector<tk::frozen_trial> source;
      run(tk::cmaes_sampler{{.seed = 1000 + s}}, *f, c.source_trials, 0.8 * c.shift, &source);
      cold.push_back(run(tk::cmaes_sampler{{.seed = s}}, *f, c.budget, c.shift));
      warm.push_back(run(tk::cmaes_sampler{{.seed = s, .source_trials = source}}, *f, c.budget, c.shift));
    }
    auto median_at = [&](const std::vector<std::vector<double>>& curves, std::int64_t n) {
      std::vector<double> v;
      for (const auto& curve : curves) v.push_back(curve[static_cast<std::size_t>(n - 1)]);
      return tk::bench::median(v);
    };
    const double cold_final = median_at(cold, c.budget);
    std::int64_t reached = -1;
    for (std::int64_t n = 1; n <= c.budget && reached < 0; ++n)
      if (median_at(warm, n) <= cold_final) reached = n;
    std::cout << "{\"function\": \"" << f->name << "\", \"seeds\": " << c.seeds << ", \"shift\": " << c.shift
              << ", \"source_trials\": " << c.source_trials << ", \"budget\": " << c.budget;
    for (std::int64_t n : {25, 50, 100, 200})
      if (n <= c.budget)
        std::cout << ", \"cold_" << n << "\": " << median_at(cold, n) << ", \"warm_" << n << "\": " << median_at(warm, n);
    std::cout << ", \"warm_trials_to_cold_final\": " << reached << "}" << std::endl;
  }
  return 0;
}
