// Several worker processes sharing one PostgreSQL study: counts, uniqueness,
// grid points, a worker killed with SIGKILL mid-trial, and the server
// restarted in the middle of a run. Needs a server (TUNEKIT_TEST_POSTGRES_URL;
// the restart test also TUNEKIT_TEST_POSTGRES_RESTART, see .ci/postgres.sh);
// skips without.

#ifdef TUNEKIT_HAS_POSTGRES  // built only with the tunekit::postgres component

#include <tunekit/samplers/grid.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/postgres.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>

#include "support/process_scenarios.hpp"
#include "support/postgres.hpp"
#include "support/scratch_database.hpp"
#include "support/spawn.hpp"
#include "support/temp_dir.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tk = tunekit;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tk::testing::check_dense;
using tk::testing::count;
using tk::testing::spawn;
using tk::testing::unique_name;
using tk::testing::wait_for;

namespace {

void create_study(const std::string& url, const std::string& name) {
  tk::postgres_storage s(url);
  s.create_study(name, std::array{tk::direction::minimize});
}

std::vector<tk::frozen_trial> trials_of(const std::string& url, const std::string& name) {
  tk::postgres_storage s(url);
  return s.trials(s.study_by_name(name));
}

void drop_study(const std::string& url, const std::string& name) {
  tk::postgres_storage s(url);
  if (auto sid = s.find_study(name)) s.delete_study(*sid);
}

}  // namespace

TEST_CASE("postgres: 8 worker processes x 50 trials give exactly 400 finished trials with unique numbers",
          "[integration][postgres][processes]") {
  SKIP_UNDER_TSAN();
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string name = unique_name("many");
  create_study(url, name);
  tk::testing::run_random_workers([&] { return tk::postgres_storage(url); }, name, 8, 50);
  const auto trials = trials_of(url, name);
  CHECK(trials.size() == 400);
  CHECK(count(trials, tk::trial_state::complete) == 400);
  check_dense(trials);
  drop_study(url, name);
}

namespace {

// The fleet-start scenario (tests/support/process_scenarios.hpp) on fresh postgres storages.
void fleet_start_postgres(int rounds) {
  SKIP_UNDER_TSAN();
  TUNEKIT_REQUIRE_POSTGRES(url);
  tk::testing::temp_dir dir;
  std::unique_ptr<tk::testing::scratch_database> db;  // one per round; the previous is dropped
  tk::testing::check_fleet_start(
      [&](int) {
        db.reset();
        db = std::make_unique<tk::testing::scratch_database>(url);
        return [u = db->url()] { return tk::postgres_storage(u); };
      },
      rounds, dir.path());
}

}  // namespace

TEST_CASE("postgres: 8 workers released at one instant onto a fresh database all join one new study (20 rounds)",
          "[integration][postgres][processes][fleet_start]") {
  fleet_start_postgres(20);
}

// The issue's full 50 rounds; `ctest --preset slow` runs it.
TEST_CASE("postgres: 8 workers released at one instant onto a fresh database all join one new study (50 rounds)",
          "[integration][postgres][processes][fleet_start][.slow]") {
  fleet_start_postgres(50);
}

TEST_CASE("postgres: 8 worker processes on one grid never run a point twice", "[integration][postgres][processes]") {
  SKIP_UNDER_TSAN();
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string name = unique_name("grid");
  create_study(url, name);
  tk::testing::run_grid_workers([&] { return tk::postgres_storage(url); }, name, 8, 50);
  const auto trials = trials_of(url, name);
  CHECK(trials.size() == 400);
  CHECK(count(trials, tk::trial_state::complete) == 400);
  check_dense(trials);
  std::set<double> points;
  for (const auto& t : trials) points.insert(t.value());
  CHECK(points.size() == 400);  // 400 of the 500 points, none twice
  drop_study(url, name);
}

TEST_CASE("postgres: a worker killed with SIGKILL mid-trial is failed after the grace period and the study completes",
          "[integration][postgres][processes]") {
  SKIP_UNDER_TSAN();
  TUNEKIT_REQUIRE_POSTGRES(url);
  tk::testing::temp_dir dir;
  const std::string name = unique_name("crash");
  const tk::postgres_storage_options opts{.heartbeat_interval = 0.1s, .grace_period = 0.6s, .max_retries = 1};
  const auto trials =
      tk::testing::check_killed_worker_is_retried([&] { return tk::postgres_storage(url, opts); }, name, dir.path());
  check_dense(trials);
  drop_study(url, name);
}

