// Tests of tunekit/tuner.hpp: optimize (trial counts, timeout, parallelism,
// callbacks, stop conditions, failures), pruning, ask/tell, enqueue, best
// trials, shared studies and measured resources.
#include <catch2/catch.hpp>

#include <tunekit/tunekit.hpp>

#include "support/test_helpers.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using tunekit_test::thrown_message;
using tunekit_test::after_three_reports;

namespace {

using Catch::Matchers::Contains;
using namespace std::chrono_literals;

double square(tunekit::trial& t) {
  const double x = t.suggest_float("x", -1, 1);
  return x * x;
}


std::set<std::int64_t> numbers_of(const std::vector<tunekit::frozen_trial>& trials) {
  std::set<std::int64_t> out;
  for (const auto& t : trials) out.insert(t.number);
  return out;
}

std::set<std::int64_t> range(std::int64_t first, std::int64_t last) {
  std::set<std::int64_t> out;
  for (std::int64_t n = first; n < last; ++n) out.insert(n);
  return out;
}

/// Counts how many objectives run at once.
struct concurrency_probe {
  std::atomic<int> now{0}, peak{0};
  void enter() {
    const int n = ++now;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
  }
  void leave() { --now; }
};

struct params {
  double lr = 0;
  int layers = 0;
  std::string act;
};

tunekit::space<params> params_space() {
  return {
      tunekit::float_param("lr", &params::lr, 1e-4, 1.0, {.log = true}),
      tunekit::int_param("layers", &params::layers, 1, 8),
      tunekit::categorical_param("act", &params::act, {"relu", "tanh", "gelu"}),
  };
}

/// Spins until this thread has used `seconds` of CPU.
void burn_cpu(double seconds) {
  const double start = tunekit::detail::resource_meter::thread_cpu_seconds();
  volatile double sink = 0;
  while (tunekit::detail::resource_meter::thread_cpu_seconds() - start < seconds)
    for (int i = 0; i < 1000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
}

/// Resident set size now, from /proc (Linux, as resource_meter).
std::int64_t current_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  const int read = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return read == 2 ? static_cast<std::int64_t>(resident) * sysconf(_SC_PAGESIZE) : -1;
}

}  // namespace

// --- optimize: how many trials, how long, how parallel -----------------------

TEST_CASE("tuner: optimize runs exactly n_trials with unique numbers", "[tuner]") {
  const int n_jobs = GENERATE(1, 2, 4);
  INFO("n_jobs = " << n_jobs);
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 1}}};
  std::atomic<int> calls{0};
  concurrency_probe probe;
  auto objective = [&](tunekit::trial& t) {
    probe.enter();
    ++calls;
    // Trial 0 waits (bounded) for a second one to start, so that overlap is
    // observed even on a loaded machine, unless the tuner serialises trials.
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (n_jobs > 1 && t.number() == 0 && probe.now < 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(100us);
    std::this_thread::sleep_for(1ms);
    probe.leave();
    return square(t);
  };
  const auto summary = tuner.optimize(objective, {.n_trials = 25, .n_jobs = n_jobs});
  CHECK(summary.reason == tunekit::stop_reason::n_trials);
  CHECK(summary.n_complete == 25);
  CHECK(summary.n_fail + summary.n_pruned == 0);
  CHECK(calls == 25);
  CHECK(numbers_of(tuner.trials()) == range(0, 25));
  CHECK(tuner.trials().size() == 25);
  CHECK(probe.peak <= n_jobs);
  if (n_jobs > 1) CHECK(probe.peak >= 2);

  // A second call continues the study.
  CHECK(tuner.optimize(objective, {.n_trials = 5, .n_jobs = n_jobs}).n_complete == 5);
  CHECK(numbers_of(tuner.trials()) == range(0, 30));
  CHECK(tuner.optimize(objective, {.n_trials = 0, .n_jobs = n_jobs}).n_complete == 0);
  CHECK(calls == 30);
}

TEST_CASE("tuner: a timeout stops starting trials", "[tuner]") {
  const int n_jobs = GENERATE(1, 2);
  INFO("n_jobs = " << n_jobs);
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 2}}};
  auto objective = [](tunekit::trial& t) {
    std::this_thread::sleep_for(5ms);
    return square(t);
  };
  const auto summary = tuner.optimize(objective, {.timeout = 100ms, .n_jobs = n_jobs});
  CHECK(summary.reason == tunekit::stop_reason::timeout);
  CHECK(summary.elapsed_seconds >= 0.1);
  CHECK(summary.elapsed_seconds < 2.0);  // running trials finish; none starts after 0.1 s
  CHECK(summary.n_complete >= 1);
  CHECK(summary.n_complete <= 21 * n_jobs);  // each trial sleeps 5 ms
  for (const auto& t : tuner.trials()) CHECK(t.state == tunekit::trial_state::complete);

  const auto none = tuner.optimize(objective, {.timeout = 0s});
  CHECK(none.reason == tunekit::stop_reason::timeout);
  CHECK(none.n_complete == 0);
}

// --- callbacks and stop conditions ------------------------------------------

