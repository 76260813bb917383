// Tests of DEHB: tunekit/samplers/dehb.hpp (with its operators in
// samplers/detail/differential_evolution.hpp). Options, population sizes
// and brackets, mutation and crossover over many seeds, the parent-pool
// rule and DE's one-to-one selection read from a study, and the bad input
// of issue 19: reports at decreasing or repeated steps, steps off the
// rungs, trials that never report, workers that die mid-rung, two threads
// and two storage handles on one journal file.
#include <catch2/catch.hpp>

#include <tunekit/samplers/dehb.hpp>
#include <tunekit/schedulers/bohb.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include "support/awkward_reports.hpp"
#include "support/multifidelity_scenarios.hpp"
#include "support/require_invalid.hpp"
#include "support/study_history.hpp"
#include "support/temp_dir.hpp"
#include "support/test_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace {

namespace tk = tunekit;
using Catch::Contains;

/// Three parameters on [0, 1]: unit coordinates are the values themselves.
std::vector<std::pair<std::string, tk::distribution>> dehb_xyz() {
  const tk::distribution u = tk::float_distribution(0.0, 1.0);
  return {{"x", u}, {"y", u}, {"z", u}};
}

double dehb_bowl(const std::vector<double>& p) {
  return (p[0] - 0.3) * (p[0] - 0.3) + (p[1] - 0.7) * (p[1] - 0.7) + (p[2] - 0.5) * (p[2] - 0.5);
}

tk::frozen_trial dehb_numbered(std::int64_t n) {
  tk::frozen_trial t;
  t.number = n;
  return t;
}

/// The objective of the tuner tests: the bowl plus 1/step, reported every step to 27.
tk::result dehb_train(tk::trial& t) {
  const std::vector<double> p{t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1), t.suggest_float("z", 0, 1)};
  for (std::int64_t step = 1; step <= 27; ++step) {
    t.report(step, dehb_bowl(p) + 1.0 / static_cast<double>(step));
    if (t.should_prune()) return tk::pruned;
  }
  return dehb_bowl(p);
}

}  // namespace

TEST_CASE("dehb: options name the option; populations and brackets are Hyperband's", "[samplers][dehb]") {
  STATIC_REQUIRE(tk::relational_sampler<tk::dehb_sampler>);
  using o = tk::dehb_sampler_options;
  REQUIRE_INVALID(tk::dehb_sampler(o{}), Contains("dehb_sampler: max_resource is not set"));
  REQUIRE_INVALID(tk::dehb_sampler(o{.min_resource = 0, .max_resource = 9}), Contains("min_resource = 0"));
  REQUIRE_INVALID(tk::dehb_sampler(o{.max_resource = 9, .reduction_factor = 1}), Contains("reduction_factor = 1"));
  REQUIRE_INVALID(tk::dehb_sampler(o{.max_resource = 9, .mutation_factor = 0}), Contains("mutation_factor = 0"));
  REQUIRE_INVALID(tk::dehb_sampler(o{.max_resource = 9, .mutation_factor = 2.5}), Contains("must be in (0, 2]"));
  REQUIRE_INVALID(tk::dehb_sampler(o{.max_resource = 9, .crossover_prob = 1.5}), Contains("crossover_prob = 1.5"));
  REQUIRE_INVALID(tk::dehb_sampler(o{.max_resource = 9, .crossover_prob = std::nan("")}), Contains("crossover_prob"));
  // N_b, the most evaluations Hyperband makes at budget b in one iteration (the paper's sizes).
  const tk::dehb_sampler s({.max_resource = 81});
  CHECK(s.budgets() == std::vector<std::int64_t>{1, 3, 9, 27, 81});
  CHECK(s.population_sizes() == std::vector<std::int64_t>{81, 34, 15, 8, 5});
  CHECK(tk::dehb_sampler({.max_resource = 100}).population_sizes() == std::vector<std::int64_t>{81, 34, 15, 8, 5});
  CHECK(tk::dehb_sampler({.min_resource = 4, .max_resource = 4}).population_sizes() == std::vector<std::int64_t>{1});
  const tk::bohb_scheduler brackets({.max_resource = 81});
  for (std::int64_t n = 0; n < 300; ++n) REQUIRE(s.bracket_of("study", n) == brackets.bracket_of("study", n));
}

