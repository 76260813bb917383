// Tests of tunekit/samplers/nsga2.hpp: options and their errors, the
// generations and parents kept in trial system attributes, reproducibility,
// quality against random search on ZDT1 and on a mixed-parameter toy problem
// (hypervolume, several seeds), every crossover, constrained domination,
// maximisation, and n_jobs = 2.
#include <catch2/catch.hpp>

#include <tunekit/mo/hypervolume.hpp>
#include <tunekit/samplers/nsga2.hpp>
#include <tunekit/tunekit.hpp>

#include "support/require_invalid.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using tunekit::nsga2_crossover;
using tunekit::nsga2_sampler;
using tunekit::nsga2_sampler_options;

const std::vector<tunekit::direction> two_min{tunekit::direction::minimize, tunekit::direction::minimize};

/// ZDT1 (Zitzler, Deb & Thiele 2000) with n parameters x0..x{n-1} in [0, 1].
auto zdt1(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(std::string(1, 'x').append(std::to_string(i)));
  return [n, names](tunekit::trial& t) {
    std::vector<double> x(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = t.suggest_float(names[static_cast<std::size_t>(i)], 0, 1);
    double g = 0;
    for (int i = 1; i < n; ++i) g += x[static_cast<std::size_t>(i)];
    g = 1 + 9 * g / (n - 1);
    return std::vector<double>{x[0], g * (1 - std::sqrt(x[0] / g))};
  };
}

/// A mixed toy: a float, an int and a categorical; the front trades f1 = (x - 1)^2
/// against f2 = (x + 1)^2, offset by the int's distance from 3 and the category.
std::vector<double> toy(tunekit::trial& t) {
  const double x = t.suggest_float("x", -4, 4);
  const auto k = t.suggest_int("k", 0, 9);
  const auto c = t.suggest_categorical<std::string>("c", {"a", "b", "c", "d"});
  const double off = std::abs(static_cast<double>(k) - 3) + (c == "b" ? 0.0 : 2.0);
  return {(x - 1) * (x - 1) + off, (x + 1) * (x + 1) + off};
}

/// Hypervolume of the COMPLETE trials (minimisation), points beyond the
/// reference ignored.
double hv_of(const std::vector<tunekit::frozen_trial>& trials, std::vector<double> reference) {
  tunekit::point_set p;
  for (const auto& t : trials)
    if (t.state == tunekit::trial_state::complete) p.push_back(t.values);
  return tunekit::hypervolume(p, reference, tunekit::outside_reference::ignore);
}

std::int64_t generation_of(const tunekit::frozen_trial& t) {
  auto g = t.system_attrs.find("nsga2:generation");
  return g == t.system_attrs.end() ? -1 : g->second.get<std::int64_t>();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

TEST_CASE("nsga2_sampler: concepts and defaults", "[samplers][nsga2]") {
  STATIC_REQUIRE(tunekit::relational_sampler<nsga2_sampler>);
  const nsga2_sampler s{{.seed = 1}};
  CHECK(s.options().population_size == 50);
  CHECK(s.options().crossover == nsga2_crossover::uniform);
  CHECK(s.options().crossover_prob == 0.9);
  CHECK(s.options().swapping_prob == 0.5);
  CHECK_FALSE(s.options().mutation_prob.has_value());
  CHECK(s.seed() == 1);
}

TEST_CASE("nsga2_sampler: bad options name the option and the fix", "[samplers][nsga2]") {
  REQUIRE_INVALID(nsga2_sampler({.population_size = 1}), Catch::Contains("population_size = 1") && Catch::Contains(">= 2"));
  REQUIRE_INVALID(nsga2_sampler({.mutation_prob = 1.5}), Catch::Contains("mutation_prob = 1.5"));
  REQUIRE_INVALID(nsga2_sampler({.crossover_prob = -0.1}), Catch::Contains("crossover_prob"));
  REQUIRE_INVALID(nsga2_sampler({.swapping_prob = std::nan("")}), Catch::Contains("swapping_prob"));
  REQUIRE_INVALID(nsga2_sampler({.blx_alpha = -1}), Catch::Contains("blx_alpha"));
  REQUIRE_INVALID(nsga2_sampler({.sbx_eta = INFINITY}), Catch::Contains("sbx_eta"));
  REQUIRE_INVALID(nsga2_sampler({.crossover = static_cast<nsga2_crossover>(7)}), Catch::Contains("crossover = 7"));
}

TEST_CASE("nsga2_sampler: generations and parents live in the trials' system attributes", "[samplers][nsga2]") {
  tunekit::tuner tuner{nsga2_sampler{{.population_size = 10, .seed = 3}}, tunekit::study_config{.directions = two_min}};
  tuner.optimize(zdt1(4), {.n_trials = 45});
  const auto trials = tuner.trials();
  std::map<std::int64_t, const tunekit::frozen_trial*> by_id;
  for (const auto& t : trials) by_id[t.id] = &t;
  for (const auto& t : trials) {
    // Sequential: exactly population_size trials per generation.
    CHECK(generation_of(t) == t.number / 10);
    const bool has_parents = t.system_attrs.count("nsga2:parents") > 0;
    CHECK(has_parents == (generation_of(t) > 0));
    if (!has_parents) continue;
    const auto parents = t.system_attrs.at("nsga2:parents");
    REQUIRE(parents.size() == 2);
    for (const auto& id : parents) {
      REQUIRE(by_id.count(id.get<std::int64_t>()) == 1);
      const auto& parent = *by_id[id.get<std::int64_t>()];
      CHECK(parent.state == tunekit::trial_state::complete);
      CHECK(generation_of(parent) < generation_of(t));
    }
  }
}

TEST_CASE("nsga2_sampler: same seed, same trials; generation 0 is random search", "[samplers][nsga2]") {
  auto run = [](auto sampler) {
    tunekit::tuner tuner{std::move(sampler), tunekit::study_config{.directions = two_min}};
    tuner.optimize(zdt1(5), {.n_trials = 60});
    std::vector<std::vector<double>> params;
    for (const auto& t : tuner.trials()) {
      std::vector<double> p;
      for (const auto& [name, v] : t.params) p.push_back(v);
      params.push_back(p);
    }
    return params;
  };
  const auto a = run(nsga2_sampler{{.population_size = 12, .seed = 8}});
  CHECK(a == run(nsga2_sampler{{.population_size = 12, .seed = 8}}));
  CHECK(a != run(nsga2_sampler{{.population_size = 12, .seed = 9}}));
  const auto random = run(tunekit::random_sampler{{.seed = 8}});
  CHECK(std::equal(a.begin(), a.begin() + 12, random.begin()));
  CHECK_FALSE(std::equal(a.begin() + 12, a.end(), random.begin() + 12));
}

TEST_CASE("nsga2_sampler: on ZDT1 the hypervolume grows by generation and beats random search", "[samplers][nsga2]") {
  // 10-D ZDT1, 400 trials, population 20 (20 generations), 5 seeds; reference
  // (1.1, 11) as in BENCHMARKS.md; true-front HV 12.1 - 1/3.
  const std::vector<double> ref{1.1, 11};
  for (auto crossover : {nsga2_crossover::uniform, nsga2_crossover::sbx, nsga2_crossover::blx_alpha}) {
    std::vector<double> nsga, random, first_gen, last_gen;
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
      tunekit::tuner tuner{nsga2_sampler{{.population_size = 20, .crossover = crossover, .seed = seed}},
                           tunekit::study_config{.directions = two_min}};
      tuner.optimize(zdt1(10), {.n_trials = 400});
      const auto trials = tuner.trials();
      nsga.push_back(hv_of(trials, ref));
      std::vector<tunekit::frozen_trial> g1, g19;
      for (const auto& t : trials) {
        if (generation_of(t) == 1) g1.push_back(t);
        if (generation_of(t) == 19) g19.push_back(t);
      }
      first_gen.push_back(hv_of(g1, ref));
      last_gen.push_back(hv_of(g19, ref));
      tunekit::tuner rs{tunekit::random_sampler{{.seed = seed}}, tunekit::study_config{.directions = two_min}};
      rs.optimize(zdt1(10), {.n_trials = 400});
      random.push_back(hv_of(rs.trials(), ref));
    }
    INFO("crossover " << static_cast<int>(crossover) << ": NSGA-II median HV " << median(nsga) << ", random "
                      << median(random) << ", generation 1 " << median(first_gen) << ", generation 19 "
                      << median(last_gen));
    CHECK(median(last_gen) > median(first_gen));
    CHECK(median(nsga) > median(random));
    CHECK(*std::min_element(nsga.begin(), nsga.end()) > median(random));
  }
}

TEST_CASE("nsga2_sampler: mixed float/int/categorical toy problem beats random search", "[samplers][nsga2]") {
  const std::vector<double> ref{30, 30};
  std::vector<double> nsga, random;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    tunekit::tuner tuner{nsga2_sampler{{.population_size = 16, .seed = seed}}, tunekit::study_config{.directions = two_min}};
    tuner.optimize(toy, {.n_trials = 160});
    nsga.push_back(hv_of(tuner.trials(), ref));
    // Categorical values stay valid through crossover.
    for (const auto& t : tuner.trials()) CHECK(t.params.at("c") == std::round(t.params.at("c")));
    tunekit::tuner rs{tunekit::random_sampler{{.seed = seed}}, tunekit::study_config{.directions = two_min}};
    rs.optimize(toy, {.n_trials = 160});
    random.push_back(hv_of(rs.trials(), ref));
  }
  INFO("NSGA-II median HV " << median(nsga) << ", random " << median(random));
  CHECK(median(nsga) > median(random));
}

