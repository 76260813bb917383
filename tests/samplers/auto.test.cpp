// Tests of tunekit/samplers/auto.hpp: the rule (GP, then warm-started
// CMA-ES on numeric spaces; TPE on conditional and categorical-heavy ones;
// GP then multi-objective TPE with 2 objectives, multi-objective TPE with 3
// or more; the GP, then NSGA-II, with constraints and one objective), that a
// delegated phase proposes what its sampler alone would, directions that
// change between runs, the label stored with every trial,
// reproducibility, enqueued trials, options, and the bad inputs of issue 18.
// Studies are short and `gp_max_trials` small so that the test stays cheap
// under the sanitizers; the suite (benchmarks/suite.cpp, "auto") measures
// the defaults.
#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/samplers/auto.hpp>
#include <tunekit/samplers/gp.hpp>
#include <tunekit/samplers/tpe.hpp>
#include <tunekit/storage/memory.hpp>
#include <tunekit/tuner.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/require_invalid.hpp"

namespace {

using tunekit::auto_sampler;
using tunekit::auto_sampler_options;

/// Every study runs its objective through this one type, so the tuner's
/// optimize loop is instantiated once (compile time under the sanitizers).
using objective_fn = std::function<tunekit::result(tunekit::trial&)>;
template <class Tuner>
void run(Tuner& tuner, objective_fn f, tunekit::optimize_options options) {
  tuner.optimize(f, std::move(options));
}

std::string label(const tunekit::frozen_trial& t) {
  const auto it = t.system_attrs.find(tunekit::auto_sampler_key);
  return it == t.system_attrs.end() ? std::string("<none>") : it->second.get<std::string>();
}

/// A 4-D sphere_objective over floats and one integer, its minimum (3, 2, 1, 3) far
/// from the centre of the box.
constexpr const char* names[] = {"x0", "x1", "x2"};  // not "x" + to_string(i): GCC 12 warns falsely

double sphere_objective(tunekit::trial& t) {
  double s = 0;
  for (int i = 0; i < 3; ++i) {
    const double x = t.suggest_float(names[i], -5, 5);
    s += (x - 3 + i) * (x - 3 + i);
  }
  const auto k = t.suggest_int("k", -10, 10);
  return s + 0.1 * static_cast<double>((k - 3) * (k - 3));
}

void require_finite_in_domain(const std::vector<tunekit::frozen_trial>& trials) {
  for (const auto& t : trials)
    for (const auto& [name, v] : t.params) {
      INFO("trial " << t.number << " parameter " << name);
      REQUIRE(std::isfinite(v));
      REQUIRE(tunekit::contains(t.distributions.at(name), v));
    }
}

}  // namespace

TEST_CASE("auto_sampler: options are validated, naming the option", "[samplers][auto]") {
  STATIC_REQUIRE(tunekit::relational_sampler<auto_sampler>);
  CHECK(auto_sampler{}.options().gp_max_trials == 150);
  REQUIRE_INVALID(auto_sampler({.gp_max_trials = -1}), Catch::Contains("gp_max_trials"));
  REQUIRE_INVALID(auto_sampler({.gp_max_objectives = 0}), Catch::Contains("gp_max_objectives"));
  REQUIRE_INVALID(auto_sampler({.gp_max_objectives = 4}), Catch::Contains("gp_max_objectives = 4"));
  REQUIRE_INVALID(auto_sampler({.gp_max_constrained_objectives = 0}), Catch::Contains("gp_max_constrained_objectives"));
  REQUIRE_INVALID(auto_sampler({.gp_max_ask_seconds = 0}), Catch::Contains("gp_max_ask_seconds"));
  REQUIRE_INVALID(auto_sampler({.max_categorical_fraction = 1.5}), Catch::Contains("max_categorical_fraction"));
  REQUIRE_INVALID(auto_sampler({.cmaes_warm_start_alpha = std::nan("")}), Catch::Contains("cmaes_warm_start_alpha"));
  REQUIRE_INVALID(auto_sampler({.cmaes_warm_start_gamma = 0}), Catch::Contains("cmaes_warm_start_gamma"));
}

