// Tests of tunekit/samplers/random.hpp: reproducibility (sequential and
// parallel), independence of seeds, domains and uniformity of every kind of
// parameter.
#include <catch2/catch.hpp>

#include <tunekit/tunekit.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "samplers/statistics.hpp"

namespace {

using tunekit_test::chi_square;
using tunekit_test::chi_square_quantile;
using tunekit_test::ks_uniform;

/// Suggests one parameter of every kind; returns something that depends on all of them.
double all_kinds_objective(tunekit::trial& t) {
  const double f = t.suggest_float("float", -3, 5);
  const double lf = t.suggest_float("log_float", 1e-5, 1e-1, {.log = true});
  const double sf = t.suggest_float("step_float", 0, 1, {.step = 0.1});
  const auto i = t.suggest_int("int", -5, 10);
  const auto li = t.suggest_int("log_int", 1, 64, {.log = true});
  const auto si = t.suggest_int("step_int", 0, 100, {.step = 5});
  const std::string s = t.suggest_categorical("cat_string", {"a", "b", "c"});
  const int ci = t.suggest_categorical("cat_int", {1, 2, 4, 8, 16});
  const double cd = t.suggest_categorical("cat_double", {0.1, 0.5, 0.9, 1.5});
  const bool cb = t.suggest_categorical("cat_bool", {true, false});
  return f + lf + sf + static_cast<double>(i + li + si + ci) + cd + (cb ? 1.0 : 0.0) + static_cast<double>(s.size());
}

using params_by_number = std::map<std::int64_t, tunekit::param_map>;

params_by_number run_all_kinds(std::uint64_t seed, int n_jobs, std::int64_t n_trials) {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = seed}}};
  const auto summary = tuner.optimize(all_kinds_objective, {.n_trials = n_trials, .n_jobs = n_jobs});
  REQUIRE(summary.n_complete == n_trials);
  params_by_number out;
  for (const auto& t : tuner.trials()) {
    REQUIRE(t.state == tunekit::trial_state::complete);
    REQUIRE(t.params.size() == 10);
    out.emplace(t.number, t.params);
  }
  return out;
}

struct kind {
  std::string name;
  tunekit::distribution dist;
};

std::vector<kind> all_kinds() {
  using namespace tunekit;
  return {
      {"float", float_distribution(-3, 5)},
      {"log_float", float_distribution(1e-5, 1e-1, {.log = true})},
      {"step_float", float_distribution(0, 1, {.step = 0.1})},
      {"int", int_distribution(-5, 10)},
      {"log_int", int_distribution(1, 64, {.log = true})},
      {"step_int", int_distribution(0, 100, {.step = 5})},
      {"cat_string", categorical_distribution{"a", "b", "c"}},
      {"cat_int", categorical_distribution{std::int64_t{1}, std::int64_t{2}, std::int64_t{4}, std::int64_t{8}, std::int64_t{16}}},
      {"cat_double", categorical_distribution{0.1, 0.5, 0.9, 1.5}},
      {"cat_bool", categorical_distribution{true, false}},
  };
}

/// `n` draws of one parameter for trials 0..n-1, straight from the sampler.
std::vector<double> random_draws(const tunekit::random_sampler& sampler, const kind& k, int n) {
  const tunekit::study_view view;
  tunekit::frozen_trial t;
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    t.number = i;
    out.push_back(sampler.sample_independent(view, t, k.name, k.dist));
  }
  return out;
}

/// Index of a discrete internal value among the distribution's values.
std::size_t value_index(const tunekit::distribution& d, double x) {
  if (auto f = std::get_if<tunekit::float_distribution>(&d))
    return static_cast<std::size_t>(std::llround((x - f->low()) / *f->step()));
  if (auto i = std::get_if<tunekit::int_distribution>(&d))
    return static_cast<std::size_t>((static_cast<std::int64_t>(x) - i->low()) / i->step());
  return static_cast<std::size_t>(x);
}

