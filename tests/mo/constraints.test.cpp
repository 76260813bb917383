// Tests of constraints (tunekit/mo/constraints.hpp, trial::set_constraints,
// study_config::constraints): Optuna's `constraints` attribute, feasible-first
// best_trial/best_trials against brute force on seeded random studies, the
// storages that keep them, and the bad inputs of issue 17 (wrong arity, NaN
// and infinite values, empty feasible set, a throwing constraints function).
#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/mo/constraints.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include "support/require_invalid.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using tunekit::direction;
using Catch::Contains;

/// Feasible-first front by its definition: among feasible COMPLETE trials
/// those no other feasible one dominates; with none feasible, the smallest
/// total violation. O(n^2).
std::set<std::int64_t> brute_best(const std::vector<tunekit::frozen_trial>& trials, const std::vector<direction>& dirs) {
  auto minimised = [&](const tunekit::frozen_trial& t) {
    std::vector<double> v = t.values;
    for (std::size_t k = 0; k < v.size(); ++k)
      if (dirs[k] == direction::maximize) v[k] = -v[k];
    return v;
  };
  std::vector<const tunekit::frozen_trial*> feasible, all;
  for (const auto& t : trials)
    if (t.state == tunekit::trial_state::complete) {
      all.push_back(&t);
      if (tunekit::is_feasible(t)) feasible.push_back(&t);
    }
  std::set<std::int64_t> out;
  if (feasible.empty()) {
    double least = std::numeric_limits<double>::infinity();
    for (auto* t : all) least = std::min(least, tunekit::trial_violation(*t));
    for (auto* t : all)
      if (tunekit::trial_violation(*t) == least) out.insert(t->number);
    return out;
  }
  for (auto* a : feasible) {
    bool dominated = false;
    for (auto* b : feasible) dominated = dominated || tunekit::dominates(minimised(*b), minimised(*a));
    if (!dominated) out.insert(a->number);
  }
  return out;
}

std::set<std::int64_t> numbers(const std::vector<tunekit::frozen_trial>& ts) {
  std::set<std::int64_t> out;
  for (const auto& t : ts) out.insert(t.number);
  return out;
}

}  // namespace

TEST_CASE("constraints: best_trials is the feasible front, on random studies", "[mo][constraints]") {
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    tunekit::random_engine e(seed);
    const std::size_t m = 1 + seed % 3;
    std::vector<direction> dirs;
    for (std::size_t k = 0; k < m; ++k) dirs.push_back(e.below(2) ? direction::maximize : direction::minimize);
    const double feasible_share = seed % 4 == 0 ? 0.0 : 0.6;  // every fourth study has no feasible trial
    tunekit::tuner tuner{tunekit::random_sampler{{.seed = seed}}, tunekit::study_config{.directions = dirs}};
    for (int i = 0; i < 30; ++i) {
      auto t = tuner.ask();
      t.suggest_float("x", 0, 1);
      const double c0 = e.uniform() < feasible_share ? -e.uniform() : static_cast<double>(e.below(3) + 1);
      t.set_constraints({c0, -1.0});
      std::vector<double> v(m);
      for (auto& x : v) x = static_cast<double>(e.below(6));  // ties on purpose
      if (e.below(10) == 0) tuner.tell(t, tunekit::pruned);
      else tuner.tell(t, v);
    }
    INFO("seed " << seed);
    CHECK(numbers(tuner.best_trials()) == brute_best(tuner.trials(), dirs));
    if (m == 1) CHECK(brute_best(tuner.trials(), dirs).count(tuner.best_trial().number) == 1);
  }
}

TEST_CASE("constraints: stored as Optuna's 'constraints' attribute; NaN and infinity", "[mo][constraints]") {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 1}}};
  auto t = tuner.ask();
  t.set_constraints({0.5, -std::numeric_limits<double>::infinity()});
  t.set_constraints({-0.5, std::numeric_limits<double>::infinity()});  // replaces
  const auto done = tuner.tell(t, 1.0);
  REQUIRE(done.system_attrs.at("constraints").is_array());
  CHECK(done.system_attrs.at("constraints")[0].get<double>() == -0.5);
  CHECK(done.system_attrs.at("constraints")[1].get<double>() == std::numeric_limits<double>::max());
  CHECK_FALSE(tunekit::is_feasible(done));

  auto n = tuner.ask();
  n.set_constraints({-1.0, std::nan("")});
  const auto nan_done = tuner.tell(n, 0.5);
  CHECK(nan_done.system_attrs.at("constraints").is_null());  // what Optuna 3.1 stores for NaN
  const auto given = tunekit::trial_constraints(nan_done);
  REQUIRE(given);
  REQUIRE(given->size() == 2);
  CHECK((*given)[0] == -1.0);  // nothing lost
  CHECK(std::isnan((*given)[1]));
  CHECK(tunekit::trial_violation(nan_done) == std::numeric_limits<double>::infinity());

  auto f = tuner.ask();
  f.set_constraints({-1.0, 0.0});  // 0 is satisfied
  const auto ok = tuner.tell(f, 2.0);
  CHECK(tunekit::is_feasible(ok));
  // Feasible first: the worse value wins because it is the only feasible one.
  CHECK(tuner.best_trial().number == ok.number);
  CHECK(numbers(tuner.best_trials()) == std::set<std::int64_t>{ok.number});
}

