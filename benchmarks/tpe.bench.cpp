// TPE sampler overhead (BENCHMARKS.md, "cost benchmarks"; issue 3): the time
// of one ask (all 10 parameters of a 10-D continuous space sampled) + tell,
// when the study already holds N finished trials, N in {100, 1000, 5000}.
//
// Registered as ask_tell/tpe/N and ask_tell/tpe-multivariate/N, the names
// benchmarks/overhead.py matches against benchmarks/peers/optuna_ask_tell.py
// (Optuna's TPESampler() and TPESampler(multivariate=True)); tpe-multivariate is
// tunekit's default configuration (multivariate, with groups):
//
//   python3 benchmarks/overhead.py --binary build/bench/benchmarks/tunekit_benchmarks
//       --samplers tpe,tpe-multivariate --n 100,1000,5000
//
// Method: as the Optuna peer does, the study is pre-filled with N finished
// trials whose parameters are uniform on [0, 1] and whose value is the
// sphere sum (x_i - 0.5)^2, written straight into the storage (no sampler
// involved, so pre-filling is O(N)). The timed loop is ask + 10 suggests +
// tell with a pseudo-random value, so the study grows by one trial per
// iteration; it is rebuilt (timing paused) every max(10, N/10) iterations,
// the rule of samplers.bench.cpp and of the peer. The sampler's first ask
// after a rebuild takes in all N trials (its incremental caches start
// empty); that cost is timed, spread over the batch. Complexity is
// reported against N (SetComplexityN).
#include <benchmark/benchmark.h>

#include <tunekit/tunekit.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr std::size_t tpe_dim = 10;
constexpr std::uint64_t tpe_seed = 1;

const std::vector<std::string>& tpe_names() {
  static const std::vector<std::string> n = [] {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < tpe_dim; ++i) v.push_back("x" + std::to_string(i));
    return v;
  }();
  return n;
}

const tunekit::distribution& tpe_unit() {
  static const tunekit::distribution d = tunekit::float_distribution(0.0, 1.0);
  return d;
}

using tpe_tuner = tunekit::tuner<tunekit::define_by_run, tunekit::tpe_sampler, tunekit::nop_scheduler,
                                 tunekit::memory_storage>;

/// A tuner over a study holding exactly n finished trials.
std::unique_ptr<tpe_tuner> prefilled(const tunekit::tpe_sampler_options& options, std::int64_t n,
                                     std::uint64_t data_seed) {
  tunekit::memory_storage storage;
  const std::array<tunekit::direction, 1> minimize{tunekit::direction::minimize};
  const auto study = storage.create_study("tpe-bench", minimize);
  tunekit::random_engine engine(data_seed);
  for (std::int64_t i = 0; i < n; ++i) {
    tunekit::frozen_trial record;
    record.state = tunekit::trial_state::running;
    const auto t = storage.create_trial(study, record);
    double value = 0;
    for (const auto& name : tpe_names()) {
      const double x = engine.uniform();
      value += (x - 0.5) * (x - 0.5);
      storage.set_param(t.id, name, x, tpe_unit());
    }
    const std::array<double, 1> values{value};
    storage.finish_trial(t.id, tunekit::trial_state::complete, values, {}, "");
  }
  return std::make_unique<tpe_tuner>(tunekit::tpe_sampler{options}, storage,
                                     tunekit::study_config{.name = "tpe-bench"});
}

void tpe_ask_tell(benchmark::State& state, tunekit::tpe_sampler_options options) {
  options.seed = tpe_seed;
  const std::int64_t n = state.range(0);
  const std::int64_t batch = std::max<std::int64_t>(10, n / 10);
  std::uint64_t rebuilds = 0;
  auto tuner = prefilled(options, n, rebuilds);
  tunekit::random_engine told(12345);
  std::int64_t in_batch = 0;
  for (auto _ : state) {
    if (in_batch == batch) {
      state.PauseTiming();
      tuner = prefilled(options, n, ++rebuilds);
      in_batch = 0;
      state.ResumeTiming();
    }
    tunekit::trial t = tuner->ask();
    for (const auto& name : tpe_names()) benchmark::DoNotOptimize(t.suggest(name, tpe_unit()));
    tuner->tell(t, told.uniform());
    ++in_batch;
  }
  state.SetComplexityN(n);
  state.counters["rebuild_every"] = static_cast<double>(batch);
}

void tpe_history_sizes(benchmark::internal::Benchmark* b) {
  b->Arg(100)->Arg(1000)->Arg(5000)->Complexity()->Unit(benchmark::kMicrosecond);
}

// Registered by name so that the univariate and multivariate variants read
// as samplers "tpe" and "tpe-multivariate", like the peer's.
const bool tpe_registered = [] {
  benchmark::RegisterBenchmark("ask_tell/tpe", tpe_ask_tell, tunekit::tpe_sampler_options{.multivariate = false})
      ->Apply(tpe_history_sizes);
  benchmark::RegisterBenchmark("ask_tell/tpe-multivariate", tpe_ask_tell,
                               tunekit::tpe_sampler_options{})
      ->Apply(tpe_history_sizes);
  return true;
}();

}  // namespace
