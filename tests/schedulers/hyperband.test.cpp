#include <tunekit/schedulers/hyperband.hpp>

#include <catch2/catch.hpp>

#include <tunekit/samplers/random.hpp>
#include <tunekit/tuner.hpp>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "fake_study.hpp"
#include "support/multifidelity_scenarios.hpp"
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

// --- bad input (issue 19) -----------------------------------------------------

TEST_CASE("hyperband_scheduler: an unnamed study gets the same brackets in every run (same seed, same trials)",
          "[schedulers][hyperband]") {
  // The tuner names an unnamed study at random (so that two never collide in
  // one storage); the bracket hash leaves such a name out.
  struct outcome {
    std::string name;
    std::vector<std::tuple<tk::trial_state, std::int64_t, tk::param_map>> trials;
  };
  auto run = [] {
    tk::tuner tuner{tk::hyperband_scheduler({.max_resource = 27}), tk::random_sampler{{.seed = 7}}};
    tuner.optimize(tunekit_test::mf_train, {.n_trials = 40});
    outcome o{tuner.study_name(), {}};
    for (const auto& t : tuner.trials()) o.trials.emplace_back(t.state, tunekit_test::mf_last_step(t), t.params);
    return o;
  };
  const outcome a = run(), b = run();
  CHECK(a.name != b.name);
  CHECK(tk::detail::is_default_study_name(a.name));
  CHECK((a.trials == b.trials));
  tk::hyperband_scheduler hb({.max_resource = 27});
  std::set<std::size_t> used;
  for (std::int64_t n = 0; n < 100; ++n) {
    REQUIRE(hb.bracket_of(a.name, n) == hb.bracket_of(b.name, n));
    used.insert(hb.bracket_of(a.name, n));
  }
  CHECK(used.size() == 4);
  // Only the tuner's own pattern is left out: a name the user gives is hashed (Optuna's assignment).
  CHECK_FALSE(tk::detail::is_default_study_name("tunekit-study-0123456789AB"));
  CHECK_FALSE(tk::detail::is_default_study_name("tunekit-study-0123456789abc"));
  CHECK_FALSE(tk::detail::is_default_study_name("my-study"));
  CHECK(tk::detail::is_default_study_name("tunekit-study-0123456789ab"));
}

TEST_CASE("hyperband_scheduler: reports at decreasing steps, off the rungs and past max_resource",
          "[schedulers][hyperband]") {
  // Study "hb", max_resource 30: trials 0, 3, 5, 6 are in bracket 0 (rungs 1, 3, 9, 27, then 81).
  tests::fake_study study(tk::direction::minimize, "hb");
  tk::hyperband_scheduler hb({.max_resource = 30});
  const auto v = study.view();
  // Trial 0 first reports step 20: judged at rungs 1, 3 and 9 on that value, kept (first everywhere).
  CHECK_FALSE(hb.should_prune(v, study.running({{20, 0.5}}, 0)));
  CHECK(hb.bracket(0).rung_size(2) == 1);
  // A later report at a lower step is not judged again and changes no rung.
  CHECK_FALSE(hb.should_prune(v, study.running({{4, 9.0}, {20, 0.5}}, 0)));
  CHECK(hb.bracket(0).rung_size(0) == 1);
  CHECK(hb.bracket(0).rung_size(1) == 1);
  // Trial 3 reports every 2nd step: step 2 counts at rung 1, step 4 at rung 3.
  CHECK(hb.should_prune(v, study.running({{2, 0.9}}, 3)));  // rung 1: {0.5, 0.9}, keeps the best one
  CHECK(hb.bracket(0).rung_size(0) == 2);
  // Past max_resource the rungs go on (81 here): a trial reporting step 90 is judged there.
  CHECK_FALSE(hb.should_prune(v, study.running({{90, 0.1}}, 5)));
  CHECK(hb.bracket(0).rung_size(4) == 1);
  CHECK(hb.bracket(0).rung_size(5) == 0);                       // 243: not reached
  CHECK(hb.should_prune(v, study.running({{90, 0.2}}, 6)));  // rung 1 already: {0.5, 0.9, 0.1, 0.2}
}

TEST_CASE("hyperband_scheduler: awkward reports lose no trial and stall no bracket", "[schedulers][hyperband]") {
  tk::tuner tuner{tk::hyperband_scheduler({.max_resource = 27}), tk::random_sampler{{.seed = 3}},
                  tk::study_config{.name = "hb-awkward"}};
  const auto& hb = tuner.scheduler();
  tunekit_test::check_awkward_run(tuner, 150, hb.n_brackets(),
                                  [&](std::int64_t n) { return hb.bracket_of("hb-awkward", n); });
}

TEST_CASE("hyperband_scheduler: workers that die mid-rung block no bracket", "[schedulers][hyperband]") {
  const tk::hyperband_scheduler hb({.max_resource = 27});
  tunekit_test::check_dead_workers(
      [](tk::journal_storage s) {
        return tk::tuner{std::move(s), tk::study_config{.name = "mf"}, tk::random_sampler{{.seed = 5}},
                         tk::hyperband_scheduler({.max_resource = 27})};
      },
      60, [&](std::int64_t n) { return hb.bracket_of("mf", n); });
}