/// The probability of each value when the sampler is uniform on the unit scale:
/// equal, except for log integers, where each value owns a slice of
/// [log(low - 0.5), log(high + 0.5)].
std::vector<double> value_probabilities(const tunekit::distribution& d) {
  if (auto i = std::get_if<tunekit::int_distribution>(&d); i && i->log()) {
    const double a = std::log(static_cast<double>(i->low()) - 0.5), b = std::log(static_cast<double>(i->high()) + 0.5);
    std::vector<double> p;
    for (std::int64_t k = i->low(); k <= i->high(); ++k)
      p.push_back((std::log(static_cast<double>(k) + 0.5) - std::log(static_cast<double>(k) - 0.5)) / (b - a));
    return p;
  }
  const auto n = std::visit([](const auto& x) { return x.size(); }, d);
  return std::vector<double>(static_cast<std::size_t>(n), 1.0 / static_cast<double>(n));
}

/// Goodness of fit of draws: KS on the unit scale for continuous kinds,
/// chi-square over the values for discrete ones. Returns (statistic, threshold).
std::pair<double, double> fit(const kind& k, const std::vector<double>& xs, double z, double ks_critical) {
  if (!tunekit::is_discrete(k.dist)) {
    std::vector<double> u;
    for (double x : xs) u.push_back(tunekit::to_unit(k.dist, x));
    return {ks_uniform(u), ks_critical};
  }
  const auto p = value_probabilities(k.dist);
  std::vector<std::size_t> counts(p.size(), 0);
  for (double x : xs) ++counts.at(value_index(k.dist, x));
  return {chi_square(counts, p), chi_square_quantile(static_cast<double>(p.size() - 1), z)};
}

}  // namespace

TEST_CASE("random_sampler: the same seed gives the same trials", "[samplers][random]") {
  const auto first = run_all_kinds(42, 1, 60);
  const auto second = run_all_kinds(42, 1, 60);
  REQUIRE(first.size() == 60);
  CHECK(first == second);
}

TEST_CASE("random_sampler: n_jobs = 2 proposes exactly the points of a sequential run", "[samplers][random]") {
  const auto sequential = run_all_kinds(7, 1, 60);
  const auto parallel = run_all_kinds(7, 2, 60);
  REQUIRE(parallel.size() == 60);
  CHECK(parallel == sequential);
  const auto parallel4 = run_all_kinds(7, 4, 60);
  CHECK(parallel4 == sequential);
}

TEST_CASE("random_sampler: a typed space is reproducible and independent of n_jobs", "[samplers][random]") {
  struct params {
    double lr = 0;
    int layers = 0;
    std::string act;
  };
  const tunekit::space<params> space{
      tunekit::float_param("lr", &params::lr, 1e-4, 1.0, {.log = true}),
      tunekit::int_param("layers", &params::layers, 1, 8),
      tunekit::categorical_param("act", &params::act, {"relu", "tanh", "gelu"}),
  };
  auto run = [&](int n_jobs) {
    tunekit::tuner tuner{space, tunekit::random_sampler{{.seed = 3}}};
    tuner.optimize([](const params& p, tunekit::trial&) { return p.lr * p.layers; }, {.n_trials = 40, .n_jobs = n_jobs});
    params_by_number out;
    for (const auto& t : tuner.trials()) out.emplace(t.number, t.params);
    return out;
  };
  const auto sequential = run(1);
  REQUIRE(sequential.size() == 40);
  CHECK(run(1) == sequential);
  CHECK(run(2) == sequential);
}

