// Tests of tunekit/mo/pareto.hpp: dominance, non-dominated sorting (the
// O(n log n) two-objective sweep and Deb's general sort) against a brute-force
// peeling on seeded random sets, constrained domination, crowding distance,
// bad input, and agreement with Optuna 3.1's own sort
// (tests/data/mo/optuna_reference.json, from generate_optuna_reference.py).
#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/mo/pareto.hpp>

#include <nlohmann/json.hpp>

#include "support/require_invalid.hpp"

#include <cmath>
#include <cstddef>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace {

using tunekit::point_set;

/// Ranks by repeatedly removing the points nobody left dominates. O(n^3).
std::vector<std::size_t> brute_ranks(const point_set& p) {
  std::vector<std::size_t> rank(p.size(), 0);
  std::vector<bool> left(p.size(), true);
  std::size_t remaining = p.size();
  for (std::size_t r = 0; remaining > 0; ++r) {
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (!left[i]) continue;
      bool dominated = false;
      for (std::size_t j = 0; j < p.size() && !dominated; ++j) dominated = left[j] && tunekit::dominates(p[j], p[i]);
      if (!dominated) front.push_back(i);
    }
    for (std::size_t i : front) rank[i] = r, left[i] = false, --remaining;
  }
  return rank;
}

point_set random_set(tunekit::random_engine& e, std::size_t n, std::size_t m, bool integer) {
  point_set p(n, std::vector<double>(m));
  for (auto& q : p)
    for (auto& v : q) v = integer ? static_cast<double>(e.below(5)) : e.uniform();
  return p;
}