TEST_CASE("nsga2_sampler: maximised objectives", "[samplers][nsga2]") {
  // Maximise -f: the same problem; the front must still improve on random.
  const std::vector<tunekit::direction> two_max{tunekit::direction::maximize, tunekit::direction::maximize};
  auto negated = [](tunekit::trial& t) {
    auto v = toy(t);
    return std::vector<double>{-v[0], -v[1]};
  };
  std::vector<double> nsga, random;
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    auto hv = [&](auto sampler) {
      tunekit::tuner tuner{std::move(sampler), tunekit::study_config{.directions = two_max}};
      tuner.optimize(negated, {.n_trials = 160});
      tunekit::point_set p;
      for (const auto& t : tuner.trials()) p.push_back({-t.values[0], -t.values[1]});
      return tunekit::hypervolume(p, std::vector<double>{30, 30}, tunekit::outside_reference::ignore);
    };
    nsga.push_back(hv(nsga2_sampler{{.population_size = 16, .seed = seed}}));
    random.push_back(hv(tunekit::random_sampler{{.seed = seed}}));
  }
  CHECK(median(nsga) > median(random));
}

TEST_CASE("nsga2_sampler: constrained domination keeps later generations feasible", "[samplers][nsga2]") {
  // ZDT1 with the constraint x0 >= 0.6 (c = 0.6 - x0 <= 0), and a second one
  // that is NaN for x1 > 0.95 (NaN counts as violated).
  auto constraints = [](const tunekit::frozen_trial& t) {
    const double x1 = t.param<double>("x1");
    return std::vector<double>{0.6 - t.param<double>("x0"), x1 > 0.95 ? std::nan("") : -1.0};
  };
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    tunekit::tuner tuner{nsga2_sampler{{.population_size = 20, .seed = seed, .constraints_func = constraints}},
                         tunekit::study_config{.directions = two_min}};
    tuner.optimize(zdt1(6), {.n_trials = 200});
    int feasible_first = 0, feasible_last = 0;
    for (const auto& t : tuner.trials()) {
      const bool ok = tunekit::constraint_violation(constraints(t)) == 0;
      if (generation_of(t) == 0) feasible_first += ok;
      if (generation_of(t) == 9) feasible_last += ok;
    }
    INFO("seed " << seed << ": feasible in generation 0: " << feasible_first << "/20, generation 9: " << feasible_last << "/20");
    CHECK(feasible_last >= 15);
    CHECK(feasible_last > feasible_first);
  }
}

