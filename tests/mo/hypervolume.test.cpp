// Tests of tunekit/mo/hypervolume.hpp: exact hypervolume in 1-5 objectives
// and exclusive contributions, against brute force on seeded random sets
// (cell counting on integer coordinates, inclusion-exclusion on real ones),
// against Optuna 3.1's WFG (tests/data/mo/optuna_reference.json), bad input,
// and a cost check of the 3-D sweep.
#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/mo/hypervolume.hpp>

#include <nlohmann/json.hpp>

#include "support/require_invalid.hpp"

#include <chrono>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

namespace {

using tunekit::point_set;

/// Counts the unit cells of [0, R)^m that some point weakly dominates
/// (integer points and reference): exact, O(R^m n m).
double cell_count(const point_set& p, const std::vector<double>& r) {
  const std::size_t m = r.size();
  std::vector<int> cell(m, 0);
  double count = 0;
  for (;;) {
    for (const auto& q : p) {
      bool covers = true;
      for (std::size_t k = 0; k < m && covers; ++k) covers = q[k] <= cell[k];
      if (covers) {
        ++count;
        break;
      }
    }
    std::size_t k = 0;
    while (k < m && ++cell[k] >= static_cast<int>(r[k])) cell[k++] = 0;
    if (k == m) return count;
  }
}

/// Inclusion-exclusion over all non-empty subsets: the volume of a union of
/// boxes [p, r]. Exact, O(2^n m).
double inclusion_exclusion(const point_set& p, const std::vector<double>& r) {
  const std::size_t n = p.size(), m = r.size();
  double total = 0;
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    std::vector<double> corner(m, -1e300);
    int bits = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (mask & (1u << i)) {
        ++bits;
        for (std::size_t k = 0; k < m; ++k) corner[k] = std::max(corner[k], p[i][k]);
      }
    double v = 1;
    for (std::size_t k = 0; k < m; ++k) v *= r[k] - corner[k];
    total += (bits % 2 ? 1 : -1) * v;
  }
  return total;
}

point_set without(const point_set& p, std::size_t i) {
  point_set q = p;
  q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));
  return q;
}

