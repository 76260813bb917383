#include <tunekit/schedulers/median.hpp>
#include <tunekit/schedulers/percentile.hpp>

#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/tuner.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "fake_study.hpp"
#include "support/require_invalid.hpp"

namespace tk = tunekit;
using Catch::Contains;

namespace {
const double quiet_nan = std::numeric_limits<double>::quiet_NaN();

/// Three COMPLETE trials. At step 1 they reported 2, 4, 6: median 4,
/// 25th percentile 3 (position 0.5 between 2 and 4), 75th percentile 5.
/// Step 2 only two of them reported (3 and 5).
tests::fake_study three_complete(tk::direction d = tk::direction::minimize) {
  tests::fake_study s(d);
  s.finish({{0, 1}, {1, 2}, {2, 3}});
  s.finish({{0, 3}, {1, 4}, {2, 5}});
  s.finish({{0, 5}, {1, 6}});
  return s;
}
}  // namespace

TEST_CASE("median_scheduler: hand-computed decisions against the median of completed trials", "[schedulers][median]") {
  auto study = three_complete();
  tk::median_scheduler median({.n_startup_trials = 2});
  const auto view = study.view();
  CHECK_FALSE(median.should_prune(view, study.running({{0, 10}, {1, 3.5}})));  // 3.5 <= 4
  CHECK_FALSE(median.should_prune(view, study.running({{0, 10}, {1, 4}})));    // equal to the median: kept
  CHECK(median.should_prune(view, study.running({{0, 10}, {1, 4.5}})));        // 4.5 > 4
  // The trial's best value so far is what counts, not its latest.
  CHECK_FALSE(median.should_prune(view, study.running({{0, 3.9}, {1, 4.5}})));
  // Step 2: values 3 and 5, median 4.
  CHECK(median.should_prune(view, study.running({{0, 9}, {1, 9}, {2, 4.1}})));
  // A step nobody completed reported: no basis, kept.
  CHECK_FALSE(median.should_prune(view, study.running({{7, 100}})));
  // No report yet: kept.
  CHECK_FALSE(median.should_prune(view, study.running({})));
}

TEST_CASE("median_scheduler: warm-up, startup trials and n_min_trials boundaries", "[schedulers][median]") {
  auto study = three_complete();
  const auto view = study.view();
  SECTION("n_warmup_steps = 1: step 0 is never judged, step 1 is") {
    tk::median_scheduler m({.n_startup_trials = 0, .n_warmup_steps = 1});
    CHECK_FALSE(m.should_prune(view, study.running({{0, 100}})));
    CHECK(m.should_prune(view, study.running({{0, 100}, {1, 100}})));
  }
  SECTION("n_startup_trials: 3 completed trials prune at 3, not at 4") {
    tk::median_scheduler at3({.n_startup_trials = 3});
    tk::median_scheduler at4({.n_startup_trials = 4});
    CHECK(at3.should_prune(view, study.running({{0, 100}})));
    CHECK_FALSE(at4.should_prune(view, study.running({{0, 100}})));
  }
  SECTION("n_min_trials: step 2 has two completed values") {
    tk::median_scheduler two({.n_startup_trials = 0, .n_min_trials = 2});
    tk::median_scheduler three({.n_startup_trials = 0, .n_min_trials = 3});
    const auto t = study.running({{0, 99}, {1, 99}, {2, 99}});
    CHECK(two.should_prune(view, t));
    CHECK_FALSE(three.should_prune(view, t));
  }
  SECTION("interval_steps = 2 after a warm-up of 1: judged at the first report of [1, 3), [3, 5), ...") {
    tk::median_scheduler m({.n_startup_trials = 0, .n_warmup_steps = 1, .interval_steps = 2});
    CHECK(m.should_prune(view, study.running({{0, 99}, {1, 99}})));             // step 1 opens [1, 3)
    CHECK_FALSE(m.should_prune(view, study.running({{0, 99}, {1, 99}, {2, 99}})));  // step 2: 1 was in [1, 3)
    CHECK(m.should_prune(view, study.running({{0, 99}, {2, 99}})));             // step 2, first in [1, 3)
  }
  SECTION("no completed trial: never") {
    tests::fake_study empty;
    tk::median_scheduler m({.n_startup_trials = 0});
    CHECK_FALSE(m.should_prune(empty.view(), empty.running({{0, 1e9}})));
  }
}