TEST_CASE("constraints: empty feasible set gives the least violation", "[mo][constraints]") {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 2}},
                       tunekit::study_config{.directions = {direction::minimize, direction::minimize}}};
  const double violation[] = {3, 1, 2, 1};
  const double value[] = {0, 5, 0, 6};
  for (int i = 0; i < 4; ++i) {
    auto t = tuner.ask();
    t.set_constraints({violation[i]});
    tuner.tell(t, std::vector<double>{value[i], value[i]});
  }
  const auto best = tuner.best_trials();
  CHECK(numbers(best) == std::set<std::int64_t>{1, 3});
  for (const auto& t : best) CHECK_FALSE(tunekit::is_feasible(t));
}

TEST_CASE("constraints: bad input is an error that loses no trial", "[mo][constraints]") {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 3}}};
  auto t = tuner.ask();
  REQUIRE_INVALID(t.set_constraints(std::vector<double>{}), Contains("set_constraints") && Contains("no values"));
  t.set_constraints({1.0, 2.0});
  tuner.tell(t, 1.0);
  auto u = tuner.ask();
  REQUIRE_INVALID(u.set_constraints({1.0}), Contains("1 value(s)") && Contains("2 constraint(s)"));
  CHECK(tuner.tell(u, 2.0).state == tunekit::trial_state::complete);  // the trial goes on
  // In optimize, a wrong count fails the trial with the reason; the run goes on.
  tuner.optimize([](tunekit::trial& tr) {
    tr.set_constraints({1.0, 2.0, 3.0});
    return 0.0;
  }, {.n_trials = 2});
  const auto all = tuner.trials();
  REQUIRE(all.size() == 4);
  CHECK(all[3].state == tunekit::trial_state::fail);
  CHECK_THAT(all[3].fail_reason, Contains("2 constraint(s)"));
}

TEST_CASE("constraints: study_config::constraints (Optuna's constraints_func)", "[mo][constraints]") {
  int calls = 0;
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 4}},
                       tunekit::study_config{.constraints = [&](const tunekit::frozen_trial& t) {
                         ++calls;
                         REQUIRE(t.values.size() == 1);  // called with the values set
                         if (t.param<double>("x") > 0.9) throw std::runtime_error("no constraint here");
                         return std::vector<double>{t.param<double>("x") - 0.5};
                       }}};
  tuner.optimize([](tunekit::trial& t) {
    const double x = t.suggest_float("x", 0, 1);
    if (x < 0.1) t.set_constraints({-7.0});  // the trial's own values win
    return -x;
  }, {.n_trials = 60});
  int failed = 0;
  for (const auto& t : tuner.trials()) {
    const double x = t.param<double>("x");
    if (x > 0.9 && x >= 0.1) {
      CHECK(t.state == tunekit::trial_state::fail);
      CHECK_THAT(t.fail_reason, Contains("constraints function") && Contains("no constraint here"));
      ++failed;
      continue;
    }
    REQUIRE(t.state == tunekit::trial_state::complete);
    CHECK(tunekit::trial_constraints(t)->at(0) == (x < 0.1 ? -7.0 : x - 0.5));
  }
  CHECK(failed > 0);
  CHECK(calls > 0);
  CHECK(tuner.best_trial().param<double>("x") <= 0.5);  // the best feasible, not the largest x
}

TEST_CASE("constraints: kept by the journal and read back by a new process's tuner", "[mo][constraints]") {
  const auto path = std::filesystem::temp_directory_path() / ("tunekit_constraints_" + std::to_string(::getpid()) + ".journal");
  std::filesystem::remove(path);
  const std::vector<direction> dirs{direction::minimize, direction::maximize};
  std::set<std::int64_t> front;
  {
    tunekit::tuner tuner{tunekit::random_sampler{{.seed = 5}}, tunekit::journal_storage(path.string()),
                         tunekit::study_config{.name = "c", .directions = dirs}};
    tuner.optimize([](tunekit::trial& t) {
      const double x = t.suggest_float("x", 0, 1);
      t.set_constraints({x - 0.7, x > 0.65 ? std::nan("") : -1.0});
      t.report_values(0, {x, 1 - x});
      return std::vector<double>{x, 1 - x * x};
    }, {.n_trials = 25});
    front = numbers(tuner.best_trials());
  }
  tunekit::tuner again{tunekit::random_sampler{{.seed = 6}}, tunekit::journal_storage(path.string()),
                       tunekit::study_config{.name = "c", .directions = dirs}};
  CHECK(numbers(again.best_trials()) == front);
  CHECK(numbers(again.best_trials()) == brute_best(again.trials(), dirs));
  for (const auto& t : again.trials()) {
    const double x = t.param<double>("x");
    CHECK(tunekit::is_feasible(t) == (x <= 0.65));
    REQUIRE(tunekit::intermediate_vector(t, 0));
    CHECK(tunekit::intermediate_vector(t, 0)->at(1) == 1 - x);
  }
  std::filesystem::remove(path);
}
