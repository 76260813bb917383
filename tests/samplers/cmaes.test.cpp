// Tests of tunekit/samplers/cmaes.hpp and samplers/detail/cmaes_core.hpp:
// convergence on a sphere and a rotated ellipsoid (several seeds), options,
// reproducibility, the categorical fallback, the margin for integers, how
// generations are shared (out-of-order completion, failures, two samplers on
// one storage, n_jobs = 2), restarts, separable mode in 40-D, warm start,
// and the bad inputs of issue 18.
#include <catch2/catch.hpp>

#include <tunekit/tunekit.hpp>
#include <tunekit/samplers/cmaes.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include <tunekit/storage/journal.hpp>

#include "support/test_helpers.hpp"

#include "support/require_invalid.hpp"
#include "support/study_history.hpp"
#include "support/temp_dir.hpp"

using tunekit_test::space_of;

namespace {

using tunekit::cmaes_diagnostics;
using tunekit::cmaes_restart;
using tunekit::cmaes_sampler;
using tunekit::cmaes_sampler_options;
using tunekit::distribution;

/// Minimises f over `dim` floats x0.. in [lo, hi] and returns the best value.
template <class F>
double minimise(cmaes_sampler_options options, int dim, double lo, double hi, F f, int n_trials,
                cmaes_diagnostics* diag = nullptr) {
  tunekit::tuner tuner{cmaes_sampler{std::move(options)}};
  std::vector<std::string> names;  // built once: GCC 12 warns falsely on "x" + to_string(i) inlined here
  for (int i = 0; i < dim; ++i) names.push_back(std::string(1, 'x').append(std::to_string(i)));
  tuner.optimize(
      [&](tunekit::trial& t) {
        std::vector<double> x(static_cast<std::size_t>(dim));
        for (int i = 0; i < dim; ++i) x[static_cast<std::size_t>(i)] = t.suggest_float(names[static_cast<std::size_t>(i)], lo, hi);
        return f(x);
      },
      {.n_trials = n_trials, .catch_exceptions = false});
  if (diag) *diag = tuner.sampler().diagnostics();
  return tuner.best_value();
}

double sphere(const std::vector<double>& x) {
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += (x[i] - 0.1 * static_cast<double>(i + 1)) * (x[i] - 0.1 * static_cast<double>(i + 1));
  return s;
}

/// An ellipsoid with condition 1e4, rotated by a fixed orthogonal matrix
/// (Householder reflection of a fixed vector), optimum at (1, 1, ...).
double rotated_ellipsoid(const std::vector<double>& x) {
  const std::size_t n = x.size();
  std::vector<double> v(n);
  double vv = 0;
  for (std::size_t i = 0; i < n; ++i) v[i] = std::cos(1.0 + 2.0 * static_cast<double>(i)), vv += v[i] * v[i];
  double vx = 0;
  for (std::size_t i = 0; i < n; ++i) vx += v[i] * (x[i] - 1.0);
  double f = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double y = (x[i] - 1.0) - 2.0 * v[i] * vx / vv;
    f += std::pow(1e4, static_cast<double>(i) / static_cast<double>(n - 1)) * y * y;
  }
  return f;
}

double rastrigin(const std::vector<double>& x) {
  double f = 10.0 * static_cast<double>(x.size());
  for (double v : x) f += v * v - 10.0 * std::cos(2 * M_PI * v);
  return f;
}

/// Sphere plus Gaussian noise of sd 1 (drawn from the trial number, so runs
/// are reproducible); returns the noise-free sphere at the final mean.
double noisy_sphere_final(cmaes_sampler_options options, int n_trials = 2000) {
  tunekit::tuner tuner{cmaes_sampler{std::move(options)}};
  static const std::vector<std::string> names{"x0", "x1", "x2", "x3", "x4"};
  tuner.optimize(
      [&](tunekit::trial& t) {
        std::vector<double> x;
        for (const auto& n : names) x.push_back(t.suggest_float(n, -3, 3));
        tunekit::random_engine noise(static_cast<std::uint64_t>(t.number()) * 7919 + 1);
        return sphere(x) + noise.normal();
      },
      {.n_trials = n_trials, .catch_exceptions = false});
  std::vector<double> x;
  for (double u : tuner.sampler().diagnostics().mean) x.push_back(-3 + 6 * u);
  return sphere(x);
}

