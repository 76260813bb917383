// Scheduler decision cost against the size of the study: N finished trials of
// 100 reported steps each (N up to 10 000), then one decision for a running
// trial that has just reported. An O(N) re-scan per decision would grow 100x
// from N = 100 to N = 10 000; ours stay O(log N) (rank trackers per step or
// rung) plus O(new trials) of bookkeeping.
#include <benchmark/benchmark.h>

#include <tunekit/core/random.hpp>
#include <tunekit/detail/append_log.hpp>
#include <tunekit/schedulers.hpp>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace {

constexpr std::int64_t steps = 100;

/// A study of n COMPLETE trials with noisy decreasing curves.
struct study {
  tunekit::detail::append_log<tunekit::frozen_trial> log;
  std::int64_t n = 0;

  explicit study(std::int64_t trials) : n(trials) {
    tunekit::random_engine rng(1);
    for (std::int64_t i = 0; i < trials; ++i) {
      auto t = std::make_shared<tunekit::frozen_trial>();
      t->number = t->id = i;
      t->state = tunekit::trial_state::complete;
      const double level = rng.uniform();
      for (std::int64_t s = 1; s <= steps; ++s) t->intermediate_values[s] = level + 1.0 / static_cast<double>(s);
      t->values = {t->intermediate_values.rbegin()->second};
      log.push_back(t);
    }
  }
  tunekit::study_view view() const {
    return tunekit::study_view("bench", {tunekit::direction::minimize}, log.take_snapshot(), {}, n);
  }
};

/// Decisions for running trials at random steps; each iteration is one
/// report + should_prune of a new running trial at a rung-aligned step, at
/// n finished trials. `others`: trials of other workers running, put in a
/// view made for each decision (copied, as a storage's view copies them).
template <class Scheduler>
void decide(benchmark::State& state, Scheduler scheduler, std::int64_t n,
            const std::vector<tunekit::frozen_trial>& others) {
  const study s(n);
  const auto view = s.view();
  tunekit::random_engine rng(2);
  tunekit::frozen_trial running;
  running.number = running.id = s.n;
  scheduler.should_prune(view, running);  // reads the N finished trials once
  std::int64_t k = 0;
  for (auto _ : state) {
    state.PauseTiming();
    running.number = running.id = s.n + 1000000 + k++;
    running.intermediate_values.clear();
    const auto step = static_cast<std::int64_t>(1 + rng.below(steps));
    running.intermediate_values[step] = rng.uniform() + 1.0 / static_cast<double>(step);
    state.ResumeTiming();
    if (others.empty()) {
      benchmark::DoNotOptimize(scheduler.should_prune(view, running));
    } else {
      const tunekit::study_view now("bench", {tunekit::direction::minimize}, s.log.take_snapshot(), others, s.n);
      benchmark::DoNotOptimize(scheduler.should_prune(now, running));
    }
  }
  state.SetComplexityN(n);
}
template <class Scheduler>
void decide(benchmark::State& state, Scheduler scheduler) {
  decide(state, std::move(scheduler), state.range(0), {});
}

void median(benchmark::State& state) { decide(state, tunekit::median_scheduler{}); }
void percentile(benchmark::State& state) { decide(state, tunekit::percentile_scheduler({.percentile = 10})); }
void asha(benchmark::State& state) {
  decide(state, tunekit::asha_scheduler({.min_resource = 1, .reduction_factor = 3}));
}
void asha_gated(benchmark::State& state) {  // the rank gate open (the curves agree), its ρ cached
  decide(state, tunekit::asha_scheduler({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.7}));
}
void hyperband(benchmark::State& state) {
  decide(state, tunekit::hyperband_scheduler({.min_resource = 1, .max_resource = steps, .reduction_factor = 3}));
}

/// ASHA with R trials of other workers running (100 reports each), at
/// N = 10 000 finished: each decision reads them (the storage's copy
/// included), since their values belong in the rungs.
void asha_with_running(benchmark::State& state) {
  tunekit::random_engine rng(3);
  std::vector<tunekit::frozen_trial> others(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < others.size(); ++i) {
    others[i].number = others[i].id = 500000 + static_cast<std::int64_t>(i);  // apart from the judged trials
    const double level = rng.uniform();
    for (std::int64_t step = 1; step <= steps; ++step) others[i].intermediate_values[step] = level + 1.0 / static_cast<double>(step);
  }
  decide(state, tunekit::asha_scheduler({.min_resource = 1, .reduction_factor = 3}), 10000, others);
}