TEST_CASE("auto_sampler: numeric space: GP, then CMA-ES warm-started from it; every trial says which",
          "[samplers][auto]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    tunekit::tuner tuner{auto_sampler{{.seed = seed, .gp_max_trials = 20}}};
    run(tuner, sphere_objective, {.n_trials = 120, .catch_exceptions = false});
    const auto trials = tuner.trials();
    for (const auto& t : trials) CHECK(label(t) == (t.number < 20 ? "gp" : "cmaes"));
    CHECK(tuner.sampler().diagnostics().sampler == "cmaes");
    // The warm start centres CMA-ES's first generation near the GP's best
    // (a cold CMA-ES would centre it at 0, 3.7 away from the minimum), and
    // CMA-ES then finds better points than the GP's best.
    double best_gp = 1e300, best_cmaes = 1e300;
    std::vector<double> mean(3, 0.0);
    for (const auto& t : trials) {
      if (t.number < 20) best_gp = std::min(best_gp, t.values[0]);
      else best_cmaes = std::min(best_cmaes, t.values[0]);
      if (t.number >= 20 && t.number < 28)
        for (int i = 0; i < 3; ++i) mean[static_cast<std::size_t>(i)] += t.params.at(names[i]) / 8;
    }
    CHECK(std::hypot(mean[0] - 3, mean[1] - 2, mean[2] - 1) < 1.5);
    CHECK(best_cmaes < best_gp);
    require_finite_in_domain(trials);
  }
}

TEST_CASE("auto_sampler: the same seed gives the same trials", "[samplers][auto]") {
  auto study = [] {
    tunekit::tuner tuner{auto_sampler{{.seed = 7, .gp_max_trials = 12}}};
    run(tuner, sphere_objective, {.n_trials = 30, .catch_exceptions = false});
    std::vector<double> out;
    for (const auto& t : tuner.trials())
      for (const auto& [name, v] : t.params) out.push_back(v);
    return out;
  };
  CHECK(study() == study());
}

TEST_CASE("auto_sampler: conditional and categorical-heavy spaces go to TPE", "[samplers][auto]") {
  SECTION("conditional") {
    tunekit::tuner tuner{auto_sampler{{.seed = 1}}};
    run(tuner, 
        [](tunekit::trial& t) {
          const auto kind = t.suggest_categorical("kind", std::vector<std::string>{"a", "b"});
          const double x = t.suggest_float("x", -1, 1);
          if (kind == "a") return x * x + t.suggest_float("ya", 0, 1);
          return x * x + 0.5 + t.suggest_int("nb", 0, 4);
        },
        {.n_trials = 40, .catch_exceptions = false});
    const auto trials = tuner.trials();
    CHECK(label(trials[0]) == "gp");  // nothing is known before the first trial
    CHECK(label(trials.back()) == "tpe");
    CHECK_THAT(tuner.sampler().diagnostics().reason, Catch::Contains("conditional"));
    require_finite_in_domain(trials);
  }
  SECTION("two categorical parameters of three") {
    tunekit::tuner tuner{auto_sampler{{.seed = 2}}};
    run(tuner, 
        [](tunekit::trial& t) {
          const auto a = t.suggest_categorical("a", std::vector<std::string>{"p", "q", "r"});
          const auto b = t.suggest_categorical("b", std::vector<std::int64_t>{1, 2, 3});
          return (a == "q" ? 0.0 : 1.0) + static_cast<double>(b) * t.suggest_float("x", 0, 1);
        },
        {.n_trials = 15, .catch_exceptions = false});
    const auto trials = tuner.trials();
    for (const auto& t : trials) CHECK(label(t) == (t.number == 0 ? "gp" : "tpe"));
  }
  SECTION("one categorical of four stays with GP, then CMA-ES with TPE for the categorical") {
    tunekit::tuner tuner{auto_sampler{{.seed = 3, .gp_max_trials = 15}}};
    run(tuner, 
        [](tunekit::trial& t) {
          const auto a = t.suggest_categorical("act", std::vector<std::string>{"relu", "tanh"});
          const double x = t.suggest_float("x", -1, 1), y = t.suggest_float("y", -1, 1);
          return x * x + y * y + (a == "tanh" ? 0.0 : 1.0) + 0.01 * static_cast<double>(t.suggest_int("n", 1, 8));
        },
        {.n_trials = 60, .catch_exceptions = false});
    const auto trials = tuner.trials();
    for (const auto& t : trials) CHECK(label(t) == (t.number < 15 ? "gp" : "cmaes"));
    int good = 0;  // TPE learns the categorical: most CMA-ES trials pick the good one
    for (const auto& t : trials)
      if (t.number >= 30 && t.params.at("act") == 1.0) ++good;
    CHECK(good >= 20);
  }
}

