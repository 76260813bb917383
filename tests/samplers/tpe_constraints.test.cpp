// Tests of TPE with constraints and one objective (samplers/detail/
// tpe_history.hpp and constrained_split.hpp): the good set over many random
// studies, unconstrained proposals unchanged when every constraint holds,
// constrained TPE against the constraint-blind one, and NaN / +inf /
// changing-length constraint values. (The multi-objective split with
// constraints is checked in tpe.test.cpp.)
#include <catch2/catch.hpp>

#include <tunekit/samplers/detail/tpe_history.hpp>
#include <tunekit/tunekit.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

const tunekit::distribution unit_interval = tunekit::float_distribution(0.0, 1.0);
constexpr double infinity = std::numeric_limits<double>::infinity();

/// A one-objective study written straight into a memory storage.
struct constrained_history {
  tunekit::memory_storage storage;
  tunekit::study_id study;
  constrained_history() {
    const std::array<tunekit::direction, 1> dirs{tunekit::direction::minimize};
    study = storage.create_study("ctpe", dirs);
  }
  /// A finished trial; `constraints` stored as `trial::set_constraints` does (none: no attribute).
  void add(double x, tunekit::trial_state state, std::vector<double> values,
           std::optional<std::vector<double>> constraints, std::map<std::int64_t, double> intermediate = {}) {
    const auto t = storage.create_trial(study, tunekit::frozen_trial{});
    storage.set_param(t.id, "x", x, unit_interval);
    for (const auto& [step, v] : intermediate) storage.set_intermediate_value(t.id, step, v);
    if (constraints)
      for (const auto& [key, value] : tunekit::constraint_attributes(*constraints)) storage.set_system_attr(t.id, key, value);
    storage.finish_trial(t.id, state, values, {}, "");
  }
  tunekit::study_view view() const { return storage.view(study); }
};

/// The sampler's study state, opened for the test: its good set for `g`.
struct split_probe : tunekit::detail::tpe_history<> {
  std::vector<std::uint32_t> good(const tunekit::study_view& view, std::size_t g) {
    sync(view);
    split_at(g);
    return study_.below_marked;
  }
  std::size_t usable() const { return study_.n_usable; }
};

}  // namespace

TEST_CASE("tpe split, one objective with constraints: feasible trials first by value, then the least violating",
          "[samplers][tpe][constraints]") {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    tunekit::random_engine e(seed);
    constrained_history h;
    const std::size_t n = e.below(50);
    // Per trial: usable? feasible? violation, rank key (complete by value, then pruned by -step, value).
    struct expected {
      bool usable;
      double violation;
      std::pair<double, double> key;
    };
    std::vector<expected> ex;
    for (std::size_t i = 0; i < n; ++i) {
      const double value = static_cast<double>(e.below(10));  // ties on purpose
      std::optional<std::vector<double>> c;
      if (e.below(8) != 0) {  // some trials give no constraint: feasible
        c.emplace();
        for (std::size_t k = 0, len = e.below(4); k < len; ++k) {  // the length changes from trial to trial
          const auto r = e.below(12);
          c->push_back(r == 0 ? std::nan("") : r == 1 ? infinity : r < 6 ? -1.0 : static_cast<double>(r - 5) / 4);
        }
      }
      double violation = 0;
      if (c)
        for (double v : *c) violation += std::isnan(v) ? infinity : std::max(v, 0.0);
      const auto kind = e.below(20);
      if (kind == 0) {
        h.add(e.uniform(), tunekit::trial_state::fail, {}, c);
        ex.push_back({false, violation, {}});
      } else if (kind == 1) {
        h.add(e.uniform(), tunekit::trial_state::complete, {std::nan("")}, c);
        ex.push_back({false, violation, {}});
      } else if (kind == 2) {
        const auto step = static_cast<std::int64_t>(e.below(3));
        h.add(e.uniform(), tunekit::trial_state::pruned, {}, c, {{step, value}});
        ex.push_back({true, violation, {-static_cast<double>(step), value}});
      } else {
        h.add(e.uniform(), tunekit::trial_state::complete, {value}, c);
        ex.push_back({true, violation, {-infinity, value}});
      }
    }
    split_probe probe;
    const std::size_t n_usable = static_cast<std::size_t>(std::count_if(ex.begin(), ex.end(), [](const expected& t) { return t.usable; }));
    const std::size_t g = e.below(n_usable + 1);
    const auto good = probe.good(h.view(), g);
    INFO("seed " << seed << ", " << n_usable << " usable, g " << g);
    REQUIRE(probe.usable() == n_usable);
    REQUIRE(good.size() == g);
    REQUIRE(std::is_sorted(good.begin(), good.end()));
    const std::set<std::uint32_t> in(good.begin(), good.end());
    std::size_t n_feasible = 0;
    for (const auto& t : ex) n_feasible += t.usable && t.violation == 0;
    for (std::uint32_t id : good) REQUIRE(ex[id].usable);
    for (std::uint32_t a : good)
      for (std::uint32_t b = 0; b < n; ++b) {
        if (!ex[b].usable || in.count(b)) continue;
        // Never an infeasible good trial while a feasible one is left out...
        CHECK_FALSE((ex[a].violation > 0 && ex[b].violation == 0));
        // ...infeasible ones by violation...
        if (ex[a].violation > 0) CHECK(ex[a].violation <= ex[b].violation);
        // ...and the feasible good ones the best feasible by value.
        if (n_feasible > g && ex[b].violation == 0) CHECK(ex[a].key <= ex[b].key);
      }
  }
}