TEST_CASE("tuner: callbacks run once per trial, never concurrently", "[tuner]") {
  const int n_jobs = GENERATE(1, 4);
  INFO("n_jobs = " << n_jobs);
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 3}}};
  std::atomic<bool> inside{false};
  std::atomic<int> overlaps{0};
  std::vector<std::int64_t> first_seen, second_seen;  // guarded by "never concurrently"
  bool view_had_trial = true;
  auto first = [&](const tunekit::study_view& view, const tunekit::frozen_trial& t) {
    if (inside.exchange(true)) ++overlaps;
    first_seen.push_back(t.number);
    bool found = false;
    for (const auto& f : view.finished()) found = found || f.number == t.number;
    view_had_trial = view_had_trial && found && tunekit::is_finished(t.state);
    std::this_thread::sleep_for(200us);  // widen the window for an overlap
    inside = false;
  };
  auto second = [&](const tunekit::study_view&, const tunekit::frozen_trial& t) {
    if (inside.exchange(true)) ++overlaps;
    second_seen.push_back(t.number);
    inside = false;
  };
  const auto summary = tuner.optimize(square, {.n_trials = 40, .n_jobs = n_jobs, .callbacks = {first, second}});
  CHECK(summary.n_complete == 40);
  CHECK(overlaps == 0);
  CHECK(first_seen.size() == 40);
  CHECK(std::set<std::int64_t>(first_seen.begin(), first_seen.end()) == range(0, 40));
  CHECK(second_seen == first_seen);  // both, in the same order, per trial
  CHECK(view_had_trial);
}

TEST_CASE("tuner: stop() from a callback ends the run", "[tuner]") {
  const int n_jobs = GENERATE(1, 2);
  INFO("n_jobs = " << n_jobs);
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 4}}};
  int seen = 0;  // callbacks never run concurrently
  auto stopper = [&](const tunekit::study_view&, const tunekit::frozen_trial&) {
    if (++seen == 5) tuner.stop();
  };
  const auto summary = tuner.optimize(square, {.n_trials = 100, .n_jobs = n_jobs, .callbacks = {stopper}});
  CHECK(summary.reason == tunekit::stop_reason::stopped);
  // Trials already running when stop() is called still finish.
  CHECK(summary.n_complete >= 5);
  CHECK(summary.n_complete <= 5 + (n_jobs - 1));
  if (n_jobs == 1) CHECK(tuner.trials().size() == 5);

  // stop() ends that run only; the next optimize runs.
  CHECK(tuner.optimize(square, {.n_trials = 3}).n_complete == 3);
}

TEST_CASE("tuner: an exception from a callback ends the run and is rethrown", "[tuner]") {
  tunekit::tuner tuner;
  auto throwing = [](const tunekit::study_view&, const tunekit::frozen_trial& t) {
    if (t.number == 2) throw std::logic_error("callback failed");
  };
  CHECK_THROWS_WITH(tuner.optimize(square, {.n_trials = 10, .callbacks = {throwing}}), "callback failed");
  const auto trials = tuner.trials();
  CHECK(trials.size() == 3);
  for (const auto& t : trials) CHECK(t.state == tunekit::trial_state::complete);  // the trial itself was fine
}

TEST_CASE("tuner: a target value stops the run early", "[tuner]") {
  SECTION("minimize: stops at the first value <= target") {
    tunekit::tuner tuner{tunekit::random_sampler{{.seed = 5}}};
    auto objective = [](tunekit::trial& t) { return 10.0 - static_cast<double>(t.number()); };
    const auto summary = tuner.optimize(objective, {.n_trials = 100, .target = 5.0});
    CHECK(summary.reason == tunekit::stop_reason::target);
    CHECK(tuner.trials().size() == 6);  // 10, 9, 8, 7, 6, 5
  }
  SECTION("maximize: stops at the first value >= target") {
    tunekit::tuner tuner{tunekit::study_config{.directions = {tunekit::direction::maximize}}};
    auto objective = [](tunekit::trial& t) { return static_cast<double>(t.number()); };
    const auto summary = tuner.optimize(objective, {.n_trials = 100, .target = 3.0});
    CHECK(summary.reason == tunekit::stop_reason::target);
    CHECK(tuner.trials().size() == 4);
  }
  SECTION("failed and pruned trials never reach the target") {
    tunekit::tuner tuner;
    auto objective = [](tunekit::trial& t) -> tunekit::result {
      if (t.number() == 0) return tunekit::pruned;
      if (t.number() == 1) return std::numeric_limits<double>::quiet_NaN();
      return 1.0;
    };
    const auto summary = tuner.optimize(objective, {.n_trials = 10, .target = -1.0});
    CHECK(summary.reason == tunekit::stop_reason::n_trials);
  }
}

// --- failures -----------------------------------------------------------------