namespace {

/// The directions of a study of m objectives, all minimised.
std::vector<tunekit::direction> minimise_all(std::size_t m) {
  return std::vector<tunekit::direction>(m, tunekit::direction::minimize);
}

/// A tiny problem of m objectives on x, y in [0, 1] (ZDT1-like for 2, DTLZ2-like
/// angles for more), with the constraint x <= 0.8 when `constrained`.
tunekit::study_config tiny_mo_config(std::size_t m, bool constrained) {
  tunekit::study_config c{.directions = minimise_all(m)};
  if (constrained)
    c.constraints = [](const tunekit::frozen_trial& t) { return std::vector<double>{t.params.at("x") - 0.8}; };
  return c;
}
objective_fn tiny_mo_objective(std::size_t m) {
  return [m](tunekit::trial& t) -> tunekit::result {
    const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
    if (m == 1) return (x - 0.9) * (x - 0.9) + y;
    if (m == 2) return std::vector<double>{x, (1 + 9 * y) * (1 - std::sqrt(x / (1 + 9 * y)))};
    std::vector<double> f(m, 1 + (y - 0.5) * (y - 0.5));
    for (std::size_t k = 0; k < m; ++k) f[k] *= k % 2 == 0 ? std::cos(x * 1.5707963) : std::sin(x * 1.5707963);
    f[0] += 0.1 * static_cast<double>(m);  // no two objectives equal
    return f;
  };
}

/// Every trial's parameters, in trial order.
std::vector<tunekit::param_map> proposals_of(const std::vector<tunekit::frozen_trial>& trials) {
  std::vector<tunekit::param_map> out;
  for (const auto& t : trials) out.push_back(t.params);
  return out;
}

}  // namespace