using dims_t = std::vector<std::pair<std::string, distribution>>;


}  // namespace

TEST_CASE("cmaes_sampler: satisfies the sampler concepts; defaults", "[samplers][cmaes]") {
  STATIC_REQUIRE(tunekit::relational_sampler<cmaes_sampler>);
  const cmaes_sampler s;
  CHECK(s.options().n_startup_trials == 1);
  CHECK(s.options().restart_strategy == cmaes_restart::none);
  CHECK(s.options().with_margin);
  CHECK(tunekit::detail::cma::default_population(5) == 8);
}

TEST_CASE("cmaes_sampler: invalid options throw invalid_argument naming the option", "[samplers][cmaes]") {
  REQUIRE_INVALID(cmaes_sampler({.sigma0 = 0.0}), Catch::Contains("sigma0"));
  REQUIRE_INVALID(cmaes_sampler({.sigma0 = std::nan("")}), Catch::Contains("sigma0"));
  REQUIRE_INVALID(cmaes_sampler({.sigma0 = 2.0}), Catch::Contains("sigma0"));
  REQUIRE_INVALID(cmaes_sampler({.population_size = 1}), Catch::Contains("population_size"));
  REQUIRE_INVALID(cmaes_sampler({.n_startup_trials = -1}), Catch::Contains("n_startup_trials"));
  REQUIRE_INVALID(cmaes_sampler({.inc_popsize = 1.0}), Catch::Contains("inc_popsize"));
  REQUIRE_INVALID(cmaes_sampler({.restart_strategy = static_cast<cmaes_restart>(9)}), Catch::Contains("restart_strategy"));
  REQUIRE_INVALID(cmaes_sampler({.warm_start_gamma = 0.0}), Catch::Contains("warm_start_gamma"));
  REQUIRE_INVALID(cmaes_sampler({.warm_start_alpha = -1.0}), Catch::Contains("warm_start_alpha"));
  tunekit::frozen_trial source;
  source.state = tunekit::trial_state::complete;
  REQUIRE_INVALID(cmaes_sampler({.sigma0 = 0.1, .source_trials = {source}}), Catch::Contains("source_trials"));
}

TEST_CASE("cmaes_sampler: converges on a 5-D sphere and a rotated ellipsoid, over seeds", "[samplers][cmaes]") {
  // Thresholds from the spread over seeds 0-9 ("[.cmaes_measure]" below):
  // sphere at 400 trials median 1.9e-5, max 1.9e-4 (the reference `cmaes`
  // package, same setting: 5e-6 .. 4e-5); ellipsoid at 1000 trials median
  // 1.2e-7, max 4.0e-6.
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    CAPTURE(seed);
    CHECK(minimise({.seed = seed}, 5, -3, 3, sphere, 400) < 1e-3);
    CHECK(minimise({.seed = seed}, 5, -3, 3, rotated_ellipsoid, 1000) < 1e-4);
  }
}

TEST_CASE("cmaes_sampler: the same seed gives the same trials", "[samplers][cmaes]") {
  auto run = [](std::uint64_t seed) {
    tunekit::tuner tuner{cmaes_sampler{{.seed = seed}}};
    tuner.optimize([](tunekit::trial& t) { return sphere({t.suggest_float("x0", -3, 3), t.suggest_float("x1", -3, 3),
                                                          static_cast<double>(t.suggest_int("k", -5, 5))}); },
                   {.n_trials = 60});
    return tuner.trials();
  };
  const auto a = run(7), b = run(7), c = run(8);
  REQUIRE(a.size() == 60);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].params == b[i].params);
    differs = differs || a[i].params != c[i].params;
  }
  CHECK(differs);
}

