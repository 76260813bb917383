// BOHB's cost against the size of the study (issue 19: a decision and an
// ask stay <= 1 ms of CPU at 10 000 trials). A study of N finished trials
// in a 10-dimensional continuous space, each with reports at the rungs
// 1, 3, 9, 27, 81 of max_resource 81 up to a random rung (as Hyperband
// leaves them); then
//   - BM_bohb_ask: one `sample_relative` of bohb_sampler (random_fraction 0,
//     so every ask fits the densities), caches warm;
//   - BM_budget_aware_tpe_ask: the same for TPE under budget_aware_sampler (with
//     its rank check, the default, and with BOHB's rule as published), and right
//     after a new trial reached the last budget (the rank check is redone);
//   - BM_dehb_ask: the same for dehb_sampler (a DE proposal for the trial's bracket);
//   - BM_bohb_decision: one report + `should_prune` of bohb_scheduler.
#include <benchmark/benchmark.h>

#include <tunekit/core/random.hpp>
#include <tunekit/detail/append_log.hpp>
#include <tunekit/samplers/bohb.hpp>
#include <tunekit/samplers/budget_aware.hpp>
#include <tunekit/samplers/dehb.hpp>
#include <tunekit/samplers/tpe.hpp>
#include <tunekit/schedulers/bohb.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr int bohb_dims = 10;

struct bohb_study {
  tunekit::detail::append_log<tunekit::frozen_trial> log;
  tunekit::search_space space;
  std::int64_t n = 0;
  tunekit::random_engine rng{1};

  explicit bohb_study(std::int64_t trials) {
    for (int j = 0; j < bohb_dims; ++j) space.add("x" + std::to_string(j), tunekit::float_distribution(0.0, 1.0));
    for (std::int64_t i = 0; i < trials; ++i) add();
  }

  /// Appends a trial with reports at the rungs up to rungs[last] (a random rung if unset).
  void add(std::optional<std::uint64_t> last_rung = std::nullopt) {
    const std::int64_t rungs[5] = {1, 3, 9, 27, 81};
    auto t = std::make_shared<tunekit::frozen_trial>();
    t->number = t->id = n++;
    double level = 0;
    for (const auto& [name, d] : space) {
      const double x = rng.uniform();
      t->params[name] = x;
      t->distributions.emplace(name, d);
      level += (x - 0.3) * (x - 0.3);
    }
    const std::uint64_t last = last_rung ? *last_rung : rng.below(5);
    for (std::uint64_t r = 0; r <= last; ++r)
      t->intermediate_values[rungs[r]] = level + 1.0 / static_cast<double>(rungs[r]);
    t->state = last == 4 ? tunekit::trial_state::complete : tunekit::trial_state::pruned;
    t->values = {t->intermediate_values.rbegin()->second};
    log.push_back(t);
  }
  tunekit::study_view view() const {
    return tunekit::study_view("bench", {tunekit::direction::minimize}, log.take_snapshot(), {}, n);
  }
};

template <class Sampler>
void bohb_ask(benchmark::State& state, Sampler sampler) {
  const bohb_study s(state.range(0));
  const auto view = s.view();
  tunekit::frozen_trial t;
  t.number = s.n;
  benchmark::DoNotOptimize(sampler.sample_relative(view, t, s.space));  // builds the caches once
  for (auto _ : state) {
    ++t.number;
    benchmark::DoNotOptimize(sampler.sample_relative(view, t, s.space));
  }
  state.SetComplexityN(state.range(0));
}

/// One ask right after a new trial reached the last budget, so that
/// budget_aware_sampler redoes its rank check (the cached case is above).
template <class Sampler>
void ask_after_a_new_final_trial(benchmark::State& state, Sampler sampler) {
  bohb_study s(state.range(0));
  tunekit::frozen_trial t;
  t.number = s.n + 1'000'000;
  benchmark::DoNotOptimize(sampler.sample_relative(s.view(), t, s.space));
  for (auto _ : state) {
    state.PauseTiming();
    s.add(4);
    const auto view = s.view();
    ++t.number;
    state.ResumeTiming();
    benchmark::DoNotOptimize(sampler.sample_relative(view, t, s.space));
  }
  state.SetComplexityN(state.range(0));
}

void BM_bohb_ask(benchmark::State& state) {
  bohb_ask(state, tunekit::bohb_sampler({.max_resource = 81, .random_fraction = 0, .seed = 1}));
}
void BM_budget_aware_tpe_ask(benchmark::State& state) {
  bohb_ask(state, tunekit::budget_aware_sampler{tunekit::tpe_sampler{{.seed = 1}}, {.max_resource = 81}});
}
void BM_budget_aware_tpe_ask_published_rule(benchmark::State& state) {
  bohb_ask(state, tunekit::budget_aware_sampler{tunekit::tpe_sampler{{.seed = 1}},
                                                {.max_resource = 81, .min_rank_agreement = std::nullopt}});
}
void BM_budget_aware_tpe_ask_after_a_new_final_trial(benchmark::State& state) {
  ask_after_a_new_final_trial(state, tunekit::budget_aware_sampler{tunekit::tpe_sampler{{.seed = 1}}, {.max_resource = 81}});
}
void BM_budget_aware_tpe_ask_after_a_new_final_trial_published_rule(benchmark::State& state) {
  ask_after_a_new_final_trial(state, tunekit::budget_aware_sampler{tunekit::tpe_sampler{{.seed = 1}},
                                                                   {.max_resource = 81, .min_rank_agreement = std::nullopt}});
}

void BM_dehb_ask(benchmark::State& state) {
  bohb_ask(state, tunekit::dehb_sampler({.max_resource = 81, .seed = 1}));
}

void BM_bohb_decision(benchmark::State& state) {
  const bohb_study s(state.range(0));
  const auto view = s.view();
  tunekit::bohb_scheduler scheduler({.min_resource = 1, .max_resource = 81, .reduction_factor = 3});
  tunekit::random_engine rng(2);
  tunekit::frozen_trial running;
  running.number = running.id = s.n;
  scheduler.should_prune(view, running);
  const std::int64_t rungs[5] = {1, 3, 9, 27, 81};
  std::int64_t k = 0;
  for (auto _ : state) {
    state.PauseTiming();
    running.number = running.id = s.n + 1 + k++;
    running.intermediate_values.clear();
    running.intermediate_values[rungs[rng.below(4)]] = rng.uniform();
    state.ResumeTiming();
    benchmark::DoNotOptimize(scheduler.should_prune(view, running));
  }
  state.SetComplexityN(state.range(0));
}

}  // namespace

BENCHMARK(BM_bohb_ask)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_budget_aware_tpe_ask)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_budget_aware_tpe_ask_published_rule)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_budget_aware_tpe_ask_after_a_new_final_trial)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_budget_aware_tpe_ask_after_a_new_final_trial_published_rule)
    ->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_dehb_ask)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bohb_decision)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