TEST_CASE("percentile_scheduler: 25th percentile, both directions", "[schedulers][percentile]") {
  SECTION("minimise: threshold 3 at step 1") {
    auto study = three_complete();
    tk::percentile_scheduler p({.percentile = 25, .n_startup_trials = 0});
    CHECK(p.should_prune(study.view(), study.running({{1, 3.2}})));
    CHECK_FALSE(p.should_prune(study.view(), study.running({{1, 2.9}})));
  }
  SECTION("maximise: the 75th percentile, 5, is the bar") {
    auto study = three_complete(tk::direction::maximize);
    tk::percentile_scheduler p({.percentile = 25, .n_startup_trials = 0});
    CHECK(p.should_prune(study.view(), study.running({{1, 4.9}})));
    CHECK_FALSE(p.should_prune(study.view(), study.running({{1, 5.1}})));
    CHECK_FALSE(p.should_prune(study.view(), study.running({{0, 7}, {1, 0}})));  // best so far: 7
  }
}

TEST_CASE("percentile_scheduler: NaN and infinite intermediate values", "[schedulers][percentile]") {
  tests::fake_study study;
  study.finish({{0, 1}});
  study.finish({{0, quiet_nan}});
  study.finish({{0, 3}});
  tk::median_scheduler m({.n_startup_trials = 0});
  const auto view = study.view();
  // NaN values of completed trials are ignored: the median of {1, 3} is 2.
  CHECK_FALSE(m.should_prune(view, study.running({{0, 2}})));
  CHECK(m.should_prune(view, study.running({{0, 2.1}})));
  // A trial whose values are all NaN is stopped; NaNs among numbers are skipped.
  CHECK(m.should_prune(view, study.running({{0, quiet_nan}})));
  CHECK_FALSE(m.should_prune(view, study.running({{0, quiet_nan}, {1, 1.5}})));
  CHECK(m.should_prune(view, study.running({{0, std::numeric_limits<double>::infinity()}})));
  CHECK_FALSE(m.should_prune(view, study.running({{0, -std::numeric_limits<double>::infinity()}})));
  // Only NaN at the step: no threshold, kept.
  tests::fake_study nans;
  nans.finish({{0, quiet_nan}});
  CHECK_FALSE(m.should_prune(nans.view(), nans.running({{0, 5}})));
}

TEST_CASE("percentile_scheduler: PRUNED and FAIL trials are not compared against", "[schedulers][percentile]") {
  tests::fake_study study;
  study.finish({{0, 10}});
  study.finish({{0, -100}}, tk::trial_state::pruned);
  study.finish({{0, -100}}, tk::trial_state::fail);
  tk::median_scheduler m({.n_startup_trials = 1});
  CHECK_FALSE(m.should_prune(study.view(), study.running({{0, 10}})));
  CHECK(m.should_prune(study.view(), study.running({{0, 11}})));
}

