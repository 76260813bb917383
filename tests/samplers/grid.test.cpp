// Tests of tunekit/samplers/grid.hpp: every point exactly once (sequential,
// parallel, shared between tuners, with enqueued trials), visiting order,
// and configuration errors.
#include <catch2/catch.hpp>

#include <tunekit/tunekit.hpp>

#include "support/test_helpers.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

using tunekit_test::thrown_message;

namespace {

using Catch::Matchers::Contains;

/// A trial's point as text, e.g. "act=\"relu\";n=1;x=0.5;", in name order.
std::string point_key(const tunekit::frozen_trial& t) {
  std::string key;
  for (const auto& [name, value] : t.params)
    key += name + "=" + tunekit::categorical_distribution::to_string(t.external_param(name)) + ";";
  return key;
}

/// Points of the finished trials of a study, counted.
std::map<std::string, int> point_counts(const std::vector<tunekit::frozen_trial>& trials) {
  std::map<std::string, int> counts;
  for (const auto& t : trials) ++counts[point_key(t)];
  return counts;
}

int duplicates(const std::map<std::string, int>& counts) {
  int n = 0;
  for (const auto& [key, count] : counts) n += count - 1;
  return n;
}


tunekit::grid_sampler_options user_grid(std::uint64_t seed) {
  return {.values = {{"x", {0.5, 1.5, 2.5}}, {"act", {"relu", "tanh"}}, {"n", {1, 3}}}, .seed = seed};
}

double user_grid_objective(tunekit::trial& t) {
  const double x = t.suggest_float("x", 0, 3);
  const std::string act = t.suggest_categorical("act", {"relu", "tanh", "gelu"});
  const auto n = t.suggest_int("n", 0, 4);
  return x * static_cast<double>(n) + static_cast<double>(act.size());
}

std::set<std::string> user_grid_points() {
  std::set<std::string> all;
  for (const char* act : {"\"relu\"", "\"tanh\""})
    for (const char* n : {"1", "3"})
      for (const char* x : {"0.5", "1.5", "2.5"}) all.insert(std::string("act=") + act + ";n=" + n + ";x=" + x + ";");
  return all;
}

struct discrete {
  int a = 0;
  double s = 0;
  std::string c;
  bool b = false;
  int l = 0;
};

tunekit::space<discrete> discrete_space() {
  return {
      tunekit::int_param("a", &discrete::a, 0, 3),
      tunekit::float_param("s", &discrete::s, 0.0, 1.0, {.step = 0.5}),
      tunekit::categorical_param("c", &discrete::c, {"p", "q"}),
      tunekit::categorical_param("b", &discrete::b, {true, false}),
      tunekit::int_param("l", &discrete::l, 1, 4, {.log = true}),
  };
}

double discrete_objective(const discrete& d, tunekit::trial&) { return d.a + d.s + d.l + (d.b ? 1 : 0); }

std::set<std::string> discrete_points() {
  std::set<std::string> all;
  for (int a = 0; a <= 3; ++a)
    for (const char* s : {"0", "0.5", "1"})
      for (const char* c : {"\"p\"", "\"q\""})
        for (const char* b : {"true", "false"})
          for (int l = 1; l <= 4; ++l)
            all.insert("a=" + std::to_string(a) + ";b=" + b + ";c=" + c + ";l=" + std::to_string(l) + ";s=" + s + ";");
  return all;
}

struct pair_params {
  int a = 0;
  int b = 0;
};

}  // namespace

TEST_CASE("grid_sampler: user values, define-by-run: every point exactly once", "[samplers][grid]") {
  const int n_jobs = GENERATE(1, 2, 4);
  INFO("n_jobs = " << n_jobs);
  tunekit::tuner tuner{tunekit::grid_sampler{user_grid(3)}};
  const auto summary = tuner.optimize(user_grid_objective, {.n_trials = 1000, .n_jobs = n_jobs});
  CHECK(summary.reason == tunekit::stop_reason::exhausted);
  CHECK(summary.n_complete == 12);
  CHECK(tuner.sampler().size() == 12);
  const auto trials = tuner.trials();
  CHECK(trials.size() == 12);
  for (const auto& t : trials) CHECK(t.state == tunekit::trial_state::complete);
  const auto counts = point_counts(trials);
  CHECK(duplicates(counts) == 0);
  std::set<std::string> seen;
  for (const auto& [key, count] : counts) seen.insert(key);
  CHECK(seen == user_grid_points());

  // Once exhausted, a further optimize runs nothing.
  const auto again = tuner.optimize(user_grid_objective, {.n_trials = 5, .n_jobs = n_jobs});
  CHECK(again.reason == tunekit::stop_reason::exhausted);
  CHECK(again.n_complete + again.n_fail + again.n_pruned == 0);
  CHECK(tuner.trials().size() == 12);
}

