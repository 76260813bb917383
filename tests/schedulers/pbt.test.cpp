#include <tunekit/schedulers/pbt.hpp>

#include <catch2/catch.hpp>

#include <tunekit/samplers/random.hpp>
#include <tunekit/tuner.hpp>

#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <vector>

#include "support/require_invalid.hpp"

namespace tk = tunekit;
using Catch::Contains;

namespace {

/// Learning rates 0.1, 0.2, 0.3, 0.4 for trials 0..3, then 0.05: a population
/// whose ranking is known in advance.
struct fixed_lr_sampler {
  double sample_independent(const tk::study_view&, const tk::frozen_trial& t, std::string_view, const tk::distribution&) {
    return t.number < 4 ? 0.1 * static_cast<double>(t.number + 1) : 0.05;
  }
};

/// The toy "model": x grows by lr per step; the score is x (maximised).
struct toy_state {
  double x = 0;
};

struct toy_run {
  std::int64_t member, start_step, copied_member;
  double lr, start_x;
};

}  // namespace

TEST_CASE("pbt_scheduler: exploit and explore on a toy population", "[schedulers][pbt]") {
  tk::pbt_scheduler pbt({.population_size = 4,
                         .perturbation_interval = 2,
                         .quantile_fraction = 0.25,
                         .resample_probability = 0,
                         .perturbation_factors = {1.25},
                         .max_step = 6,
                         .seed = 1});
  tk::tuner tuner{pbt, pbt.sampler(fixed_lr_sampler{}),
                  tk::study_config{.directions = {tk::direction::maximize}}};
  std::map<std::int64_t, toy_run> runs;
  const auto summary = tuner.optimize(
      [&](tk::trial& t) -> tk::result {
        const double lr = t.suggest_float("lr", 0.01, 1.0, {.log = true});
        toy_state s;
        std::int64_t step = 0;
        const auto from = pbt.restore<toy_state>(t);
        if (from) {
          s = *from->state;
          step = from->step;
        }
        const auto plan = pbt.plan_of(t.number());
        runs[t.number()] = {plan.member, step, plan.copied_member, lr, s.x};
        while (step < 6) {
          ++step;
          s.x += lr;
          t.report(step, s.x);
          if (t.should_prune()) {
            pbt.save(t, s);
            return tk::pruned;
          }
        }
        return s.x;
      },
      {.n_trials = 100});
  // 4 members x 3 segments of 2 steps; the sampler ends the run when all are done.
  CHECK(summary.reason == tk::stop_reason::exhausted);
  CHECK(summary.n_complete == 4);
  CHECK(summary.n_pruned == 8);
  REQUIRE(runs.size() == 12);

  // Generation 0: four new members from step 0 with lr 0.1 .. 0.4; at step 2
  // their scores are 0.2, 0.4, 0.6, 0.8.
  for (std::int64_t n = 0; n < 4; ++n) {
    CHECK(runs[n].member == n);
    CHECK(runs[n].start_step == 0);
    CHECK(runs[n].lr == Approx(0.1 * static_cast<double>(n + 1)));
  }
  // Trial 4: the least advanced idle members all stand at step 2; member 0
  // goes first and, being the bottom quarter, copies member 3 (the top
  // quarter): its checkpoint (x = 0.8 at step 2) and its lr times 1.25.
  CHECK(runs[4].member == 0);
  CHECK(runs[4].copied_member == 3);
  CHECK(runs[4].start_step == 2);
  CHECK(runs[4].start_x == Approx(0.8));
  CHECK(runs[4].lr == Approx(0.5));
  // Members 1..3 continue with their own state and lr.
  for (std::int64_t n = 5; n < 8; ++n) {
    CHECK(runs[n].member == n - 4);
    CHECK(runs[n].copied_member == -1);
    CHECK(runs[n].start_x == Approx(0.2 * static_cast<double>(n - 3)));
    CHECK(runs[n].lr == Approx(0.1 * static_cast<double>(n - 3)));
  }
  // The last segment of every member completes at step 6 (max_step).
  for (const auto& t : tuner.trials()) {
    if (t.state == tk::trial_state::complete) CHECK(t.intermediate_values.rbegin()->first == 6);
    if (t.state == tk::trial_state::pruned) CHECK(t.intermediate_values.size() == 2);
    CHECK(t.user_attrs.contains("pbt:member"));
  }
  // Exploiting pays: the best final x beats the best member trained alone (0.4 * 6).
  CHECK(tuner.best_value() > 0.4 * 6);
}

