// Several worker processes sharing one journal: counts, uniqueness, grid
// points, and a worker killed with SIGKILL in the middle of a trial.

#include <tunekit/samplers/grid.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>

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
using tk::testing::count;
using tk::testing::spawn;
using tk::testing::wait_for;

namespace {

/// A worker: joins the study and runs trials until it has `target` COMPLETE ones.
void run_until(const fs::path& path, const std::string& study, std::int64_t target, tk::journal_storage_options opts,
               const std::function<double(tk::trial&)>& objective, std::uint64_t seed) {
  tk::journal_storage storage(path, opts);
  tk::tuner tuner{tk::random_sampler{{.seed = seed}}, storage, tk::study_config{.name = study}};
  auto enough = [&](const tk::study_view& view, const tk::frozen_trial&) {
    std::int64_t complete = 0;
    for (const auto& t : view.finished()) complete += t.state == tk::trial_state::complete;
    if (complete >= target) tuner.stop();
  };
  tuner.optimize(objective, {.timeout = std::chrono::seconds(60), .callbacks = {enough}});
}

}  // namespace

TEST_CASE("journal: 8 worker processes x 50 trials give exactly 400 finished trials with unique numbers",
          "[integration][journal][processes]") {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "many.log";
  {
    tk::journal_storage s(path);
    s.create_study("many", std::array{tk::direction::minimize});
  }
  std::vector<pid_t> workers;
  for (int w = 0; w < 8; ++w)
    workers.push_back(spawn([&, w] {
      tk::tuner tuner{tk::random_sampler{{.seed = static_cast<std::uint64_t>(w)}}, tk::journal_storage(path),
                      tk::study_config{.name = "many"}};
      const auto summary = tuner.optimize(
          [](tk::trial& t) {
            const double x = t.suggest_float("x", -1, 1);
            t.report(0, x);
            return x * x;
          },
          {.n_trials = 50});
      if (summary.n_complete != 50) throw std::runtime_error("a worker finished " + std::to_string(summary.n_complete));
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
  tk::journal_storage s(path);
  const auto trials = s.trials(s.study_by_name("many"));
  CHECK(trials.size() == 400);
  CHECK(count(trials, tk::trial_state::complete) == 400);
  std::set<std::int64_t> numbers, ids;
  for (const auto& t : trials) numbers.insert(t.number), ids.insert(t.id);
  CHECK(numbers.size() == 400);
  CHECK(ids.size() == 400);
  CHECK(*numbers.rbegin() == 399);
}

TEST_CASE("journal: 8 worker processes on one grid never run a point twice", "[integration][journal][processes]") {
  SKIP_UNDER_TSAN();
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "grid.log";
  {
    tk::journal_storage s(path);
    s.create_study("grid", std::array{tk::direction::minimize});
  }
  std::vector<pid_t> workers;
  for (int w = 0; w < 8; ++w)
    workers.push_back(spawn([&, w] {
      tk::tuner tuner{tk::grid_sampler{{.values = {{"a", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                                         16, 17, 18, 19, 20, 21, 22, 23, 24}},
                                                   {"b", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}}},
                                        .seed = static_cast<std::uint64_t>(w)}},
                      tk::journal_storage(path), tk::study_config{.name = "grid"}};
      tuner.optimize(
          [](tk::trial& t) {
            return static_cast<double>(t.suggest_int("a", 0, 24) * 100 + t.suggest_int("b", 0, 19));
          },
          {.n_trials = 50});
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
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
  {
    tk::journal_storage s(path);
    s.create_study("crash", std::array{tk::direction::minimize});
  }
  const auto marker = dir.path() / "victim-started";
  // The victim hangs in its third trial after telling us so.
  const pid_t victim = spawn([&] {
    run_until(path, "crash", 1000, opts,
              [&, n = 0](tk::trial& t) mutable {
                const double x = t.suggest_float("x", 0, 1);
                if (++n == 3) {
                  std::FILE* f = std::fopen(marker.c_str(), "w");
                  std::fprintf(f, "%lld", static_cast<long long>(t.number()));
                  std::fclose(f);
                  while (true) std::this_thread::sleep_for(1s);
                }
                return x;
              },
              11);
  });
  for (int i = 0; i < 600 && !fs::exists(marker); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(fs::exists(marker));
  std::this_thread::sleep_for(50ms);
  ::kill(victim, SIGKILL);
  CHECK(wait_for(victim) == 128 + SIGKILL);
  std::int64_t killed_number = -1;
  {
    std::FILE* f = std::fopen(marker.c_str(), "r");
    long long n = -1;
    REQUIRE(std::fscanf(f, "%lld", &n) == 1);
    std::fclose(f);
    killed_number = n;
  }
  // Two survivors run the study to 20 COMPLETE trials.
  std::vector<pid_t> workers;
  for (int w = 0; w < 2; ++w)
    workers.push_back(spawn([&, w] {
      run_until(path, "crash", 20, opts, [](tk::trial& t) {
        std::this_thread::sleep_for(100ms);  // long enough for the grace period to pass during the run
        return t.suggest_float("x", 0, 1);
      }, 20 + static_cast<std::uint64_t>(w));
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
  tk::journal_storage s(path);
  const auto trials = s.trials(s.study_by_name("crash"));
  CHECK(count(trials, tk::trial_state::complete) >= 20);
  CHECK(count(trials, tk::trial_state::running) == 0);
  const auto& killed = trials.at(static_cast<std::size_t>(killed_number));
  CHECK(killed.state == tk::trial_state::fail);
  CHECK_THAT(killed.fail_reason, Catch::Contains("heartbeat expired"));
  std::vector<tk::frozen_trial> retries;
  for (const auto& t : trials)
    if (t.system_attrs.count("failed_trial") && t.system_attrs.at("failed_trial") == killed_number) retries.push_back(t);
  REQUIRE(retries.size() == 1);
  CHECK(retries[0].state == tk::trial_state::complete);
  CHECK(retries[0].params.at("x") == killed.params.at("x"));
}