TEST_CASE("nsga2_sampler: a trial's 'constraints' system attribute is used without a constraints_func",
          "[samplers][nsga2]") {
  // Two studies of hand-written generation-0 trials: identical values, one
  // with the better half marked infeasible. The parents chosen differ.
  auto parents_of = [](bool constrained) {
    tunekit::memory_storage storage;
    const auto sid = storage.create_study("c", two_min);
    for (int i = 0; i < 4; ++i) {
      tunekit::frozen_trial t;
      t.state = tunekit::trial_state::running;
      t.system_attrs["nsga2:generation"] = 0;
      if (constrained) t.system_attrs["constraints"] = {i < 2 ? 1.0 : -1.0};
      const auto created = storage.create_trial(sid, t);
      storage.set_param(created.id, "x", 0.25 * i, tunekit::float_distribution(0, 1));
      storage.finish_trial(created.id, tunekit::trial_state::complete, std::vector<double>{double(i), double(i)}, {}, "");
    }
    nsga2_sampler s{{.population_size = 4, .seed = 1}};
    std::set<std::int64_t> chosen;
    for (int k = 0; k < 20; ++k) {
      const auto attrs = s.new_trial_system_attrs(storage.view(sid));
      for (const auto& id : attrs.at("nsga2:parents")) chosen.insert(id.get<std::int64_t>());
    }
    return chosen;
  };
  // Unconstrained: trial 0 dominates all, so it wins every tournament it enters.
  CHECK(parents_of(false).count(0) == 1);
  // Constrained: trials 0 and 1 are infeasible and lose to the feasible ones.
  const auto c = parents_of(true);
  CHECK(c.count(2) == 1);
}

