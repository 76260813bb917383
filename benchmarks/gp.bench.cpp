// GP sampler cost (issue 4): one Bayesian-optimization iteration — refit
// the kernel hyperparameters (MAP, warm-started) and maximise the
// acquisition — when the study holds n finished trials in 6-D, n in
// {50, 100, 200, 300, 500, 1000}. The bar: <= 20 ms median at n = 100
// (limbo needed 200-340 ms per iteration at n = 100 when refitting every step).
//
//   build/bench/benchmarks/tunekit_benchmarks --benchmark_filter='gp/'
//
// Method: the study is pre-filled with n trials at uniform random points of
// [0, 1]^6 with hartmann6's value (a realistic, non-trivial landscape), then
// one untimed ask + tell lets the sampler make its first (cold) fit. Each
// timed iteration is ask (with the 6 suggests) + tell of hartmann6 at the
// proposal, so the study grows by one trial per iteration and every ask
// refits from the previous optimum, as in a real run. Repetitions give the
// median; `fit_evals` counts marginal-likelihood evaluations per ask.
#include <benchmark/benchmark.h>

#include <tunekit/testing/test_functions.hpp>
#include <tunekit/tunekit.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr std::size_t gp_dim = 6;

const std::array<std::string, gp_dim>& gp_names() {
  static const std::array<std::string, gp_dim> n{"x0", "x1", "x2", "x3", "x4", "x5"};
  return n;
}

const tunekit::distribution& gp_unit() {
  static const tunekit::distribution d = tunekit::float_distribution(0.0, 1.0);
  return d;
}

double hartmann6(const std::array<double, gp_dim>& x) {
  return tunekit::testing::find("hartmann6")->evaluate(std::span<const double>(x.data(), x.size()));
}

using gp_tuner = tunekit::tuner<tunekit::define_by_run, tunekit::gp_sampler, tunekit::nop_scheduler,
                                tunekit::memory_storage>;

std::unique_ptr<gp_tuner> prefilled(std::int64_t n) {
  tunekit::memory_storage storage;
  const std::array<tunekit::direction, 1> minimize{tunekit::direction::minimize};
  const auto study = storage.create_study("gp-bench", minimize);
  tunekit::random_engine engine(7);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto t = storage.create_trial(study, tunekit::frozen_trial{});
    std::array<double, gp_dim> x{};
    for (std::size_t d = 0; d < gp_dim; ++d) {
      x[d] = engine.uniform();
      storage.set_param(t.id, gp_names()[d], x[d], gp_unit());
    }
    const std::array<double, 1> values{hartmann6(x)};
    storage.finish_trial(t.id, tunekit::trial_state::complete, values, {}, "");
  }
  return std::make_unique<gp_tuner>(tunekit::gp_sampler{{.seed = 1}}, storage, tunekit::study_config{.name = "gp-bench"});
}

void ask_tell(gp_tuner& tuner) {
  tunekit::trial t = tuner.ask();
  std::array<double, gp_dim> x{};
  for (std::size_t d = 0; d < gp_dim; ++d) x[d] = t.suggest(gp_names()[d], gp_unit());
  tuner.tell(t, hartmann6(x));
}

void gp_iteration(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto tuner = prefilled(n);
  ask_tell(*tuner);  // the cold first fit, untimed
  double evals = 0;
  std::int64_t asks = 0;
  for (auto _ : state) {
    ask_tell(*tuner);
    evals += tuner->sampler().diagnostics().fit_evaluations;
    ++asks;
  }
  state.SetComplexityN(n);
  state.counters["fit_evals"] = asks ? evals / static_cast<double>(asks) : 0.0;
  if (!tuner->sampler().diagnostics().fallback.empty()) state.SkipWithError("the GP fell back to its Sobol point");
}

BENCHMARK(gp_iteration)
    ->Name("gp/iteration_6d")
    ->Arg(50)
    ->Arg(100)
    ->Arg(200)
    ->Arg(300)
    ->Arg(500)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true)
    ->Complexity();

}  // namespace