TEST_CASE("tuner: with catch_exceptions an objective that throws fails its trial and the study goes on",
          "[tuner]") {
  const int n_jobs = GENERATE(1, 2);
  INFO("n_jobs = " << n_jobs);
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 6}}};
  auto objective = [](tunekit::trial& t) -> double {
    const double x = square(t);
    if (t.number() == 3) throw std::runtime_error("boom in trial 3");
    if (t.number() == 5) throw 42;
    return x;
  };
  const auto summary = tuner.optimize(objective, {.n_trials = 8, .n_jobs = n_jobs});
  CHECK(summary.reason == tunekit::stop_reason::n_trials);
  CHECK(summary.n_fail == 2);
  CHECK(summary.n_complete == 6);
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 8);
  CHECK(trials[3].state == tunekit::trial_state::fail);
  CHECK_THAT(trials[3].fail_reason, Contains("boom in trial 3"));
  CHECK(trials[3].values.empty());
  CHECK(trials[3].has_param("x"));  // what it suggested before failing is kept
  CHECK(trials[5].state == tunekit::trial_state::fail);
  CHECK_THAT(trials[5].fail_reason, Contains("not derived from std::exception"));
  CHECK(trials[4].state == tunekit::trial_state::complete);
  CHECK(trials[4].fail_reason.empty());
}

TEST_CASE("tuner: without catch_exceptions the exception is rethrown after failing the trial", "[tuner]") {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 7}}};
  auto objective = [](tunekit::trial& t) -> double {
    if (t.number() == 2) throw std::runtime_error("boom");
    return square(t);
  };
  CHECK_THROWS_WITH(tuner.optimize(objective, {.n_trials = 10, .catch_exceptions = false}), "boom");
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 3);  // no trial starts after the failure
  CHECK(trials[2].state == tunekit::trial_state::fail);
  CHECK_THAT(trials[2].fail_reason, Contains("boom"));
  CHECK(trials[0].state == tunekit::trial_state::complete);

  // In parallel: rethrown too, and no trial is left RUNNING.
  tunekit::tuner parallel{tunekit::random_sampler{{.seed = 7}}};
  auto sometimes = [](tunekit::trial& t) -> double {
    std::this_thread::sleep_for(1ms);
    if (t.number() == 5) throw std::runtime_error("boom");
    return square(t);
  };
  CHECK_THROWS_AS(parallel.optimize(sometimes, {.n_trials = 50, .n_jobs = 2, .catch_exceptions = false}),
                  std::runtime_error);
  const auto all = parallel.trials();
  CHECK(all.size() < 50);
  for (const auto& t : all) CHECK(tunekit::is_finished(t.state));
}

TEST_CASE("tuner: NaN and infinite results fail the trial", "[tuner]") {
  tunekit::tuner tuner;
  auto objective = [](tunekit::trial& t) {
    square(t);
    switch (t.number()) {
      case 0: return std::numeric_limits<double>::quiet_NaN();
      case 1: return std::numeric_limits<double>::infinity();
      case 2: return -std::numeric_limits<double>::infinity();
      default: return 1.0;
    }
  };
  const auto summary = tuner.optimize(objective, {.n_trials = 4});
  CHECK(summary.n_fail == 3);
  CHECK(summary.n_complete == 1);
  const auto trials = tuner.trials();
  for (int n = 0; n < 3; ++n) {
    INFO("trial " << n);
    CHECK(trials[static_cast<std::size_t>(n)].state == tunekit::trial_state::fail);
    CHECK_THAT(trials[static_cast<std::size_t>(n)].fail_reason, Contains("non-finite"));
    CHECK(trials[static_cast<std::size_t>(n)].values.empty());
  }
  CHECK(tuner.best_value() == 1.0);

  // Multi-objective: one NaN among the values fails the trial.
  tunekit::tuner multi{tunekit::study_config{.directions = {tunekit::direction::minimize, tunekit::direction::minimize}}};
  multi.optimize([](tunekit::trial&) { return std::vector<double>{1.0, std::nan("")}; }, {.n_trials = 1});
  CHECK(multi.trials().at(0).state == tunekit::trial_state::fail);

  // tell() treats them the same way.
  auto t = tuner.ask();
  const auto told = tuner.tell(t, std::numeric_limits<double>::quiet_NaN());
  CHECK(told.state == tunekit::trial_state::fail);
  CHECK_THAT(told.fail_reason, Contains("non-finite"));
}

TEST_CASE("tuner: the wrong number of values fails in optimize and throws from tell", "[tuner]") {
  tunekit::tuner tuner;
  const auto summary =
      tuner.optimize([](tunekit::trial& t) { return std::vector<double>{square(t), 1.0}; }, {.n_trials = 2});
  CHECK(summary.n_fail == 2);
  for (const auto& t : tuner.trials()) {
    CHECK(t.state == tunekit::trial_state::fail);
    CHECK_THAT(t.fail_reason, Contains("2 value(s)") && Contains("1 direction(s)"));
  }

  auto t = tuner.ask();
  square(t);
  CHECK_THROWS_AS(tuner.tell(t, std::vector<double>{1.0, 2.0}), tunekit::invalid_argument);
  CHECK_THROWS_AS(tuner.tell(t, std::vector<double>{}), tunekit::invalid_argument);
  // The bad tell did not finish the trial: a correct one still can.
  CHECK(tuner.tell(t, 0.5).state == tunekit::trial_state::complete);

  tunekit::tuner multi{tunekit::study_config{.directions = {tunekit::direction::minimize, tunekit::direction::maximize}}};
  auto m = multi.ask();
  CHECK_THROWS_AS(multi.tell(m, 1.0), tunekit::invalid_argument);
  CHECK(multi.tell(m, {1.0, 2.0}).values == std::vector<double>{1.0, 2.0});
}