TEST_CASE("auto_sampler: the choice by number of objectives and constraints", "[samplers][auto]") {
  // {objectives, constrained, label of trials 1..7, of trials 8..11 (gp_max_trials = 8), last reason}
  struct expected_choice {
    std::size_t m;
    bool constrained;
    std::string early, late, reason;
  };
  const std::vector<expected_choice> cases{
      {1, false, "gp", "cmaes", "CMA-ES"},
      {1, true, "gp", "gp", "constraints"},  // CMA-ES would ignore the constraint
      {2, false, "gp", "tpe", "2 objectives"},
      {2, true, "gp", "tpe", "2 objectives"},
      {3, false, "tpe", "tpe", "3 objectives > gp_max_objectives"},
      {3, true, "gp", "tpe", "3 objectives: multi-objective TPE has taken over"},  // trial 0: TPE
      {4, false, "tpe", "tpe", "the GP models at most 3"},
      {5, true, "tpe", "tpe", "5 objectives with constraints > gp_max_constrained_objectives"},
  };
  SECTION("each number of objectives, with and without constraints") {
    for (const auto& c : cases) {
      INFO(c.m << " objectives, constrained " << c.constrained);
      tunekit::tuner tuner{auto_sampler{{.seed = 9, .gp_max_trials = 8}}, tiny_mo_config(c.m, c.constrained)};
      run(tuner, tiny_mo_objective(c.m), {.n_trials = 12, .catch_exceptions = false});
      const auto trials = tuner.trials();
      CHECK(label(trials[0]) == (c.m > 2 ? "tpe" : "gp"));
      for (const auto& t : trials)
        if (t.number > 0) CHECK(label(t) == (t.number < 8 ? c.early : c.late));
      CHECK(tuner.sampler().diagnostics().sampler == c.late);
      CHECK_THAT(tuner.sampler().diagnostics().reason, Catch::Contains(c.reason));
      require_finite_in_domain(trials);
    }
  }
  SECTION("gp_max_objectives = 3 gives 3-objective studies to the GP") {
    tunekit::tuner tuner{auto_sampler{{.seed = 9, .gp_max_objectives = 3}}, tiny_mo_config(3, false)};
    run(tuner, tiny_mo_objective(3), {.n_trials = 11, .catch_exceptions = false});
    for (const auto& t : tuner.trials()) CHECK(label(t) == "gp");
    CHECK_THAT(tuner.sampler().diagnostics().reason, Catch::Contains("LogEHVI"));
  }
  SECTION("one objective, constrained, past the GP's cost limit: NSGA-II, which honours constraints") {
    tunekit::tuner tuner{auto_sampler{{.seed = 9, .gp_max_ask_seconds = 1e-12}}, tiny_mo_config(1, true)};
    run(tuner, tiny_mo_objective(1), {.n_trials = 14, .catch_exceptions = false});
    const auto trials = tuner.trials();
    CHECK(label(trials.back()) == "nsga2");
    CHECK(trials.back().system_attrs.count("nsga2:generation") == 1);
    CHECK_THAT(tuner.sampler().diagnostics().reason, Catch::Contains("NSGA-II"));
    require_finite_in_domain(trials);
  }
}