/// The rank gate's worst case: every decision comes right after a new
/// COMPLETE trial, so the rung's ρ is recomputed (over the latest 1 000).
void asha_gated_after_complete(benchmark::State& state) {
  study s(state.range(0));
  tunekit::asha_scheduler scheduler({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.7});
  tunekit::random_engine rng(2);
  tunekit::frozen_trial running;
  running.number = running.id = s.n + 1000000;
  running.intermediate_values[1] = 1e9;  // worse than every value at rung 0: a decision that checks the gate
  scheduler.should_prune(s.view(), running);
  std::int64_t k = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto t = std::make_shared<tunekit::frozen_trial>();
    t->number = t->id = s.n++;
    t->state = tunekit::trial_state::complete;
    const double level = rng.uniform();
    for (std::int64_t step = 1; step <= steps; ++step) t->intermediate_values[step] = level + 1.0 / static_cast<double>(step);
    t->values = {t->intermediate_values.rbegin()->second};
    s.log.push_back(t);
    const auto view = s.view();
    running.number = running.id = s.n + 1000000 + k++;
    state.ResumeTiming();
    benchmark::DoNotOptimize(scheduler.should_prune(view, running));
  }
  state.SetComplexityN(state.range(0));
}
void patient_median(benchmark::State& state) {
  decide(state, tunekit::patient_scheduler{tunekit::median_scheduler{}, {.patience = 3}});
}

/// A whole study as a training loop sees it: N trials, each reporting up to
/// 100 steps and asking after each one; finished trials join the view. The
/// counter is the mean cost of one report + decision.
template <class Scheduler>
void whole_study(benchmark::State& state, Scheduler prototype) {
  const std::int64_t n = state.range(0);
  std::int64_t reports = 0;
  for (auto _ : state) {
    Scheduler scheduler = prototype;
    tunekit::detail::append_log<tunekit::frozen_trial> log;
    tunekit::random_engine rng(3);
    for (std::int64_t i = 0; i < n; ++i) {
      auto t = std::make_shared<tunekit::frozen_trial>();
      t->number = t->id = i;
      const double level = rng.uniform();
      const tunekit::study_view view("bench", {tunekit::direction::minimize}, log.take_snapshot(), {}, i + 1);
      bool stopped = false;
      for (std::int64_t s = 1; s <= steps && !stopped; ++s) {
        t->intermediate_values[s] = level + 1.0 / static_cast<double>(s);
        ++reports;
        stopped = scheduler.should_prune(view, *t);
      }
      t->state = stopped ? tunekit::trial_state::pruned : tunekit::trial_state::complete;
      if (!stopped) t->values = {t->intermediate_values.rbegin()->second};
      log.push_back(t);
    }
  }
  state.counters["ns_per_report"] =
      benchmark::Counter(static_cast<double>(reports), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetComplexityN(n);
}

void whole_median(benchmark::State& state) { whole_study(state, tunekit::median_scheduler{}); }
void whole_asha(benchmark::State& state) {
  whole_study(state, tunekit::asha_scheduler({.min_resource = 1, .reduction_factor = 3}));
}
void whole_asha_gated(benchmark::State& state) {
  whole_study(state, tunekit::asha_scheduler({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.7}));
}
void whole_hyperband(benchmark::State& state) {
  whole_study(state, tunekit::hyperband_scheduler({.min_resource = 1, .max_resource = steps, .reduction_factor = 3}));
}

}  // namespace

BENCHMARK(median)->RangeMultiplier(10)->Range(100, 10000)->Complexity();
BENCHMARK(percentile)->RangeMultiplier(10)->Range(100, 10000)->Complexity();
BENCHMARK(asha)->RangeMultiplier(10)->Range(100, 10000)->Complexity();
BENCHMARK(asha_gated)->RangeMultiplier(10)->Range(100, 10000)->Complexity();
BENCHMARK(asha_gated_after_complete)->RangeMultiplier(10)->Range(100, 10000)->Complexity();
BENCHMARK(asha_with_running)->Arg(0)->Arg(1)->Arg(8)->Arg(64);
BENCHMARK(hyperband)->RangeMultiplier(10)->Range(100, 10000)->Complexity();
BENCHMARK(patient_median)->RangeMultiplier(10)->Range(100, 10000)->Complexity();
BENCHMARK(whole_median)->RangeMultiplier(10)->Range(100, 10000)->Unit(benchmark::kMillisecond)->Iterations(1)->Complexity();
BENCHMARK(whole_asha)->RangeMultiplier(10)->Range(100, 10000)->Unit(benchmark::kMillisecond)->Iterations(1)->Complexity();
BENCHMARK(whole_asha_gated)->RangeMultiplier(10)->Range(100, 10000)->Unit(benchmark::kMillisecond)->Iterations(1)->Complexity();
BENCHMARK(whole_hyperband)->RangeMultiplier(10)->Range(100, 10000)->Unit(benchmark::kMillisecond)->Iterations(1)->Complexity();
