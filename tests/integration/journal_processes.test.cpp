// Several worker processes sharing one journal: counts, uniqueness, grid
// points, and a worker killed with SIGKILL in the middle of a trial.

#include <tunekit/samplers/grid.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>

#include "support/process_scenarios.hpp"
#include "support/spawn.hpp"
#include "support/temp_dir.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
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

TEST_CASE("journal: 8 worker processes x 50 trials give exactly 400 finished trials with unique numbers",
          "[integration][journal][processes]") {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "many.log";
  {
    tk::journal_storage s(path);
    s.create_study("many", std::array{tk::direction::minimize});
  }
  tk::testing::run_random_workers([&] { return tk::journal_storage(path); }, "many", 8, 50);
  tk::journal_storage s(path);
  const auto trials = s.trials(s.study_by_name("many"));
  CHECK(trials.size() == 400);
  CHECK(count(trials, tk::trial_state::complete) == 400);
  check_dense(trials);
}

namespace {

// The fleet-start scenario (tests/support/process_scenarios.hpp) on fresh journal storages.
void fleet_start_journal(int rounds) {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  tk::testing::check_fleet_start(
      [&](int round) {
        return [path = dir.path() / ("round-" + std::to_string(round) + ".log")] { return tk::journal_storage(path); };
      },
      rounds, dir.path());
}

}  // namespace

TEST_CASE("journal: 8 workers released at one instant onto a fresh journal all join one new study (20 rounds)",
          "[integration][journal][processes][fleet_start]") {
  fleet_start_journal(20);
}

// The full 50 rounds; `ctest --preset slow` runs it.
TEST_CASE("journal: 8 workers released at one instant onto a fresh journal all join one new study (50 rounds)",
          "[integration][journal][processes][fleet_start][.slow]") {
  fleet_start_journal(50);
}

TEST_CASE("journal: 8 worker processes on one grid never run a point twice", "[integration][journal][processes]") {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "grid.log";
  {
    tk::journal_storage s(path);
    s.create_study("grid", std::array{tk::direction::minimize});
  }
  tk::testing::run_grid_workers([&] { return tk::journal_storage(path); }, "grid", 8, 50);
  tk::journal_storage s(path);
  const auto trials = s.trials(s.study_by_name("grid"));
  CHECK(trials.size() == 400);
  CHECK(count(trials, tk::trial_state::complete) == 400);
  std::set<double> points;
  for (const auto& t : trials) points.insert(t.value());
  CHECK(points.size() == 400);  // 400 of the 500 points, none twice
}

TEST_CASE("journal: a worker killed with SIGKILL mid-trial is failed after the grace period and its trial retried",
          "[integration][journal][processes]") {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "crash.log";
  const tk::journal_storage_options opts{.heartbeat_interval = 0.1s, .grace_period = 0.6s, .max_retries = 1};
  tk::testing::check_killed_worker_is_retried([&] { return tk::journal_storage(path, opts); }, "crash", dir.path());
}
