#pragma once
// The bad input of issue 19 as scenarios any multi-fidelity tuner (a
// sampler with ASHA, Hyperband or BOHB's brackets) is run through, shared
// by tests/schedulers and tests/samplers: no trial lost (counted in the
// storage), no bracket stalled (each bracket still promotes trials to the
// end), dead workers kept as FAIL with their reports.

#include <catch2/catch.hpp>

#include <tunekit/core/result.hpp>
#include <tunekit/core/trial.hpp>
#include <tunekit/schedulers/bohb.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include "awkward_reports.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <list>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tunekit_test {

/// The loss of the multi-fidelity scenarios: a bowl on [0, 1]² with its minimum 0 at (0.3, 0.7).
inline double mf_bowl(double x, double y) { return (x - 0.3) * (x - 0.3) + (y - 0.7) * (y - 0.7); }

/// A well-behaved trial: the bowl plus 1/step at every step to 27, stopping when told.
inline tunekit::result mf_train(tunekit::trial& t) {
  const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
  for (std::int64_t step = 1; step <= 27; ++step) {
    t.report(step, mf_bowl(x, y) + 1.0 / static_cast<double>(step));
    if (t.should_prune()) return tunekit::pruned;
  }
  return mf_bowl(x, y);
}

/// How many of `trials` are in state `s`.
inline std::int64_t mf_count(const std::vector<tunekit::frozen_trial>& trials, tunekit::trial_state s) {
  return std::count_if(trials.begin(), trials.end(), [&](const auto& t) { return t.state == s; });
}

/// The last step `t` reported, or -1.
inline std::int64_t mf_last_step(const tunekit::frozen_trial& t) {
  return t.intermediate_values.empty() ? -1 : t.intermediate_values.rbegin()->first;
}

/// Checks that every bracket in `brackets` (bracket_of(number) gives a
/// trial's) promoted a trial numbered after `after` past its first rung: the
/// trial reported a step after the one its first rung judged, or completed
/// there. Brackets as Hyperband's with min_resource 1 and η 3 (bracket b's
/// first rung at step 3^b; ASHA is bracket 0).
inline void mf_check_promoted(const std::vector<tunekit::frozen_trial>& trials, const std::set<std::size_t>& brackets,
                              const std::function<std::size_t(std::int64_t)>& bracket_of, std::int64_t after) {
  for (std::size_t b : brackets) {
    std::int64_t first_rung = 1;
    for (std::size_t k = 0; k < b; ++k) first_rung *= 3;
    const bool promoted = std::any_of(trials.begin(), trials.end(), [&](const auto& t) {
      if (t.number <= after || bracket_of(t.number) != b) return false;
      const auto judged = t.intermediate_values.lower_bound(first_rung);
      if (judged == t.intermediate_values.end()) return false;
      return std::next(judged) != t.intermediate_values.end() || t.state == tunekit::trial_state::complete;
    });
    INFO("bracket " << b << ": no trial after trial " << after << " was promoted past the first rung");
    CHECK(promoted);
  }
}

/// Runs `n_trials` of `awkward_reports` (decreasing and repeated steps,
/// steps off the rungs, trials that never report, NaN reports unless not
/// `with_nan`, objectives that throw after step 2) through `tuner`, then
/// checks that the storage holds every trial, finished, that only throwing
/// ones failed, that each of the `n_brackets` brackets (min_resource 1, η 3)
/// still promoted trials after the first death, and that a trial was
/// trained to the end.
template <class Tuner>
void check_awkward_run(Tuner& tuner, int n_trials, std::size_t n_brackets,
                       const std::function<std::size_t(std::int64_t)>& bracket_of, int n_jobs = 1,
                       bool with_nan = true) {
  const auto summary = tuner.optimize(
      [with_nan](tunekit::trial& t) -> tunekit::result {
        const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
        return awkward_reports(t, mf_bowl(x, y), with_nan);
      },
      {.n_trials = n_trials, .n_jobs = n_jobs});
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == static_cast<std::size_t>(n_trials));  // none lost
  CHECK(summary.n_complete + summary.n_pruned + summary.n_fail == n_trials);
  CHECK(mf_count(trials, tunekit::trial_state::running) == 0);
  for (const auto& t : trials) {
    INFO("trial " << t.number << ", last step " << mf_last_step(t));
    // Only an objective that threw fails; it keeps its report at step 2.
    if (t.state == tunekit::trial_state::fail) {
      CHECK(t.number % 13 == 6);
      CHECK(t.intermediate_values.count(2) == 1);
    }
    // The repeated report at step 4 kept its first value.
    if (t.intermediate_values.count(4) && t.number % 11 == 5) CHECK(t.intermediate_values.at(4) > -100);
    // Trials that never report are never stopped.
    if (t.number % 7 == 3) CHECK(t.state == tunekit::trial_state::complete);
  }
  CHECK(summary.n_pruned > 0);
  std::set<std::size_t> all;
  for (std::size_t b = 0; b < n_brackets; ++b) all.insert(b);
  mf_check_promoted(trials, all, bracket_of, 6);  // trial 6 was the first to die
  CHECK(std::any_of(trials.begin(), trials.end(), [](const auto& t) {
    return t.number > 6 && t.state == tunekit::trial_state::complete && mf_last_step(t) == 28;
  }));
}

