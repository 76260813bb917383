// Several worker processes sharing one SQLite database: counts, dense unique
// numbers, grid points never run twice, no "database is locked", and a
// worker killed with SIGKILL in the middle of a trial.

#include <tunekit/samplers/grid.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/sqlite.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>

#include "support/process_scenarios.hpp"
#include "support/spawn.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
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
using tk::testing::wait_for;

namespace {

std::vector<int> range(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

}  // namespace

namespace {

// The fleet-start scenario (tests/support/process_scenarios.hpp) on fresh sqlite storages.
void fleet_start_sqlite(int rounds) {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  tk::testing::check_fleet_start(
      [&](int round) {
        return [path = dir.path() / ("round-" + std::to_string(round) + ".db")] { return tk::sqlite_storage(path); };
      },
      rounds, dir.path());
}

}  // namespace

TEST_CASE("sqlite: 8 workers released at one instant onto a fresh database file all join one new study (20 rounds)",
          "[integration][sqlite][processes][fleet_start]") {
  fleet_start_sqlite(20);
}

// The full 50 rounds; `ctest --preset slow` runs it.
TEST_CASE("sqlite: 8 workers released at one instant onto a fresh database file all join one new study (50 rounds)",
          "[integration][sqlite][processes][fleet_start][.slow]") {
  fleet_start_sqlite(50);
}

TEST_CASE("sqlite: 8 worker processes x 50 grid trials give 400 finished trials, dense numbers, no point twice",
          "[integration][sqlite][processes]") {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "grid.db";
  const auto errors = dir.path() / "errors";
  fs::create_directories(errors);
  // No study created up front: eight processes race to create the schema
  // and the study, as a fleet started by a job launcher does.
  std::vector<pid_t> workers;
  for (int w = 0; w < 8; ++w)
    workers.push_back(spawn([&, w] {
      try {
        std::vector<tk::category> a, b;
        for (int i : range(25)) a.emplace_back(std::int64_t{i});
        for (int i : range(20)) b.emplace_back(std::int64_t{i});
        tk::sqlite_storage storage(path);
        try {
          storage.create_study("grid", std::array{tk::direction::minimize});
        } catch (const tk::invalid_argument&) {
          // another worker created it first
        }
        tk::tuner tuner{tk::grid_sampler{{.values = {{"a", a}, {"b", b}}, .seed = static_cast<std::uint64_t>(w)}},
                        storage, tk::study_config{.name = "grid", .load_if_exists = true}};
        const auto summary = tuner.optimize(
            [](tk::trial& t) {
              const auto a = t.suggest_int("a", 0, 24), b = t.suggest_int("b", 0, 19);
              for (int step = 0; step < 3; ++step) t.report(step, static_cast<double>(step));
              return static_cast<double>(a * 100 + b);
            },
            {.n_trials = 50});
        if (summary.n_complete != 50) throw std::runtime_error("a worker finished " + std::to_string(summary.n_complete));
      } catch (const std::exception& e) {
        std::FILE* f = std::fopen((errors / std::to_string(w)).c_str(), "w");
        std::fputs(e.what(), f);
        std::fclose(f);
        throw;
      }
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
  for (const auto& e : fs::directory_iterator(errors)) {
    std::FILE* f = std::fopen(e.path().c_str(), "r");
    char buf[512] = {};
    std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    FAIL_CHECK("worker " << e.path().filename() << ": " << buf);
    CHECK_THAT(std::string(buf), !Catch::Contains("locked"));
  }
  tk::sqlite_storage s(path);
  const auto trials = s.trials(s.study_by_name("grid"));
  CHECK(trials.size() == 400);
  CHECK(count(trials, tk::trial_state::complete) == 400);
  check_dense(trials);
  std::set<double> points;
  for (const auto& t : trials)
    if (t.state == tk::trial_state::complete) points.insert(t.value());
  CHECK(points.size() == 400);  // 400 of the 500 points, none twice
}

TEST_CASE("sqlite: a worker killed with SIGKILL mid-trial is failed after the grace period and its trial retried",
          "[integration][sqlite][processes]") {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "crash.db";
  const tk::sqlite_storage_options opts{.heartbeat_interval = 0.1s, .grace_period = 0.6s, .max_retries = 1};
  tk::testing::check_killed_worker_is_retried([&] { return tk::sqlite_storage(path, opts); }, "crash", dir.path());
}