TEST_CASE("tpe_sampler: a study whose constraints all hold gets the proposals of an unconstrained one",
          "[samplers][tpe][constraints]") {
  for (bool multivariate : {false, true}) {
    std::vector<std::map<std::int64_t, tunekit::param_map>> runs;
    for (bool constrained : {false, true}) {
      tunekit::tuner tuner{tunekit::tpe_sampler{{.multivariate = multivariate, .seed = 21}}};
      tuner.optimize([&](tunekit::trial& t) {
        const double x = t.suggest_float("x", -2, 2), y = t.suggest_float("y", 0, 1, {.log = false});
        const auto k = t.suggest_int("k", 0, 4);
        if (constrained) t.set_constraints({-1.0});
        return x * x + (y - 0.2) * (y - 0.2) + 0.1 * static_cast<double>(k);
      }, {.n_trials = 40});
      auto& by_trial = runs.emplace_back();
      for (const auto& t : tuner.trials()) by_trial.emplace(t.number, t.params);
    }
    INFO("multivariate " << multivariate);
    CHECK(runs[0] == runs[1]);
  }
}

namespace {
/// Best feasible value of TPE on a disk-constrained bowl whose free optimum
/// (1, 1) is infeasible: min (x-1)^2 + (y-1)^2 s.t. x^2 + y^2 <= 0.5 (optimum
/// 0.5 at (0.5, 0.5)). `report`: tell the sampler the constraints.
double best_feasible(std::uint64_t seed, bool report) {
  tunekit::tuner tuner{tunekit::tpe_sampler{{.seed = seed}}};
  double best = infinity;
  tuner.optimize([&](tunekit::trial& t) {
    const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
    const double f = (x - 1) * (x - 1) + (y - 1) * (y - 1), c = x * x + y * y - 0.5;
    if (report) t.set_constraints({c});
    if (c <= 0) best = std::min(best, f);
    return f;
  }, {.n_trials = 50});
  return best;
}
}  // namespace

TEST_CASE("tpe_sampler: with the constraints it finds better feasible points than without them",
          "[samplers][tpe][constraints]") {
  std::vector<double> aware, blind;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    aware.push_back(best_feasible(seed, true) - 0.5);
    blind.push_back(best_feasible(seed, false) - 0.5);
  }
  std::sort(aware.begin(), aware.end());
  std::sort(blind.begin(), blind.end());
  INFO("median regret: constrained " << aware[2] << ", blind " << blind[2]);
  CHECK(aware[2] < 0.5 * blind[2]);
  CHECK(aware[4] < blind[2]);
}

TEST_CASE("tpe split, one objective: NaN constraints are infeasible, +inf nearly so; lengths may change",
          "[samplers][tpe][constraints]") {
  constrained_history h;
  using tunekit::trial_state;
  h.add(0.1, trial_state::complete, {0.0}, std::vector<double>{std::nan("")});  // 0: best value, unknown constraint
  h.add(0.2, trial_state::complete, {1.0}, std::vector<double>{infinity});           // 1: violation the largest double
  h.add(0.3, trial_state::complete, {2.0}, std::vector<double>{0.5});           // 2: violation 0.5
  h.add(0.4, trial_state::complete, {3.0}, std::vector<double>{0.2, 0.2, -3});  // 3: 0.4, three values
  h.add(0.5, trial_state::complete, {4.0}, std::vector<double>{});             // 4: no values: feasible
  h.add(0.6, trial_state::complete, {5.0}, std::nullopt);                      // 5: no attribute: feasible
  split_probe probe;
  CHECK(probe.good(h.view(), 1) == std::vector<std::uint32_t>{4});  // feasible, older
  CHECK(probe.good(h.view(), 2) == std::vector<std::uint32_t>{4, 5});
  CHECK(probe.good(h.view(), 3) == std::vector<std::uint32_t>{3, 4, 5});
  CHECK(probe.good(h.view(), 4) == std::vector<std::uint32_t>{2, 3, 4, 5});
  CHECK(probe.good(h.view(), 5) == std::vector<std::uint32_t>{1, 2, 3, 4, 5});
  // The sampler itself takes them without complaint, NaN included.
  tunekit::tuner tuner{tunekit::tpe_sampler{{.n_startup_trials = 3, .seed = 1}}};
  tuner.optimize([](tunekit::trial& t) {
    const double x = t.suggest_float("x", 0, 1);
    const auto n = t.number();
    if (n % 4 == 0) t.set_constraints({std::nan("")});
    else if (n % 4 == 1) t.set_constraints({infinity});
    else if (n % 4 == 2) t.set_constraints({x - 0.5});
    return x;
  }, {.n_trials = 16});
  for (const auto& t : tuner.trials()) CHECK(t.state == trial_state::complete);
  CHECK(tunekit::is_feasible(tuner.best_trial()));
  // Through a tuner the number of constraints cannot change (only a storage
  // written by another program can hold such a study; the split above sums
  // whatever values each trial has).
  CHECK_THROWS_WITH(tuner.optimize([](tunekit::trial& t) {
    t.set_constraints({-1.0, -1.0});
    return t.suggest_float("x", 0, 1);
  }, {.n_trials = 1, .catch_exceptions = false}), Catch::Contains("every trial must give the same number"));
}
