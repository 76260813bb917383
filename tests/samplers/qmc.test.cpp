// Tests of tunekit/samplers/qmc.hpp: the Sobol sequence itself, its
// reproducibility (sequential and parallel), its low discrepancy, and the
// define-by-run fallback to random sampling.
#include <catch2/catch.hpp>

#include <tunekit/tunekit.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "samplers/statistics.hpp"

namespace {

using params_by_number = std::map<std::int64_t, tunekit::param_map>;

params_by_number params_of(const std::vector<tunekit::frozen_trial>& trials) {
  params_by_number out;
  for (const auto& t : trials) out.emplace(t.number, t.params);
  return out;
}

struct point2 {
  double x = 0, y = 0;
};

struct mixed {
  double lr = 0;
  int units = 0;
  std::string act;
  double dropout = 0;
};

tunekit::space<mixed> mixed_space() {
  return {
      tunekit::float_param("lr", &mixed::lr, 1e-4, 1.0, {.log = true}),
      tunekit::int_param("units", &mixed::units, 0, 15),
      tunekit::categorical_param("act", &mixed::act, {"relu", "tanh", "gelu", "silu"}),
      tunekit::float_param("dropout", &mixed::dropout, 0.0, 0.5, {.step = 0.125}),
  };
}

double mixed_objective(const mixed& m, tunekit::trial&) { return m.lr * m.units + m.dropout; }

/// Points of `n` trials of a typed tuner over [0, 1]^d, on the unit scale, by trial number.
std::vector<std::vector<double>> qmc_points(std::size_t d, std::int64_t n, tunekit::qmc_sampler_options options) {
  struct vec {
    double v[5] = {};
  };
  static const char* const names[5] = {"x0", "x1", "x2", "x3", "x4"};
  std::vector<tunekit::param_binding<vec>> bindings;
  for (std::size_t k = 0; k < d; ++k)
    bindings.push_back({names[k], tunekit::float_distribution(0, 1),
                        [k](vec& p, double x) { p.v[k] = x; }, [k](const vec& p) { return tunekit::category(p.v[k]); }});
  // space<T> takes an initializer_list; build it from the first d bindings.
  auto make = [&]() -> tunekit::space<vec> {
    switch (d) {
      case 2: return {bindings[0], bindings[1]};
      case 5: return {bindings[0], bindings[1], bindings[2], bindings[3], bindings[4]};
      default: FAIL("unsupported dimension"); return {};
    }
  };
  tunekit::tuner tuner{make(), tunekit::qmc_sampler{options}};
  tuner.optimize([](const vec& p, tunekit::trial&) { return p.v[0]; }, {.n_trials = n});
  std::vector<std::vector<double>> out(static_cast<std::size_t>(n));
  for (const auto& t : tuner.trials())
    for (std::size_t k = 0; k < d; ++k) out.at(static_cast<std::size_t>(t.number)).push_back(t.params.at(names[k]));
  return out;
}

std::vector<std::vector<double>> random_points(std::size_t d, std::size_t n, std::uint64_t seed) {
  const tunekit::random_sampler sampler({.seed = seed});
  const tunekit::study_view view;
  const tunekit::distribution unit = tunekit::float_distribution(0, 1);
  static const char* const names[5] = {"x0", "x1", "x2", "x3", "x4"};
  std::vector<std::vector<double>> out(n);
  tunekit::frozen_trial t;
  for (std::size_t i = 0; i < n; ++i) {
    t.number = static_cast<std::int64_t>(i);
    for (std::size_t k = 0; k < d; ++k) out[i].push_back(sampler.sample_independent(view, t, names[k], unit));
  }
  return out;
}

/// Number of elementary boxes [a 2^-i, (a+1) 2^-i) x [b 2^-(m-i), ...) holding
/// other than exactly one of the 2^m points, over every shape i = 0..m.
int net_violations(const std::vector<std::vector<double>>& points, int m) {
  int bad = 0;
  for (int i = 0; i <= m; ++i) {
    std::map<std::pair<std::int64_t, std::int64_t>, int> cells;
    for (const auto& p : points)
      ++cells[{static_cast<std::int64_t>(p[0] * double(1 << i)), static_cast<std::int64_t>(p[1] * double(1 << (m - i)))}];
    bad += static_cast<int>((std::size_t{1} << m) - cells.size());
    for (const auto& [cell, count] : cells) bad += count != 1;
  }
  return bad;
}

}  // namespace