/// Workers that die mid-rung. A first tuner made by `make(storage)` (study
/// "mf" on a journal with heartbeats) runs 12 trials, then starts three
/// more: two report steps 1 to 4 (past the rung at 3, short of 9) and one
/// never reports; then the tuner and its storage handle go without telling
/// (their heartbeats stop, as when the process is killed). After the grace
/// period a second tuner on another handle runs `n_trials`. Checks: the
/// three are FAIL ("heartbeat expired") with their reports kept, nothing is
/// RUNNING, the storage holds all 15 + n_trials, and the brackets of the
/// dead trials promoted later trials past step 9 (no bracket waits for a
/// dead trial), with a trial trained to the end after them.
template <class Make>
void check_dead_workers(Make make, int n_trials, const std::function<std::size_t(std::int64_t)>& bracket_of) {
  using namespace std::chrono_literals;
  tunekit::testing::temp_dir dir;
  const auto path = dir.path() / "mf.journal";
  const tunekit::journal_storage_options opts{
      .durability = tunekit::durability::none, .heartbeat_interval = 0.05s, .grace_period = 0.15s};
  std::vector<std::int64_t> dead;
  {
    auto victim = make(tunekit::journal_storage(path, opts));
    victim.optimize(mf_train, {.n_trials = 12});
    std::list<tunekit::trial> hung;  // destroyed before the tuner: never told
    for (int k = 0; k < 3; ++k) {
      tunekit::trial& t = hung.emplace_back(victim.ask());
      const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
      for (std::int64_t step = 1; step <= 4 && k < 2; ++step) {
        t.report(step, mf_bowl(x, y) + 1.0 / static_cast<double>(step));
        if (t.should_prune()) break;
      }
      dead.push_back(t.number());
    }
  }
  std::this_thread::sleep_for(0.25s);  // past the grace period
  auto survivor = make(tunekit::journal_storage(path, opts));
  survivor.optimize(mf_train, {.n_trials = n_trials});
  const auto trials = survivor.trials();
  REQUIRE(trials.size() == static_cast<std::size_t>(15 + n_trials));  // none lost
  CHECK(mf_count(trials, tunekit::trial_state::running) == 0);
  std::set<std::size_t> brackets;
  for (std::size_t k = 0; k < dead.size(); ++k) {
    const auto& t = trials.at(static_cast<std::size_t>(dead[k]));
    INFO("dead trial " << t.number);
    CHECK(t.state == tunekit::trial_state::fail);
    CHECK_THAT(t.fail_reason, Catch::Contains("heartbeat expired"));
    const std::size_t kept = t.intermediate_values.size();
    if (k < 2) CHECK((kept >= 1 && kept <= 4));  // up to 4, fewer if it was told to stop first
    else CHECK(kept == 0);
    brackets.insert(bracket_of(t.number));
  }
  const std::int64_t last_dead = *std::max_element(dead.begin(), dead.end());
  // Every bracket a worker died in went on promoting: a later trial got past step 9.
  for (std::size_t b : brackets) {
    const bool past = std::any_of(trials.begin(), trials.end(), [&](const auto& t) {
      return t.number > last_dead && bracket_of(t.number) == b && mf_last_step(t) >= 9;
    });
    INFO("bracket " << b << " of a dead trial: no later trial got past step 9");
    CHECK(past);
  }
  CHECK(std::any_of(trials.begin(), trials.end(), [&](const auto& t) {
    return t.number > last_dead && t.state == tunekit::trial_state::complete && mf_last_step(t) == 27;
  }));
}

/// check_dead_workers for a budget-aware sampler (`make_sampler()` gives a
/// fresh one per tuner) under BOHB's brackets (max_resource 27), study "mf".
template <class MakeSampler>
void check_dead_workers_under_bohb_brackets(MakeSampler make_sampler, int n_trials) {
  const tunekit::bohb_scheduler brackets({.max_resource = 27});
  check_dead_workers(
      [&](tunekit::journal_storage s) {
        return tunekit::tuner{std::move(s), tunekit::study_config{.name = "mf"}, make_sampler(),
                              tunekit::bohb_scheduler({.max_resource = 27})};
      },
      n_trials, [&](std::int64_t n) { return brackets.bracket_of("mf", n); });
}

}  // namespace tunekit_test