TEST_CASE("dehb: mutation stays in the unit cube; crossover keeps a mutant coordinate", "[samplers][dehb]") {
  tk::random_engine rng(11);
  int repaired = 0;
  for (int rep = 0; rep < 500; ++rep) {
    const std::size_t d = 1 + static_cast<std::size_t>(rng.below(8));
    const double f = rng.uniform(0.05, 2.0), cr = rep % 5 == 0 ? 0.0 : rng.uniform();
    std::vector<double> a(d), b(d), c(d), target(d), mutant(d), child(d);
    for (std::size_t j = 0; j < d; ++j) a[j] = rng.uniform(), b[j] = rng.uniform(), c[j] = rng.uniform(), target[j] = rng.uniform();
    tk::detail::de_mutant(a, b, c, f, rng, mutant);
    for (std::size_t j = 0; j < d; ++j) {
      const double v = a[j] + f * (b[j] - c[j]);
      REQUIRE((mutant[j] >= 0 && mutant[j] <= 1));
      if (v >= 0 && v <= 1) REQUIRE(mutant[j] == v);  // in range: the formula exactly
      else ++repaired;
    }
    const std::size_t j_rand = tk::detail::de_binomial_crossover(target, mutant, cr, rng, child);
    REQUIRE(j_rand < d);
    REQUIRE(child[j_rand] == mutant[j_rand]);
    std::size_t from_mutant = 0;
    for (std::size_t j = 0; j < d; ++j) {
      REQUIRE((child[j] == mutant[j] || child[j] == target[j]));
      from_mutant += child[j] == mutant[j] && child[j] != target[j];
    }
    CHECK(from_mutant >= 1);
    if (cr == 0.0) CHECK(from_mutant == 1);  // CR = 0: the j_rand coordinate only
  }
  CHECK(repaired > 0);  // the repair was exercised
  // CR = 1: the mutant itself.
  std::vector<double> t3{0.1, 0.2, 0.3}, m3{0.9, 0.8, 0.7}, out(3);
  tk::detail::de_binomial_crossover(t3, m3, 1.0, rng, out);
  CHECK(out == m3);
}