TEST_CASE("grid_sampler: a typed discrete space is enumerated exactly once", "[samplers][grid]") {
  // int, stepped float, categorical strings and bools, log int: 4*3*2*2*4 = 192 points.
  const int n_jobs = GENERATE(1, 2, 4);
  INFO("n_jobs = " << n_jobs);
  tunekit::tuner tuner{discrete_space(), tunekit::grid_sampler{{.seed = 17}}};
  const auto summary = tuner.optimize(discrete_objective, {.n_jobs = n_jobs});
  CHECK(summary.reason == tunekit::stop_reason::exhausted);
  CHECK(summary.n_complete == 192);
  CHECK(tuner.sampler().size() == 192);
  const auto counts = point_counts(tuner.trials());
  CHECK(duplicates(counts) == 0);
  std::set<std::string> seen;
  for (const auto& [key, count] : counts) seen.insert(key);
  CHECK(seen == discrete_points());
}

TEST_CASE("grid_sampler: log-scale integers enumerate every integer once", "[samplers][grid]") {
  struct p {
    int n = 0;
  };
  tunekit::tuner tuner{tunekit::space<p>{tunekit::int_param("n", &p::n, 1, 100, {.log = true})},
                       tunekit::grid_sampler{{.seed = 1}}};
  tuner.optimize([](const p& x, tunekit::trial&) { return x.n; });
  std::multiset<std::int64_t> values;
  for (const auto& t : tuner.trials()) values.insert(t.param<std::int64_t>("n"));
  CHECK(values.size() == 100);
  CHECK(std::set<std::int64_t>(values.begin(), values.end()).size() == 100);
}

TEST_CASE("grid_sampler: without shuffle the grid is visited in row-major order", "[samplers][grid]") {
  const tunekit::space<pair_params> space{
      tunekit::int_param("a", &pair_params::a, 0, 2),
      tunekit::int_param("b", &pair_params::b, 10, 13),
  };
  tunekit::tuner tuner{space, tunekit::grid_sampler{{.seed = 5, .shuffle = false}}};
  tuner.optimize([](const pair_params& p, tunekit::trial&) { return p.a + p.b; });
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 12);
  for (const auto& t : trials) {
    INFO("trial " << t.number);
    CHECK(t.param<std::int64_t>("a") == t.number / 4);       // first axis slowest
    CHECK(t.param<std::int64_t>("b") == 10 + t.number % 4);  // last axis fastest
  }
}

TEST_CASE("grid_sampler: a seeded shuffle is reproducible and differs from row-major", "[samplers][grid]") {
  const tunekit::space<pair_params> space{
      tunekit::int_param("a", &pair_params::a, 0, 5),
      tunekit::int_param("b", &pair_params::b, 0, 3),
  };
  auto order = [&](std::uint64_t seed) {
    tunekit::tuner tuner{space, tunekit::grid_sampler{{.seed = seed}}};
    tuner.optimize([](const pair_params& p, tunekit::trial&) { return p.a + p.b; });
    std::vector<std::int64_t> indices;  // row-major index of each trial's point
    for (const auto& t : tuner.trials())
      indices.push_back(t.param<std::int64_t>("a") * 4 + t.param<std::int64_t>("b"));
    return indices;
  };
  const auto first = order(1);
  REQUIRE(first.size() == 24);
  CHECK(std::set<std::int64_t>(first.begin(), first.end()).size() == 24);
  CHECK(order(1) == first);
  std::vector<std::int64_t> row_major(24);
  for (std::int64_t i = 0; i < 24; ++i) row_major[static_cast<std::size_t>(i)] = i;
  CHECK(first != row_major);
  CHECK(order(2) != first);
}

