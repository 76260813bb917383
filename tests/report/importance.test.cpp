#include <catch2/catch.hpp>

#include <tunekit/report/importance.hpp>

#include "support/require_invalid.hpp"
#include "support/study_history.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace tk = tunekit;
using tk::testing::study_history;

namespace {

/// n random trials of three parameters: a log float, an int and a
/// categorical, uniformly drawn; `loss` maps their unit coordinates to the value.
template <class Loss>
std::vector<tk::frozen_trial> synthetic(std::uint64_t seed, int n, Loss loss, tk::direction d = tk::direction::minimize) {
  const study_history::dimensions dims = {
      {"lr", tk::float_distribution(1e-5, 1.0, {.log = true})},
      {"layers", tk::int_distribution(1, 8)},
      {"act", tk::categorical_distribution({"relu", "tanh", "gelu"})},
  };
  study_history h(d);
  tk::random_engine rng(seed);
  for (int i = 0; i < n; ++i) {
    std::vector<double> internal, units;
    for (const auto& [name, dist] : dims) {
      internal.push_back(tk::from_unit(dist, rng.uniform()));
      units.push_back(tk::to_unit(dist, internal.back()));
    }
    const double v = loss(units[0], units[1], units[2]);
    h.add(dims, internal, d == tk::direction::minimize ? v : -v);
  }
  return h.storage.trials(h.study);
}

std::vector<std::string> order(const std::vector<tk::report::param_importance>& r) {
  std::vector<std::string> names;
  for (const auto& p : r) names.push_back(p.name);
  return names;
}

const std::vector<tk::direction> minimize_directions{tk::direction::minimize};
const std::vector<tk::direction> maximize_directions{tk::direction::maximize};

}  // namespace

TEST_CASE("ped_anova ranks a dominant, a weak and an irrelevant parameter over many seeds", "[report][importance]") {
  // lr (log float) dominates, layers (int) matters a little, act not at all.
  auto loss = [](double lr, double layers, double) { return 4.0 * (lr - 0.3) * (lr - 0.3) + 0.1 * layers; };
  int ordered = 0;
  constexpr int seeds = 40;
  for (int seed = 0; seed < seeds; ++seed) {
    for (auto d : {tk::direction::minimize, tk::direction::maximize}) {
      const auto trials = synthetic(static_cast<std::uint64_t>(seed), 200, loss, d);
      const auto r = tk::report::ped_anova_importances(trials, d == tk::direction::minimize ? minimize_directions : maximize_directions);
      REQUIRE(r.size() == 3);
      double total = 0;
      for (const auto& p : r) {
        CHECK(p.importance >= 0);
        total += p.importance;
      }
      CHECK(total == Approx(1.0));
      if (order(r) == std::vector<std::string>{"lr", "layers", "act"}) ++ordered;
      CHECK(r[0].name == "lr");
      CHECK(r[0].importance > 0.5);
    }
  }
  INFO("ordered " << ordered << " of " << 2 * seeds);
  CHECK(ordered >= 2 * seeds * 95 / 100);
}

TEST_CASE("ped_anova finds a dominant categorical parameter", "[report][importance]") {
  // relu is best; within it the order is decided by noise no parameter explains.
  for (int seed = 0; seed < 20; ++seed) {
    tk::random_engine noise(1000 + static_cast<std::uint64_t>(seed));
    auto loss = [&](double, double, double act) { return (act < 1.0 / 3 ? 0.0 : 1.0) + 0.5 * noise.uniform(); };
    const auto r = tk::report::ped_anova_importances(synthetic(static_cast<std::uint64_t>(seed), 120, loss), minimize_directions);
    REQUIRE(r.size() == 3);
    CHECK(r[0].name == "act");
    CHECK(r[0].importance > 0.5);
  }
}

TEST_CASE("ped_anova gives a constant objective zero importance everywhere", "[report][importance]") {
  const auto r = tk::report::ped_anova_importances(synthetic(1, 50, [](double, double, double) { return 1.5; }), minimize_directions);
  REQUIRE(r.size() == 3);
  for (const auto& p : r) CHECK(p.importance == 0.0);
  CHECK(order(r) == std::vector<std::string>{"act", "layers", "lr"});  // ties: by name
}