TEST_CASE("nsga2_sampler: works with n_jobs = 2", "[samplers][nsga2]") {
  tunekit::tuner tuner{nsga2_sampler{{.population_size = 10, .seed = 4}}, tunekit::study_config{.directions = two_min}};
  const auto summary = tuner.optimize(zdt1(5), {.n_trials = 120, .n_jobs = 2});
  CHECK(summary.n_complete == 120);
  std::map<std::int64_t, int> per_generation;
  for (const auto& t : tuner.trials()) ++per_generation[generation_of(t)];
  CHECK(per_generation.count(-1) == 0);
  CHECK(per_generation.rbegin()->first >= 8);  // about 120 / 10 generations were bred
  for (const auto& [g, n] : per_generation)
    if (g != per_generation.rbegin()->first) CHECK(n >= 10);  // a generation closes once 10 of it complete
  const std::vector<double> ref{1.1, 11};
  tunekit::tuner rs{tunekit::random_sampler{{.seed = 4}}, tunekit::study_config{.directions = two_min}};
  rs.optimize(zdt1(5), {.n_trials = 120});
  CHECK(hv_of(tuner.trials(), ref) > hv_of(rs.trials(), ref));
}

TEST_CASE("nsga2_sampler: two workers on one journal file breed one population", "[samplers][nsga2]") {
  // Two journal handles on one file stand for two worker processes: each has
  // its own sampler, and they learn each other's generations only through
  // the trials' system attributes in the file.
  tunekit::testing::temp_dir dir;
  const auto path = dir.path() / "study.journal";
  const tunekit::study_config config{.name = "nsga2-workers", .directions = two_min};
  auto work = [&](std::uint64_t seed, const char* worker) {
    tunekit::tuner tuner{nsga2_sampler{{.population_size = 10, .seed = seed}}, tunekit::journal_storage(path), config};
    auto objective = zdt1(5);
    tuner.optimize([&](tunekit::trial& t) {
      t.set_user_attr("worker", worker);
      return objective(t);
    }, {.n_trials = 60});
  };
  {
    std::jthread a(work, 1, "a"), b(work, 2, "b");
  }
  tunekit::journal_storage reader(path);
  const auto trials = reader.trials(*reader.find_study("nsga2-workers"));
  REQUIRE(trials.size() == 120);
  std::map<std::int64_t, const tunekit::frozen_trial*> by_id;
  std::map<std::int64_t, int> per_generation;
  for (const auto& t : trials) by_id[t.id] = &t, ++per_generation[generation_of(t)];
  CHECK(per_generation.count(-1) == 0);
  CHECK(per_generation.rbegin()->first >= 8);  // ~120 / 10 generations, shared by both workers
  int cross_worker_parents = 0;
  for (const auto& t : trials) {
    if (generation_of(t) == 0) continue;
    REQUIRE(t.system_attrs.count("nsga2:parents") == 1);
    for (const auto& id : t.system_attrs.at("nsga2:parents")) {
      REQUIRE(by_id.count(id.get<std::int64_t>()) == 1);
      const auto& parent = *by_id[id.get<std::int64_t>()];
      CHECK(generation_of(parent) < generation_of(t));
      cross_worker_parents += parent.user_attrs.at("worker") != t.user_attrs.at("worker");
    }
  }
  // Even if one worker ran all its trials before the other started, the
  // later worker's first bred generation (10 trials, 20 parents) descends
  // from the earlier one's trials; interleaved workers share far more.
  CHECK(cross_worker_parents >= 10);
}

namespace {
struct typed_params {
  double x = 0;
  std::int64_t k = 0;
  std::string c;
};
}  // namespace

TEST_CASE("nsga2_sampler: typed spaces (float, log int, categorical) stay in range", "[samplers][nsga2]") {
  const tunekit::space<typed_params> space{
      tunekit::float_param("x", &typed_params::x, 1e-3, 10.0, {.log = true}),
      tunekit::int_param("k", &typed_params::k, 1, 64, {.log = true}),
      tunekit::categorical_param("c", &typed_params::c, {"a", "b", "c"}),
  };
  for (auto crossover : {nsga2_crossover::uniform, nsga2_crossover::sbx, nsga2_crossover::blx_alpha}) {
    tunekit::tuner tuner{space, nsga2_sampler{{.population_size = 8, .crossover = crossover, .seed = 2}},
                         tunekit::study_config{.directions = two_min}};
    const auto summary = tuner.optimize([](const typed_params& p, tunekit::trial&) {
      const double off = p.c == "b" ? 0.0 : 1.0;
      return std::vector<double>{std::log(p.x) * std::log(p.x) + off + static_cast<double>(p.k) / 64,
                                 (std::log(p.x) - 1) * (std::log(p.x) - 1) + off + 1.0 / static_cast<double>(p.k)};
    }, {.n_trials = 80});
    CHECK(summary.n_complete == 80);  // every proposed value was valid (else the trial fails)
    const auto trials = tuner.trials();
    CHECK(generation_of(trials.back()) >= 5);
  }
}
