// Multi-objective costs (issue 17): exact hypervolume of n mutually
// non-dominated points in 2, 3 and 4 objectives, non-dominated sorting of n
// random points, and one NSGA-II ask + tell when the study already holds N
// finished trials (10-D ZDT1, population 50, memory storage; the study grows
// by one trial per iteration, so the figure is "at N to N + iterations").
#include <benchmark/benchmark.h>

#include <tunekit/mo/hypervolume.hpp>
#include <tunekit/samplers/nsga2.hpp>  // not in the umbrella yet
#include <tunekit/tunekit.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

/// n points on the positive unit sphere: none dominates another.
tunekit::point_set sphere(std::size_t n, std::size_t m, std::uint64_t seed) {
  tunekit::random_engine e(seed);
  tunekit::point_set p(n, std::vector<double>(m));
  for (auto& q : p) {
    double norm = 0;
    for (auto& v : q) v = std::abs(e.normal()), norm += v * v;
    for (auto& v : q) v /= std::sqrt(norm);
  }
  return p;
}

void hypervolume_front(benchmark::State& state, std::size_t m) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto p = sphere(n, m, 1);
  const std::vector<double> ref(m, 1.1);
  for (auto _ : state) benchmark::DoNotOptimize(tunekit::hypervolume(p, ref));
  state.SetComplexityN(state.range(0));
}
BENCHMARK_CAPTURE(hypervolume_front, m2, 2)->RangeMultiplier(10)->Range(100, 10'000)->Complexity(benchmark::oNLogN);
BENCHMARK_CAPTURE(hypervolume_front, m3, 3)->RangeMultiplier(10)->Range(100, 10'000)->Complexity(benchmark::oNLogN);
BENCHMARK_CAPTURE(hypervolume_front, m4, 4)->Arg(10)->Arg(30)->Arg(100);

void non_dominated_sort(benchmark::State& state, std::size_t m) {
  tunekit::random_engine e(2);
  tunekit::point_set p(static_cast<std::size_t>(state.range(0)), std::vector<double>(m));
  for (auto& q : p)
    for (auto& v : q) v = e.uniform();
  for (auto _ : state) benchmark::DoNotOptimize(tunekit::non_dominated_ranks(p));
  state.SetComplexityN(state.range(0));
}
BENCHMARK_CAPTURE(non_dominated_sort, m2, 2)->RangeMultiplier(10)->Range(100, 10'000)->Complexity(benchmark::oNLogN);
BENCHMARK_CAPTURE(non_dominated_sort, m3, 3)->RangeMultiplier(10)->Range(100, 1'000)->Complexity(benchmark::oNSquared);

void nsga2_ask_tell(benchmark::State& state) {
  const std::vector<tunekit::direction> dirs(2, tunekit::direction::minimize);
  tunekit::tuner tuner{tunekit::nsga2_sampler{{.seed = 1}}, tunekit::study_config{.directions = dirs}};
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(std::string(1, 'x').append(std::to_string(i)));
  auto zdt1 = [&](tunekit::trial& t) {
    double x0 = 0, g = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const double x = t.suggest_float(names[i], 0, 1);
      if (i == 0) x0 = x;
      else g += x;
    }
    g = 1 + 9 * g / 9;
    return std::vector<double>{x0, g * (1 - std::sqrt(x0 / g))};
  };
  tuner.optimize(zdt1, {.n_trials = state.range(0)});
  for (auto _ : state) {
    auto t = tuner.ask();
    tuner.tell(t, zdt1(t));
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(nsga2_ask_tell)->Arg(100)->Arg(1'000)->Arg(10'000)->Iterations(500);

/// Multi-objective TPE: ask + 10 suggests + tell at N finished trials of
/// 10-D ZDT1 drawn at random (the history of peers/optuna_motpe_ask.py).
void motpe_ask_tell(benchmark::State& state, bool multivariate) {
  const std::vector<tunekit::direction> dirs(2, tunekit::direction::minimize);
  tunekit::memory_storage storage;
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(std::string(1, 'x').append(std::to_string(i)));
  auto zdt1 = [&](tunekit::trial& t) {
    double x0 = 0, g = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const double x = t.suggest_float(names[i], 0, 1);
      if (i == 0) x0 = x;
      else g += x;
    }
    g = 1 + 9 * g / 9;
    return std::vector<double>{x0, g * (1 - std::sqrt(x0 / g))};
  };
  tunekit::tuner history{tunekit::random_sampler{{.seed = 1}}, storage,
                         tunekit::study_config{.name = "motpe", .directions = dirs}};
  history.optimize(zdt1, {.n_trials = state.range(0)});
  tunekit::tuner tuner{tunekit::tpe_sampler{{.multivariate = multivariate, .seed = 1}}, storage,
                       tunekit::study_config{.name = "motpe", .directions = dirs}};
  for (auto _ : state) {
    auto t = tuner.ask();
    tuner.tell(t, zdt1(t));
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK_CAPTURE(motpe_ask_tell, univariate, false)->Arg(100)->Arg(1'000)->Iterations(20);
BENCHMARK_CAPTURE(motpe_ask_tell, multivariate, true)->Arg(100)->Arg(1'000)->Iterations(20);

}  // namespace