TEST_CASE("dehb: the parent pool, the target and the offspring follow the paper's rule", "[samplers][dehb]") {
  // For both directions and several seeded studies of 150 finished trials
  // (pruned, or failed: a dead worker) reporting at the rungs 1, 3, 9 (and
  // 27 for some), every proposal is checked against the rule computed here
  // from the study.
  for (const auto dir : {tk::direction::minimize, tk::direction::maximize})
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      tk::testing::study_history h(dir);
      tk::random_engine rng(seed);
      const auto dims = dehb_xyz();
      const double sign = dir == tk::direction::maximize ? -1.0 : 1.0;
      std::vector<std::vector<double>> points;
      std::vector<std::map<std::int64_t, double>> reports;
      for (int i = 0; i < 150; ++i) {
        std::vector<double> p{rng.uniform(), rng.uniform(), rng.uniform()};
        std::map<std::int64_t, double> iv;
        const std::int64_t last = i % 4 == 0 ? 27 : 9;
        for (std::int64_t s : {1, 3, 9, 27})
          if (s <= last) iv[s] = sign * (dehb_bowl(p) + rng.uniform(0, 0.3) / static_cast<double>(s));
        // Some workers died mid-rung (FAIL): their reports count like the others'.
        h.add(dims, p, i % 5 == 1 ? tk::trial_state::fail : tk::trial_state::pruned, {}, iv);
        points.push_back(p);
        reports.push_back(iv);
      }
      tk::dehb_sampler s({.max_resource = 27, .seed = seed});
      tk::dehb_sampler twin({.max_resource = 27, .seed = seed});
      const auto& n_pop = s.population_sizes();  // shares 27, 12, 6, 4 (max_resource 27)
      REQUIRE(n_pop == std::vector<std::int64_t>{27, 12, 6, 4});
      const auto space = tunekit_test::space_of(dims);
      // Slots: rank within the bracket (by number) modulo N_b.
      std::vector<std::size_t> bracket, slot;
      std::vector<std::int64_t> seen(4, 0);
      for (std::int64_t n = 0; n < 200; ++n) {
        bracket.push_back(s.bracket_of("history", n));
        slot.push_back(static_cast<std::size_t>(seen[bracket.back()]++ % n_pop[bracket.back()]));
      }
      const std::vector<std::int64_t> budgets{1, 3, 9, 27};
      auto value_at = [&](std::size_t i, std::size_t k) -> std::optional<double> {
        auto it = reports[i].find(budgets[k]);
        if (it == reports[i].end()) return std::nullopt;
        return sign * it->second;  // lower is better
      };
      int checked_pool = 0, crossed = 0;
      for (std::int64_t n = 150; n < 200; ++n) {
        const auto proposal = s.sample_relative(h.view(), dehb_numbered(n), space);
        REQUIRE(twin.sample_relative(h.view(), dehb_numbered(n), space) == proposal);  // same seed, same proposal
        REQUIRE(s.last_proposal());
        const tk::dehb_proposal& p = *s.last_proposal();
        const std::size_t b = bracket[static_cast<std::size_t>(n)];
        REQUIRE(p.bracket == b);
        REQUIRE(p.slot == slot[static_cast<std::size_t>(n)]);
        // The target: the best trial at budget b among the earlier trials of the same bracket and slot.
        std::optional<std::int64_t> target;
        for (std::size_t i = 0; i < 150; ++i)
          if (bracket[i] == b && slot[i] == p.slot && value_at(i, b) &&
              (!target || *value_at(i, b) <= *value_at(static_cast<std::size_t>(*target), b)))
            target = static_cast<std::int64_t>(i);
        REQUIRE(p.target == target);
        // The parent pool: bracket 0 draws from its own subpopulation; bracket b > 0 from the best
        // ceil(N_{b-1} / 3) trials at budget b - 1 (the promoted configurations), without the target.
        std::vector<std::int64_t> expected;
        if (b > 0) {
          std::vector<std::int64_t> ranked;
          for (std::size_t i = 0; i < 150; ++i)
            if (value_at(i, b - 1)) ranked.push_back(static_cast<std::int64_t>(i));
          std::stable_sort(ranked.begin(), ranked.end(), [&](auto i, auto j) {
            return *value_at(static_cast<std::size_t>(i), b - 1) < *value_at(static_cast<std::size_t>(j), b - 1);
          });
          ranked.resize(static_cast<std::size_t>((n_pop[b - 1] + 2) / 3));
          for (auto i : ranked)
            if (!target || i != *target) expected.push_back(i);
          auto got = p.pool;
          std::sort(got.begin(), got.end());
          std::sort(expected.begin(), expected.end());
          CHECK(got == expected);
          ++checked_pool;
        }
        REQUIRE(p.parents.size() == 3);
        // Parents are distinct, not the target, and from the pool unless the pool had fewer than 3.
        CHECK(p.parents[0] != p.parents[1]);
        CHECK(p.parents[1] != p.parents[2]);
        CHECK(p.parents[0] != p.parents[2]);
        for (auto q : p.parents) {
          CHECK((!target || q != *target));
          if (p.pool.size() >= 3) CHECK(std::find(p.pool.begin(), p.pool.end(), q) != p.pool.end());
        }
        // The offspring: each coordinate from the target or from a + F (b - c) (or its uniform repair).
        const std::vector<double> u{double(proposal.at("x")), double(proposal.at("y")), double(proposal.at("z"))};
        const auto& pa = points[static_cast<std::size_t>(p.parents[0])];
        const auto& pb = points[static_cast<std::size_t>(p.parents[1])];
        const auto& pc = points[static_cast<std::size_t>(p.parents[2])];
        int mutant_coordinates = 0;
        for (std::size_t j = 0; j < 3; ++j) {
          REQUIRE((u[j] >= 0 && u[j] <= 1));
          const double v = pa[j] + 0.5 * (pb[j] - pc[j]);
          const bool from_target = target && u[j] == points[static_cast<std::size_t>(*target)][j];
          const bool from_mutant = (v >= 0 && v <= 1) ? std::abs(u[j] - v) < 1e-12 : true;
          CHECK((from_target || from_mutant));
          mutant_coordinates += !from_target;
        }
        if (target) {
          CHECK(mutant_coordinates >= 1);
          ++crossed;
        }
      }
      CHECK(checked_pool > 5);
      CHECK(crossed > 10);
    }
}

TEST_CASE("dehb: an empty study or an empty slot of bracket 0 is drawn at random", "[samplers][dehb]") {
  tk::testing::study_history h;
  tk::dehb_sampler s({.max_resource = 9, .seed = 5});
  const auto space = tunekit_test::space_of(dehb_xyz());
  for (std::int64_t n = 0; n < 20; ++n) {
    const auto p = s.sample_relative(h.view(), dehb_numbered(n), space);
    REQUIRE(s.last_proposal());
    CHECK(s.last_proposal()->parents.empty());
    CHECK_FALSE(s.last_proposal()->target);
    for (const auto& [name, v] : p) CHECK((v >= 0 && v <= 1));
  }
}

