#include <tunekit/schedulers/threshold.hpp>

#include <catch2/catch.hpp>

#include <limits>

#include "fake_study.hpp"
#include "support/require_invalid.hpp"

namespace tk = tunekit;
using Catch::Contains;

TEST_CASE("threshold_scheduler: outside [lower, upper] or NaN stops the trial", "[schedulers][threshold]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  tests::fake_study study;
  const auto view = study.view();
  tk::threshold_scheduler both({.lower = 0.5, .upper = 2.0});
  CHECK_FALSE(both.should_prune(view, study.running({{0, 1.0}})));
  CHECK_FALSE(both.should_prune(view, study.running({{0, 0.5}})));  // bounds are inclusive
  CHECK_FALSE(both.should_prune(view, study.running({{0, 2.0}})));
  CHECK(both.should_prune(view, study.running({{0, 0.49}})));
  CHECK(both.should_prune(view, study.running({{0, 2.01}})));
  CHECK(both.should_prune(view, study.running({{0, nan}})));
  CHECK(both.should_prune(view, study.running({{0, inf}})));
  CHECK(both.should_prune(view, study.running({{0, -inf}})));
  // The latest value (highest step) counts, not earlier ones.
  CHECK_FALSE(both.should_prune(view, study.running({{0, 100}, {1, 1.0}})));
  CHECK_FALSE(both.should_prune(view, study.running({})));

  tk::threshold_scheduler upper_only({.upper = 1.0});
  CHECK_FALSE(upper_only.should_prune(view, study.running({{0, -inf}})));
  CHECK(upper_only.should_prune(view, study.running({{0, nan}})));
  tk::threshold_scheduler lower_only({.lower = 1.0});
  CHECK_FALSE(lower_only.should_prune(view, study.running({{0, inf}})));
}

TEST_CASE("threshold_scheduler: warm-up and interval", "[schedulers][threshold]") {
  tests::fake_study study;
  const auto view = study.view();
  tk::threshold_scheduler t({.upper = 1.0, .n_warmup_steps = 2, .interval_steps = 3});
  CHECK_FALSE(t.should_prune(view, study.running({{1, 5.0}})));            // warm-up
  CHECK(t.should_prune(view, study.running({{1, 5.0}, {2, 5.0}})));         // step 2 opens [2, 5)
  CHECK_FALSE(t.should_prune(view, study.running({{2, 5.0}, {3, 5.0}})));   // 3: 2 was in [2, 5)
  CHECK(t.should_prune(view, study.running({{2, 5.0}, {5, 5.0}})));         // 5 opens [5, 8)
}

TEST_CASE("threshold_scheduler: bad options name the option", "[schedulers][threshold]") {
  REQUIRE_INVALID(tk::threshold_scheduler(tk::threshold_scheduler_options{}), Contains("neither lower nor upper"));
  REQUIRE_INVALID(tk::threshold_scheduler({.lower = 2, .upper = 1}), Contains("lower = 2 is greater than upper = 1"));
  REQUIRE_INVALID(tk::threshold_scheduler({.lower = std::numeric_limits<double>::quiet_NaN()}), Contains("lower = nan"));
  REQUIRE_INVALID(tk::threshold_scheduler({.upper = 1, .n_warmup_steps = -2}), Contains("n_warmup_steps = -2"));
  REQUIRE_INVALID(tk::threshold_scheduler({.upper = 1, .interval_steps = 0}), Contains("interval_steps = 0"));
}