// --- pruning --------------------------------------------------------------------

TEST_CASE("tuner: throwing trial_pruned and returning pruned both end PRUNED with the last value", "[tuner]") {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 8}}};
  auto objective = [](tunekit::trial& t) -> tunekit::result {
    const double x = t.suggest_float("x", 0, 1);
    for (int step = 0; step < 5; ++step) t.report(step, x + step);
    if (t.number() == 0) throw tunekit::trial_pruned{};
    if (t.number() == 1) return tunekit::pruned;
    return x;
  };
  const auto summary = tuner.optimize(objective, {.n_trials = 3});
  CHECK(summary.n_pruned == 2);
  CHECK(summary.n_complete == 1);
  const auto trials = tuner.trials();
  for (int n = 0; n < 2; ++n) {
    const auto& t = trials[static_cast<std::size_t>(n)];
    INFO("trial " << n);
    CHECK(t.state == tunekit::trial_state::pruned);
    CHECK(t.intermediate_values.size() == 5);
    REQUIRE(t.values.size() == 1);
    CHECK(t.values[0] == t.params.at("x") + 4);
    CHECK(t.fail_reason.empty());
  }
  CHECK(trials[2].state == tunekit::trial_state::complete);

  // Pruned without any report: no value.
  tunekit::tuner bare;
  bare.optimize([](tunekit::trial&) { return tunekit::pruned; }, {.n_trials = 1});
  CHECK(bare.trials().at(0).state == tunekit::trial_state::pruned);
  CHECK(bare.trials().at(0).values.empty());
  // A pruned trial is never the best.
  CHECK_THROWS_AS(bare.best_trial(), tunekit::state_error);
}

TEST_CASE("tuner: a scheduler stops trials through should_prune", "[tuner]") {
  tunekit::tuner tuner{after_three_reports{}, tunekit::random_sampler{{.seed = 9}}};
  std::atomic<int> steps{0};
  auto objective = [&](tunekit::trial& t) -> tunekit::result {
    const double x = t.suggest_float("x", 0, 1);
    for (int step = 0; step < 10; ++step) {
      ++steps;
      t.report(step, x * step);
      if (t.should_prune()) return tunekit::pruned;
    }
    return x;
  };
  const auto summary = tuner.optimize(objective, {.n_trials = 4, .n_jobs = 2});
  CHECK(summary.n_pruned == 4);
  CHECK(steps == 12);
  for (const auto& t : tuner.trials()) {
    CHECK(t.intermediate_values.size() == 3);
    CHECK(t.values == std::vector<double>{t.params.at("x") * 2});
  }
}

// --- ask / tell -------------------------------------------------------------------

TEST_CASE("tuner: ask and tell, define-by-run", "[tuner]") {
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 10}}};
  auto a = tuner.ask();
  auto b = tuner.ask();
  CHECK(a.number() == 0);
  CHECK(b.number() == 1);
  const double xa = a.suggest_float("x", -1, 1);
  const double xb = b.suggest_float("x", -1, 1);
  CHECK(a.suggest_float("x", -1, 1) == xa);  // asked again: the same value
  CHECK_THROWS_AS(a.suggest_float("x", 0, 1), tunekit::invalid_argument);  // another distribution
  a.report(0, 3.0);
  a.set_user_attr("note", "first");

  const auto told_b = tuner.tell(1, xb * xb);  // by number, out of order
  CHECK(told_b.state == tunekit::trial_state::complete);
  CHECK(told_b.value() == xb * xb);
  const auto told_a = tuner.tell(a, xa * xa);
  CHECK(told_a.state == tunekit::trial_state::complete);
  CHECK(told_a.params.at("x") == xa);
  CHECK(told_a.intermediate_values.at(0) == 3.0);
  CHECK(told_a.user_attrs.at("note") == "first");
  CHECK(told_a.datetime_start.has_value());
  CHECK(told_a.datetime_complete.has_value());

  auto c = tuner.ask();
  c.report(0, 0.25);
  const auto pruned = tuner.tell(c, tunekit::pruned);
  CHECK(pruned.state == tunekit::trial_state::pruned);
  CHECK(pruned.values == std::vector<double>{0.25});
  auto d = tuner.ask();
  const auto failed = tuner.fail(d, "out of memory");
  CHECK(failed.state == tunekit::trial_state::fail);
  CHECK(failed.fail_reason == "out of memory");

  CHECK(tuner.best_value() == std::min(xa * xa, xb * xb));
  CHECK(tuner.trials().size() == 4);
}