TEST_CASE("dehb: the tuner runs DEHB on awkward reports on two threads without losing trials", "[samplers][dehb]") {
  // Reports at decreasing and repeated steps, steps off the rungs (every
  // 2nd step from 2), trials that never report, trials that throw mid-rung
  // (a dying worker), and NaN reports: every trial in the storage, every
  // bracket still trains trials to the end.
  tk::tuner tuner{tk::dehb_sampler({.max_resource = 27, .seed = 4}), tk::bohb_scheduler({.max_resource = 27})};
  const auto& brackets = tuner.scheduler();
  const std::string name = tuner.study_name();
  tunekit_test::check_awkward_run(tuner, 150, brackets.n_brackets(),
                                  [&](std::int64_t n) { return brackets.bracket_of(name, n); }, 2);
  CHECK(tuner.best_value() < 0.05);
}

TEST_CASE("dehb: workers that die mid-rung block no bracket", "[samplers][dehb]") {
  tunekit_test::check_dead_workers_under_bohb_brackets(
      [] { return tk::dehb_sampler({.max_resource = 27, .seed = 5}); }, 60);
}

TEST_CASE("dehb: an infinite value ranks last: never a parent or a slot's member over a finite one",
          "[samplers][dehb]") {
  constexpr double inf = std::numeric_limits<double>::infinity();
  for (const auto dir : {tk::direction::minimize, tk::direction::maximize}) {
    const double sign = dir == tk::direction::maximize ? -1.0 : 1.0;
    tk::testing::study_history h(dir);
    tk::random_engine rng(8);
    const auto dims = dehb_xyz();
    // Trials 0-2 diverged at step 1 with the "best" infinity of the direction (and 3 with the
    // other sign); 4-15 report finite values. Budget 1 feeds bracket 1's parent pool.
    for (int i = 0; i < 16; ++i) {
      const std::vector<double> p{rng.uniform(), rng.uniform(), rng.uniform()};
      const double v = i < 3 ? -sign * inf : i == 3 ? sign * inf : sign * dehb_bowl(p);
      h.add(dims, p, tk::trial_state::pruned, {}, {{1, v}});
    }
    tk::dehb_sampler s({.max_resource = 9, .seed = 2});
    REQUIRE(s.population_sizes() == std::vector<std::int64_t>{9, 5, 3});  // bracket 1 draws from the best 3 at 1
    std::int64_t n = 16;
    while (s.bracket_of("history", n) != 1) ++n;
    s.sample_relative(h.view(), dehb_numbered(n), tunekit_test::space_of(dims));
    REQUIRE(s.last_proposal());
    const auto& pool = s.last_proposal()->pool;
    CHECK(pool.size() == 3);
    for (auto q : pool) {
      INFO("pool member " << q);
      CHECK(q >= 4);
    }
  }
}

TEST_CASE("dehb: two storage handles on one journal file share one population", "[samplers][dehb]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "dehb.journal";
  tk::tuner a{tk::journal_storage(path, {.durability = tk::durability::none}), tk::study_config{.name = "shared"},
              tk::dehb_sampler({.max_resource = 27, .seed = 1}), tk::bohb_scheduler({.max_resource = 27})};
  tk::tuner b{tk::journal_storage(path, {.durability = tk::durability::none}), tk::study_config{.name = "shared"},
              tk::dehb_sampler({.max_resource = 27, .seed = 2}), tk::bohb_scheduler({.max_resource = 27})};
  for (int round = 0; round < 10; ++round) {
    a.optimize(dehb_train, {.n_trials = 8});
    b.optimize(dehb_train, {.n_trials = 8});
  }
  CHECK(a.trials().size() == 160);
  CHECK(b.trials().size() == 160);
  // Numbers are unique across the two handles, so their slots are too.
  std::vector<std::int64_t> numbers;
  for (const auto& t : a.trials()) numbers.push_back(t.number);
  std::sort(numbers.begin(), numbers.end());
  CHECK(std::adjacent_find(numbers.begin(), numbers.end()) == numbers.end());
  CHECK(std::min(a.best_value(), b.best_value()) < 0.05);
}