TEST_CASE("qmc_sampler: unscrambled, the first points are the Sobol sequence", "[samplers][qmc]") {
  const tunekit::space<point2> space{
      tunekit::float_param("x", &point2::x, 0.0, 1.0),
      tunekit::float_param("y", &point2::y, 0.0, 1.0),
  };
  tunekit::tuner tuner{space, tunekit::qmc_sampler{{.seed = 1, .scramble = false}}};
  tuner.optimize([](const point2& p, tunekit::trial&) { return p.x + p.y; }, {.n_trials = 8});
  // Sobol (1967) in 2-D with the Joe & Kuo direction numbers, from the origin.
  const std::vector<std::pair<double, double>> expected = {
      {0, 0}, {0.5, 0.5}, {0.75, 0.25}, {0.25, 0.75}, {0.375, 0.375}, {0.875, 0.875}, {0.625, 0.125}, {0.125, 0.625}};
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 8);
  for (const auto& t : trials) {
    INFO("trial " << t.number);
    CHECK(t.param<double>("x") == expected.at(static_cast<std::size_t>(t.number)).first);
    CHECK(t.param<double>("y") == expected.at(static_cast<std::size_t>(t.number)).second);
  }
  // The corner: every parameter at its lower bound (as documented).
  tunekit::tuner corner{mixed_space(), tunekit::qmc_sampler{{.seed = 1, .scramble = false}}};
  corner.optimize(mixed_objective, {.n_trials = 1});
  const auto first = corner.trials().front();
  CHECK(first.param<double>("lr") == Approx(1e-4));
  CHECK(first.param<std::int64_t>("units") == 0);
  CHECK(first.param<std::string>("act") == "relu");
  CHECK(first.param<double>("dropout") == 0.0);
}

TEST_CASE("qmc_sampler: the same seed gives the same points, also with n_jobs > 1", "[samplers][qmc]") {
  auto run = [](std::uint64_t seed, int n_jobs) {
    tunekit::tuner tuner{mixed_space(), tunekit::qmc_sampler{{.seed = seed}}};
    const auto summary = tuner.optimize(mixed_objective, {.n_trials = 64, .n_jobs = n_jobs});
    REQUIRE(summary.n_complete == 64);
    return params_of(tuner.trials());
  };
  const auto sequential = run(9, 1);
  REQUIRE(sequential.size() == 64);
  CHECK(run(9, 1) == sequential);
  CHECK(run(9, 2) == sequential);
  CHECK(run(9, 4) == sequential);

  const auto other = run(10, 1);
  int same_lr = 0;
  for (const auto& [number, params] : sequential) same_lr += params.at("lr") == other.at(number).at("lr");
  CHECK(same_lr == 0);  // a different digital shift moves every point
}

TEST_CASE("qmc_sampler: the first 2^m points are a (0, m, 2)-net", "[samplers][qmc]") {
  // Every elementary box of area 1/256 holds exactly one of the first 256
  // points, scrambled (a digital shift keeps the net) or not. Random points
  // do not come close; this is what "low discrepancy" means exactly.
  for (const bool scramble : {false, true})
    for (const std::uint64_t seed : {1, 2, 3}) {
      INFO("scramble = " << scramble << ", seed = " << seed);
      CHECK(net_violations(qmc_points(2, 256, {.seed = seed, .scramble = scramble}), 8) == 0);
    }
  CHECK(net_violations(random_points(2, 256, 1), 8) > 100);

  // In 5-D, each coordinate on its own is stratified: one point per 1/256.
  const auto points = qmc_points(5, 256, {.seed = 4});
  for (std::size_t k = 0; k < 5; ++k) {
    std::set<std::int64_t> cells;
    for (const auto& p : points) cells.insert(static_cast<std::int64_t>(p[k] * 256));
    INFO("coordinate " << k);
    CHECK(cells.size() == 256);
  }
}

