#include <tunekit/schedulers/patient.hpp>

#include <catch2/catch.hpp>

#include <tunekit/schedulers/hyperband.hpp>
#include <tunekit/schedulers/threshold.hpp>

#include <limits>

#include "fake_study.hpp"
#include "support/require_invalid.hpp"

namespace tk = tunekit;
using Catch::Contains;

TEST_CASE("patient_scheduler: hand-computed stagnation, minimising", "[schedulers][patient]") {
  tests::fake_study study;
  const auto view = study.view();
  tk::patient_scheduler<> p({.patience = 2});
  // before = {5}, after = {3, 4, 4}: improved (3 < 5).
  CHECK_FALSE(p.should_prune(view, study.running({{0, 5}, {1, 3}, {2, 4}, {3, 4}})));
  // before = {3}, after = {4, 5, 6}: 3 < 4, stagnated.
  CHECK(p.should_prune(view, study.running({{0, 3}, {1, 4}, {2, 5}, {3, 6}})));
  // Only patience + 1 = 3 reports: too early to tell.
  CHECK_FALSE(p.should_prune(view, study.running({{0, 3}, {1, 4}, {2, 5}})));
  // An equal value is not an improvement but not worse either: 3 + 0 < 3 is false.
  CHECK_FALSE(p.should_prune(view, study.running({{0, 3}, {1, 4}, {2, 3}, {3, 6}})));

  tk::patient_scheduler<> delta({.patience = 2, .min_delta = 1.5});
  // 3 + 1.5 < 4 is false: within min_delta, not stagnated.
  CHECK_FALSE(delta.should_prune(view, study.running({{0, 3}, {1, 4}, {2, 5}, {3, 6}})));
  CHECK(delta.should_prune(view, study.running({{0, 3}, {1, 5}, {2, 5}, {3, 6}})));
}

TEST_CASE("patient_scheduler: maximising, NaN, patience 0", "[schedulers][patient]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  tests::fake_study study(tk::direction::maximize);
  const auto view = study.view();
  tk::patient_scheduler<> p({.patience = 2});
  CHECK(p.should_prune(view, study.running({{0, 3}, {1, 2}, {2, 1}, {3, 0}})));   // 3 > max(2, 1, 0)
  CHECK_FALSE(p.should_prune(view, study.running({{0, 3}, {1, 2}, {2, 4}, {3, 0}})));
  // NaNs are ignored; all-NaN windows compare false, so the trial is kept.
  CHECK(p.should_prune(view, study.running({{0, 3}, {1, nan}, {2, 1}, {3, nan}})));
  CHECK_FALSE(p.should_prune(view, study.running({{0, 3}, {1, nan}, {2, nan}, {3, nan}})));
  tk::patient_scheduler<> zero({.patience = 0});
  CHECK(zero.should_prune(view, study.running({{0, 3}, {1, 2}})));
  CHECK_FALSE(zero.should_prune(view, study.running({{0, 3}, {1, 4}})));
}

TEST_CASE("patient_scheduler: incremental reports agree with a fresh evaluation", "[schedulers][patient]") {
  tests::fake_study study;
  const auto view = study.view();
  tk::patient_scheduler<> incremental({.patience = 3, .min_delta = 0.1});
  tk::random_engine rng(7);
  std::map<std::int64_t, double> values;
  for (std::int64_t step = 0; step < 200; ++step) {
    values[step] = rng.uniform(0, 1) + 0.01 * static_cast<double>(step % 17);
    const auto t = study.running(values, 42);
    tk::patient_scheduler<> fresh({.patience = 3, .min_delta = 0.1});
    REQUIRE(incremental.should_prune(view, t) == fresh.should_prune(view, t));
  }
  // Out of order: a step inserted before the others forces a rebuild; -100
  // is then the best before the window, so the trial has stagnated.
  values[-1] = -100;
  const auto t = study.running(values, 42);
  tk::patient_scheduler<> fresh({.patience = 3, .min_delta = 0.1});
  REQUIRE(fresh.should_prune(view, t));
  REQUIRE(incremental.should_prune(view, t));
}

TEST_CASE("patient_scheduler: a stagnated trial is judged by the wrapped scheduler", "[schedulers][patient]") {
  tests::fake_study study;
  const auto view = study.view();
  tk::patient_scheduler wrapped{tk::threshold_scheduler({.upper = 10}), {.patience = 1}};
  static_assert(std::is_same_v<decltype(wrapped), tk::patient_scheduler<tk::threshold_scheduler>>);
  CHECK_FALSE(wrapped.should_prune(view, study.running({{0, 1}, {1, 2}, {2, 3}})));   // stagnated, but <= 10
  CHECK(wrapped.should_prune(view, study.running({{0, 1}, {1, 20}, {2, 30}})));       // stagnated and > 10
  CHECK_FALSE(wrapped.should_prune(view, study.running({{0, 50}, {1, 20}, {2, 30}}))); // improving: never asked
  // Hyperband's sampler view is forwarded through the wrapper.
  tk::patient_scheduler<tk::hyperband_scheduler> hb{tk::hyperband_scheduler({.max_resource = 9}), {.patience = 1}};
  CHECK(hb.sampler_view(view, study.running({}, 3)).name().starts_with("fake/bracket-"));
}

TEST_CASE("patient_scheduler: bad options name the option", "[schedulers][patient]") {
  REQUIRE_INVALID(tk::patient_scheduler<>({.patience = -1}), Contains("patience = -1"));
  REQUIRE_INVALID(tk::patient_scheduler<>({.min_delta = -0.5}), Contains("min_delta = -0.5"));
  REQUIRE_INVALID(tk::patient_scheduler<>({.min_delta = std::numeric_limits<double>::quiet_NaN()}),
                  Contains("min_delta"));
}
