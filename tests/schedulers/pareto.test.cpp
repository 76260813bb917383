// Tests of tunekit/schedulers/pareto.hpp: the dominance rule against a
// brute-force count on seeded random studies, NaN, maximised objectives,
// infeasible trials, start-up, warm-up and interval, bad options, and
// trial::report_values through the tuner (wrong arity).
#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/mo/hypervolume.hpp>
#include <tunekit/schedulers/pareto.hpp>
#include <tunekit/tuner.hpp>

#include "support/require_invalid.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace {

using tunekit::direction;
using Catch::Contains;

struct study {
  tunekit::memory_storage storage;
  tunekit::study_id sid;
  explicit study(std::vector<direction> dirs) : sid(storage.create_study("p", dirs)) {}

  /// A finished trial that reported `vectors[s]` at step s.
  void add(const std::vector<std::vector<double>>& vectors, bool feasible = true,
           tunekit::trial_state state = tunekit::trial_state::complete) {
    tunekit::frozen_trial t;
    t.state = tunekit::trial_state::running;
    for (std::size_t s = 0; s < vectors.size(); ++s)
      t.system_attrs[tunekit::detail::intermediate_vector_key(static_cast<std::int64_t>(s))] =
          tunekit::detail::intermediate_vector_json(vectors[s]);
    if (!feasible) t.system_attrs["constraints"] = {1.0};
    const auto created = storage.create_trial(sid, t);
    std::vector<double> values;
    if (state == tunekit::trial_state::complete) values = vectors.back();
    storage.finish_trial(created.id, state, values, {}, "");
  }
  /// A running trial's record that reported `v` at `step` (and at every `earlier` step).
  static tunekit::frozen_trial running(std::int64_t step, const std::vector<double>& v, std::vector<std::int64_t> earlier = {}) {
    tunekit::frozen_trial t;
    t.id = 1'000'000;
    t.state = tunekit::trial_state::running;
    for (auto s : earlier) t.system_attrs[tunekit::detail::intermediate_vector_key(s)] = tunekit::detail::intermediate_vector_json(v);
    t.system_attrs[tunekit::detail::intermediate_vector_key(step)] = tunekit::detail::intermediate_vector_json(v);
    return t;
  }
};

}  // namespace

TEST_CASE("pareto_scheduler: stops when dominated by n_dominating completed trials, on random studies",
          "[schedulers][pareto]") {
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    tunekit::random_engine e(seed);
    const std::size_t m = 1 + seed % 3;
    std::vector<direction> dirs;
    for (std::size_t k = 0; k < m; ++k) dirs.push_back(e.below(2) ? direction::maximize : direction::minimize);
    study st(dirs);
    auto draw = [&] {
      std::vector<double> v(m);
      for (auto& x : v) x = static_cast<double>(e.below(5));
      return v;
    };
    std::vector<std::vector<double>> at_step_1;
    for (int i = 0; i < 12; ++i) {
      auto v0 = draw(), v1 = draw();
      st.add({v0, v1});
      at_step_1.push_back(v1);
    }
    const auto n = static_cast<std::int64_t>(1 + seed % 4);
    tunekit::pareto_scheduler sched{{.n_dominating = n, .n_startup_trials = 0}};
    for (int probe = 0; probe < 20; ++probe) {
      const auto v = draw();
      std::int64_t count = 0;
      for (const auto& o : at_step_1) {
        bool no_worse = true, better = false;
        for (std::size_t k = 0; k < m; ++k) {
          const double a = dirs[k] == direction::maximize ? -o[k] : o[k], b = dirs[k] == direction::maximize ? -v[k] : v[k];
          no_worse = no_worse && a <= b;
          better = better || a < b;
        }
        count += no_worse && better;
      }
      INFO("seed " << seed << " probe " << probe << ": dominated by " << count << ", threshold " << n);
      CHECK(sched.should_prune(st.storage.view(st.sid), study::running(1, v, {0})) == (count >= n));
    }
  }
}