nlohmann::json optuna_pareto_reference() {
  std::ifstream in(std::string(TUNEKIT_TEST_DATA_DIR) + "/mo/optuna_reference.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("pareto: dominates: strict in one objective, no worse in all", "[mo][pareto]") {
  const std::vector<double> a{1, 2}, b{1, 3}, c{2, 1};
  CHECK(tunekit::dominates(a, b));
  CHECK_FALSE(tunekit::dominates(b, a));
  CHECK_FALSE(tunekit::dominates(a, c));
  CHECK_FALSE(tunekit::dominates(c, a));
  CHECK_FALSE(tunekit::dominates(a, a));  // equal points do not dominate
}

TEST_CASE("pareto: non_dominated_ranks: matches brute-force peeling on random sets", "[mo][pareto]") {
  tunekit::random_engine e(17);
  for (std::size_t m : {1u, 2u, 3u, 4u})
    for (int round = 0; round < 60; ++round) {
      const std::size_t n = 1 + e.below(round < 30 ? 12 : 80);
      const point_set p = random_set(e, n, m, round % 2 == 0);  // integer sets: ties and duplicates
      INFO("m = " << m << ", n = " << n << ", round " << round);
      CHECK(tunekit::non_dominated_ranks(p) == brute_ranks(p));
    }
}

TEST_CASE("pareto: non_dominated_ranks: the two-objective sweep agrees with Deb's sort", "[mo][pareto]") {
  tunekit::random_engine e(5);
  for (int round = 0; round < 40; ++round) {
    const point_set p = random_set(e, 300, 2, round % 2 == 0);
    CHECK(tunekit::detail::ranks_2d(p) == tunekit::detail::ranks_general(p));
  }
}

TEST_CASE("pareto: non_dominated_fronts and pareto_front", "[mo][pareto]") {
  const point_set p{{1, 5}, {2, 2}, {5, 1}, {3, 3}, {2, 2}, {6, 6}};
  CHECK(tunekit::pareto_front(p) == std::vector<std::size_t>{0, 1, 2, 4});
  const auto fronts = tunekit::non_dominated_fronts(p);
  REQUIRE(fronts.size() == 3);
  CHECK(fronts[1] == std::vector<std::size_t>{3});
  CHECK(fronts[2] == std::vector<std::size_t>{5});
  CHECK(tunekit::pareto_front({}).empty());
}

TEST_CASE("pareto: to_minimization flips maximised objectives", "[mo][pareto]") {
  using tunekit::direction;
  const std::vector<direction> dirs{direction::minimize, direction::maximize};
  CHECK(tunekit::to_minimization({{1, 2}}, dirs) == point_set{{1, -2}});
  REQUIRE_INVALID(tunekit::to_minimization({{1, 2, 3}}, dirs), Catch::Contains("3 values"));
}

TEST_CASE("pareto: constrained domination (Deb 2002)", "[mo][pareto]") {
  const std::vector<double> good{0, 0}, bad{1, 1};
  CHECK(tunekit::constraint_violation(std::vector<double>{-1, 0, 0.5, 2}) == 2.5);
  CHECK(std::isinf(tunekit::constraint_violation(std::vector<double>{-1, std::nan("")})));  // NaN = infeasible
  CHECK(tunekit::constrained_dominates(bad, 0, good, 0.1));     // feasible beats infeasible
  CHECK_FALSE(tunekit::constrained_dominates(good, 0.1, bad, 0));
  CHECK(tunekit::constrained_dominates(bad, 0.1, good, 0.2));   // less violation wins
  CHECK_FALSE(tunekit::constrained_dominates(bad, 0.2, good, 0.2));
  CHECK(tunekit::constrained_dominates(good, 0, bad, 0));       // both feasible: Pareto
  // Ranks: feasible by Pareto rank, then infeasible by violation.
  const point_set p{{0, 0}, {1, 1}, {2, 2}, {-1, -1}, {-2, -2}};
  const std::vector<double> v{0, 0, 0, 0.5, 0.2};
  CHECK(tunekit::constrained_non_dominated_ranks(p, v) == std::vector<std::size_t>{0, 1, 2, 4, 3});
  REQUIRE_INVALID(tunekit::constrained_non_dominated_ranks(p, std::vector<double>{0}), Catch::Contains("violations"));
}

TEST_CASE("pareto: constrained_non_dominated_ranks matches pairwise constrained domination", "[mo][pareto]") {
  tunekit::random_engine e(23);
  for (int round = 0; round < 40; ++round) {
    const std::size_t n = 1 + e.below(40), m = 2 + e.below(2);
    const point_set p = random_set(e, n, m, round % 2 == 0);
    std::vector<double> v(n);
    for (auto& x : v) x = e.uniform() < 0.5 ? 0.0 : static_cast<double>(e.below(4));
    // Brute force: peel by constrained domination.
    std::vector<std::size_t> expected(n, 0);
    std::vector<bool> left(n, true);
    std::size_t remaining = n;
    for (std::size_t r = 0; remaining > 0; ++r) {
      std::vector<std::size_t> front;
      for (std::size_t i = 0; i < n; ++i) {
        if (!left[i]) continue;
        bool dominated = false;
        for (std::size_t j = 0; j < n && !dominated; ++j)
          dominated = left[j] && tunekit::constrained_dominates(p[j], v[j], p[i], v[i]);
        if (!dominated) front.push_back(i);
      }
      for (std::size_t i : front) expected[i] = r, left[i] = false, --remaining;
    }
    CHECK(tunekit::constrained_non_dominated_ranks(p, v) == expected);
  }
}

TEST_CASE("pareto: crowding_distance (Deb 2002)", "[mo][pareto]") {
  const point_set p{{0, 4}, {1, 2}, {3, 1}, {4, 0}};
  const std::vector<std::size_t> all{0, 1, 2, 3};
  const auto d = tunekit::crowding_distance(p, all);
  CHECK(std::isinf(d[0]));
  CHECK(std::isinf(d[3]));
  CHECK(d[1] == Approx(3.0 / 4 + 3.0 / 4));
  CHECK(d[2] == Approx(3.0 / 4 + 2.0 / 4));
  const std::vector<std::size_t> two{1, 2};
  CHECK(std::isinf(tunekit::crowding_distance(p, two)[0]));
}

TEST_CASE("pareto: non_dominated_ranks: bad input names the point", "[mo][pareto]") {
  REQUIRE_INVALID(tunekit::non_dominated_ranks({{1, 2}, {1}}), Catch::Contains("point 1 has 1 values, expected 2"));
  REQUIRE_INVALID(tunekit::non_dominated_ranks({{1, std::nan("")}}), Catch::Contains("non-finite"));
  REQUIRE_INVALID(tunekit::non_dominated_ranks({{1, std::numeric_limits<double>::infinity()}}),
                  Catch::Contains("point 0"));
}

TEST_CASE("pareto: non-dominated sort agrees with Optuna 3.1", "[mo][pareto][optuna]") {
  const auto data = optuna_pareto_reference();
  std::size_t n_cases = 0;
  for (const auto& c : data.at("cases")) {
    const auto p = c.at("points").get<point_set>();
    INFO("m = " << c.at("m") << ", kind " << c.at("kind") << ", n = " << p.size());
    CHECK(tunekit::non_dominated_ranks(p) == c.at("ranks").get<std::vector<std::size_t>>());
    std::vector<double> v;
    for (const auto& cons : c.at("constraints").get<point_set>()) v.push_back(tunekit::constraint_violation(cons));
    CHECK(tunekit::constrained_non_dominated_ranks(p, v) == c.at("constrained_ranks").get<std::vector<std::size_t>>());
    ++n_cases;
  }
  CHECK(n_cases >= 50);
}