TEST_CASE("ped_anova needs min_trials usable trials and ignores unfinished ones", "[report][importance]") {
  auto loss = [](double lr, double, double) { return lr; };
  auto trials = synthetic(2, 9, loss);
  CHECK(tk::report::ped_anova_importances(trials, minimize_directions).empty());  // 9 < 10
  CHECK(tk::report::ped_anova_importances({}, minimize_directions).empty());
  CHECK(tk::report::ped_anova_importances(trials, minimize_directions, {.min_trials = 5}).size() == 3);

  // Pruned and failed trials do not count towards min_trials.
  study_history h;
  const study_history::dimensions dims = {{"x", tk::float_distribution(0, 1)}};
  for (int i = 0; i < 20; ++i) h.add(dims, {i / 20.0}, i, i % 2 ? tk::trial_state::pruned : tk::trial_state::fail);
  CHECK(tk::report::ped_anova_importances(h.storage.trials(h.study), minimize_directions).empty());
  for (int i = 0; i < 10; ++i) h.add(dims, {i / 10.0}, i);
  CHECK(tk::report::ped_anova_importances(h.storage.trials(h.study), minimize_directions).size() == 1);
}

TEST_CASE("ped_anova judges a conditional parameter on the trials that have it", "[report][importance]") {
  study_history h;
  const study_history::dimensions both = {{"x", tk::float_distribution(0, 1)}, {"y", tk::float_distribution(0, 1)}};
  const study_history::dimensions only_x = {{"x", tk::float_distribution(0, 1)}};
  tk::random_engine rng(3);
  for (int i = 0; i < 100; ++i) {
    const double x = rng.uniform(), y = rng.uniform();
    if (i % 2) h.add(both, {x, y}, x);
    else h.add(only_x, {x}, x);
  }
  const auto r = tk::report::ped_anova_importances(h.storage.trials(h.study), minimize_directions);
  REQUIRE(r.size() == 2);
  CHECK(r[0].name == "x");
  CHECK(r[0].importance > 0.8);
}

TEST_CASE("ped_anova ranks by the chosen objective of a multi-objective study", "[report][importance]") {
  tk::memory_storage s;
  const std::vector<tk::direction> dirs{tk::direction::minimize, tk::direction::maximize};
  const auto sid = s.create_study("mo", dirs);
  tk::random_engine rng(4);
  const tk::distribution dx = tk::float_distribution(0, 1), dy = tk::float_distribution(0, 1);
  for (int i = 0; i < 100; ++i) {
    const auto t = s.create_trial(sid, {});
    const double x = rng.uniform(), y = rng.uniform();
    s.set_param(t.id, "x", x, dx);
    s.set_param(t.id, "y", y, dy);
    const std::vector<double> v{x, y};
    s.finish_trial(t.id, tk::trial_state::complete, v, {}, "");
  }
  const auto trials = s.trials(sid);
  CHECK(tk::report::ped_anova_importances(trials, dirs, {.objective = 0})[0].name == "x");
  CHECK(tk::report::ped_anova_importances(trials, dirs, {.objective = 1})[0].name == "y");
  // Unnormalised scores are the raw divergences.
  const auto raw = tk::report::ped_anova_importances(trials, dirs, {.normalize = false});
  CHECK(raw[0].importance > 1.0);
}

TEST_CASE("ped_anova rejects bad options, naming them", "[report][importance]") {
  const auto trials = synthetic(5, 20, [](double a, double, double) { return a; });
  using tk::report::ped_anova_importances;
  REQUIRE_INVALID(ped_anova_importances(trials, minimize_directions, {.target_quantile = 0}), Catch::Contains("target_quantile = 0"));
  REQUIRE_INVALID(ped_anova_importances(trials, minimize_directions, {.region_quantile = 1.5}), Catch::Contains("region_quantile = 1.5"));
  REQUIRE_INVALID(ped_anova_importances(trials, minimize_directions, {.target_quantile = 0.5, .region_quantile = 0.2}),
                  Catch::Contains("inside the region"));
  REQUIRE_INVALID(ped_anova_importances(trials, minimize_directions, {.objective = 1}), Catch::Contains("objective = 1"));
  REQUIRE_INVALID(ped_anova_importances(trials, minimize_directions, {.n_grid = 1}), Catch::Contains("n_grid = 1"));
}