TEST_CASE("pbt_scheduler: explore keeps parameters in their distributions", "[schedulers][pbt]") {
  tk::pbt_scheduler pbt({.population_size = 4,
                         .perturbation_interval = 1,
                         .quantile_fraction = 0.5,
                         .resample_probability = 0.3,
                         .mutable_params = {"lr", "units", "act"},
                         .max_step = 8,
                         .seed = 3});
  tk::tuner tuner{pbt, pbt.sampler(tk::random_sampler{{.seed = 2}})};
  std::map<std::int64_t, std::int64_t> fixed_by_member;
  std::mutex m;
  tuner.optimize(
      [&](tk::trial& t) -> tk::result {
        const double lr = t.suggest_float("lr", 1e-3, 1.0, {.log = true});
        const auto units = t.suggest_int("units", 1, 9, {.step = 2});
        const std::string act = t.suggest_categorical<std::string>("act", {"a", "b", "c"});
        const auto fixed = t.suggest_int("fixed", 0, 1000);
        auto from = pbt.restore<double>(t);
        double x = from ? *from->state : 0;
        std::int64_t step = from ? from->step : 0;
        {
          std::lock_guard lock(m);
          auto member = pbt.plan_of(t.number()).member;
          (void)member;
        }
        while (step < 8) {
          ++step;
          x += lr * static_cast<double>(units) * (act == "b" ? 2 : 1) + static_cast<double>(fixed) * 1e-6;
          t.report(step, x);
          if (t.should_prune()) {
            pbt.save(t, x);
            return tk::pruned;
          }
        }
        return x;
      },
      {.n_trials = 200, .n_jobs = 2});
  // Every trial's parameters lie in their distributions (the tuner checks
  // sampled values; planned ones must pass the same test).
  for (const auto& t : tuner.trials()) {
    REQUIRE(t.state != tk::trial_state::fail);
    for (const auto& [name, value] : t.params) CHECK(tk::contains(t.distributions.find(name)->second, value));
  }
}

TEST_CASE("pbt_scheduler: n_jobs = 2 keeps every member's chain consistent", "[schedulers][pbt]") {
  tk::pbt_scheduler pbt({.population_size = 6, .perturbation_interval = 3, .max_step = 15, .seed = 9});
  tk::tuner tuner{pbt, pbt.sampler(tk::random_sampler{{.seed = 4}}),
                  tk::study_config{.directions = {tk::direction::maximize}}};
  std::atomic<int> mismatches{0}, steps{0};
  const auto summary = tuner.optimize(
      [&](tk::trial& t) -> tk::result {
        const double lr = t.suggest_float("lr", 0.01, 1.0, {.log = true});
        // The state remembers the step it was saved at: a restore must resume exactly there.
        struct state {
          std::int64_t step = 0;
          double x = 0;
        };
        state s;
        if (auto from = pbt.restore<state>(t)) {
          s = *from->state;
          if (s.step != from->step) ++mismatches;
        }
        while (s.step < 15) {
          ++s.step;
          ++steps;
          s.x += lr;
          t.report(s.step, s.x);
          if (t.should_prune()) {
            pbt.save(t, s);
            return tk::pruned;
          }
        }
        return s.x;
      },
      {.n_trials = 200, .n_jobs = 2});
  CHECK(mismatches == 0);
  CHECK(summary.reason == tk::stop_reason::exhausted);
  CHECK(summary.n_complete == pbt.n_members());
  // Each member trains 15 steps; forks (every member busy) add at most a few.
  CHECK(pbt.n_members() <= 8);
  CHECK(steps <= 15 * pbt.n_members());
}

TEST_CASE("pbt_scheduler: restore with another type is an error", "[schedulers][pbt]") {
  tk::pbt_scheduler pbt({.population_size = 2, .perturbation_interval = 1, .seed = 1});
  tk::tuner tuner{pbt, pbt.sampler(tk::random_sampler{{.seed = 1}})};
  for (int k = 0; k < 2; ++k) {
    auto t = tuner.ask();
    t.report(1, 1.0);
    REQUIRE(tuner.scheduler().should_prune(tuner.view(), t.frozen()));
    pbt.save(t, 1.0);
    tuner.tell(t, tk::pruned);
  }
  auto t = tuner.ask();
  REQUIRE_INVALID(pbt.restore<int>(t), Contains("another type"));
  CHECK(pbt.restore<double>(t).has_value());
}

TEST_CASE("pbt_scheduler: bad options name the option", "[schedulers][pbt]") {
  REQUIRE_INVALID(tk::pbt_scheduler({.population_size = 1}), Contains("population_size = 1"));
  REQUIRE_INVALID(tk::pbt_scheduler({.perturbation_interval = 0}), Contains("perturbation_interval = 0"));
  REQUIRE_INVALID(tk::pbt_scheduler({.quantile_fraction = 0.6}), Contains("quantile_fraction = 0.6"));
  REQUIRE_INVALID(tk::pbt_scheduler({.quantile_fraction = 0}), Contains("quantile_fraction"));
  REQUIRE_INVALID(tk::pbt_scheduler({.resample_probability = 1.5}), Contains("resample_probability = 1.5"));
  REQUIRE_INVALID(tk::pbt_scheduler({.perturbation_factors = {}}), Contains("perturbation_factors is empty"));
  REQUIRE_INVALID(tk::pbt_scheduler({.perturbation_factors = {0.8, -1}}), Contains("perturbation_factors holds -1"));
  REQUIRE_INVALID(tk::pbt_scheduler({.max_step = 0}), Contains("max_step = 0"));
}