TEST_CASE("auto_sampler: a delegated phase proposes exactly what its sampler alone would", "[samplers][auto]") {
  using tunekit::detail::mix;
  const std::uint64_t seed = 5;
  // 2 objectives: the GP for gp_max_trials = 11 trials (its Sobol start and
  // one modelled trial), then multi-objective TPE.
  tunekit::tuner automatic{auto_sampler{{.seed = seed, .gp_max_trials = 11}}, tiny_mo_config(2, false)};
  run(automatic, tiny_mo_objective(2), {.n_trials = 16, .catch_exceptions = false});
  const auto ours = proposals_of(automatic.trials());
  tunekit::tuner gp{tunekit::gp_sampler{{.seed = mix(seed, 1)}}, tiny_mo_config(2, false)};
  run(gp, tiny_mo_objective(2), {.n_trials = 11, .catch_exceptions = false});
  CHECK(proposals_of(gp.trials()) == std::vector<tunekit::param_map>(ours.begin(), ours.begin() + 11));
  // TPE on the same first 11 trials proposes trials 11..15 as auto did.
  tunekit::tuner tpe{tunekit::tpe_sampler{{.seed = mix(seed, 2)}}, tiny_mo_config(2, false)};
  for (int i = 0; i < 11; ++i)
    tpe.enqueue({{"x", ours[static_cast<std::size_t>(i)].at("x")}, {"y", ours[static_cast<std::size_t>(i)].at("y")}});
  run(tpe, tiny_mo_objective(2), {.n_trials = 16, .catch_exceptions = false});
  CHECK(proposals_of(tpe.trials()) == ours);

  // 3 objectives: multi-objective TPE from the first trial.
  tunekit::tuner three{auto_sampler{{.seed = seed}}, tiny_mo_config(3, false)};
  run(three, tiny_mo_objective(3), {.n_trials = 16, .catch_exceptions = false});
  tunekit::tuner three_tpe{tunekit::tpe_sampler{{.seed = mix(seed, 2)}}, tiny_mo_config(3, false)};
  run(three_tpe, tiny_mo_objective(3), {.n_trials = 16, .catch_exceptions = false});
  CHECK(proposals_of(three.trials()) == proposals_of(three_tpe.trials()));

  // 3 objectives with a constraint: TPE's first trial (constraints unknown
  // yet), then the GP, modelling trial 10, as the GP alone would.
  tunekit::tuner constrained{auto_sampler{{.seed = seed}}, tiny_mo_config(3, true)};
  run(constrained, tiny_mo_objective(3), {.n_trials = 11, .catch_exceptions = false});
  const auto ours3 = proposals_of(constrained.trials());
  tunekit::tuner constrained_gp{tunekit::gp_sampler{{.seed = mix(seed, 1)}}, tiny_mo_config(3, true)};
  constrained_gp.enqueue({{"x", ours3[0].at("x")}, {"y", ours3[0].at("y")}});
  run(constrained_gp, tiny_mo_objective(3), {.n_trials = 11, .catch_exceptions = false});
  CHECK(proposals_of(constrained_gp.trials()) == ours3);
  CHECK(label(constrained.trials()[0]) == "tpe");
  CHECK(label(constrained.trials()[10]) == "gp");

  // One objective with a constraint: the GP throughout (gp_max_trials does not apply).
  tunekit::tuner one{auto_sampler{{.seed = seed, .gp_max_trials = 3}}, tiny_mo_config(1, true)};
  run(one, tiny_mo_objective(1), {.n_trials = 12, .catch_exceptions = false});
  tunekit::tuner one_gp{tunekit::gp_sampler{{.seed = mix(seed, 1)}}, tiny_mo_config(1, true)};
  run(one_gp, tiny_mo_objective(1), {.n_trials = 12, .catch_exceptions = false});
  CHECK(proposals_of(one.trials()) == proposals_of(one_gp.trials()));
}

TEST_CASE("auto_sampler: a same-named study whose directions change between runs is decided afresh",
          "[samplers][auto]") {
  // One sampler meets studies of one name whose number of objectives changes
  // (1, 2, 3, 2, 4, 1), each with more trials than the last, so that only
  // the directions tell it the data are another study's. Each decision and
  // proposal must equal a fresh auto_sampler's on the same study.
  auto_sampler reused{{.seed = 3}};
  const std::vector<std::size_t> runs{1, 2, 3, 2, 4, 1};
  const std::vector<std::pair<std::string, tunekit::distribution>> dims{{"x", tunekit::float_distribution(0, 1)},
                                                                         {"y", tunekit::float_distribution(0, 1)}};
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::size_t m = runs[r];
    INFO("run " << r << ", " << m << " objectives");
    // The same study, built afresh for each sampler (a RUNNING trial of one
    // would be a fantasy for the other's GP).
    const auto propose = [&](auto_sampler& s) {
      tunekit::memory_storage storage;
      const auto study = storage.create_study("same name", minimise_all(m));
      tunekit::random_engine rng(11);
      for (std::size_t i = 0; i < 11 + r; ++i) {
        const double x = rng.uniform(), y = rng.uniform();
        const auto t = storage.create_trial(study, tunekit::frozen_trial{});
        storage.set_param(t.id, "x", x, dims[0].second);
        storage.set_param(t.id, "y", y, dims[1].second);
        std::vector<double> values{x + y, (1 - x) * (1 + y), (x - 0.6) * (x - 0.6) + y * y, x * y};
        values.resize(m);
        storage.finish_trial(t.id, tunekit::trial_state::complete, values, {}, "");
      }
      const auto view = storage.view(study);
      const auto attrs = s.new_trial_system_attrs(view);
      tunekit::frozen_trial blank;
      blank.system_attrs = attrs;
      const auto t = storage.trial(storage.create_trial(study, blank).id);
      const auto space = s.infer_relative_search_space(view, t);
      return std::pair{attrs.at(std::string(tunekit::auto_sampler_key)).get<std::string>(),
                       s.sample_relative(view, t, space)};
    };
    const auto [reused_label, reused_params] = propose(reused);
    CHECK(reused_label == (m <= 2 ? "gp" : "tpe"));
    CHECK(reused.diagnostics().n_complete == static_cast<std::int64_t>(11 + r));
    auto_sampler fresh{{.seed = 3}};
    const auto [fresh_label, fresh_params] = propose(fresh);
    CHECK(reused_label == fresh_label);
    CHECK(reused.diagnostics().reason == fresh.diagnostics().reason);
    CHECK(reused_params == fresh_params);
    for (const auto& [name, v] : reused_params) CHECK((std::isfinite(v) && v >= 0 && v <= 1));
  }
}

