#include <tunekit/schedulers/hyperband.hpp>

#include <catch2/catch.hpp>

#include <tunekit/samplers/random.hpp>
#include <tunekit/tuner.hpp>

#include <map>
#include <set>
#include <vector>

#include "fake_study.hpp"
#include "support/require_invalid.hpp"

namespace tk = tunekit;
using Catch::Contains;

TEST_CASE("hyperband_scheduler: brackets and their shares", "[schedulers][hyperband]") {
  // R = 30, eta = 3: floor(log_3 30) + 1 = 4 brackets; shares ceil(4 * 3^s / (s + 1)), s = 3..0.
  tk::hyperband_scheduler hb({.min_resource = 1, .max_resource = 30, .reduction_factor = 3});
  REQUIRE(hb.n_brackets() == 4);
  CHECK(hb.share(0) == 27);
  CHECK(hb.share(1) == 12);
  CHECK(hb.share(2) == 6);
  CHECK(hb.share(3) == 4);
  // Bracket b is successive halving with min_early_stopping_rate b.
  CHECK(hb.bracket(0).options().min_early_stopping_rate == 0);
  CHECK(hb.bracket(3).options().min_early_stopping_rate == 3);
  // Exact powers do not lose a bracket to rounding: R = 81 gives 5.
  CHECK(tk::hyperband_scheduler({.max_resource = 81}).n_brackets() == 5);
  CHECK(tk::hyperband_scheduler({.max_resource = 80}).n_brackets() == 4);
  CHECK(tk::hyperband_scheduler({.min_resource = 5, .max_resource = 5}).n_brackets() == 1);
}

TEST_CASE("hyperband_scheduler: trials are assigned to brackets as Optuna assigns them", "[schedulers][hyperband]") {
  // CRC-32 of "hb_<n>" modulo 49 (Python: binascii.crc32(b"hb_0") % 49 ...), walked through the shares.
  CHECK(tk::detail::crc32("s_0") == 2987163180u);
  CHECK(tk::detail::crc32("study_7") == 2341987007u);
  tk::hyperband_scheduler hb({.max_resource = 30});
  const std::vector<std::size_t> expected{0, 1, 1, 0, 1, 0, 0, 1};
  for (std::int64_t n = 0; n < 8; ++n) CHECK(hb.bracket_of("hb", n) == expected[static_cast<std::size_t>(n)]);
}

TEST_CASE("hyperband_scheduler: each bracket judges against its own trials only", "[schedulers][hyperband]") {
  // Study "hb": trials 0, 3, 5, 6 are in bracket 0 (rungs at 1, 3, 9, 27), trials 1, 2, 4, 7 in bracket 1
  // (rungs at 3, 9, 27).
  tests::fake_study study(tk::direction::minimize, "hb");
  tk::hyperband_scheduler hb({.max_resource = 30});
  const auto v = study.view();
  CHECK_FALSE(hb.should_prune(v, study.running({{1, 1.0}}, 0)));   // bracket 0, rung 0: {1}
  CHECK_FALSE(hb.should_prune(v, study.running({{1, 5.0}}, 1)));   // bracket 1: step 1 is below its first rung
  CHECK(hb.should_prune(v, study.running({{1, 2.0}}, 3)));         // bracket 0, rung 0: {1, 2}
  CHECK_FALSE(hb.should_prune(v, study.running({{3, 5.0}}, 2)));   // bracket 1, rung 0: {5}
  CHECK(hb.bracket(0).rung_size(0) == 2);
  CHECK(hb.bracket(1).rung_size(0) == 1);
}

namespace {
/// Records, for each trial, which finished trials its view held and its name.
struct recording_sampler {
  std::map<std::int64_t, std::set<std::int64_t>>* seen;
  std::map<std::int64_t, std::string>* names;
  double sample_independent(const tk::study_view& view, const tk::frozen_trial& t, std::string_view,
                            const tk::distribution& d) {
    for (const auto& f : view.finished()) (*seen)[t.number].insert(f.number);
    for (const auto& r : view.running()) (*seen)[t.number].insert(r.number);
    (*names)[t.number] = view.name();
    return tk::from_unit(d, 0.5);
  }
};
}  // namespace

TEST_CASE("hyperband_scheduler: samplers only see the trials of the same bracket", "[schedulers][hyperband]") {
  std::map<std::int64_t, std::set<std::int64_t>> seen;
  std::map<std::int64_t, std::string> names;
  tk::tuner tuner{tk::hyperband_scheduler({.max_resource = 27}), recording_sampler{&seen, &names},
                  tk::study_config{.name = "hb"}};
  auto& hb = tuner.scheduler();
  tuner.optimize(
      [](tk::trial& t) -> tk::result {
        const double x = t.suggest_float("x", 0, 1);
        for (int step = 1; step <= 27; ++step) {
          t.report(step, x);
          if (t.should_prune()) return tk::pruned;
        }
        return x;
      },
      {.n_trials = 40, .n_jobs = 2});
  std::size_t compared = 0;
  for (const auto& [number, others] : seen) {
    const auto b = hb.bracket_of("hb", number);
    CHECK(names[number] == "hb/bracket-" + std::to_string(b));
    for (auto o : others) {
      CHECK(hb.bracket_of("hb", o) == b);
      ++compared;
    }
  }
  CHECK(compared > 40);  // the views were not empty
}

TEST_CASE("hyperband_scheduler: bad options name the option", "[schedulers][hyperband]") {
  REQUIRE_INVALID(tk::hyperband_scheduler(tk::hyperband_scheduler_options{}), Contains("max_resource is not set"));
  REQUIRE_INVALID(tk::hyperband_scheduler({.min_resource = 10, .max_resource = 5}), Contains("max_resource = 5"));
  REQUIRE_INVALID(tk::hyperband_scheduler({.max_resource = 9, .reduction_factor = 1}), Contains("reduction_factor = 1"));
  REQUIRE_INVALID(tk::hyperband_scheduler({.min_resource = 0, .max_resource = 9}), Contains("min_resource = 0"));
  REQUIRE_INVALID(tk::hyperband_scheduler({.max_resource = 9, .bootstrap_count = -1}), Contains("bootstrap_count = -1"));
}

TEST_CASE("hyperband_scheduler with TPE: the bracket views keep TPE consistent", "[schedulers][hyperband]") {
  tk::tuner tuner{tk::hyperband_scheduler({.max_resource = 9}), tk::tpe_sampler{{.n_startup_trials = 4, .seed = 1}}};
  const auto summary = tuner.optimize(
      [](tk::trial& t) -> tk::result {
        const double x = t.suggest_float("x", -2, 2);
        const double y = t.suggest_float("y", -2, 2);
        for (int step = 1; step <= 9; ++step) {
          t.report(step, x * x + y * y + 1.0 / step);
          if (t.should_prune()) return tk::pruned;
        }
        return x * x + y * y;
      },
      {.n_trials = 60, .n_jobs = 2});
  CHECK(summary.n_fail == 0);
  CHECK(summary.n_pruned > 0);
  CHECK(tuner.best_value() < 0.5);
}