TEST_CASE("postgres: the server restarted mid-run, workers recover and nothing acknowledged is lost",
          "[integration][postgres][processes]") {
  SKIP_UNDER_TSAN();
  TUNEKIT_REQUIRE_POSTGRES(url);
  TUNEKIT_REQUIRE_ENV(restart, "TUNEKIT_TEST_POSTGRES_RESTART");
  tk::testing::temp_dir dir;
  const std::string name = unique_name("restart");
  create_study(url, name);
  constexpr int n_workers = 4;
  constexpr std::int64_t per_worker = 60;
  // Each worker logs every trial whose tell() returned (acknowledged), with
  // its value, to its own file; flushed per line, and the process lives on.
  std::vector<pid_t> workers;
  for (int w = 0; w < n_workers; ++w)
    workers.push_back(spawn([&, w] {
      std::ofstream ack(dir.path() / ("acked-" + std::to_string(w)));
      tk::tuner tuner{tk::random_sampler{{.seed = 100 + static_cast<std::uint64_t>(w)}}, tk::postgres_storage(url),
                      tk::study_config{.name = name}};
      std::int64_t done = 0;
      while (done < per_worker) {
        auto t = tuner.ask();
        const double x = t.suggest_float("x", 0, 1);
        for (int step = 0; step < 3; ++step) t.report(step, x * step);
        std::this_thread::sleep_for(10ms);
        tuner.tell(t, x);
        ack << t.number() << ' ' << tk::detail::format_number(x) << std::endl;
        ++done;
      }
    }));
  // Restart once the run is well under way.
  const auto first = dir.path() / "acked-0";
  for (int i = 0; i < 3000; ++i) {
    std::ifstream in(first);
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) ++lines;
    if (lines >= 15) break;
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(std::system((restart + " >/dev/null 2>&1").c_str()) == 0);
  for (auto pid : workers) CHECK(wait_for(pid) == 0);

  const auto trials = trials_of(url, name);
  check_dense(trials);
  CHECK(count(trials, tk::trial_state::complete) == n_workers * per_worker);
  // Every acknowledged trial is there, COMPLETE, with its value.
  std::map<std::int64_t, const tk::frozen_trial*> by_number;
  for (const auto& t : trials) by_number[t.number] = &t;
  std::int64_t acked = 0;
  for (int w = 0; w < n_workers; ++w) {
    std::ifstream in(dir.path() / ("acked-" + std::to_string(w)));
    std::int64_t number;
    std::string value;
    while (in >> number >> value) {
      ++acked;
      REQUIRE(by_number.count(number));
      const auto& t = *by_number[number];
      CHECK(t.state == tk::trial_state::complete);
      CHECK(tk::detail::format_number(t.value()) == value);
      CHECK(t.intermediate_values.size() == 3);
    }
  }
  CHECK(acked == n_workers * per_worker);
  // Trials interrupted in flight were retried transparently, not left RUNNING.
  CHECK(count(trials, tk::trial_state::running) == 0);
  drop_study(url, name);
}