TEST_CASE("qmc_sampler: lower L2-star discrepancy than random points", "[samplers][qmc]") {
  // 256 points in 2-D and 5-D against 50 random sets of 256 (pinned seeds).
  // Measured at the time of writing (D^2; E[D^2] of random points is
  // (2^-d - 3^-d) / n): 2-D Sobol 1.1e-5 (plain), 8.5e-6 (scrambled) vs
  // random median 4.5e-4, best 2.0e-4; 5-D Sobol 2.3e-5, 1.9e-5 vs random
  // median 1.1e-4, best 6.2e-5. So we require the Sobol sets to beat the
  // *best* of the 50 random sets, not just their median.
  for (const std::size_t d : {std::size_t{2}, std::size_t{5}}) {
    std::vector<double> random;
    for (std::uint64_t seed = 0; seed < 50; ++seed)
      random.push_back(tunekit_test::l2_star_discrepancy_squared(random_points(d, 256, 1000 + seed)));
    std::sort(random.begin(), random.end());
    const double median = random[random.size() / 2], best = random.front();
    for (const bool scramble : {false, true}) {
      const double sobol = tunekit_test::l2_star_discrepancy_squared(qmc_points(d, 256, {.seed = 7, .scramble = scramble}));
      INFO("d = " << d << ", scramble = " << scramble << ": Sobol " << sobol << ", random median " << median
                  << ", random best " << best);
      CHECK(sobol < median);
      CHECK(sobol < best);
    }
  }
}

TEST_CASE("qmc_sampler: define-by-run falls back to random, then samples the intersection space",
          "[samplers][qmc]") {
  const std::uint64_t seed = 5;
  tunekit::tuner tuner{tunekit::qmc_sampler{{.seed = seed, .scramble = false}}};
  // z is conditional (even trials only), so it leaves the intersection after trial 1.
  tuner.optimize(
      [](tunekit::trial& t) {
        double v = t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1);
        if (t.number() % 2 == 0) v += t.suggest_float("z", 0, 1);
        return v;
      },
      {.n_trials = 8});
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 8);

  const tunekit::random_sampler fallback({.seed = seed});
  const tunekit::study_view view;
  const tunekit::distribution unit = tunekit::float_distribution(0, 1);
  auto random_value = [&](std::int64_t number, const char* name) {
    tunekit::frozen_trial t;
    t.number = number;
    return fallback.sample_independent(view, t, name, unit);
  };

  // Trial 0: nothing has finished, so every parameter is drawn at random.
  for (const char* name : {"x", "y", "z"}) CHECK(trials[0].params.at(name) == random_value(0, name));
  // Trial 1: the intersection is {x, y, z} (Sobol point 1 in 3-D); z is not asked.
  CHECK(trials[1].params.at("x") == 0.5);
  CHECK(trials[1].params.at("y") == 0.5);
  CHECK_FALSE(trials[1].has_param("z"));
  // From trial 2 on: {x, y}, in name order; z comes from the random fallback.
  const std::vector<std::pair<double, double>> sobol = {{0.75, 0.25}, {0.25, 0.75}, {0.375, 0.375},
                                                        {0.875, 0.875}, {0.625, 0.125}, {0.125, 0.625}};
  for (std::size_t n = 2; n < 8; ++n) {
    INFO("trial " << n);
    CHECK(trials[n].params.at("x") == sobol[n - 2].first);
    CHECK(trials[n].params.at("y") == sobol[n - 2].second);
    if (n % 2 == 0) CHECK(trials[n].params.at("z") == random_value(static_cast<std::int64_t>(n), "z"));
  }
}

