// Sampler overhead (BENCHMARKS.md, "cost benchmarks"): the time of one
// ask (all 10 parameters of a 10-D continuous space sampled) + tell, when the
// study already holds N finished trials, N in {100, 1000, 10000}.
//
// Peer: benchmarks/peers/optuna_ask_tell.py measures Optuna the same way;
// benchmarks/overhead.py runs both and prints the ratio table.
//
// Method. Before timing, a study is filled with N finished trials through
// the same ask/tell path. The timed loop does ask + 10 suggests + tell, so
// the study grows by one trial per iteration; to keep the measurement "at N",
// the study is rebuilt (timing paused) every max(10, N/10) iterations, so it
// never holds more than 1.1 N trials. Reported N (SetComplexityN) is the
// prefill. Seeds are fixed; the told values come from a fixed table.
#include <benchmark/benchmark.h>

#include <tunekit/samplers/cmaes.hpp>  // not in the umbrella yet (issue 18)
#include <tunekit/tunekit.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr std::size_t dim = 10;
constexpr std::uint64_t seed = 1;

const std::vector<std::string>& names() {
  static const std::vector<std::string> n = [] {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < dim; ++i) v.push_back("x" + std::to_string(i));
    return v;
  }();
  return n;
}

const tunekit::distribution& unit_interval() {
  static const tunekit::distribution d = tunekit::float_distribution(0.0, 1.0);
  return d;
}

// Objective values told to the study: fixed pseudo-random numbers, so that
// value-aware samplers (TPE, GP) see a realistic spread.
const std::array<double, 4096>& told_values() {
  static const std::array<double, 4096> v = [] {
    std::array<double, 4096> a{};
    tunekit::random_engine engine(12345);
    for (auto& x : a) x = engine.uniform();
    return a;
  }();
  return v;
}

/// One ask + tell of a define-by-run tuner, every parameter suggested.
template <class Tuner>
void ask_tell_once(Tuner& tuner, double value) {
  tunekit::trial t = tuner.ask();
  for (const auto& name : names()) benchmark::DoNotOptimize(t.suggest(name, unit_interval()));
  tuner.tell(t, value);
}

template <class MakeSampler>
auto make_prefilled(const MakeSampler& make_sampler, std::int64_t n) {
  using tuner_t = decltype(tunekit::tuner{make_sampler()});
  auto tuner = std::make_unique<tuner_t>(make_sampler());
  const auto& values = told_values();
  for (std::int64_t i = 0; i < n; ++i) ask_tell_once(*tuner, values[static_cast<std::size_t>(i) % values.size()]);
  return tuner;
}

/// ask_tell/<sampler>/N: define-by-run ask + 10 suggests + tell at N finished trials.
template <class MakeSampler>
void ask_tell(benchmark::State& state, MakeSampler make_sampler) {
  const std::int64_t n = state.range(0);
  const std::int64_t batch = std::max<std::int64_t>(10, n / 10);
  auto tuner = make_prefilled(make_sampler, n);
  const auto& values = told_values();
  std::size_t k = 0;
  std::int64_t in_batch = 0;
  for (auto _ : state) {
    if (in_batch == batch) {
      state.PauseTiming();
      tuner = make_prefilled(make_sampler, n);  // back to exactly N finished trials
      in_batch = 0;
      state.ResumeTiming();
    }
    ask_tell_once(*tuner, values[k++ % values.size()]);
    ++in_batch;
  }
  state.SetComplexityN(n);
  state.counters["rebuild_every"] = static_cast<double>(batch);
}

/// The same through a typed space (a struct of 10 doubles): `ask()` samples
/// and materialises every member.
struct point10 {
  double x0, x1, x2, x3, x4, x5, x6, x7, x8, x9;
};

auto typed_space() {
  using tunekit::float_param;
  return tunekit::space<point10>{
      float_param("x0", &point10::x0, 0.0, 1.0), float_param("x1", &point10::x1, 0.0, 1.0),
      float_param("x2", &point10::x2, 0.0, 1.0), float_param("x3", &point10::x3, 0.0, 1.0),
      float_param("x4", &point10::x4, 0.0, 1.0), float_param("x5", &point10::x5, 0.0, 1.0),
      float_param("x6", &point10::x6, 0.0, 1.0), float_param("x7", &point10::x7, 0.0, 1.0),
      float_param("x8", &point10::x8, 0.0, 1.0), float_param("x9", &point10::x9, 0.0, 1.0),
  };
}

template <class MakeSampler>
auto make_prefilled_typed(const MakeSampler& make_sampler, std::int64_t n) {
  using tuner_t = decltype(tunekit::tuner{typed_space(), make_sampler()});
  auto tuner = std::make_unique<tuner_t>(typed_space(), make_sampler());
  const auto& values = told_values();
  for (std::int64_t i = 0; i < n; ++i) {
    auto asked = tuner->ask();
    tuner->tell(asked.trial, values[static_cast<std::size_t>(i) % values.size()]);
  }
  return tuner;
}

/// ask_tell_typed/<sampler>/N
template <class MakeSampler>
void ask_tell_typed(benchmark::State& state, MakeSampler make_sampler) {
  const std::int64_t n = state.range(0);
  const std::int64_t batch = std::max<std::int64_t>(10, n / 10);
  auto tuner = make_prefilled_typed(make_sampler, n);
  const auto& values = told_values();
  std::size_t k = 0;
  std::int64_t in_batch = 0;
  for (auto _ : state) {
    if (in_batch == batch) {
      state.PauseTiming();
      tuner = make_prefilled_typed(make_sampler, n);
      in_batch = 0;
      state.ResumeTiming();
    }
    auto asked = tuner->ask();
    benchmark::DoNotOptimize(asked.params);
    tuner->tell(asked.trial, values[k++ % values.size()]);
    ++in_batch;
  }
  state.SetComplexityN(n);
  state.counters["rebuild_every"] = static_cast<double>(batch);
}

// --- samplers under test ----------------------------------------------------
auto make_random() { return tunekit::random_sampler{{.seed = seed}}; }
auto make_qmc() { return tunekit::qmc_sampler{{.seed = seed}}; }
auto make_cmaes() { return tunekit::cmaes_sampler{{.seed = seed}}; }
// Three values per axis: 3^10 = 59049 points, more than 1.1 * 10000 + prefill.
auto make_grid() {
  tunekit::grid_sampler_options options{.seed = seed, .shuffle = true};
  for (const auto& name : names()) options.values.emplace(name, std::vector<tunekit::category>{0.1, 0.5, 0.9});
  return tunekit::grid_sampler{std::move(options)};
}

void history_sizes(benchmark::internal::Benchmark* b) {
  b->Arg(100)->Arg(1000)->Arg(10000)->Complexity()->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK_CAPTURE(ask_tell, random, make_random)->Apply(history_sizes);
BENCHMARK_CAPTURE(ask_tell, qmc, make_qmc)->Apply(history_sizes);
BENCHMARK_CAPTURE(ask_tell, cmaes, make_cmaes)->Apply(history_sizes);
BENCHMARK_CAPTURE(ask_tell, grid, make_grid)->Apply(history_sizes);
BENCHMARK_CAPTURE(ask_tell_typed, random, make_random)->Apply(history_sizes);
BENCHMARK_CAPTURE(ask_tell_typed, qmc, make_qmc)->Apply(history_sizes);