TEST_CASE("tuner: ask and tell, typed", "[tuner]") {
  tunekit::tuner tuner{params_space(), tunekit::random_sampler{{.seed = 11}}};
  for (int i = 0; i < 5; ++i) {
    auto [trial, p] = tuner.ask();
    CHECK(trial.number() == i);
    CHECK((p.lr >= 1e-4 && p.lr <= 1.0));
    CHECK((p.layers >= 1 && p.layers <= 8));
    CHECK((p.act == "relu" || p.act == "tanh" || p.act == "gelu"));
    // The trial holds the same values.
    CHECK(trial.frozen().param<double>("lr") == p.lr);
    CHECK(trial.frozen().param<std::int64_t>("layers") == p.layers);
    CHECK(trial.frozen().param<std::string>("act") == p.act);
    tuner.tell(trial, p.lr * p.layers);
  }
  const params best = tuner.best_params();
  CHECK(best.lr * best.layers == tuner.best_value());
}

TEST_CASE("tuner: tell on a finished trial is a state_error", "[tuner]") {
  tunekit::tuner tuner;
  auto t = tuner.ask();
  tuner.tell(t, 1.0);
  CHECK_THROWS_AS(tuner.tell(t, 2.0), tunekit::state_error);
  CHECK_THROWS_AS(tuner.tell(t.number(), 2.0), tunekit::state_error);
  CHECK_THROWS_AS(tuner.tell(t, tunekit::pruned), tunekit::state_error);
  CHECK_THROWS_AS(tuner.fail(t, "late"), tunekit::state_error);
  CHECK(tuner.trials().at(0).value() == 1.0);  // unchanged

  // A trial finished by optimize cannot be told either.
  tuner.optimize(square, {.n_trials = 1});
  CHECK_THROWS_AS(tuner.tell(1, 0.0), tunekit::state_error);
}

TEST_CASE("tuner: tell on an unknown trial number is an invalid_argument", "[tuner]") {
  tunekit::tuner tuner;
  CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { tuner.tell(0, 1.0); }), Contains("0"));
  tuner.ask();
  CHECK_THROWS_AS(tuner.tell(999, 1.0), tunekit::invalid_argument);
  CHECK_THROWS_AS(tuner.tell(-1, 1.0), tunekit::invalid_argument);
}

// --- enqueue --------------------------------------------------------------------

TEST_CASE("tuner: enqueued configurations run first, in order", "[tuner]") {
  SECTION("typed, as a struct and by name") {
    tunekit::tuner tuner{params_space(), tunekit::random_sampler{{.seed = 12}}};
    tuner.enqueue(params{0.01, 3, "tanh"});
    tuner.enqueue({{"lr", 0.5}, {"layers", std::int64_t{8}}, {"act", "gelu"}});
    tuner.enqueue(params{1e-4, 1, "relu"});
    std::vector<params> seen;
    tuner.optimize(
        [&](const params& p, tunekit::trial&) {
          seen.push_back(p);
          return p.lr;
        },
        {.n_trials = 5});
    REQUIRE(seen.size() == 5);
    CHECK((seen[0].lr == 0.01 && seen[0].layers == 3 && seen[0].act == "tanh"));
    CHECK((seen[1].lr == 0.5 && seen[1].layers == 8 && seen[1].act == "gelu"));
    CHECK((seen[2].lr == 1e-4 && seen[2].layers == 1 && seen[2].act == "relu"));
    const auto trials = tuner.trials();
    CHECK(trials[0].param<double>("lr") == 0.01);
    CHECK(trials[1].param<std::string>("act") == "gelu");
    CHECK(tuner.best_params().lr == 1e-4);
  }
  SECTION("define-by-run, including a partial configuration") {
    tunekit::tuner tuner{tunekit::random_sampler{{.seed = 13}}};
    tuner.enqueue({{"x", 0.25}, {"y", 0.5}});
    tuner.enqueue({{"x", 0.75}});  // y is sampled
    tuner.optimize([](tunekit::trial& t) { return t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1); },
                   {.n_trials = 3});
    const auto trials = tuner.trials();
    REQUIRE(trials.size() == 3);
    CHECK(trials[0].params.at("x") == 0.25);
    CHECK(trials[0].params.at("y") == 0.5);
    CHECK(trials[1].params.at("x") == 0.75);
    CHECK((trials[1].params.at("y") >= 0 && trials[1].params.at("y") <= 1));
  }
  SECTION("ask() takes enqueued trials too") {
    tunekit::tuner tuner;
    tuner.enqueue({{"x", 0.125}});
    auto t = tuner.ask();
    CHECK(t.suggest_float("x", 0, 1) == 0.125);
    tuner.tell(t, 0.0);
  }
  SECTION("with n_jobs > 1 every enqueued configuration runs once") {
    tunekit::tuner tuner{tunekit::random_sampler{{.seed = 14}}};
    for (int i = 0; i < 8; ++i) tuner.enqueue({{"k", std::int64_t{i}}});
    tuner.optimize([](tunekit::trial& t) { return static_cast<double>(t.suggest_int("k", 0, 100)); },
                   {.n_trials = 8, .n_jobs = 4});
    std::multiset<std::int64_t> ks;
    for (const auto& t : tuner.trials()) ks.insert(t.param<std::int64_t>("k"));
    CHECK(ks == std::multiset<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  }
}