TEST_CASE("percentile_scheduler: matches a sort-based reference on random studies", "[schedulers][percentile]") {
  // Reference: NumPy's linear percentile of the completed values at the step.
  auto reference = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double pos = static_cast<double>(v.size() - 1) * q / 100;
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - std::floor(pos));
  };
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    tk::random_engine rng(seed);
    const double q = std::floor(rng.uniform(0, 100));
    const auto dir = rng.below(2) ? tk::direction::maximize : tk::direction::minimize;
    tests::fake_study study(dir);
    tk::percentile_scheduler p({.percentile = q, .n_startup_trials = 0});
    std::map<std::int64_t, std::vector<double>> at_step;
    const auto n = 1 + rng.below(40);
    for (std::uint64_t i = 0; i < n; ++i) {
      std::map<std::int64_t, double> values;
      const auto steps = 1 + rng.below(5);
      for (std::uint64_t s = 0; s < steps; ++s) {
        const double v = std::round(rng.uniform(0, 20));  // ties on purpose
        values[static_cast<std::int64_t>(s)] = v;
        at_step[static_cast<std::int64_t>(s)].push_back(v);
      }
      study.finish(values);
      // Interleave decisions with growth, so the incremental state is exercised.
      const auto step = static_cast<std::int64_t>(rng.below(steps));
      const double mine = std::round(rng.uniform(0, 20)) + 0.5;
      const double bar = reference(at_step[step], dir == tk::direction::maximize ? 100 - q : q);
      const bool expected = dir == tk::direction::maximize ? mine < bar : mine > bar;
      INFO("seed " << seed << " trial " << i << " step " << step << " q " << q);
      REQUIRE(p.should_prune(study.view(), study.running({{step, mine}}, 1000 + static_cast<std::int64_t>(i))) ==
              expected);
    }
  }
}

TEST_CASE("percentile_scheduler: bad options name the option", "[schedulers][percentile]") {
  REQUIRE_INVALID(tk::percentile_scheduler({.percentile = -1}), Contains("percentile = -1"));
  REQUIRE_INVALID(tk::percentile_scheduler({.percentile = 100.5}), Contains("percentile must be in [0, 100]"));
  REQUIRE_INVALID(tk::percentile_scheduler({.percentile = quiet_nan}), Contains("percentile"));
  REQUIRE_INVALID(tk::percentile_scheduler({.n_startup_trials = -1}), Contains("n_startup_trials = -1"));
  REQUIRE_INVALID(tk::median_scheduler({.n_warmup_steps = -1}), Contains("median_scheduler: n_warmup_steps = -1"));
  REQUIRE_INVALID(tk::median_scheduler({.interval_steps = 0}), Contains("interval_steps"));
  REQUIRE_INVALID(tk::median_scheduler({.n_min_trials = 0}), Contains("n_min_trials"));
  CHECK_NOTHROW(tk::percentile_scheduler({.percentile = 0}));
  CHECK_NOTHROW(tk::percentile_scheduler({.percentile = 100}));
}

TEST_CASE("median_scheduler in a tuner: stops the worse half, repeated steps keep their first value",
          "[schedulers][median]") {
  tk::tuner tuner{tk::median_scheduler({.n_startup_trials = 3}), tk::random_sampler{{.seed = 3}}};
  int repeats_ignored = 0;
  const auto summary = tuner.optimize(
      [&](tk::trial& t) -> tk::result {
        const double x = t.suggest_float("x", 0, 1);
        for (int step = 0; step < 10; ++step) {
          t.report(step, x + 1.0 / (step + 1));
          if (!t.report(step, -1000)) ++repeats_ignored;  // a repeat is ignored
          if (t.should_prune()) return tk::pruned;
        }
        return x;
      },
      {.n_trials = 40});
  CHECK(repeats_ignored >= 40);
  CHECK(summary.n_pruned > 5);
  CHECK(summary.n_complete >= 3);
  for (const auto& t : tuner.trials())
    for (const auto& [step, v] : t.intermediate_values) CHECK(v > 0);  // no -1000 stored
}

TEST_CASE("reporting after a trial finished is a state_error", "[schedulers][median]") {
  tk::tuner tuner{tk::median_scheduler{}, tk::random_sampler{{.seed = 1}}};
  auto t = tuner.ask();
  t.report(0, 1.0);
  tuner.tell(t, 1.0);
  CHECK_THROWS_AS(t.report(1, 2.0), tk::state_error);
}
