#include <tunekit/core/distribution.hpp>

#include <catch2/catch.hpp>

#include "support/require_invalid.hpp"

#include <tunekit/core/random.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

// Both the type and the text of an exception; Catch 2 checks them separately.
double pow10(double e) { return std::pow(10.0, e); }

// Random distributions of every kind, drawn from a pinned seed. Bounds span
// many orders of magnitude, but stay where a user's parameter would: grids of
// at most a few thousand points, |low| / step below 1e6.
tk::distribution random_distribution(tk::random_engine& rng) {
  switch (rng.below(7)) {
    case 0: {  // continuous float
      const double low = rng.uniform(-1, 1) * pow10(rng.uniform(-6, 6));
      return tk::float_distribution(low, low + pow10(rng.uniform(-6, 6)));
    }
    case 1: {  // log float
      const double low = pow10(rng.uniform(-10, 4));
      return tk::float_distribution(low, low * pow10(rng.uniform(0.01, 10)), {.log = true});
    }
    case 2: {  // stepped float
      static constexpr double mantissas[] = {1, 2, 2.5, 5, 0.3};
      const double step = mantissas[rng.below(5)] * pow10(static_cast<double>(rng.below(6)) - 3);
      const double low = rng.below(2) ? static_cast<double>(static_cast<std::int64_t>(rng.below(2001)) - 1000) * step
                                      : rng.uniform(-100, 100);
      const auto n = static_cast<double>(rng.below(2000));
      return tk::float_distribution(low, low + n * step, {.step = step});
    }
    case 3: {  // int, possibly stepped
      const std::int64_t step = rng.below(3) ? 1 : 1 + static_cast<std::int64_t>(rng.below(20));
      const std::int64_t low = static_cast<std::int64_t>(rng.below(2'000'001)) - 1'000'000;
      const std::int64_t n = static_cast<std::int64_t>(rng.below(3000));
      return tk::int_distribution(low, low + n * step, {.step = step});
    }
    case 4: {  // log int
      const std::int64_t low = 1 + static_cast<std::int64_t>(rng.below(1000));
      return tk::int_distribution(low, low + static_cast<std::int64_t>(rng.below(100'000)), {.log = true});
    }
    case 5: {  // categorical of mixed kinds
      std::vector<tk::category> choices;
      const auto n = 1 + rng.below(40);
      for (std::uint64_t k = 0; k < n; ++k) {
        switch (k % 3) {
          case 0: choices.emplace_back("choice-" + std::to_string(k)); break;
          case 1: choices.emplace_back(static_cast<std::int64_t>(k)); break;
          default: choices.emplace_back(static_cast<double>(k) + 0.5); break;
        }
      }
      if (rng.below(2)) choices.emplace_back(true);
      return tk::categorical_distribution(std::move(choices));
    }
    default: {  // a single point
      switch (rng.below(5)) {
        case 0: return tk::float_distribution(1.5, 1.5);
        case 1: return tk::float_distribution(2.0, 2.0, {.log = true});
        case 2: return tk::float_distribution(-0.5, -0.5, {.step = 0.25});
        case 3: return tk::int_distribution(-7, -7);
        default: return tk::categorical_distribution{"only"};
      }
    }
  }
}

// Every value a discrete distribution can take, in grid order.
std::vector<double> grid_values(const tk::distribution& d) {
  std::vector<double> out;
  if (auto i = std::get_if<tk::int_distribution>(&d)) {
    for (std::int64_t x = i->low(); x <= i->high(); x += i->step()) out.push_back(static_cast<double>(x));
  } else if (auto c = std::get_if<tk::categorical_distribution>(&d)) {
    for (std::int64_t k = 0; k < c->size(); ++k) out.push_back(static_cast<double>(k));
  } else {
    const auto& f = std::get<tk::float_distribution>(d);
    const std::int64_t n = f.single() ? 1 : f.size();
    for (std::int64_t k = 0; k < n; ++k) out.push_back(f.from_unit((static_cast<double>(k) + 0.5) / static_cast<double>(n)));
  }
  return out;
}

std::int64_t size_of(const tk::distribution& d) {
  if (auto f = std::get_if<tk::float_distribution>(&d)) return f->single() ? 1 : f->size();
  return std::visit([](const auto& x) { return x.size(); }, d);
}

}  // namespace

TEST_CASE("from_unit always returns a value the distribution contains", "[core][distribution]") {
  tk::random_engine rng(20240611);
  const double edges[] = {0.0, 1.0, 0.5, std::nextafter(1.0, 0.0), std::numeric_limits<double>::denorm_min(),
                          1e-300, 0.999999999999};
  for (int n = 0; n < 600; ++n) {
    const tk::distribution d = random_distribution(rng);
    INFO("distribution " << n << ": " << tk::describe(d));
    std::vector<double> us(std::begin(edges), std::end(edges));
    for (int k = 0; k < 200; ++k) us.push_back(rng.uniform());
    for (double u : us) {
      const double x = tk::from_unit(d, u);
      INFO("u = " << u << " -> " << x);
      REQUIRE(tk::contains(d, x));
      const double back = tk::to_unit(d, x);
      REQUIRE(back >= 0.0);
      REQUIRE(back <= 1.0);
    }
  }
}

TEST_CASE("from_unit of a coordinate outside the unit interval still gives a valid value", "[core][distribution]") {
  // Model-based samplers can step slightly outside the cube; garbage in must
  // not become an invalid parameter (or undefined behaviour) out.
  tk::random_engine rng(7);
  const double outside[] = {-0.25, 1.25, -1e300, 1e300, inf_v, -inf_v, nan_v, -0.0};
  for (int n = 0; n < 200; ++n) {
    const tk::distribution d = random_distribution(rng);
    INFO(tk::describe(d));
    for (double u : outside) {
      INFO("u = " << u);
      REQUIRE(tk::contains(d, tk::from_unit(d, u)));
    }
  }
  // Below 0 is the low end, above 1 the high end.
  const tk::distribution i = tk::int_distribution(3, 9);
  CHECK(tk::from_unit(i, -0.25) == 3);
  CHECK(tk::from_unit(i, 1.25) == 9);
  CHECK(tk::from_unit(i, 1e300) == 9);
  const tk::distribution f = tk::float_distribution(-2, 4);
  CHECK(tk::from_unit(f, -1e300) == -2);
  CHECK(tk::from_unit(f, 1e300) == 4);
}

TEST_CASE("discrete values round-trip through the unit interval", "[core][distribution]") {
  tk::random_engine rng(99);
  int discrete_seen = 0;
  for (int n = 0; n < 500; ++n) {
    const tk::distribution d = random_distribution(rng);
    if (!tk::is_discrete(d)) continue;
    ++discrete_seen;
    INFO(tk::describe(d));
    const std::vector<double> grid = grid_values(d);
    REQUIRE(static_cast<std::int64_t>(grid.size()) == size_of(d));
    std::set<double> distinct;
    for (double x : grid) {
      const double u = tk::to_unit(d, x);
      // One assertion per distribution, not per value: grids have thousands.
      if (!tk::contains(d, x) || !(u >= 0.0 && u <= 1.0) || tk::from_unit(d, u) != x) {
        INFO("x = " << x << ", to_unit(x) = " << u << ", from_unit(to_unit(x)) = " << tk::from_unit(d, u));
        CHECK(tk::contains(d, x));
        CHECK(u >= 0.0);
        CHECK(u <= 1.0);
        REQUIRE(tk::from_unit(d, u) == x);
      }
      distinct.insert(x);
    }
    REQUIRE(distinct.size() == grid.size());
  }
  REQUIRE(discrete_seen > 200);  // the generator really produced discrete cases
}

TEST_CASE("int, stepped float and categorical values get equal unit mass", "[core][distribution]") {
  tk::random_engine rng(4242);
  int checked = 0;
  for (int n = 0; n < 300 && checked < 60; ++n) {
    const tk::distribution d = random_distribution(rng);
    if (auto i = std::get_if<tk::int_distribution>(&d); i && i->log()) continue;  // log ints are not uniform
    if (!tk::is_discrete(d) || size_of(d) > 500) continue;
    ++checked;
    INFO(tk::describe(d));
    // u on a fine midpoint grid with `per` points per value: each value must
    // be hit exactly `per` times, give or take one at a boundary.
    const std::int64_t values = size_of(d), per = 64, m = values * per;
    std::map<double, std::int64_t> count;
    for (std::int64_t k = 0; k < m; ++k) ++count[tk::from_unit(d, (static_cast<double>(k) + 0.5) / static_cast<double>(m))];
    REQUIRE(static_cast<std::int64_t>(count.size()) == values);
    for (const auto& [x, c] : count) {
      INFO("value " << x);
      REQUIRE(std::abs(c - per) <= 1);
    }
  }
  REQUIRE(checked == 60);
}

TEST_CASE("log scales", "[core][distribution]") {
  SECTION("a log float is uniform in log space") {
    const tk::float_distribution f(1e-5, 1e-1, {.log = true});
    CHECK(f.from_unit(0.0) == 1e-5);
    CHECK(f.from_unit(1.0) == 1e-1);
    CHECK(f.from_unit(0.5) == Approx(1e-3).epsilon(1e-12));
    CHECK(f.from_unit(0.25) == Approx(1e-4).epsilon(1e-12));
    CHECK(f.to_unit(1e-2) == Approx(0.75).epsilon(1e-12));
    // Equal factors are equal distances in u.
    CHECK(f.to_unit(2e-4) - f.to_unit(1e-4) == Approx(f.to_unit(2e-2) - f.to_unit(1e-2)).epsilon(1e-9));
  }
  SECTION("a log int gives each integer the log-width of [x - 1/2, x + 1/2]") {
    const tk::int_distribution d(1, 100, {.log = true});
    const double a = std::log(0.5), b = std::log(100.5);
    const std::int64_t m = 400'000;
    std::map<std::int64_t, std::int64_t> count;
    for (std::int64_t k = 0; k < m; ++k)
      ++count[static_cast<std::int64_t>(d.from_unit((static_cast<double>(k) + 0.5) / static_cast<double>(m)))];
    REQUIRE(count.size() == 100);
    for (const auto& [x, c] : count) {
      INFO("x = " << x);
      const double expected = (std::log(static_cast<double>(x) + 0.5) - std::log(static_cast<double>(x) - 0.5)) / (b - a);
      // Each bucket boundary can move a count by one grid point.
      REQUIRE(std::abs(static_cast<double>(c) / static_cast<double>(m) - expected) <= 2.0 / static_cast<double>(m));
    }
    // Small values are far more likely than large ones: 1 gets log(3) of the
    // mass, 100 about 0.01 / log(201).
    CHECK(count[1] > 100 * count[100]);
  }
  SECTION("log int round trip at both ends") {
    const tk::int_distribution d(1, 1'000'000, {.log = true});
    for (std::int64_t x : {std::int64_t{1}, std::int64_t{2}, std::int64_t{999'999}, std::int64_t{1'000'000}})
      CHECK(d.from_unit(d.to_unit(static_cast<double>(x))) == static_cast<double>(x));
    CHECK(d.from_unit(0.0) == 1);
    CHECK(d.from_unit(1.0) == 1'000'000);
  }
}

TEST_CASE("single-point distributions", "[core][distribution]") {
  const tk::distribution singles[] = {
      tk::float_distribution(1.5, 1.5),
      tk::float_distribution(2.0, 2.0, {.log = true}),
      tk::float_distribution(-0.5, -0.5, {.step = 0.25}),
      tk::int_distribution(-7, -7),
      tk::int_distribution(4, 4, {.step = 3}),
      tk::int_distribution(5, 5, {.log = true}),
      tk::categorical_distribution{"only"},
  };
  const double expected[] = {1.5, 2.0, -0.5, -7, 4, 5, 0};
  for (std::size_t k = 0; k < std::size(singles); ++k) {
    const auto& d = singles[k];
    INFO(tk::describe(d));
    CHECK(tk::single(d));
    CHECK(tk::is_discrete(d));
    for (double u : {0.0, 0.3, 1.0})
      CHECK(tk::from_unit(d, u) == expected[k]);
    CHECK(tk::to_unit(d, expected[k]) == 0.5);
    CHECK(tk::contains(d, expected[k]));
    CHECK_FALSE(tk::contains(d, expected[k] + 1));
  }
  CHECK_FALSE(tk::single(tk::float_distribution(0, 1e-300)));
  CHECK_FALSE(tk::is_discrete(tk::float_distribution(0, 1)));
}

TEST_CASE("contains rejects values off the range, off the grid and non-finite", "[core][distribution]") {
  const tk::distribution f = tk::float_distribution(0, 1, {.step = 0.1});
  CHECK(tk::contains(f, 0.3));
  CHECK(tk::contains(f, 0.1 + 0.2));  // 0.30000000000000004 is on the grid up to rounding
  CHECK_FALSE(tk::contains(f, 0.25));
  CHECK_FALSE(tk::contains(f, 1.1));
  CHECK_FALSE(tk::contains(f, nan_v));
  const tk::distribution i = tk::int_distribution(-3, 9, {.step = 3});
  CHECK(tk::contains(i, -3));
  CHECK(tk::contains(i, 6));
  CHECK_FALSE(tk::contains(i, 5));
  CHECK_FALSE(tk::contains(i, 0.5));
  CHECK_FALSE(tk::contains(i, 12));
  CHECK_FALSE(tk::contains(i, inf_v));
  const tk::distribution c = tk::categorical_distribution{"a", "b"};
  CHECK(tk::contains(c, 1));
  CHECK_FALSE(tk::contains(c, 2));
  CHECK_FALSE(tk::contains(c, -1));
  CHECK_FALSE(tk::contains(c, 0.5));
  CHECK_FALSE(tk::contains(tk::float_distribution(0, 1), nan_v));
}

TEST_CASE("bad distributions throw invalid_argument naming the parameter, the value and what is allowed",
          "[core][distribution][errors]") {
  SECTION("low > high") {
    REQUIRE_INVALID(tk::float_distribution(2, 1, {}, "lr"),
                    Contains("[tunekit.invalid_argument]") && Contains("'lr'") && Contains("low = 2") &&
                        Contains("high = 1") && Contains("low must be <= high"));
    REQUIRE_INVALID(tk::int_distribution(10, -10, {}, "layers"),
                    Contains("'layers'") && Contains("low = 10") && Contains("high = -10") &&
                        Contains("low must be <= high"));
  }
  SECTION("NaN and infinite bounds") {
    REQUIRE_INVALID(tk::float_distribution(nan_v, 1, {}, "x"),
                    Contains("'x'") && Contains("nan") && Contains("must be finite"));
    REQUIRE_INVALID(tk::float_distribution(0, inf_v, {}, "x"),
                    Contains("'x'") && Contains("high = inf") && Contains("must be finite"));
    REQUIRE_INVALID(tk::float_distribution(-inf_v, 0, {.log = true}, "x"), Contains("low = -inf"));
  }
  SECTION("log scale with low <= 0") {
    REQUIRE_INVALID(tk::float_distribution(0, 1, {.log = true}, "lr"),
                    Contains("'lr'") && Contains("low = 0") && Contains("low > 0"));
    REQUIRE_INVALID(tk::float_distribution(-1e-3, 1, {.log = true}, "lr"), Contains("low = -0.001"));
    REQUIRE_INVALID(tk::int_distribution(0, 64, {.log = true}, "batch"),
                    Contains("'batch'") && Contains("low = 0") && Contains("low >= 1"));
  }
  SECTION("a step that does not divide the range") {
    REQUIRE_INVALID(tk::float_distribution(0, 1, {.step = 0.3}, "dropout"),
                    Contains("'dropout'") && Contains("step = 0.3") && Contains("[0, 1]") &&
                        Contains("multiple of step"));
    REQUIRE_INVALID(tk::int_distribution(0, 10, {.step = 3}, "units"),
                    Contains("'units'") && Contains("step = 3") && Contains("[0, 10]") && Contains("multiple of step"));
    REQUIRE_INVALID(tk::float_distribution(0, 1, {.step = 2}, "x"), Contains("step = 2"));
  }
  SECTION("non-positive steps") {
    REQUIRE_INVALID(tk::float_distribution(0, 1, {.step = 0.0}, "x"), Contains("step = 0") && Contains("positive"));
    REQUIRE_INVALID(tk::float_distribution(0, 1, {.step = -0.5}, "x"), Contains("step = -0.5"));
    REQUIRE_INVALID(tk::float_distribution(0, 1, {.step = nan_v}, "x"), Contains("step = nan"));
    REQUIRE_INVALID(tk::int_distribution(0, 10, {.step = 0}, "n"), Contains("'n'") && Contains("step = 0") && Contains(">= 1"));
  }
  SECTION("log combined with a step") {
    REQUIRE_INVALID(tk::float_distribution(1, 10, {.log = true, .step = 1.0}, "lr"),
                    Contains("'lr'") && Contains("log = true") && Contains("step = 1") && Contains("cannot be combined"));
    REQUIRE_INVALID(tk::int_distribution(1, 10, {.log = true, .step = 3}, "n"),
                    Contains("'n'") && Contains("log = true") && Contains("step = 1") && Contains("got step = 3"));
  }
  SECTION("empty categorical") {
    REQUIRE_INVALID(tk::categorical_distribution(std::vector<tk::category>{}, "act"),
                    Contains("'act'") && Contains("at least one choice") && Contains("got none"));
  }
  SECTION("a duplicated categorical choice") {
    REQUIRE_INVALID(tk::categorical_distribution({"relu", "tanh", "relu"}, "act"),
                    Contains("'act'") && Contains("\"relu\"") && Contains("appears twice") &&
                        Contains("positions 0 and 2") && Contains("distinct"));
    REQUIRE_INVALID(tk::categorical_distribution({tk::category(std::int64_t{1}), tk::category(std::int64_t{1})}, "k"),
                    Contains("choice 1 appears twice"));
    // Different kinds are different choices: 1, 1.0, true and "1" are four.
    CHECK(tk::categorical_distribution({tk::category(std::int64_t{1}), tk::category(1.0), tk::category(true),
                                        tk::category("1")})
              .size() == 4);
  }
  SECTION("a distribution made without a name says so") {
    REQUIRE_INVALID(tk::float_distribution(1, 0), Contains("distribution: ") && Contains("low = 1"));
  }
  SECTION("a grid finer than the internal double can tell apart") {
    // 1e20 grid points: their indices do not fit the internal representation.
    REQUIRE_INVALID(tk::float_distribution(0, 1, {.step = 1e-20}, "x"), Contains("'x'") && Contains("step = 1e-20"));
  }
  SECTION("integers the internal double cannot hold exactly") {
    constexpr std::int64_t big = std::int64_t{1} << 53;
    REQUIRE_INVALID(tk::int_distribution(0, big + 1, {}, "seed"),
                    Contains("'seed'") && Contains(std::to_string(big + 1)) && Contains(std::to_string(big)));
    REQUIRE_INVALID(tk::int_distribution(std::numeric_limits<std::int64_t>::min(),
                                         std::numeric_limits<std::int64_t>::max(), {}, "seed"),
                    Contains("'seed'"));
    const tk::int_distribution widest(-big, big);
    CHECK(widest.size() == 2 * big + 1);
    CHECK(widest.contains(static_cast<double>(big)));
    CHECK(widest.from_unit(1.0) == static_cast<double>(big));
  }
}

TEST_CASE("huge but finite float bounds stay finite", "[core][distribution]") {
  constexpr double max = std::numeric_limits<double>::max();
  const tk::float_distribution d(-max, max);
  for (double u : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    const double x = d.from_unit(u);
    INFO("u = " << u << " -> " << x);
    REQUIRE(d.contains(x));
    const double back = d.to_unit(x);
    REQUIRE(back == Approx(u).margin(1e-12));
  }
  CHECK(d.from_unit(0.5) == 0.0);
}

TEST_CASE("to_internal maps user values and rejects values outside the distribution", "[core][distribution]") {
  const tk::distribution f = tk::float_distribution(0, 1, {.step = 0.25});
  const tk::distribution i = tk::int_distribution(1, 10);
  const tk::distribution c = tk::categorical_distribution{"relu", "tanh"};
  const tk::distribution b = tk::categorical_distribution{true, false};

  CHECK(tk::to_internal(f, 0.75) == 0.75);
  CHECK(tk::to_internal(f, std::int64_t{1}) == 1.0);
  CHECK(tk::to_internal(i, std::int64_t{7}) == 7.0);
  CHECK(tk::to_internal(i, 7.0) == 7.0);
  CHECK(tk::to_internal(c, "tanh") == 1.0);
  CHECK(tk::to_internal(b, false) == 1.0);

  REQUIRE_INVALID(tk::to_internal(f, 2.0, "dropout"),
                  Contains("'dropout'") && Contains("value 2") && Contains("outside") &&
                      Contains("float in [0, 1] step 0.25"));
  REQUIRE_INVALID(tk::to_internal(f, 0.3, "dropout"), Contains("value 0.3"));
  REQUIRE_INVALID(tk::to_internal(i, 7.5, "n"), Contains("'n'") && Contains("value 7.5") && Contains("int in [1, 10]"));
  REQUIRE_INVALID(tk::to_internal(i, std::int64_t{11}, "n"), Contains("value 11"));
  REQUIRE_INVALID(tk::to_internal(i, "seven", "n"), Contains("value \"seven\""));
  REQUIRE_INVALID(tk::to_internal(f, true, "dropout"), Contains("value true"));
  REQUIRE_INVALID(tk::to_internal(c, "swish", "act"),
                  Contains("'act'") && Contains("value \"swish\"") && Contains("one of {\"relu\", \"tanh\"}"));
  REQUIRE_INVALID(tk::to_internal(c, std::int64_t{0}, "act"), Contains("value 0"));
  REQUIRE_INVALID(tk::to_internal(tk::float_distribution(1e-5, 1, {.log = true}), 0.0, "lr"),
                  Contains("value 0") && Contains("(log)"));

  // to_external inverts to_internal for every valid value.
  for (const tk::category& v : {tk::category("relu"), tk::category("tanh")}) CHECK(tk::to_external(c, tk::to_internal(c, v)) == v);
  CHECK(tk::to_external(i, 3.0) == tk::category(std::int64_t{3}));
  CHECK(tk::to_external(f, 0.5) == tk::category(0.5));
}

TEST_CASE("describe names kind, range and options", "[core][distribution]") {
  CHECK(tk::describe(tk::float_distribution(1e-5, 0.1, {.log = true})) == "float in [1e-05, 0.1] (log)");
  CHECK(tk::describe(tk::float_distribution(0, 1, {.step = 0.1})) == "float in [0, 1] step 0.1");
  CHECK(tk::describe(tk::int_distribution(0, 10, {.step = 2})) == "int in [0, 10] step 2");
  CHECK(tk::describe(tk::int_distribution(1, 64, {.log = true})) == "int in [1, 64] (log)");
  CHECK(tk::describe(tk::categorical_distribution{tk::category("a"), tk::category(std::int64_t{2}), tk::category(0.5),
                                                  tk::category(false)}) == "one of {\"a\", 2, 0.5, false}");
}