TEST_CASE("random_sampler: different seeds give different trials", "[samplers][random]") {
  const auto a = run_all_kinds(1, 1, 60);
  const auto b = run_all_kinds(2, 1, 60);
  // Continuous parameters collide with probability ~0; every trial must differ.
  int same_float = 0, same_trial = 0;
  for (const auto& [number, params] : a) {
    same_float += params.at("float") == b.at(number).at("float");
    same_trial += params == b.at(number);
  }
  CHECK(same_float == 0);
  CHECK(same_trial == 0);
  // Nearby seeds must not give shifted copies of one stream either.
  int shifted = 0;
  for (std::int64_t n = 0; n + 1 < 60; ++n) shifted += a.at(n + 1).at("float") == b.at(n).at("float");
  CHECK(shifted == 0);
}

TEST_CASE("random_sampler: nearby seeds give unrelated streams", "[samplers][random]") {
  // Seeds 0, 1, 2, ... are how users repeat a study; their draws must not be
  // shifted copies of each other (a weak hash once made seed 1, trial n equal
  // to seed 0, trial n + 64).
  const tunekit::study_view view;
  const tunekit::distribution d = tunekit::float_distribution(0, 1);
  std::map<double, std::uint64_t> seen;  // draw -> seed
  std::size_t shared = 0;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    const tunekit::random_sampler sampler({.seed = seed});
    tunekit::frozen_trial t;
    for (t.number = 0; t.number < 2000; ++t.number) {
      const auto [it, fresh] = seen.emplace(sampler.sample_independent(view, t, "x", d), seed);
      shared += !fresh;
    }
  }
  CHECK(shared == 0);  // 16000 doubles with 53 random bits: a repeat has probability ~1e-8
}

TEST_CASE("random_sampler: a draw does not depend on the order parameters are suggested in", "[samplers][random]") {
  auto run = [](bool x_first) {
    tunekit::tuner tuner{tunekit::random_sampler{{.seed = 11}}};
    tuner.optimize(
        [&](tunekit::trial& t) {
          if (x_first) return t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1);
          const double y = t.suggest_float("y", 0, 1);
          return y + t.suggest_float("x", 0, 1);
        },
        {.n_trials = 10});
    params_by_number out;
    for (const auto& t : tuner.trials()) out.emplace(t.number, t.params);
    return out;
  };
  CHECK(run(true) == run(false));
}

TEST_CASE("random_sampler: every kind of parameter stays inside its domain", "[samplers][random]") {
  const tunekit::random_sampler sampler({.seed = 2024});
  for (const auto& k : all_kinds()) {
    INFO("parameter " << k.name << ": " << tunekit::describe(k.dist));
    const auto xs = random_draws(sampler, k, 20000);
    std::size_t outside = 0;
    for (double x : xs) outside += !tunekit::contains(k.dist, x);
    CHECK(outside == 0);
    // Discrete kinds reach every value, continuous ones come close to both ends.
    if (tunekit::is_discrete(k.dist)) {
      std::vector<bool> seen(value_probabilities(k.dist).size(), false);
      for (double x : xs) seen.at(value_index(k.dist, x)) = true;
      CHECK(std::count(seen.begin(), seen.end(), false) == 0);
    } else {
      double lo = 1, hi = 0;
      for (double x : xs) {
        lo = std::min(lo, tunekit::to_unit(k.dist, x));
        hi = std::max(hi, tunekit::to_unit(k.dist, x));
      }
      CHECK(lo < 1e-3);  // P(min of 20000 uniforms > 1e-3) = e^-20
      CHECK(hi > 1 - 1e-3);
    }
  }
  // Through the tuner too: user-facing values of a define-by-run study.
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 5}}};
  tuner.optimize(
      [](tunekit::trial& t) {
        const double lf = t.suggest_float("log_float", 1e-5, 1e-1, {.log = true});
        CHECK((lf >= 1e-5 && lf <= 1e-1));
        const double sf = t.suggest_float("step_float", 0, 1, {.step = 0.1});
        CHECK(std::abs(sf * 10 - std::round(sf * 10)) < 1e-9);
        const auto si = t.suggest_int("step_int", 0, 100, {.step = 5});
        CHECK((si >= 0 && si <= 100 && si % 5 == 0));
        const auto li = t.suggest_int("log_int", 1, 64, {.log = true});
        CHECK((li >= 1 && li <= 64));
        const std::string s = t.suggest_categorical("cat_string", {"a", "b", "c"});
        CHECK((s == "a" || s == "b" || s == "c"));
        return lf;
      },
      {.n_trials = 200});
}