nlohmann::json optuna_hypervolume_reference() {
  std::ifstream in(std::string(TUNEKIT_TEST_DATA_DIR) + "/mo/optuna_reference.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("hypervolume: small cases by hand", "[mo][hypervolume]") {
  const std::vector<double> r2{4, 4}, r3{2, 2, 2};
  CHECK(tunekit::hypervolume({}, r2) == 0);
  CHECK(tunekit::hypervolume({{1, 1}}, r2) == 9);
  CHECK(tunekit::hypervolume({{1, 3}, {3, 1}}, r2) == 5);
  CHECK(tunekit::hypervolume({{1, 3}, {3, 1}, {2, 2}, {3, 3}}, r2) == 6);
  CHECK(tunekit::hypervolume({{1, 1, 1}}, r3) == 1);
  CHECK(tunekit::hypervolume({{0, 1, 1}, {1, 0, 1}, {1, 1, 0}}, r3) == Approx(4.0));
  CHECK(tunekit::hypervolume({{0, 0, 0, 0}}, std::vector<double>{1, 2, 3, 4}) == 24);
  CHECK(tunekit::hypervolume({{3}, {1}}, std::vector<double>{4}) == 3);
  CHECK(tunekit::hypervolume({{4, 0}}, r2) == 0);  // on the reference's boundary: allowed, adds nothing
}

TEST_CASE("hypervolume: matches cell counting on integer sets, 2-5 objectives", "[mo][hypervolume]") {
  tunekit::random_engine e(101);
  for (std::size_t m : {2u, 3u, 4u, 5u})
    for (int round = 0; round < 40; ++round) {
      const int side = m <= 3 ? 9 : 5;
      const std::size_t n = 1 + e.below(m <= 3 ? 40 : 15);
      point_set p(n, std::vector<double>(m));
      for (auto& q : p)
        for (auto& v : q) v = static_cast<double>(e.below(static_cast<std::uint64_t>(side)));
      const std::vector<double> r(m, side);
      INFO("m = " << m << ", n = " << n << ", round " << round);
      CHECK(tunekit::hypervolume(p, r) == cell_count(p, r));
    }
}

TEST_CASE("hypervolume: matches inclusion-exclusion on real sets", "[mo][hypervolume]") {
  tunekit::random_engine e(7);
  for (std::size_t m : {2u, 3u, 4u, 6u})
    for (int round = 0; round < 30; ++round) {
      const std::size_t n = 1 + e.below(11);
      point_set p(n, std::vector<double>(m));
      for (auto& q : p)
        for (auto& v : q) v = e.uniform();
      const std::vector<double> r(m, 1.0);
      INFO("m = " << m << ", n = " << n);
      CHECK(tunekit::hypervolume(p, r) == Approx(inclusion_exclusion(p, r)).margin(1e-12));
    }
}

TEST_CASE("hypervolume_contributions: HV(all) - HV(all without the point)", "[mo][hypervolume]") {
  tunekit::random_engine e(31);
  for (std::size_t m : {2u, 3u, 4u})
    for (int round = 0; round < 40; ++round) {
      const std::size_t n = 1 + e.below(14);
      point_set p(n, std::vector<double>(m));
      const bool integer = round % 2 == 0;  // ties and duplicates
      for (auto& q : p)
        for (auto& v : q) v = integer ? static_cast<double>(e.below(4)) : e.uniform();
      const std::vector<double> r(m, integer ? 4.0 : 1.0);
      const auto c = tunekit::hypervolume_contributions(p, r);
      const double all = tunekit::hypervolume(p, r);
      REQUIRE(c.size() == n);
      for (std::size_t i = 0; i < n; ++i) {
        INFO("m = " << m << ", n = " << n << ", point " << i);
        CHECK(c[i] == Approx(all - tunekit::hypervolume(without(p, i), r)).margin(1e-12));
      }
    }
}

TEST_CASE("hypervolume: bad input gets a clear error", "[mo][hypervolume]") {
  const std::vector<double> r{1, 1};
  REQUIRE_INVALID(tunekit::hypervolume({{0.5, 2}}, r), Catch::Contains("point 0 does not dominate the reference point"));
  REQUIRE_INVALID(tunekit::hypervolume({{0.5, 0.5, 0.5}}, r), Catch::Contains("point 0 has 3 values, expected 2"));
  REQUIRE_INVALID(tunekit::hypervolume({{std::nan(""), 0.5}}, r), Catch::Contains("non-finite"));
  REQUIRE_INVALID(tunekit::hypervolume({{0.5, 0.5}}, std::vector<double>{1, std::nan("")}),
                  Catch::Contains("reference point value 1"));
  REQUIRE_INVALID(tunekit::hypervolume({}, std::vector<double>{}), Catch::Contains("reference point is empty"));
  REQUIRE_INVALID(tunekit::hypervolume_contributions({{2, 0}}, r), Catch::Contains("does not dominate"));
  // Explicitly ignoring points outside the reference: they add nothing.
  CHECK(tunekit::hypervolume({{0.5, 2}, {0.5, 0.5}}, r, tunekit::outside_reference::ignore) == 0.25);
  CHECK(tunekit::hypervolume_contributions({{0.5, 2}, {0.5, 0.5}}, r, tunekit::outside_reference::ignore) ==
        std::vector<double>{0, 0.25});
}

TEST_CASE("hypervolume agrees with Optuna 3.1's WFG", "[mo][hypervolume][optuna]") {
  const auto data = optuna_hypervolume_reference();
  std::size_t n_cases = 0;
  for (const auto& c : data.at("cases")) {
    const auto p = c.at("points").get<point_set>();
    const auto r = c.at("reference").get<std::vector<double>>();
    INFO("m = " << c.at("m") << ", kind " << c.at("kind") << ", n = " << p.size());
    const double expected = c.at("hypervolume").get<double>();
    CHECK(tunekit::hypervolume(p, r) == Approx(expected).epsilon(1e-12).margin(1e-12));
    if (c.contains("contributions")) {
      const auto got = tunekit::hypervolume_contributions(p, r);
      const auto want = c.at("contributions").get<std::vector<double>>();
      REQUIRE(got.size() == want.size());
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-9 * (1 + expected)));
    }
    ++n_cases;
  }
  CHECK(n_cases >= 50);
}

TEST_CASE("hypervolume: 3-D sweep on 10 000 points", "[mo][hypervolume]") {
  // Points on the unit sphere's positive octant: all non-dominated, the
  // sweep's worst case for the staircase size.
  tunekit::random_engine e(3);
  point_set p(10'000, std::vector<double>(3));
  for (auto& q : p) {
    double norm = 0;
    for (auto& v : q) v = std::abs(e.normal()), norm += v * v;
    for (auto& v : q) v /= std::sqrt(norm);
  }
  const std::vector<double> r{1.1, 1.1, 1.1};
  const auto start = std::chrono::steady_clock::now();
  const double hv = tunekit::hypervolume(p, r);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double true_front = 1.331 - 3.14159265358979 / 6;  // the whole sphere's HV
  CHECK(hv < true_front);
  CHECK(hv > 0.98 * true_front);  // 10 000 samples of the front come within 1 % of it
  WARN("3-D hypervolume of 10000 points: " << seconds * 1e3 << " ms");
  CHECK(seconds < 2.0);  // generous: sanitizer builds; the release figure is in docs/multi-objective.md
}