TEST_CASE("tuner: enqueue refuses values outside the space", "[tuner]") {
  SECTION("typed: at enqueue") {
    tunekit::tuner tuner{params_space()};
    CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { tuner.enqueue(params{5.0, 3, "relu"}); }),
               Contains("'lr'") && Contains("5"));
    CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { tuner.enqueue(params{0.1, 3, "swish"}); }),
               Contains("'act'") && Contains("swish"));
    CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { tuner.enqueue({{"layers", std::int64_t{9}}}); }),
               Contains("'layers'") && Contains("9"));
    CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { tuner.enqueue({{"momentum", 0.9}}); }),
               Contains("'momentum'"));
    CHECK_THROWS_AS(tuner.enqueue({{"layers", 2.5}}), tunekit::invalid_argument);  // not an integer
    CHECK(tuner.trials().empty());  // nothing was queued
  }
  SECTION("define-by-run: the trial that suggests it fails, the study goes on") {
    tunekit::tuner tuner{tunekit::random_sampler{{.seed = 15}}};
    tuner.enqueue({{"x", 5.0}});
    const auto summary = tuner.optimize(square, {.n_trials = 3});
    CHECK(summary.n_fail == 1);
    CHECK(summary.n_complete == 2);
    const auto first = tuner.trials().at(0);
    CHECK(first.state == tunekit::trial_state::fail);
    CHECK_THAT(first.fail_reason, Contains("'x'") && Contains("5") && Contains("outside"));
  }
}

// --- options and configuration -------------------------------------------------

TEST_CASE("tuner: bad optimize options are refused before any trial", "[tuner]") {
  tunekit::tuner tuner;
  CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { tuner.optimize(square, {.n_trials = 1, .n_jobs = 0}); }),
             Contains("n_jobs"));
  CHECK_THROWS_AS(tuner.optimize(square, {.n_trials = 1, .n_jobs = -2}), tunekit::invalid_argument);
  CHECK_THROWS_AS(tuner.optimize(square, {.n_trials = -1}), tunekit::invalid_argument);
  CHECK_THROWS_AS(tuner.optimize(square, {.timeout = -1s}), tunekit::invalid_argument);
  CHECK(tuner.trials().empty());
}

// --- best trials ------------------------------------------------------------------

TEST_CASE("tuner: best_trial, best_value and best_params", "[tuner]") {
  auto run = [](tunekit::direction d) {
    tunekit::tuner tuner{params_space(), tunekit::study_config{.directions = {d}}};
    for (double lr : {0.3, 0.01, 0.7, 0.05}) tuner.enqueue(params{lr, 2, "relu"});
    tuner.optimize([](const params& p, tunekit::trial&) { return p.lr; }, {.n_trials = 4});
    return tuner.best_trial();
  };
  const auto min = run(tunekit::direction::minimize);
  CHECK(min.number == 1);
  CHECK(min.value() == 0.01);
  const auto max = run(tunekit::direction::maximize);
  CHECK(max.number == 2);
  CHECK(max.value() == 0.7);

  tunekit::tuner tuner{params_space(), tunekit::study_config{.directions = {tunekit::direction::maximize}}};
  CHECK_THROWS_AS(tuner.best_trial(), tunekit::state_error);  // nothing has completed
  tuner.enqueue(params{0.2, 4, "tanh"});
  tuner.enqueue(params{0.9, 1, "gelu"});  // higher, but fails
  tuner.optimize(
      [](const params& p, tunekit::trial&) {
        if (p.lr > 0.5) throw std::runtime_error("diverged");
        return p.lr;
      },
      {.n_trials = 2});
  CHECK(tuner.best_value() == 0.2);
  const params best = tuner.best_params();
  CHECK(best.lr == 0.2);
  CHECK(best.layers == 4);
  CHECK(best.act == "tanh");
  // The best is updated as the study goes on.
  tuner.enqueue(params{0.4, 2, "relu"});
  tuner.optimize([](const params& p, tunekit::trial&) { return p.lr; }, {.n_trials = 1});
  CHECK(tuner.best_value() == 0.4);
  CHECK(tuner.best_params().layers == 2);

  tunekit::tuner multi{tunekit::study_config{.directions = {tunekit::direction::minimize, tunekit::direction::maximize}}};
  CHECK_THROWS_AS(multi.best_trial(), tunekit::state_error);
}

TEST_CASE("tuner: best_trials is the Pareto front for two objectives", "[tuner]") {
  tunekit::tuner tuner{
      tunekit::study_config{.directions = {tunekit::direction::minimize, tunekit::direction::maximize}}};
  // (f1 to minimise, f2 to maximise)
  const std::vector<std::pair<double, double>> points = {
      {1, 1},      // 0: front
      {2, 3},      // 1: front
      {3, 2},      // 2: dominated by 1
      {0.5, 0.5},  // 3: front
      {2, 2.5},    // 4: dominated by 1 (equal f1, worse f2)
      {1, 1},      // 5: equal to 0: neither dominates, front
      {4, 3},      // 6: dominated by 1 (worse f1, equal f2)
  };
  for (const auto& [a, b] : points) tuner.enqueue({{"a", a}, {"b", b}});
  tuner.enqueue({{"a", 0.0}, {"b", 100.0}});  // 7: would dominate all, but fails
  tuner.optimize(
      [](tunekit::trial& t) -> std::vector<double> {
        const double a = t.suggest_float("a", 0, 10), b = t.suggest_float("b", 0, 100);
        if (b == 100) throw std::runtime_error("failed");
        return {a, b};
      },
      {.n_trials = 8});
  std::set<std::int64_t> front;
  for (const auto& t : tuner.best_trials()) front.insert(t.number);
  CHECK(front == std::set<std::int64_t>{0, 1, 3, 5});

  // One objective: the best trial(s).
  tunekit::tuner single;
  for (double x : {0.5, 0.1, 0.1, 0.9}) single.enqueue({{"x", x}});
  single.optimize([](tunekit::trial& t) { return t.suggest_float("x", 0, 1); }, {.n_trials = 4});
  std::set<std::int64_t> best;
  for (const auto& t : single.best_trials()) best.insert(t.number);
  CHECK(best == std::set<std::int64_t>{1, 2});
}