TEST_CASE("random_sampler: every kind is uniform on its unit scale", "[samplers][random]") {
  // Pinned seed; thresholds at the 0.1% tail of each statistic's null
  // distribution (the [.slow] test below measures that spread over seeds).
  const tunekit::random_sampler sampler({.seed = 12345});
  for (const auto& k : all_kinds()) {
    const auto [statistic, threshold] = fit(k, random_draws(sampler, k, 20000), tunekit_test::z_001, tunekit_test::ks_critical_001);
    INFO("parameter " << k.name << ": " << tunekit::describe(k.dist) << ", statistic " << statistic << ", threshold "
                      << threshold);
    CHECK(statistic < threshold);
  }
}

TEST_CASE("random_sampler: the uniformity checks can fail", "[samplers][random]") {
  // Negative controls: the same statistics reject slightly wrong distributions.
  const tunekit::random_sampler sampler({.seed = 12345});
  const kind f{"float", tunekit::float_distribution(0, 1)};
  std::vector<double> u;
  for (double x : random_draws(sampler, f, 20000)) u.push_back(std::pow(x, 1.05));  // a 5% distortion
  CHECK(ks_uniform(u) > tunekit_test::ks_critical_001);

  // Log integers are log-distributed, not uniform over the values.
  const kind li{"log_int", tunekit::int_distribution(1, 64, {.log = true})};
  std::vector<std::size_t> counts(64, 0);
  for (double x : random_draws(sampler, li, 20000)) ++counts.at(value_index(li.dist, x));
  const std::vector<double> flat(64, 1.0 / 64);
  CHECK(chi_square(counts, flat) > chi_square_quantile(63, tunekit_test::z_001));

  // A log float is not uniform on the linear scale.
  const kind lf{"log_float", tunekit::float_distribution(1e-3, 1, {.log = true})};
  std::vector<double> linear;
  for (double x : random_draws(sampler, lf, 20000)) linear.push_back((x - 1e-3) / (1 - 1e-3));
  CHECK(ks_uniform(linear) > tunekit_test::ks_critical_001);
}

TEST_CASE("random_sampler: spread of the uniformity statistics over many seeds", "[samplers][random][.slow]") {
  // At the 1% level a correct sampler is rejected for ~1% of seeds. Per kind,
  // over 400 seeds: expected 4 rejections (Poisson), P(>= 14) ~ 2e-5. Over
  // all 4000 tests: expected 40, sd ~6.3; we require 15 < rejections < 70.
  // Measured at the time of writing: 40 of 4000, 1 to 6 per kind. (Before
  // core/random.hpp hashed seeds properly: 0 for most kinds, 27 for log_int,
  // because the "400 seeds" were shifted copies of a few streams.)
  int rejected = 0;
  for (const auto& k : all_kinds()) {
    int rejected_kind = 0;
    for (std::uint64_t seed = 0; seed < 400; ++seed) {
      const tunekit::random_sampler sampler({.seed = seed});
      const auto [statistic, threshold] = fit(k, random_draws(sampler, k, 5000), tunekit_test::z_01, tunekit_test::ks_critical_01);
      rejected_kind += statistic >= threshold;
    }
    INFO("parameter " << k.name << ": " << rejected_kind << " of 400 seeds rejected at the 1% level");
    CHECK(rejected_kind < 14);
    rejected += rejected_kind;
  }
  INFO(rejected << " of 4000 rejected at the 1% level");
  CHECK(rejected < 70);
  CHECK(rejected > 15);  // far fewer would mean the statistics are miscalibrated (too lax)
}