TEST_CASE("grid_sampler: a continuous parameter without values is refused, naming it", "[samplers][grid]") {
  struct p {
    double lr = 0;
    int layers = 0;
  };
  const tunekit::space<p> space{
      tunekit::float_param("lr", &p::lr, 1e-4, 1.0, {.log = true}),
      tunekit::int_param("layers", &p::layers, 1, 3),
  };
  tunekit::tuner tuner{space, tunekit::grid_sampler{{.seed = 1}}};
  const auto message = thrown_message<tunekit::invalid_argument>(
      [&] { tuner.optimize([](const p& x, tunekit::trial&) { return x.lr; }, {.n_trials = 3}); });
  CHECK_THAT(message, Contains("'lr'") && Contains("continuous"));

  // With values for it, the same space is fine.
  tunekit::tuner ok{space, tunekit::grid_sampler{{.values = {{"lr", {1e-3, 1e-2}}}, .seed = 1}}};
  CHECK(ok.optimize([](const p& x, tunekit::trial&) { return x.lr; }).n_complete == 6);

  // Define-by-run: the trial that asks for it fails, naming it.
  tunekit::tuner dbr{tunekit::grid_sampler{{.values = {{"n", {1, 2}}}, .seed = 1}}};
  const auto summary = dbr.optimize([](tunekit::trial& t) {
    return static_cast<double>(t.suggest_int("n", 0, 5)) + t.suggest_float("lr", 0, 1);
  });
  CHECK(summary.reason == tunekit::stop_reason::exhausted);
  CHECK(summary.n_fail == 2);
  for (const auto& t : dbr.trials()) CHECK_THAT(t.fail_reason, Contains("'lr'"));
}

TEST_CASE("grid_sampler: a value outside the suggested distribution fails its trial", "[samplers][grid]") {
  tunekit::tuner tuner{tunekit::grid_sampler{{.values = {{"x", {0.5, 7.0}}}, .seed = 2}}};
  const auto summary = tuner.optimize([](tunekit::trial& t) { return t.suggest_float("x", 0, 1); });
  CHECK(summary.reason == tunekit::stop_reason::exhausted);
  CHECK(summary.n_complete == 1);
  CHECK(summary.n_fail == 1);
  for (const auto& t : tuner.trials()) {
    if (t.state == tunekit::trial_state::complete) {
      CHECK(t.value() == 0.5);
    } else {
      REQUIRE(t.state == tunekit::trial_state::fail);
      CHECK_THAT(t.fail_reason, Contains("'x'") && Contains("7") && Contains("outside"));
    }
  }

  // Typed: refused before any objective runs, naming the parameter and value.
  const tunekit::space<pair_params> space{
      tunekit::int_param("a", &pair_params::a, 0, 3),
      tunekit::int_param("b", &pair_params::b, 0, 1),
  };
  tunekit::tuner typed{space, tunekit::grid_sampler{{.values = {{"a", {1, 9}}}, .seed = 2}}};
  int calls = 0;
  const auto message = thrown_message<tunekit::invalid_argument>(
      [&] { typed.optimize([&](const pair_params&, tunekit::trial&) { return ++calls; }); });
  CHECK_THAT(message, Contains("'a'") && Contains("9"));
  CHECK(calls == 0);
  for (const auto& t : typed.trials()) CHECK(t.state == tunekit::trial_state::fail);
}

TEST_CASE("grid_sampler: values for a name outside a typed space are refused", "[samplers][grid]") {
  // Otherwise the phantom axis would hand every real point out twice.
  const tunekit::space<pair_params> space{
      tunekit::int_param("a", &pair_params::a, 0, 2),
      tunekit::int_param("b", &pair_params::b, 0, 1),
  };
  tunekit::tuner tuner{space, tunekit::grid_sampler{{.values = {{"zz", {1, 2}}}, .seed = 2}}};
  const auto message = thrown_message<tunekit::invalid_argument>(
      [&] { tuner.optimize([](const pair_params& p, tunekit::trial&) { return p.a; }); });
  CHECK_THAT(message, Contains("'zz'"));
}

TEST_CASE("grid_sampler: bad options are refused at construction", "[samplers][grid]") {
  CHECK_THAT(thrown_message<tunekit::invalid_argument>([] { tunekit::grid_sampler{{.values = {{"x", {}}}}}; }),
             Contains("'x'"));
  CHECK_THAT(
      thrown_message<tunekit::invalid_argument>([] { tunekit::grid_sampler{{.values = {{"x", {1, 2, 1}}}}}; }),
      Contains("'x'") && Contains("twice"));
}