TEST_CASE("cmaes_sampler: categorical and conditional parameters fall back to random sampling", "[samplers][cmaes]") {
  tunekit::tuner tuner{cmaes_sampler{{.seed = 1, .warn_independent_sampling = false}}};
  tuner.optimize(
      [](tunekit::trial& t) {
        const double x = t.suggest_float("x", -3, 3), y = t.suggest_float("y", -3, 3);
        const std::string c = t.suggest_categorical("c", {"a", "b", "c"});
        return (x - 1) * (x - 1) + (y + 1) * (y + 1) + (c == "b" ? 0.0 : 0.5);
      },
      {.n_trials = 150, .catch_exceptions = false});
  const auto& d = tuner.sampler().diagnostics();
  CHECK(d.active);
  CHECK(d.n_generations >= 10);
  CHECK(d.independent_params == std::vector<std::string>{"c"});
  for (const auto& t : tuner.trials()) CHECK(tunekit::contains(t.distributions.at("c"), t.params.at("c")));
  CHECK(tuner.best_value() < 1e-2);  // x, y converged (seed 1: 1.2e-3); "b" found by the random draws
}

TEST_CASE("cmaes_sampler: with the margin, integers do not freeze and the integer optimum is reached", "[samplers][cmaes]") {
  // Two floats and three integers; the integers' optimum is far from the
  // start (x0 at the other end, small sigma0), where plain CMA-ES rounding
  // freezes them: once sigma is below a cell, no sample leaves the cell.
  auto run = [](bool margin, std::uint64_t seed) {
    tunekit::tuner tuner{cmaes_sampler{{.seed = seed,
                                        .sigma0 = 0.005,
                                        .x0 = {{"x", 0.0}, {"y", 0.0}, {"k0", std::int64_t{-8}}, {"k1", std::int64_t{-8}}, {"k2", std::int64_t{-8}}},
                                        .with_margin = margin}}};
    tuner.optimize(
        [](tunekit::trial& t) {
          const double x = t.suggest_float("x", -2, 2), y = t.suggest_float("y", -2, 2);
          double f = x * x + y * y;
          for (const char* k : {"k0", "k1", "k2"}) {
            const auto v = static_cast<double>(t.suggest_int(k, -10, 10));
            f += (v - 6) * (v - 6);
          }
          return f;
        },
        {.n_trials = 600, .catch_exceptions = false});
    const auto best = tuner.best_trial();
    return best.params.at("k0") == 6 && best.params.at("k1") == 6 && best.params.at("k2") == 6;
  };
  int with = 0, without = 0;
  for (std::uint64_t seed = 0; seed < 3; ++seed) with += run(true, seed), without += run(false, seed);
  CHECK(with == 3);
  CHECK(without < with);
}

TEST_CASE("cmaes_sampler: a generation is told only when full, in any completion order, skipping failures",
          "[samplers][cmaes]") {
  const dims_t dims{{"x", tunekit::float_distribution(-1, 1)}, {"y", tunekit::float_distribution(-1, 1)}};
  tunekit::testing::study_history h(tunekit::direction::minimize, "cma-order");
  const auto space = space_of(dims);
  cmaes_sampler s{{.seed = 3, .population_size = 6, .n_startup_trials = 0}};
  cmaes_sampler other{{.seed = 3, .population_size = 6, .n_startup_trials = 0}};  // a second worker
  auto ask = [&](cmaes_sampler& by) {
    const auto t = h.storage.create_trial(h.study, tunekit::frozen_trial{});
    const auto p = by.sample_relative(h.view(), t, space);
    for (const auto& [name, d] : dims) h.storage.set_param(t.id, name, p.at(name), d);
    return t;
  };
  auto finish = [&](const tunekit::frozen_trial& t, tunekit::trial_state state) {
    const auto r = h.storage.trial(t.id);
    const double x = r.params.at("x"), y = r.params.at("y");
    std::vector<double> v;
    if (state != tunekit::trial_state::fail) v = {x * x + y * y};
    h.storage.finish_trial(t.id, state, v, {}, state == tunekit::trial_state::fail ? "failed" : "");
  };
  // Eight trials of generation 0, asked alternately by the two workers.
  std::vector<tunekit::frozen_trial> g0;
  for (int i = 0; i < 8; ++i) g0.push_back(ask(i % 2 ? other : s));
  // Finish in reverse order; one fails and one is pruned: 5 COMPLETE so far.
  finish(g0[7], tunekit::trial_state::complete);
  finish(g0[6], tunekit::trial_state::fail);
  finish(g0[5], tunekit::trial_state::complete);
  finish(g0[4], tunekit::trial_state::pruned);
  finish(g0[3], tunekit::trial_state::complete);
  finish(g0[2], tunekit::trial_state::complete);
  finish(g0[1], tunekit::trial_state::complete);
  const auto probe = ask(s);
  CHECK(s.diagnostics().n_generations == 0);  // 5 of 6: not yet
  finish(g0[0], tunekit::trial_state::complete);
  const auto next = ask(s);
  CHECK(s.diagnostics().n_generations == 1);
  // A straggler of generation 0 finishing now is not a member of generation 1.
  finish(probe, tunekit::trial_state::complete);
  ask(other);
  CHECK(other.diagnostics().n_generations == 1);
  // Both workers replayed the same sequence: same state.
  CHECK(other.diagnostics().mean == s.diagnostics().mean);
  CHECK(other.diagnostics().sigma == s.diagnostics().sigma);
  // A fresh sampler replaying the whole study agrees too (another process).
  cmaes_sampler late{{.seed = 3, .population_size = 6, .n_startup_trials = 0}};
  late.sample_relative(h.view(), next, space);
  CHECK(late.diagnostics().mean == s.diagnostics().mean);
}