// --- studies in a shared storage --------------------------------------------------

TEST_CASE("tuner: load_if_exists continues a study in a shared storage", "[tuner]") {
  tunekit::memory_storage storage;
  tunekit::tuner first{storage, tunekit::random_sampler{{.seed = 16}}, tunekit::study_config{.name = "shared"}};
  first.optimize(square, {.n_trials = 3});

  tunekit::tuner second{tunekit::study_config{.name = "shared"}, storage, tunekit::random_sampler{{.seed = 17}}};
  CHECK(second.study() == first.study());
  CHECK(second.study_name() == "shared");
  CHECK(second.trials().size() == 3);
  second.optimize(square, {.n_trials = 2});
  CHECK(numbers_of(first.trials()) == range(0, 5));
  CHECK(first.best_value() == second.best_value());

  // Both at once, on threads: numbers stay dense and unique.
  std::thread other([&] { second.optimize(square, {.n_trials = 20, .n_jobs = 2}); });
  first.optimize(square, {.n_trials = 20, .n_jobs = 2});
  other.join();
  CHECK(numbers_of(first.trials()) == range(0, 45));

  CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] {
               tunekit::tuner t{storage, tunekit::study_config{.name = "shared",
                                                                 .directions = {tunekit::direction::maximize}}};
             }),
             Contains("shared") && Contains("directions"));
  CHECK_THROWS_AS((tunekit::tuner{storage, tunekit::study_config{.name = "shared", .load_if_exists = false}}),
                  tunekit::invalid_argument);
  CHECK_THROWS_AS((tunekit::tuner{storage, tunekit::study_config{.name = "empty", .directions = {}}}),
                  tunekit::invalid_argument);

  // Unnamed studies get fresh names.
  tunekit::tuner a{storage}, b{storage};
  CHECK(a.study() != b.study());
  CHECK(a.study_name() != b.study_name());
  CHECK(a.trials().empty());
}

// --- measured resources -------------------------------------------------------------

TEST_CASE("tuner: wall and CPU time of each trial are recorded", "[tuner]") {
  tunekit::tuner tuner;
  auto objective = [](tunekit::trial& t) {
    if (t.number() == 0) burn_cpu(0.03);
    else std::this_thread::sleep_for(30ms);
    return 0.0;
  };
  tuner.optimize(objective, {.n_trials = 2});
  const auto trials = tuner.trials();
  const auto& busy = trials.at(0).resources;
  const auto& idle = trials.at(1).resources;
  CHECK(busy.cpu_seconds >= 0.03);
  CHECK(busy.wall_seconds >= busy.cpu_seconds * 0.99);  // one thread: CPU <= wall
  CHECK(idle.wall_seconds >= 0.03);
  CHECK(idle.cpu_seconds < idle.wall_seconds / 2);
  for (const auto& t : trials) {
    CHECK(t.resources.peak_memory_growth_bytes >= 0);
    REQUIRE(t.duration_seconds().has_value());
    CHECK(*t.duration_seconds() >= t.resources.wall_seconds * 0.9);
  }

  // With n_jobs > 1 the CPU time is the trial's own thread's, not the
  // process's: two trials burn 0.05 s each at the same time; process CPU
  // over either trial would be ~0.1 s.
  tunekit::tuner parallel;
  std::atomic<int> started{0};
  parallel.optimize(
      [&](tunekit::trial&) {
        ++started;
        const auto deadline = std::chrono::steady_clock::now() + 2s;
        while (started < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100us);
        burn_cpu(0.05);
        return 0.0;
      },
      {.n_trials = 2, .n_jobs = 2});
  for (const auto& t : parallel.trials()) {
    CHECK(t.resources.cpu_seconds >= 0.05);
    CHECK(t.resources.cpu_seconds < 0.08);
  }
}

