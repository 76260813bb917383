#include <tunekit/schedulers/successive_halving.hpp>

#include <catch2/catch.hpp>

#include <tunekit/samplers/random.hpp>
#include <tunekit/tuner.hpp>

#include <tunekit/core/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <vector>

#include "fake_study.hpp"
#include "support/multifidelity_scenarios.hpp"
#include "support/require_invalid.hpp"
#include "support/textbook_spearman.hpp"

namespace tk = tunekit;
using Catch::Contains;

namespace {
/// Each value is reported at step 1 (rung 0) by a new running trial;
/// returns the decisions in order.
std::vector<bool> rung0_decisions(tk::successive_halving_scheduler& s, const std::vector<double>& values,
                                  tk::direction d = tk::direction::minimize) {
  tests::fake_study study(d);
  std::vector<bool> out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out.push_back(s.should_prune(study.view(), study.running({{1, values[i]}}, static_cast<std::int64_t>(i))));
  return out;
}
}  // namespace

TEST_CASE("successive_halving_scheduler: rung-0 promotions with reduction factor 3 and 4", "[schedulers][asha]") {
  // n values at the rung (the new one included) keep the best max(n / eta, 1):
  //   value  n  eta=3: k, k-th best -> decision   eta=4: k, k-th best -> decision
  //   3      1  1, 3   -> keep                     1, 3   -> keep
  //   1      2  1, 1   -> keep                     1, 1   -> keep
  //   2      3  1, 1   -> stop                     1, 1   -> stop
  //   5      4  1, 1   -> stop                     1, 1   -> stop
  //   0.5    5  1, 0.5 -> keep                     1, 0.5 -> keep
  //   4      6  2, 1   -> stop                     1, 0.5 -> stop
  //   6      7  2, 1   -> stop                     1, 0.5 -> stop
  //   0.8    8  2, 0.8 -> keep                     2, 0.8 -> keep
  //   0.9    9  3, 0.9 -> keep                     2, 0.8 -> stop
  const std::vector<double> values{3, 1, 2, 5, 0.5, 4, 6, 0.8, 0.9};
  tk::successive_halving_scheduler eta3({.min_resource = 1, .reduction_factor = 3});
  tk::successive_halving_scheduler eta4({.min_resource = 1, .reduction_factor = 4});
  CHECK(rung0_decisions(eta3, values) == std::vector<bool>{false, false, true, true, false, true, true, false, false});
  CHECK(rung0_decisions(eta4, values) == std::vector<bool>{false, false, true, true, false, true, true, false, true});
  CHECK(eta3.rung_size(0) == 9);
  CHECK(eta3.rung_step_of(0) == 1);
  CHECK(eta3.rung_step_of(2) == 9);
  CHECK(eta4.rung_step_of(2) == 16);
}

TEST_CASE("successive_halving_scheduler: maximising mirrors minimising", "[schedulers][asha]") {
  tk::successive_halving_scheduler s({.min_resource = 1, .reduction_factor = 3});
  // The values of the minimising case, negated.
  const std::vector<double> negated{-3, -1, -2, -5, -0.5, -4, -6, -0.8, -0.9};
  CHECK(rung0_decisions(s, negated, tk::direction::maximize) ==
        std::vector<bool>{false, false, true, true, false, true, true, false, false});
}

TEST_CASE("successive_halving_scheduler: rungs at min_resource * eta^(s + r), several in one decision",
          "[schedulers][asha]") {
  tests::fake_study study;
  tk::successive_halving_scheduler s({.min_resource = 1, .reduction_factor = 3});
  const auto v = study.view();
  CHECK_FALSE(s.should_prune(v, study.running({{1, 4}}, 0)));           // rung 0: {4}
  CHECK_FALSE(s.should_prune(v, study.running({{1, 4}, {2, 9}}, 0)));   // step 2 < 3: no rung
  CHECK_FALSE(s.should_prune(v, study.running({{1, 5}}, 1)) == false);  // rung 0: {4, 5}, 5 stops
  // Trial 0 jumps from step 2 to step 9: it passes rung 1 (step 3) and rung 2 (step 9) at once.
  CHECK_FALSE(s.should_prune(v, study.running({{1, 4}, {2, 9}, {9, 0.5}}, 0)));
  CHECK(s.rung_size(1) == 1);
  CHECK(s.rung_size(2) == 1);
  CHECK(s.rung_size(3) == 0);

  SECTION("min_early_stopping_rate shifts the rungs") {
    tk::successive_halving_scheduler late({.min_resource = 2, .reduction_factor = 3, .min_early_stopping_rate = 1});
    CHECK(late.rung_step_of(0) == 6);
    CHECK_FALSE(late.should_prune(v, study.running({{5, 1}}, 10)));
    CHECK(late.rung_size(0) == 0);
    CHECK_FALSE(late.should_prune(v, study.running({{6, 1}}, 11)));
    CHECK(late.rung_size(0) == 1);
  }
}