TEST_CASE("cmaes_sampler: consider_pruned_trials lets a pruned trial with a value complete a generation",
          "[samplers][cmaes]") {
  const dims_t dims{{"x", tunekit::float_distribution(-1, 1)}};
  for (const bool consider : {false, true}) {
    tunekit::testing::study_history h(tunekit::direction::minimize, "cma-pruned");
    cmaes_sampler s{{.seed = 3, .population_size = 4, .n_startup_trials = 0, .consider_pruned_trials = consider}};
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 4; ++i) {
      const auto t = h.storage.create_trial(h.study, tunekit::frozen_trial{});
      const double x = s.sample_relative(h.view(), t, space_of(dims)).at("x");
      h.storage.set_param(t.id, "x", x, dims[0].second);
      h.storage.set_intermediate_value(t.id, 0, x * x);
      ids.push_back(t.id);
    }
    for (int i = 0; i < 3; ++i) {
      const double x = h.storage.trial(ids[static_cast<std::size_t>(i)]).params.at("x");
      h.storage.finish_trial(ids[static_cast<std::size_t>(i)], tunekit::trial_state::complete, std::vector<double>{x * x}, {}, "");
    }
    // The fourth is pruned with its last intermediate value, as the tuner records it.
    const double x = h.storage.trial(ids[3]).params.at("x");
    h.storage.finish_trial(ids[3], tunekit::trial_state::pruned, std::vector<double>{x * x}, {}, "");
    s.sample_relative(h.view(), h.storage.create_trial(h.study, tunekit::frozen_trial{}), space_of(dims));
    CHECK(s.diagnostics().n_generations == (consider ? 1 : 0));
  }
}