TEST_CASE("postgres: connections cut and workers killed with SIGKILL in a bounded loop; every acknowledged trial is "
          "recorded once, COMPLETE",
          "[integration][postgres][processes]") {
  SKIP_UNDER_TSAN();
  TUNEKIT_REQUIRE_POSTGRES(url);
  tk::testing::temp_dir dir;
  const std::string name = unique_name("faults");
  create_study(url, name);
  // The workers' own application_name, so the cuts hit them and no other test's connections.
  const std::string app = "tunekit_faults_" + std::to_string(::getpid());
  const std::string wurl =
      url + (url.find('?') == std::string::npos ? "?" : "&") + "heartbeat=0.1&grace=2&application_name=" + app;
  const fs::path stop = dir.path() / "stop";
  auto start_worker = [&](int w) {
    return spawn([&, w] {
      std::ofstream ack(dir.path() / ("acked-" + std::to_string(w)));
      tk::tuner tuner{tk::random_sampler{{.seed = 300 + static_cast<std::uint64_t>(w)}}, tk::postgres_storage(wurl),
                      tk::study_config{.name = name}};
      for (int i = 0; i < 300 && !fs::exists(stop); ++i) {  // bounded; the stop file ends it sooner
        auto t = tuner.ask();
        const double x = t.suggest_float("x", 0, 1);
        t.report(0, x);
        std::this_thread::sleep_for(2ms);
        tuner.tell(t, x);
        ack << t.number() << ' ' << tk::detail::format_number(x) << std::endl;
      }
    });
  };
  auto acked_lines = [&] {
    std::int64_t n = 0;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      std::ifstream in(f.path());
      std::string line;
      while (std::getline(in, line)) ++n;
    }
    return n;
  };
  std::vector<pid_t> workers;
  for (int w = 0; w < 4; ++w) workers.push_back(start_worker(w));
  for (int i = 0; i < 300 && acked_lines() < 8; ++i) std::this_thread::sleep_for(10ms);
  // 6 cuts of a random worker's connection (pg_terminate_backend) and 2
  // workers killed with SIGKILL (each replaced), at random moments.
  std::minstd_rand rng(20);
  std::set<pid_t> killed;
  int cuts = 0;
  const auto deadline = std::chrono::steady_clock::now() + 6s;
  for (int round = 0; round < 8 && std::chrono::steady_clock::now() < deadline; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + rng() % 160));
    if (round == 3 || round == 6) {
      const pid_t victim = workers[rng() % workers.size()];
      if (killed.count(victim)) continue;
      ::kill(victim, SIGKILL);
      wait_for(victim);
      killed.insert(victim);
      workers.push_back(start_worker(static_cast<int>(workers.size())));
      continue;
    }
    tk::detail::postgres_connection admin(url);  // opened per cut: no connection is open across a fork
    const std::vector<tk::detail::sql_value> bound{app};
    cuts += static_cast<int>(admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? "
                                         "ORDER BY random() LIMIT 1",
                                         bound)
                                 .size());
  }
  { std::ofstream{stop}; }
  for (auto pid : workers)
    if (!killed.count(pid)) CHECK(wait_for(pid) == 0);
  CHECK(killed.size() == 2);
  CHECK(cuts >= 1);
  {
    // The killed workers' trials: failed through their heartbeats. A grace of
    // 2 s, not less: with 0.6 s, a live ASan worker on a loaded machine once
    // missed its heartbeats long enough to have its trial failed under it.
    std::this_thread::sleep_for(2100ms);
    tk::postgres_storage checker(wurl);
    checker.fail_stale_trials(checker.study_by_name(name));
  }
  const auto trials = trials_of(url, name);
  check_dense(trials);
  CHECK(count(trials, tk::trial_state::running) == 0);
  std::map<std::int64_t, const tk::frozen_trial*> by_number;
  for (const auto& t : trials) by_number[t.number] = &t;
  std::set<std::int64_t> acked;
  for (const auto& f : fs::directory_iterator(dir.path())) {
    std::ifstream in(f.path());
    std::int64_t number;
    std::string value;
    while (in >> number >> value) {
      CHECK(acked.insert(number).second);  // acknowledged once
      REQUIRE(by_number.count(number));
      CHECK(by_number[number]->state == tk::trial_state::complete);
      CHECK(tk::detail::format_number(by_number[number]->value()) == value);
    }
  }
  CHECK(acked.size() >= 8);
  drop_study(url, name);
}


// PgBouncer in front of the test server (.ci/pgbouncer.sh, the `pgbouncer`
// CTest fixture): transaction pooling, 16 server connections at most.
TEST_CASE("postgres: 24 worker processes through PgBouncer in transaction pooling mode record every trial once (120 trials)",
          "[integration][postgres][processes][pgbouncer]") {
  SKIP_UNDER_TSAN();
  const auto url = tk::testing::env("TUNEKIT_TEST_PGBOUNCER_URL");
  if (!url) {
    std::cout << "TUNEKIT_TEST_SKIPPED: no PgBouncer (TUNEKIT_TEST_PGBOUNCER_URL)\n";
    return;
  }
  const std::string name = unique_name("pgbouncer");
  create_study(*url, name);
  // More workers than server connections: sessions are shared, so named
  // prepared statements would collide; the storage notices and goes unnamed.
  tk::testing::run_random_workers([&] { return tk::postgres_storage(*url); }, name, 24, 5);
  const auto trials = trials_of(*url, name);
  CHECK(trials.size() == 120);
  CHECK(count(trials, tk::trial_state::complete) == 120);
  check_dense(trials);
  drop_study(*url, name);
}

TEST_CASE("postgres: a pooler in statement mode is refused with an error naming host, port, database and mode",
          "[integration][postgres][pgbouncer]") {
  const auto url = tk::testing::env("TUNEKIT_TEST_PGBOUNCER_STATEMENT_URL");
  if (!url) {
    std::cout << "TUNEKIT_TEST_SKIPPED: no PgBouncer in statement mode (TUNEKIT_TEST_PGBOUNCER_STATEMENT_URL)\n";
    return;
  }
  const std::string port = url->substr(url->rfind(':') + 1, url->rfind('/') - url->rfind(':') - 1);
  const std::string name = unique_name("statement-mode");
  try {
    tk::postgres_storage s(*url);
    s.create_study(name, std::array{tk::direction::minimize});
    FAIL("a study was created through a pooler in statement mode");
  } catch (const tk::storage_error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("127.0.0.1") && Catch::Contains("port " + port) &&
                         Catch::Contains("database tunekit_test") && Catch::Contains("statement pooling mode") &&
                         Catch::Contains("pool_mode = transaction"));
    CHECK_THAT(what, !Catch::Contains(":tunekit@"));  // never the password
  }
  // Nothing half-written: the study does not exist on the server.
  TUNEKIT_REQUIRE_POSTGRES(direct);
  tk::postgres_storage s(direct);
  CHECK_FALSE(s.find_study(name).has_value());
}

#endif  // TUNEKIT_HAS_POSTGRES