TEST_CASE("pareto_scheduler: NaN, infeasible and pruned trials, start-up, warm-up, interval, fraction",
          "[schedulers][pareto]") {
  study st({direction::minimize, direction::maximize});
  for (int i = 0; i < 3; ++i) st.add({{1, 5}, {0.5, 6}});
  const auto view = [&] { return st.storage.view(st.sid); };
  tunekit::pareto_scheduler sched{{.n_dominating = 3, .n_startup_trials = 3}};
  CHECK(sched.should_prune(view(), study::running(1, {0.7, 5.5}, {0})));
  CHECK_FALSE(sched.should_prune(view(), study::running(1, {0.4, 5.5}, {0})));  // better f0
  CHECK_FALSE(sched.should_prune(view(), study::running(1, {0.7, 6.5}, {0})));  // better f1 (maximised)
  CHECK_FALSE(sched.should_prune(view(), study::running(1, {std::nan(""), 0}, {0})));
  CHECK_FALSE(sched.should_prune(view(), study::running(7, {9, 0}, {0})));  // nobody completed reported step 7
  CHECK_FALSE(sched.should_prune(view(), tunekit::frozen_trial{}));          // no vector reported

  study few({direction::minimize, direction::minimize});
  for (int i = 0; i < 2; ++i) few.add({{0, 0}});
  few.add({{0, 0}}, /*feasible=*/false);
  few.add({{0, 0}}, true, tunekit::trial_state::pruned);
  tunekit::pareto_scheduler two{{.n_dominating = 3, .n_startup_trials = 0}};
  CHECK_FALSE(two.should_prune(few.storage.view(few.sid), study::running(0, {1, 1})));  // infeasible and pruned do not count
  tunekit::pareto_scheduler startup{{.n_dominating = 1, .n_startup_trials = 4}};
  CHECK_FALSE(startup.should_prune(few.storage.view(few.sid), study::running(0, {1, 1})));  // 3 COMPLETE < 4
  tunekit::pareto_scheduler warm{{.n_dominating = 1, .n_startup_trials = 0, .n_warmup_steps = 1}};
  CHECK_FALSE(warm.should_prune(few.storage.view(few.sid), study::running(0, {1, 1})));

  study many({direction::minimize, direction::minimize});
  for (int i = 0; i < 10; ++i) many.add({{0, 0}, {0, 0}, {0, 0}});
  tunekit::pareto_scheduler interval{{.n_dominating = 1, .n_startup_trials = 0, .interval_steps = 2}};
  CHECK(interval.should_prune(many.storage.view(many.sid), study::running(2, {1, 1}, {0})));
  CHECK_FALSE(interval.should_prune(many.storage.view(many.sid), study::running(1, {1, 1}, {0})));  // same window as 0
  tunekit::pareto_scheduler fraction{{.n_dominating = 1, .fraction = 0.5, .n_startup_trials = 0}};
  many.add({{2, 2}, {2, 2}, {2, 2}});  // 11 reported; 10 dominate (1, 1), 0 dominate (3, 3)... 
  CHECK(fraction.should_prune(many.storage.view(many.sid), study::running(2, {1, 1})));
  CHECK_FALSE(fraction.should_prune(many.storage.view(many.sid), study::running(2, {1, -1})));
}

TEST_CASE("pareto_scheduler: bad options name the option", "[schedulers][pareto]") {
  REQUIRE_INVALID(tunekit::pareto_scheduler({.n_dominating = 0}), Contains("n_dominating"));
  REQUIRE_INVALID(tunekit::pareto_scheduler({.fraction = 1.5}), Contains("fraction"));
  REQUIRE_INVALID(tunekit::pareto_scheduler({.fraction = std::nan("")}), Contains("fraction"));
  REQUIRE_INVALID(tunekit::pareto_scheduler({.n_startup_trials = -1}), Contains("n_startup_trials"));
  REQUIRE_INVALID(tunekit::pareto_scheduler({.interval_steps = 0}), Contains("interval_steps"));
}

TEST_CASE("pareto_scheduler: in a tuner, dominated trials stop early and the front survives", "[schedulers][pareto]") {
  // f0 = x, f1 = 1 - x + y: at every step a trial reports its final values
  // plus a shrinking offset, so a trial with large y is dominated early.
  // The random sampler draws the same parameters per trial number, so a run
  // without stopping evaluates the same 60 points to the end.
  // One tuner type in this file (compile time): "no stopping" is a threshold no trial reaches.
  auto run = [](tunekit::pareto_scheduler scheduler, int& steps) {
    tunekit::tuner tuner{scheduler, tunekit::random_sampler{{.seed = 3}},
                         tunekit::study_config{.directions = {direction::minimize, direction::minimize}}};
    tuner.optimize([&](tunekit::trial& t) -> tunekit::result {
      const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
      for (int s = 0; s < 10; ++s) {
        ++steps;
        const double offset = 1.0 / (1 + s);
        t.report_values(s, {x + 0.01 * offset, 1 - x + y + offset});
        if (t.should_prune()) return tunekit::pruned;
      }
      return std::vector<double>{x, 1 - x + y};
    }, {.n_trials = 60});
    tunekit::point_set front;
    for (const auto& t : tuner.best_trials()) front.push_back(t.values);
    return tunekit::hypervolume(front, std::vector<double>{1.1, 2.1});
  };
  int steps = 0, all_steps = 0;
  const double hv = run(tunekit::pareto_scheduler{{.n_dominating = 2}}, steps);
  const double hv_all = run(tunekit::pareto_scheduler{{.n_dominating = 1'000'000}}, all_steps);
  INFO("steps " << steps << " of " << all_steps << ", hypervolume " << hv << " of " << hv_all);
  CHECK(all_steps == 600);
  CHECK(steps < 600 * 3 / 4);
  CHECK(hv >= 0.98 * hv_all);

  tunekit::tuner tuner{tunekit::pareto_scheduler{}, tunekit::random_sampler{{.seed = 1}},
                       tunekit::study_config{.directions = {direction::minimize, direction::minimize}}};
  auto bad = tuner.ask();
  REQUIRE_INVALID(bad.report_values(0, {1.0}), Contains("report_values") && Contains("2 direction(s)"));
  CHECK(bad.report_values(0, {1.0, 2.0}));
  CHECK_FALSE(bad.report_values(0, {3.0, 4.0}));  // a step keeps its first vector
  CHECK(tunekit::intermediate_vector(tuner.tell(bad, std::vector<double>{1, 2}), 0)->at(1) == 2.0);
}