TEST_CASE("cmaes_sampler: n_jobs = 2 with out-of-order completion still converges", "[samplers][cmaes]") {
  tunekit::tuner tuner{cmaes_sampler{{.seed = 4}}};
  const auto summary = tuner.optimize(
      [](tunekit::trial& t) {
        const double x = t.suggest_float("x", -3, 3), y = t.suggest_float("y", -3, 3);
        // Trials of alternate numbers take longer, so they finish out of order.
        if (t.number() % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
        if (t.number() % 17 == 5) throw std::runtime_error("a failing trial");
        return (x - 0.5) * (x - 0.5) + 3 * (y + 0.25) * (y + 0.25);
      },
      {.n_trials = 240, .n_jobs = 2});
  CHECK(summary.n_complete + summary.n_fail == 240);
  CHECK(summary.n_fail > 5);
  CHECK(tuner.sampler().diagnostics().n_generations >= 25);
  // Which trials share a generation depends on the threads' timing: on an
  // idle machine the best value is well below 1e-6, under load it was seen
  // at 1.0e-6 to 1.7e-6 (2 of 40 runs, 4 at a time on 2 cores, 2026-12-07).
  // 1e-4 is still four orders below the start and a stalled step size's ~1e-2.
  CHECK(tuner.best_value() < 1e-4);
}

TEST_CASE("cmaes_sampler: two workers on one journal file (two processes) share the generations", "[samplers][cmaes]") {
  // Two journal handles are what two processes would hold; the samplers are
  // unseeded, so their seed comes from the study's name, the same for both.
  tunekit::testing::temp_dir dir;
  const auto path = dir.path() / "cma.log";
  auto objective = [](tunekit::trial& t) {
    const double x = t.suggest_float("x", -3, 3), y = t.suggest_float("y", -3, 3);
    return (x - 0.5) * (x - 0.5) + 3 * (y + 0.25) * (y + 0.25);
  };
  auto worker = [&] {
    tunekit::tuner tuner{cmaes_sampler{}, tunekit::journal_storage(path), tunekit::study_config{.name = "shared"}};
    tuner.optimize(objective, {.n_trials = 150, .catch_exceptions = false});
  };
  {
    std::jthread a(worker), b(worker);
  }
  tunekit::journal_storage storage(path);
  const auto study = *storage.find_study("shared");
  const auto view = storage.view(study);
  REQUIRE(view.finished().size() == 300);
  // A third process replaying the study: nearly every trial was a member of
  // the generation it was drawn for (lambda = 6: 50 generations if none were
  // wasted; a worker that asks before the other's last tell wastes one;
  // three runs gave 46, 49 and 49; the bar leaves room for slow interleavings).
  cmaes_sampler replay;
  const tunekit::search_space space{{"x", tunekit::float_distribution(-3, 3)}, {"y", tunekit::float_distribution(-3, 3)}};
  replay.sample_relative(view, view.finished()[0], space);
  CHECK(replay.diagnostics().n_generations >= 35);
  // How the two threads interleave varies from run to run (and more under
  // ASan): 1.7e-8 was seen in a clean-clone CI run; random search over the
  // same 300 trials reaches ~1e-2.
  double best = 1e300;
  for (const auto& t : view.finished()) best = std::min(best, t.values.at(0));
  CHECK(best < 1e-6);
}

TEST_CASE("cmaes_sampler: IPOP and BIPOP restart on Rastrigin, IPOP's population grows", "[samplers][cmaes]") {
  cmaes_diagnostics d;
  const double best = minimise({.seed = 2, .restart_strategy = cmaes_restart::ipop}, 2, -5.12, 5.12, rastrigin, 3000, &d);
  CAPTURE(best, d.stop_reasons.size());
  REQUIRE(d.n_restarts >= 2);
  for (std::size_t i = 1; i < d.population_sizes.size(); ++i) CHECK(d.population_sizes[i] == 2 * d.population_sizes[i - 1]);
  CHECK(best < 1e-6);  // the global minimum (0 at the origin)

  cmaes_diagnostics b;
  minimise({.seed = 2, .restart_strategy = cmaes_restart::bipop}, 2, -5.12, 5.12, rastrigin, 3000, &b);
  CHECK(b.n_restarts >= 2);
  // Without restarts the run stays in its basin.
  cmaes_diagnostics none;
  minimise({.seed = 2}, 2, -5.12, 5.12, rastrigin, 600, &none);
  CHECK(none.n_restarts == 0);
  CHECK(none.population_sizes.size() == 1);
}

TEST_CASE("cmaes_sampler: learning-rate adaptation averages out noise", "[samplers][cmaes]") {
  // Seeds 0-9 ("[.cmaes_measure]"), 1200 trials: the noise-free value at
  // the final mean is 0.038 .. 0.148 (median 0.060) with lr_adapt, 0.18 ..
  // 0.64 (median 0.51) without.
  std::vector<double> with, without;
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    with.push_back(noisy_sphere_final({.seed = seed, .lr_adapt = true}, 1200));
    without.push_back(noisy_sphere_final({.seed = seed}, 1200));
  }
  std::sort(with.begin(), with.end());
  std::sort(without.begin(), without.end());
  CHECK(with.back() < 0.2);
  CHECK(with[1] < 0.5 * without[1]);
}

TEST_CASE("cmaes_sampler: separable CMA-ES in 40-D", "[samplers][cmaes]") {
  cmaes_diagnostics d;
  const double best = minimise({.seed = 1, .use_separable_cma = true}, 40, -3, 3, sphere, 600, &d);
  CHECK(d.active);
  CHECK(d.population_sizes.front() == tunekit::detail::cma::default_population(40));
  // Seeds 0-9 at 600 trials: 12.7 .. 20.5; the centre, where it starts, has
  // 221. (At 1500 trials: 4.4 .. 4.9, where the reference `cmaes` package's
  // SepCMA, same setting, gives 4.5 .. 5.0 and full CMA-ES 5.1 .. 6.0.)
  CHECK(best < 30);
}