TEST_CASE("successive_halving_scheduler: NaN stops at a rung, bootstrap_count stops until the rung fills",
          "[schedulers][asha]") {
  tests::fake_study study;
  const auto v = study.view();
  tk::successive_halving_scheduler s({.min_resource = 1, .reduction_factor = 3});
  CHECK_FALSE(s.should_prune(v, study.running({{0, std::numeric_limits<double>::quiet_NaN()}}, 0)));  // before rung 0
  CHECK(s.should_prune(v, study.running({{1, std::numeric_limits<double>::quiet_NaN()}}, 0)));
  CHECK(s.rung_size(0) == 0);  // NaN is not recorded
  CHECK_FALSE(s.should_prune(v, study.running({{1, std::numeric_limits<double>::infinity()}}, 1)));  // first: kept

  tk::successive_halving_scheduler boot({.min_resource = 1, .reduction_factor = 3, .bootstrap_count = 2});
  CHECK(rung0_decisions(boot, {1, 0.5, 0.1, 0.05}) == std::vector<bool>{true, true, false, false});
}

TEST_CASE("successive_halving_scheduler: automatic min_resource waits for a completed trial", "[schedulers][asha]") {
  tests::fake_study study;
  tk::successive_halving_scheduler s({.reduction_factor = 3});
  CHECK_FALSE(s.should_prune(study.view(), study.running({{1, 100}, {2, 100}, {5, 100}})));
  CHECK_FALSE(s.rung_step_of(0).has_value());
  // A completed trial with last step 250: min_resource = 250 / 100 = 2.
  std::map<std::int64_t, double> long_run;
  for (std::int64_t step = 1; step <= 250; ++step) long_run[step] = 1.0;
  study.finish(long_run);
  CHECK_FALSE(s.should_prune(study.view(), study.running({{1, 100}}, 50)));
  CHECK(s.rung_step_of(0) == 2);
  // The completed trial, never judged here, joined rungs 0..3 (steps 2, 6, 18, 54, 162) with value 1.
  CHECK(s.rung_size(0) == 1);
  CHECK(s.rung_size(4) == 1);
  CHECK(s.rung_size(5) == 0);
  CHECK(s.should_prune(study.view(), study.running({{2, 100}}, 51)));  // {1, 100}: 100 is not the best
}

TEST_CASE("successive_halving_scheduler: trials finished elsewhere join the rungs they reached", "[schedulers][asha]") {
  tests::fake_study study;
  study.finish({{1, 1.0}, {3, 1.0}}, tk::trial_state::pruned);
  tk::successive_halving_scheduler s({.min_resource = 1, .reduction_factor = 3});
  CHECK(s.should_prune(study.view(), study.running({{1, 2.0}}, 10)));   // rung 0: {1, 2}
  CHECK_FALSE(s.should_prune(study.view(), study.running({{1, 0.5}}, 11)));
  CHECK(s.rung_size(1) == 1);
}

TEST_CASE("successive_halving_scheduler: trials running elsewhere join the rungs they reached, once",
          "[schedulers][asha]") {
  tests::fake_study study;
  tk::successive_halving_scheduler s({.min_resource = 1, .reduction_factor = 3});
  const tk::frozen_trial a = study.running({{1, 0.1}}), b = study.running({{1, 0.2}, {2, 0.2}});
  // Trials 0 and 1 run in another process, never judged here: rung 0 is {0.1, 0.2, 0.5}.
  CHECK(s.should_prune(study.view({a, b}), study.running({{1, 0.5}}, 2)));
  CHECK(s.rung_size(0) == 3);
  // Trial 1 reaches rung 1 and both finish: each enters a rung once.
  const tk::frozen_trial b3 = study.running({{1, 0.2}, {2, 0.2}, {3, 0.3}}, 1);
  CHECK_FALSE(s.should_prune(study.view({a, b3}), study.running({{1, 0.05}}, 3)));  // rung 0: best of 4
  CHECK(s.rung_size(0) == 4);
  CHECK(s.rung_size(1) == 1);
  study.finish(a, tk::trial_state::pruned);
  study.finish(tk::frozen_trial(study.running({{1, 0.2}, {2, 0.2}, {3, 0.3}, {9, 0.3}}, 1)), tk::trial_state::complete);
  CHECK(s.should_prune(study.view(), study.running({{1, 0.4}}, 4)));  // rung 0: {0.1, 0.2, 0.5, 0.05, 0.4}
  CHECK(s.rung_size(0) == 5);
  CHECK(s.rung_size(1) == 1);
  CHECK(s.rung_size(2) == 1);  // trial 1's step 9, added when it finished
}