TEST_CASE("auto_sampler: enqueued trials and trials without a label are sampled too", "[samplers][auto]") {
  tunekit::tuner tuner{auto_sampler{{.seed = 5, .gp_max_trials = 5}}};
  tuner.enqueue({{"x0", 1.0}, {"x1", 0.5}});
  run(tuner, sphere_objective, {.n_trials = 12, .catch_exceptions = false});
  const auto trials = tuner.trials();
  CHECK(label(trials[0]) == "<none>");
  CHECK(trials[0].params.at("x0") == 1.0);
  require_finite_in_domain(trials);
}

TEST_CASE("auto_sampler: bad inputs never give NaN or out-of-domain parameters", "[samplers][auto]") {
  // A flat objective, zero-width bounds, every kind of numeric parameter,
  // maximisation, through both phases.
  tunekit::tuner flat{auto_sampler{{.seed = 5, .gp_max_trials = 15}},
                      tunekit::study_config{.directions = {tunekit::direction::maximize}}};
  run(flat, 
      [](tunekit::trial& t) {
        t.suggest_float("a", -1, 1);
        t.suggest_float("z", 2, 2);
        t.suggest_float("l", 1e-6, 1, {.log = true});
        t.suggest_float("s", 0, 1, {.step = 0.25});
        t.suggest_int("i", 0, 3);
        t.suggest_int("zi", 4, 4);
        t.suggest_int("li", 1, 1000, {.log = true});
        return 1.0;
      },
      {.n_trials = 60, .catch_exceptions = false});
  require_finite_in_domain(flat.trials());
  CHECK(label(flat.trials().back()) == "cmaes");

  // Every trial fails: the GP's quasi-random start, forever.
  tunekit::tuner failing{auto_sampler{{.seed = 5, .gp_max_trials = 3}}};
  run(failing, 
      [](tunekit::trial& t) -> double {
        t.suggest_float("a", -1, 1);
        throw std::runtime_error("no");
      },
      {.n_trials = 10});
  require_finite_in_domain(failing.trials());
  CHECK(failing.sampler().diagnostics().sampler == "gp");

  // Only zero-width parameters.
  tunekit::tuner zero{auto_sampler{{.seed = 6, .gp_max_trials = 4}}};
  run(zero, [](tunekit::trial& t) { return t.suggest_float("z", 1, 1) + static_cast<double>(t.suggest_int("k", 2, 2)); },
                {.n_trials = 10, .catch_exceptions = false});
  require_finite_in_domain(zero.trials());

  // Some trials fail or return NaN (recorded as failed) among good ones.
  tunekit::tuner mixed{auto_sampler{{.seed = 8, .gp_max_trials = 10}}};
  run(mixed, 
      [](tunekit::trial& t) {
        const double x = t.suggest_float("x", -3, 3);
        if (t.number() % 3 == 1) return std::nan("");
        if (t.number() % 5 == 2) throw std::runtime_error("boom");
        return x * x;
      },
      {.n_trials = 40});
  require_finite_in_domain(mixed.trials());
  CHECK(mixed.best_value() < 0.1);
}