TEST_CASE("cmaes_sampler: warm start from a related study starts near its optimum", "[samplers][cmaes]") {
  // Source: a sphere with optimum at (1, -1, 0.5), sampled at random.
  tunekit::tuner source{tunekit::random_sampler{{.seed = 9}}};
  auto shifted = [](double a, double b, double c, double dx) {
    return (a - 1 - dx) * (a - 1 - dx) + (b + 1) * (b + 1) + (c - 0.5) * (c - 0.5);
  };
  source.optimize([&](tunekit::trial& t) {
    return shifted(t.suggest_float("x0", -3, 3), t.suggest_float("x1", -3, 3), t.suggest_float("x2", -3, 3), 0);
  }, {.n_trials = 200});
  const auto trials = source.trials();
  auto target = [&](cmaes_sampler_options o) {
    tunekit::tuner tuner{cmaes_sampler{std::move(o)}};
    tuner.optimize([&](tunekit::trial& t) {
      return shifted(t.suggest_float("x0", -3, 3), t.suggest_float("x1", -3, 3), t.suggest_float("x2", -3, 3), 0.1);
    }, {.n_trials = 40});
    return std::pair{tuner.best_value(), tuner.sampler().diagnostics()};
  };
  const auto [warm, wd] = target({.seed = 1, .source_trials = trials});
  const auto [cold, cd] = target({.seed = 1});
  CHECK(wd.warm_started);
  CHECK_FALSE(cd.warm_started);
  CHECK(warm < cold);
  CHECK(warm < 0.5 * cold);  // seed 1: 0.12 against 0.31

  // A source whose space does not match: an error naming the parameter.
  std::vector<tunekit::frozen_trial> bad = trials;
  for (auto& t : bad) t.params.erase("x2"), t.distributions.erase("x2");
  tunekit::tuner mismatched{cmaes_sampler{{.seed = 1, .source_trials = bad}}};
  REQUIRE_THROWS_WITH(mismatched.optimize([&](tunekit::trial& t) {
    return shifted(t.suggest_float("x0", -3, 3), t.suggest_float("x1", -3, 3), t.suggest_float("x2", -3, 3), 0);
  }, {.n_trials = 5, .catch_exceptions = false}), Catch::Contains("'x2'"));
}

TEST_CASE("cmaes_sampler: bad inputs never give NaN or out-of-domain parameters", "[samplers][cmaes]") {
  for (auto strategy : {cmaes_restart::none, cmaes_restart::ipop, cmaes_restart::bipop}) {
    // A flat objective, zero-width bounds, every kind of numeric parameter, maximisation.
    tunekit::tuner flat{cmaes_sampler{{.seed = 5, .restart_strategy = strategy}}, tunekit::study_config{.directions = {tunekit::direction::maximize}}};
    flat.optimize([](tunekit::trial& t) {
      t.suggest_float("a", -1, 1);
      t.suggest_float("z", 2, 2);
      t.suggest_float("l", 1e-6, 1, {.log = true});
      t.suggest_float("s", 0, 1, {.step = 0.25});
      t.suggest_int("i", 0, 3);
      t.suggest_int("li", 1, 1000, {.log = true});
      return 1.0;
    }, {.n_trials = 400, .catch_exceptions = false});
    for (const auto& t : flat.trials())
      for (const auto& [name, v] : t.params) {
        REQUIRE(std::isfinite(v));
        REQUIRE(tunekit::contains(t.distributions.at(name), v));
      }
    CHECK(flat.sampler().diagnostics().active);
  }
  // Every trial fails: the sampler stays in its random startup.
  tunekit::tuner failing{cmaes_sampler{{.seed = 5}}};
  failing.optimize([](tunekit::trial& t) -> double {
    t.suggest_float("a", -1, 1);
    throw std::runtime_error("no");
  }, {.n_trials = 20});
  CHECK_FALSE(failing.sampler().diagnostics().active);
  // Maximisation converges to the maximum.
  tunekit::tuner up{cmaes_sampler{{.seed = 6}}, tunekit::study_config{.directions = {tunekit::direction::maximize}}};
  up.optimize([](tunekit::trial& t) {
    const double x = t.suggest_float("x", -2, 2), y = t.suggest_float("y", -2, 2);
    return -(x - 0.3) * (x - 0.3) - (y - 0.2) * (y - 0.2);
  }, {.n_trials = 200});
  CHECK(up.best_value() > -1e-6);
}