TEST_CASE("grid_sampler: two tuners sharing a study never repeat a point", "[samplers][grid]") {
  tunekit::memory_storage storage;
  const tunekit::study_config config{.name = "shared-grid"};
  // The same seed: both walk the grid in the same order, the worst case.
  tunekit::tuner a{tunekit::grid_sampler{user_grid(4)}, storage, config};
  tunekit::tuner b{tunekit::grid_sampler{user_grid(4)}, storage, config};
  REQUIRE(a.study() == b.study());
  CHECK(a.optimize(user_grid_objective, {.n_trials = 4}).n_complete == 4);
  CHECK(b.optimize(user_grid_objective, {.n_trials = 3}).n_complete == 3);
  CHECK(a.optimize(user_grid_objective, {.n_trials = 2, .n_jobs = 2}).n_complete == 2);
  const auto rest = b.optimize(user_grid_objective, {.n_jobs = 2});
  CHECK(rest.reason == tunekit::stop_reason::exhausted);
  CHECK(rest.n_complete == 3);
  CHECK(a.optimize(user_grid_objective).reason == tunekit::stop_reason::exhausted);

  const auto trials = a.trials();
  CHECK(trials.size() == 12);
  const auto counts = point_counts(trials);
  CHECK(duplicates(counts) == 0);
  CHECK(counts.size() == 12);
}

TEST_CASE("grid_sampler: two tuners running a shared study at the same time",
          "[samplers][grid]") {
  // Each tuner has its own sampler, and a point becomes visible to the other
  // only when its trial records its parameters: the storage's atomic claim
  // (study_view::claim) is what keeps them off each other's points.
  tunekit::memory_storage storage;
  const tunekit::study_config config{.name = "shared-grid-concurrent"};
  tunekit::tuner a{tunekit::grid_sampler{user_grid(4)}, storage, config};
  tunekit::tuner b{tunekit::grid_sampler{user_grid(4)}, storage, config};
  auto slow = [](tunekit::trial& t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return user_grid_objective(t);
  };
  std::thread other([&] { b.optimize(slow, {.n_jobs = 2}); });
  a.optimize(slow, {.n_jobs = 2});
  other.join();
  // A worker can start a trial just before it learns (at its first suggest)
  // that the others claimed the last points: that trial fails with the
  // grid exhausted and holds no point.
  std::vector<tunekit::frozen_trial> with_point;
  for (const auto& t : a.trials()) {
    if (t.params.size() == 3) with_point.push_back(t);
    else CHECK_THAT(t.fail_reason, Contains("search_space_exhausted"));
  }
  const auto counts = point_counts(with_point);
  CHECK(duplicates(counts) == 0);
  CHECK(counts.size() == 12);
}

TEST_CASE("grid_sampler: enqueued trials run first and use up no other point", "[samplers][grid]") {
  const int n_jobs = GENERATE(1, 2);
  INFO("n_jobs = " << n_jobs);
  tunekit::tuner tuner{tunekit::grid_sampler{{.values = {{"x", {1, 2, 3, 4}}}, .seed = 5}}};
  tuner.enqueue({{"x", std::int64_t{3}}});   // on the grid
  tuner.enqueue({{"x", std::int64_t{10}}});  // off the grid, inside the distribution
  const auto summary =
      tuner.optimize([](tunekit::trial& t) { return static_cast<double>(t.suggest_int("x", 0, 10)); }, {.n_jobs = n_jobs});
  CHECK(summary.reason == tunekit::stop_reason::exhausted);
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 5);  // both enqueued points, then the 3 grid points left
  CHECK(trials[0].param<std::int64_t>("x") == 3);
  CHECK(trials[1].param<std::int64_t>("x") == 10);
  std::multiset<std::int64_t> xs;
  for (const auto& t : trials) {
    CHECK(t.state == tunekit::trial_state::complete);
    xs.insert(t.param<std::int64_t>("x"));
  }
  CHECK(xs == std::multiset<std::int64_t>{1, 2, 3, 4, 10});

  // Typed: an enqueued configuration counts as its grid point.
  const tunekit::space<pair_params> space{
      tunekit::int_param("a", &pair_params::a, 0, 2),
      tunekit::int_param("b", &pair_params::b, 0, 1),
  };
  tunekit::tuner typed{space, tunekit::grid_sampler{{.seed = 6}}};
  typed.enqueue(pair_params{2, 1});
  typed.optimize([](const pair_params& p, tunekit::trial&) { return p.a + p.b; }, {.n_jobs = n_jobs});
  const auto typed_trials = typed.trials();
  REQUIRE(typed_trials.size() == 6);
  CHECK(point_key(typed_trials[0]) == "a=2;b=1;");
  CHECK(duplicates(point_counts(typed_trials)) == 0);
}