TEST_CASE("tuner: peak memory growth is recorded", "[tuner]") {
  // The process's peak resident set only ever grows, so a trial shows growth
  // only if it goes beyond every earlier peak (of this whole test program).
  // We allocate and touch enough to exceed the current peak by 64 MiB.
  const std::int64_t peak = tunekit::detail::resource_meter::peak_rss_bytes();
  const std::int64_t rss = current_rss_bytes();
  if (peak <= 0 || rss <= 0) {
    WARN("peak or current RSS unavailable on this platform; only checking growth >= 0");
  }
  constexpr std::int64_t margin = std::int64_t{64} << 20;
  const std::int64_t need = std::max<std::int64_t>(peak - rss, 0) + margin;
  if (need > (std::int64_t{1} << 30)) {
    WARN("the process peak is " << (peak >> 20) << " MiB above the current RSS; skipping the > 0 check");
  }
  const bool measurable = peak > 0 && rss > 0 && need <= (std::int64_t{1} << 30);

  tunekit::tuner tuner;
  auto objective = [&](tunekit::trial& t) {
    if (t.number() == 1 && measurable) {
      auto block = std::make_unique<char[]>(static_cast<std::size_t>(need));
      for (std::int64_t i = 0; i < need; i += 4096) block[static_cast<std::size_t>(i)] = static_cast<char>(i);
      volatile char sink = block[static_cast<std::size_t>(need - 1)];
      (void)sink;
    }
    return 0.0;
  };
  tuner.optimize(objective, {.n_trials = 3});
  const auto trials = tuner.trials();
  for (const auto& t : trials) CHECK(t.resources.peak_memory_growth_bytes >= 0);
  if (measurable) {
    INFO("needed " << (need >> 20) << " MiB; growth " << (trials[1].resources.peak_memory_growth_bytes >> 20) << " MiB");
    CHECK(trials[1].resources.peak_memory_growth_bytes >= margin / 2);
    // Trial 2 allocates nothing: the peak it reaches was already reached.
    CHECK(trials[2].resources.peak_memory_growth_bytes < margin / 2);
  }
}

namespace {

// Counts the study views the tuner takes (samplers', schedulers', callbacks').
struct viewcache_counting_storage : tunekit::memory_storage {
  std::shared_ptr<std::atomic<int>> n_views = std::make_shared<std::atomic<int>>(0);
  tunekit::study_view view(tunekit::study_id id) const {
    ++*n_views;
    return tunekit::memory_storage::view(id);
  }
};

// Records how many finished trials each sample_independent call saw.
struct viewcache_recording_sampler {
  std::shared_ptr<std::vector<std::size_t>> seen = std::make_shared<std::vector<std::size_t>>();
  double sample_independent(const tunekit::study_view& v, const tunekit::frozen_trial&, std::string_view,
                            const tunekit::distribution& d) {
    seen->push_back(v.finished().size());
    return tunekit::from_unit(d, 0.5);
  }
};

// Records how many finished trials each should_prune call saw.
struct viewcache_recording_scheduler {
  std::shared_ptr<std::vector<std::size_t>> seen = std::make_shared<std::vector<std::size_t>>();
  bool should_prune(const tunekit::study_view& v, const tunekit::frozen_trial&) {
    seen->push_back(v.finished().size());
    return false;
  }
};

template <class Sampler>
void check_one_view_per_trial(Sampler sampler) {
  viewcache_counting_storage storage;
  const auto n_views = storage.n_views;
  tunekit::tuner tuner{std::move(sampler), storage};
  for (int k = 0; k <= 6; ++k) {
    for (int repeat = 0; repeat < 3; ++repeat) {  // the later trials have a history to model
      const int before = n_views->load();
      auto t = tuner.ask();
      static constexpr const char* names[] = {"x0", "x1", "x2", "x3", "x4", "x5"};
      for (int i = 0; i < k; ++i) t.suggest_float(names[i], -1, 1);
      CAPTURE(k, repeat);
      // Relational samplers take the view at the trial's start, the others
      // at the first suggest; either way once, whatever the number of suggests.
      CHECK(n_views->load() - before == (tunekit::relational_sampler<Sampler> || k > 0 ? 1 : 0));
      tuner.tell(t, static_cast<double>(k + repeat));
    }
  }
}

}  // namespace

TEST_CASE("tuner: the sampler's view is taken once per trial, whatever the number of suggests", "[tuner]") {
  SECTION("independent sampler") { check_one_view_per_trial(tunekit::random_sampler{{.seed = 3}}); }
  SECTION("relational sampler") { check_one_view_per_trial(tunekit::tpe_sampler{{.n_startup_trials = 2, .seed = 3}}); }
}

TEST_CASE("tuner: a trial's suggests share its snapshot; should_prune sees trials finished since", "[tuner]") {
  viewcache_recording_sampler sampler;
  viewcache_recording_scheduler scheduler;
  tunekit::tuner tuner{sampler, scheduler};
  auto a = tuner.ask();
  a.suggest_float("x", 0, 1);
  for (int n = 0; n < 3; ++n) {  // other trials finish while `a` runs
    auto b = tuner.ask();
    b.suggest_float("x", 0, 1);
    tuner.tell(b, 1.0);
  }
  a.suggest_float("y", 0, 1);
  a.report(0, 0.5);
  CHECK_FALSE(a.should_prune());
  tuner.tell(a, 0.0);
  auto c = tuner.ask();
  c.suggest_float("x", 0, 1);
  // a, b, b, b, a (stale: the snapshot of a's first suggest), c.
  CHECK(*sampler.seen == std::vector<std::size_t>{0, 0, 1, 2, 0, 4});
  CHECK(*scheduler.seen == std::vector<std::size_t>{3});
}