namespace {
struct mixed_params {
  double lr;
  int layers;
  std::string activation;
};
}  // namespace

TEST_CASE("cmaes_sampler: a typed space with a categorical member", "[samplers][cmaes]") {
  using tunekit::categorical_param;
  using tunekit::float_param;
  using tunekit::int_param;
  tunekit::space<mixed_params> space{float_param("lr", &mixed_params::lr, 1e-5, 1.0, {.log = true}),
                                     int_param("layers", &mixed_params::layers, 1, 8),
                                     categorical_param("activation", &mixed_params::activation, {"relu", "tanh", "gelu"})};
  tunekit::tuner tuner{space, cmaes_sampler{{.seed = 2, .warn_independent_sampling = false}}};
  tuner.optimize(
      [](const mixed_params& p, tunekit::trial&) {
        const double u = std::log10(p.lr) + 3;
        return u * u + (p.layers - 3) * (p.layers - 3) + (p.activation == "gelu" ? 0.0 : 0.3);
      },
      {.n_trials = 200, .catch_exceptions = false});
  CHECK(tuner.sampler().diagnostics().independent_params == std::vector<std::string>{"activation"});
  const auto best = tuner.best_params();
  CHECK(best.layers == 3);
  CHECK(best.activation == "gelu");
  CHECK(std::abs(std::log10(best.lr) + 3) < 0.05);
}

TEST_CASE("cmaes core: a degenerate covariance is reported and sampling stays finite", "[samplers][cmaes]") {
  namespace cma = tunekit::detail::cma;
  for (const double fill : {0.0, std::numeric_limits<double>::quiet_NaN(), -1.0}) {
    for (const bool separable : {false, true}) {
      cma::run_config c;
      c.mean = Eigen::VectorXd::Constant(3, 0.5);
      c.cov = Eigen::MatrixXd::Constant(3, 3, fill);
      c.separable = separable;
      cma::cma_run run(c);
      CHECK(run.should_stop() == "degenerate");
      tunekit::random_engine rng(1);
      for (int i = 0; i < 20; ++i) {
        const Eigen::VectorXd x = run.sample(rng);
        REQUIRE(x.allFinite());
        REQUIRE((x.array() >= 0).all());
        REQUIRE((x.array() <= 1).all());
      }
    }
  }
  // A healthy run: the mean moves towards the better half of a population.
  cma::run_config c;
  c.mean = Eigen::VectorXd::Constant(2, 0.5);
  cma::cma_run run(c);
  tunekit::random_engine rng(3);
  std::vector<std::pair<Eigen::VectorXd, double>> pop;
  for (int i = 0; i < run.population_size(); ++i) {
    Eigen::VectorXd x = run.sample(rng);
    pop.emplace_back(x, (x - Eigen::Vector2d(0.9, 0.9)).squaredNorm());
  }
  const double before = (run.mean() - Eigen::Vector2d(0.9, 0.9)).norm();
  run.tell(pop);
  CHECK((run.mean() - Eigen::Vector2d(0.9, 0.9)).norm() < before);
  CHECK(run.generation() == 1);
  CHECK(run.should_stop().empty());
}