TEST_CASE("qmc_sampler: a parameter whose distribution changes leaves the intersection", "[samplers][qmc]") {
  tunekit::tuner tuner{tunekit::qmc_sampler{{.seed = 8, .scramble = false}}};
  tuner.optimize(
      [](tunekit::trial& t) {
        const double hi = t.number() < 3 ? 1.0 : 2.0;  // y's range changes from trial 3 on
        return t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, hi);
      },
      {.n_trials = 6});
  const auto trials = tuner.trials();
  // Trials 1 and 2: 2-D points. Trial 3: y's new distribution differs from the
  // intersection's, so y falls back to random while x still follows Sobol.
  CHECK(trials[1].params.at("x") == 0.5);
  CHECK(trials[2].params.at("x") == 0.75);
  CHECK(trials[2].params.at("y") == 0.25);
  CHECK(trials[3].params.at("x") == 0.25);
  const tunekit::random_sampler fallback({.seed = 8});
  tunekit::frozen_trial t3;
  t3.number = 3;
  CHECK(trials[3].params.at("y") ==
        fallback.sample_independent(tunekit::study_view{}, t3, "y", tunekit::float_distribution(0, 2)));
  // Trial 4 on: the intersection is {x} alone, a 1-D Sobol sequence (van der Corput).
  CHECK(trials[4].params.at("x") == 0.375);
  CHECK(trials[5].params.at("x") == 0.875);
}

TEST_CASE("qmc_sampler: every parameter stays inside its domain", "[samplers][qmc]") {
  tunekit::tuner tuner{mixed_space(), tunekit::qmc_sampler{{.seed = 21}}};
  tuner.optimize(mixed_objective, {.n_trials = 256});
  std::map<std::int64_t, int> units;
  std::map<std::string, int> acts;
  for (const auto& t : tuner.trials()) {
    REQUIRE(t.state == tunekit::trial_state::complete);
    for (const auto& [name, value] : t.params) {
      INFO("trial " << t.number << ", parameter " << name << " = " << value);
      CHECK(tunekit::contains(t.distributions.at(name), value));
    }
    ++units[t.param<std::int64_t>("units")];
    ++acts[t.param<std::string>("act")];
  }
  // 16 integers and 4 categories: a net puts exactly 256/16 and 256/4 points on each.
  REQUIRE(units.size() == 16);
  for (const auto& [value, count] : units) CHECK(count == 16);
  REQUIRE(acts.size() == 4);
  for (const auto& [value, count] : acts) CHECK(count == 64);

  // Define-by-run, every kind, including parameters only some trials ask for.
  tunekit::tuner dbr{tunekit::qmc_sampler{{.seed = 22}}};
  dbr.optimize(
      [](tunekit::trial& t) {
        double v = t.suggest_float("lf", 1e-5, 1e-1, {.log = true});
        v += static_cast<double>(t.suggest_int("li", 1, 1000, {.log = true}));
        v += static_cast<double>(t.suggest_int("si", -10, 10, {.step = 4}));
        v += t.suggest_float("sf", -1, 1, {.step = 0.25});
        const bool b = t.suggest_categorical("b", {true, false});
        if (b) v += t.suggest_categorical("c", {0.5, 1.5, 2.5});
        return v;
      },
      {.n_trials = 128});
  for (const auto& t : dbr.trials()) {
    REQUIRE(t.state == tunekit::trial_state::complete);
    for (const auto& [name, value] : t.params) {
      INFO("trial " << t.number << ", parameter " << name << " = " << value);
      CHECK(tunekit::contains(t.distributions.at(name), value));
    }
  }
}