TEST_CASE("successive_halving_scheduler: a trial recorded before its own decision is still judged, once",
          "[schedulers][asha]") {
  // Another thread's trial reported at a rung but has not asked yet when this decision reads it.
  tests::fake_study study;
  tk::successive_halving_scheduler s({.min_resource = 1, .reduction_factor = 3});
  const tk::frozen_trial slow = study.running({{1, 5.0}});
  CHECK_FALSE(s.should_prune(study.view({slow}), study.running({{1, 1.0}}, 1)));  // {5, 1}: 1 leads
  CHECK(s.rung_size(0) == 2);
  CHECK(s.should_prune(study.view(), slow));  // its own decision: 5 is not the best
  CHECK(s.rung_size(0) == 2);
}

TEST_CASE("successive_halving_scheduler: one scheduler per process decides as one scheduler for all (300 seeded studies)",
          "[schedulers][asha]") {
  // Trials spread over 2-4 "processes" of two worker threads each; every process has its own
  // scheduler, which judges only its own trials and sees the others as a storage shows them
  // (running, then finished). A trial's decision sometimes waits while other trials report and
  // are judged (a thread between its report and its question). A single scheduler judging every
  // trial, asked the same questions with the same views, must give the same verdicts: every
  // trial that reached a rung is in it exactly once, wherever it runs. Without the running
  // trials, the processes' rungs miss the trials still running elsewhere (the best ones, which
  // run longest) and stop too few.
  std::size_t decisions = 0, stops = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    tk::random_engine rng(seed);
    const std::int64_t eta = 2 + static_cast<std::int64_t>(rng.below(3)), last = eta * eta * eta;
    const auto processes = 2 + static_cast<std::size_t>(rng.below(3));
    tk::successive_halving_scheduler_options o{.min_resource = 1, .reduction_factor = eta};
    if (rng.below(2) == 0) {  // with the rank gate, too
      o.min_rank_agreement = rng.uniform(-0.5, 0.9);
      o.min_agreement_trials = 3;
    }
    tk::successive_halving_scheduler one(o);
    std::vector<tk::successive_halving_scheduler> each(processes, tk::successive_halving_scheduler(o));
    tests::fake_study study;
    struct live {
      tk::frozen_trial trial;
      std::size_t process;
      double a, b;
      bool asks = false;  // reported, not yet asked
    };
    std::vector<live> running;
    std::int64_t started = 0;
    while (started < 40 || !running.empty()) {
      if (started < 40 && running.size() < 2 * processes) {
        std::vector<int> busy(processes, 0);
        for (const auto& r : running) ++busy[r.process];
        const auto free = static_cast<std::size_t>(std::find_if(busy.begin(), busy.end(), [](int n) { return n < 2; }) - busy.begin());
        running.push_back({study.running({}), free, rng.uniform(), rng.uniform()});
        ++started;
        continue;
      }
      const std::size_t i = static_cast<std::size_t>(rng.below(running.size()));
      live& l = running[i];
      if (!l.asks) {  // the next report; the question now or later
        const auto step = static_cast<std::int64_t>(l.trial.intermediate_values.size()) + 1;
        const double z = static_cast<double>(step) / static_cast<double>(last);
        l.trial.intermediate_values[step] = (1 - z) * l.a + z * l.b;
        l.asks = true;
        if (rng.below(2) == 0) continue;
      }
      l.asks = false;
      const std::int64_t step = l.trial.intermediate_values.rbegin()->first;
      bool stop = false;
      if (step < last) {
        std::vector<tk::frozen_trial> now;
        for (const auto& r : running) now.push_back(r.trial);
        const auto view = study.view(std::move(now));
        stop = one.should_prune(view, l.trial);
        INFO("seed " << seed << ", trial " << l.trial.number << ", step " << step);
        REQUIRE(each[l.process].should_prune(view, l.trial) == stop);
        ++decisions;
        stops += stop;
      }
      if (stop || step == last) {
        study.finish(l.trial, stop ? tk::trial_state::pruned : tk::trial_state::complete);
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  CHECK(stops > 1000);
  CHECK(decisions - stops > 1000);
}

TEST_CASE("successive_halving_scheduler: bad options name the option", "[schedulers][asha]") {
  REQUIRE_INVALID(tk::successive_halving_scheduler({.reduction_factor = 1}), Contains("reduction_factor = 1"));
  REQUIRE_INVALID(tk::successive_halving_scheduler({.min_resource = 0}), Contains("min_resource = 0"));
  REQUIRE_INVALID(tk::successive_halving_scheduler({.min_resource = 1, .min_early_stopping_rate = -1}),
                  Contains("min_early_stopping_rate = -1"));
  REQUIRE_INVALID(tk::successive_halving_scheduler({.min_resource = 1, .bootstrap_count = -1}),
                  Contains("bootstrap_count = -1"));
  REQUIRE_INVALID(tk::successive_halving_scheduler({.bootstrap_count = 2}), Contains("needs a fixed min_resource"));
}

TEST_CASE("asha_scheduler in a tuner with n_jobs = 2 trains far fewer steps", "[schedulers][asha]") {
  tk::tuner tuner{tk::asha_scheduler({.min_resource = 1, .reduction_factor = 3}), tk::random_sampler{{.seed = 5}}};
  std::atomic<int> steps{0};
  tuner.optimize(
      [&](tk::trial& t) -> tk::result {
        const double x = t.suggest_float("x", 0, 1);
        for (int step = 1; step <= 27; ++step) {
          ++steps;
          t.report(step, x + 1.0 / step);
          if (t.should_prune()) return tk::pruned;
        }
        return x + 1.0 / 27;
      },
      {.n_trials = 60, .n_jobs = 2});
  CHECK(steps < 60 * 27 / 3);
  CHECK(tuner.best_value() < 0.2);
}

// --- bad input (issue 19) -----------------------------------------------------

TEST_CASE("successive_halving_scheduler: reports at decreasing steps are judged once, on the highest step",
          "[schedulers][asha]") {
  tests::fake_study study;
  tk::successive_halving_scheduler s({.min_resource = 1, .reduction_factor = 3});
  CHECK_FALSE(s.should_prune(study.view(), study.running({{1, 1.0}})));  // trial 0
  // Trial 1 reports step 9 first: its value there is recorded at rungs 1, 3 and 9.
  CHECK_FALSE(s.should_prune(study.view(), study.running({{9, 0.5}}, 1)));
  // Then step 2, lower: no rung is judged again, no rung changes.
  CHECK_FALSE(s.should_prune(study.view(), study.running({{2, 7.0}, {9, 0.5}}, 1)));
  CHECK(s.rung_size(0) == 2);
  CHECK(s.rung_size(1) == 1);
  CHECK(s.rung_size(2) == 1);
  // A scheduler that did not judge trial 1 (another process) reads it once finished, by its
  // reports: the first step at or past each rung (7.0 at rung 1; 0.5 at 3 and 9). So a trial
  // reporting 2.0 at step 1 is stopped by the first scheduler (0.5 there) and kept by the other.
  REQUIRE(study.finish({{2, 7.0}, {9, 0.5}}, tk::trial_state::pruned) == 1);
  tk::successive_halving_scheduler other({.min_resource = 1, .reduction_factor = 3});
  CHECK(s.should_prune(study.view(), study.running({{1, 2.0}}, 5)));
  CHECK_FALSE(other.should_prune(study.view(), study.running({{1, 2.0}}, 6)));
  CHECK(s.rung_size(1) == 1);  // trial 1 was not added twice
  CHECK(other.rung_size(1) == 1);
}

TEST_CASE("successive_halving_scheduler: awkward reports lose no trial and stall no rung", "[schedulers][asha]") {
  tk::tuner tuner{tk::asha_scheduler({.min_resource = 1, .reduction_factor = 3}), tk::random_sampler{{.seed = 4}}};
  tunekit_test::check_awkward_run(tuner, 120, 1, [](std::int64_t) { return std::size_t{0}; });
  // The same with the rank gate: the first trials train to the end, then the rungs stop trials again.
  tk::tuner gated{tk::asha_scheduler({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.7}),
                  tk::random_sampler{{.seed = 4}}};
  tunekit_test::check_awkward_run(gated, 120, 1, [](std::int64_t) { return std::size_t{0}; });
}

TEST_CASE("successive_halving_scheduler: workers that die mid-rung block no rung", "[schedulers][asha]") {
  tunekit_test::check_dead_workers(
      [](tk::journal_storage s) {
        return tk::tuner{std::move(s), tk::study_config{.name = "mf"}, tk::random_sampler{{.seed = 6}},
                         tk::asha_scheduler({.min_resource = 1, .reduction_factor = 3})};
      },
      40, [](std::int64_t) { return std::size_t{0}; });
  tunekit_test::check_dead_workers(
      [](tk::journal_storage s) {
        return tk::tuner{std::move(s), tk::study_config{.name = "mf"}, tk::random_sampler{{.seed = 6}},
                         tk::asha_scheduler({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.7})};
      },
      40, [](std::int64_t) { return std::size_t{0}; });
}

// --- min_rank_agreement: rungs whose values misrank the COMPLETE trials stop no one ---

TEST_CASE("successive_halving_scheduler: min_rank_agreement keeps exactly the trials the definition keeps (200 seeded studies)",
          "[schedulers][asha]") {
  // Two schedulers see the same calls (every trial reports every step and is asked after each,
  // whatever the verdict, so their rungs stay equal): the gated one may only turn a stop into a
  // go-on, and exactly when the rung has not shown agreement: fewer COMPLETE trials than needed
  // with a value there (paired with their final value, from a report after the rung's), or
  // their ρ below the threshold.
  std::size_t turned = 0, stops = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    tk::random_engine rng(seed);
    const std::int64_t eta = 2 + static_cast<std::int64_t>(rng.below(3));
    const std::int64_t last = eta * eta * eta;
    const double threshold = rng.uniform(-0.5, 1.0);
    const std::int64_t needed = 3 + static_cast<std::int64_t>(rng.below(8));
    const double cross = rng.uniform(-1.0, 1.0);  // < 0: late values reverse early ones
    tk::successive_halving_scheduler plain({.min_resource = 1, .reduction_factor = eta});
    tk::successive_halving_scheduler gated({.min_resource = 1, .reduction_factor = eta,
                                            .min_rank_agreement = threshold, .min_agreement_trials = needed});
    tests::fake_study study;
    std::vector<std::map<std::int64_t, double>> complete;  // reports of the COMPLETE trials so far
    for (std::int64_t number = 0; number < 40; ++number) {
      const double a = rng.uniform(0.0, 1.0), b = rng.uniform(0.0, 1.0);
      std::map<std::int64_t, double> reports;
      for (std::int64_t step = 1; step <= last; ++step) {
        const double z = static_cast<double>(step) / static_cast<double>(last);
        reports[step] = (1 - z) * a + z * (cross * a + (1 - std::abs(cross)) * b) + 1e-9 * rng.uniform();
        if (step == last) break;
        const auto view = study.view();
        const bool p = plain.should_prune(view, study.running(reports, number));
        const bool g = gated.should_prune(view, study.running(reports, number));
        INFO("seed " << seed << ", trial " << number << ", step " << step);
        if (!p) {
          REQUIRE_FALSE(g);  // the gate only ever keeps a trial going
          continue;
        }
        ++stops;
        // step is a rung (reports at every step reach one rung at a time): the definition, apart.
        std::vector<double> early, final;
        for (const auto& c : complete) {
          auto at = c.lower_bound(step);
          if (at == c.end() || std::next(at) == c.end()) continue;
          early.push_back(at->second);
          final.push_back(c.rbegin()->second);
        }
        const bool keep =
            static_cast<std::int64_t>(early.size()) < needed || tunekit::testing::textbook_spearman(early, final) < threshold;
        REQUIRE(g == !keep);
        turned += keep;
      }
      if (rng.below(3) != 0) {
        // Some COMPLETE trials are stored with sparse reports (the last kept), so that a rung's
        // first report at or past it is sometimes the final one, which pairs nothing.
        std::map<std::int64_t, double> stored = reports;
        if (rng.below(3) == 0)
          for (auto it = stored.begin(); it != stored.end();)
            it = std::next(it) != stored.end() && rng.below(2) == 0 ? stored.erase(it) : std::next(it);
        study.finish(stored);
        complete.push_back(stored);
      } else {
        study.finish(reports, tk::trial_state::pruned);
      }
    }
  }
  // Both verdicts occur often, so the comparisons above tested something.
  CHECK(turned > 100);
  CHECK(stops - turned > 100);
}

TEST_CASE("successive_halving_scheduler: min_rank_agreement stops only at rungs that have shown agreement",
          "[schedulers][asha]") {
  // 12 COMPLETE trials whose rung-0 values rank them as their final ones.
  tests::fake_study study;
  for (int i = 0; i < 12; ++i) study.finish({{1, 1.0 + i}, {3, 1.0 + i}, {9, 1.0 + i}});
  tk::successive_halving_scheduler gated({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.5});
  tk::successive_halving_scheduler plain({.min_resource = 1, .reduction_factor = 3});
  // A trial worse than every rung-0 value: stopped by both.
  CHECK(plain.should_prune(study.view(), study.running({{1, 50.0}}, 100)));
  CHECK(gated.should_prune(study.view(), study.running({{1, 50.0}}, 100)));
  // The same 12 trials with their order reversed at the end: the rungs stop no one.
  tests::fake_study crossing;
  for (int i = 0; i < 12; ++i) crossing.finish({{1, 1.0 + i}, {3, 1.0 + i}, {9, 20.0 - i}});
  tk::successive_halving_scheduler gated2({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.5});
  tk::successive_halving_scheduler plain2({.min_resource = 1, .reduction_factor = 3});
  CHECK(plain2.should_prune(crossing.view(), crossing.running({{1, 50.0}}, 100)));
  CHECK_FALSE(gated2.should_prune(crossing.view(), crossing.running({{1, 50.0}}, 100)));
  CHECK_FALSE(gated2.should_prune(crossing.view(), crossing.running({{1, 50.0}, {3, 50.0}}, 100)));  // rung 1 too
  // Agreeing trials, but fewer than min_agreement_trials: no rung has shown agreement yet.
  tk::successive_halving_scheduler wait({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.5,
                                         .min_agreement_trials = 13});
  CHECK_FALSE(wait.should_prune(study.view(), study.running({{1, 50.0}}, 100)));
  // No COMPLETE trial at all: nothing is stopped, the first trials train to the end.
  tests::fake_study fresh;
  tk::successive_halving_scheduler early({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.5});
  for (std::int64_t n = 0; n < 6; ++n) CHECK_FALSE(early.should_prune(fresh.view(), fresh.running({{1, 10.0 + n}}, n)));
}

TEST_CASE("successive_halving_scheduler: min_rank_agreement and min_agreement_trials are checked", "[schedulers][asha]") {
  REQUIRE_INVALID(tk::successive_halving_scheduler({.min_resource = 1, .min_rank_agreement = 1.5}),
                  Contains("min_rank_agreement = 1.5"));
  REQUIRE_INVALID(tk::successive_halving_scheduler({.min_resource = 1, .min_rank_agreement = std::nan("")}),
                  Contains("min_rank_agreement = nan"));
  REQUIRE_INVALID(tk::successive_halving_scheduler({.min_resource = 1, .min_agreement_trials = 2}),
                  Contains("min_agreement_trials = 2"));
}

TEST_CASE("successive_halving_scheduler: min_rank_agreement reads the latest 1000 COMPLETE trials", "[schedulers][asha]") {
  // 1000 COMPLETE trials whose order reverses by the end, then 1000 that keep it, with final
  // values below the first block's: over all 2000 the rung misranks (ρ < 0), over the latest 1000
  // it ranks perfectly, so the rung stops a trial worse than all of them.
  tests::fake_study study;
  for (int i = 0; i < 1000; ++i) study.finish({{1, 1.0 * i}, {3, -1.0 * i}});
  tk::successive_halving_scheduler gated({.min_resource = 1, .reduction_factor = 3, .min_rank_agreement = 0.7});
  CHECK_FALSE(gated.should_prune(study.view(), study.running({{1, 1e6}}, 5000)));
  for (int i = 0; i < 1000; ++i) study.finish({{1, 1000.0 + i}, {3, -3000.0 + i}});
  CHECK(gated.should_prune(study.view(), study.running({{1, 1e6}}, 5001)));
  std::vector<double> early, final;
  for (int i = 0; i < 1000; ++i) {
    early.push_back(1.0 * i);
    final.push_back(-1.0 * i);
  }
  for (int i = 0; i < 1000; ++i) {
    early.push_back(1000.0 + i);
    final.push_back(-3000.0 + i);
  }
  CHECK(tunekit::testing::textbook_spearman(early, final) < 0.7);  // all 2000 would not have stopped it
}