// Not registered (hidden tag): prints the spread over seeds 0-9 from which
// the thresholds above were chosen. Run: tunekit_tests "[.cmaes_measure]"
TEST_CASE("cmaes_sampler: measured spread of the convergence tests", "[.cmaes_measure]") {
  auto report = [](const char* what, auto f) {
    std::vector<double> v;
    for (std::uint64_t seed = 0; seed < 10; ++seed) v.push_back(f(seed));
    std::sort(v.begin(), v.end());
    WARN(what << ": min " << v.front() << ", median " << v[5] << ", max " << v.back());
  };
  report("sphere 5-D, 400 trials", [](std::uint64_t s) { return minimise({.seed = s}, 5, -3, 3, sphere, 400); });
  report("rotated ellipsoid 5-D, 1000 trials",
         [](std::uint64_t s) { return minimise({.seed = s}, 5, -3, 3, rotated_ellipsoid, 1000); });
  report("separable sphere 40-D, 1500 trials",
         [](std::uint64_t s) { return minimise({.seed = s, .use_separable_cma = true}, 40, -3, 3, sphere, 1500); });
  report("separable sphere 40-D, 600 trials",
         [](std::uint64_t s) { return minimise({.seed = s, .use_separable_cma = true}, 40, -3, 3, sphere, 600); });
  report("full sphere 40-D, 1500 trials", [](std::uint64_t s) { return minimise({.seed = s}, 40, -3, 3, sphere, 1500); });
  report("ipop rastrigin 2-D, 3000 trials", [](std::uint64_t s) {
    return minimise({.seed = s, .restart_strategy = cmaes_restart::ipop}, 2, -5.12, 5.12, rastrigin, 3000);
  });
  report("bipop rastrigin 2-D, 3000 trials", [](std::uint64_t s) {
    return minimise({.seed = s, .restart_strategy = cmaes_restart::bipop}, 2, -5.12, 5.12, rastrigin, 3000);
  });
  report("rastrigin 5-D, 3000 trials, no restarts", [](std::uint64_t s) {
    return minimise({.seed = s}, 5, -5.12, 5.12, rastrigin, 3000);
  });
  report("rastrigin 5-D, 3000 trials, lr_adapt", [](std::uint64_t s) {
    return minimise({.seed = s, .lr_adapt = true}, 5, -5.12, 5.12, rastrigin, 3000);
  });
  report("sphere 5-D, 400 trials, lr_adapt", [](std::uint64_t s) {
    return minimise({.seed = s, .lr_adapt = true}, 5, -3, 3, sphere, 400);
  });
  report("separable sphere 40-D, 1500 trials, lr_adapt", [](std::uint64_t s) {
    return minimise({.seed = s, .use_separable_cma = true, .lr_adapt = true}, 40, -3, 3, sphere, 1500);
  });
  report("rastrigin 5-D, 3000 trials, ipop", [](std::uint64_t s) {
    return minimise({.seed = s, .restart_strategy = cmaes_restart::ipop}, 5, -5.12, 5.12, rastrigin, 3000);
  });
  report("noisy sphere 5-D (sd 1), 2000 trials, true value at the final mean", [](std::uint64_t s) {
    return noisy_sphere_final({.seed = s});
  });
  report("noisy sphere 5-D (sd 1), 1200 trials, true value at the final mean", [](std::uint64_t s) {
    return noisy_sphere_final({.seed = s}, 1200);
  });
  report("noisy sphere 5-D (sd 1), 1200 trials, lr_adapt, true value at the final mean", [](std::uint64_t s) {
    return noisy_sphere_final({.seed = s, .lr_adapt = true}, 1200);
  });
  report("noisy sphere 5-D (sd 1), 2000 trials, lr_adapt, true value at the final mean", [](std::uint64_t s) {
    return noisy_sphere_final({.seed = s, .lr_adapt = true});
  });
  report("no restarts rastrigin 2-D, 3000 trials",
         [](std::uint64_t s) { return minimise({.seed = s}, 2, -5.12, 5.12, rastrigin, 3000); });
}

TEST_CASE("cmaes_sampler: a multi-objective study is an error at the first ask", "[samplers][cmaes]") {
  tunekit::tuner tuner{tunekit::cmaes_sampler{{.seed = 1}},
                       tunekit::study_config{.directions = {tunekit::direction::minimize, tunekit::direction::maximize}}};
  CHECK_THROWS_WITH(tuner.optimize([](tunekit::trial& t) { return std::vector<double>{t.suggest_float("x", 0, 1), 0.0}; },
                                   {.n_trials = 3}),
                    Catch::Contains("single-objective") && Catch::Contains("2 objectives"));
  REQUIRE(tuner.trials().size() == 1);
  CHECK(tuner.trials()[0].state == tunekit::trial_state::fail);
}
