// Issue 19's "a worker that dies mid-rung" with a real process: a worker
// running BOHB (bohb_sampler + bohb_scheduler) on a journal with heartbeats
// is killed with SIGKILL after reporting steps 1-4 of a trial. The trial is
// failed once its heartbeat expires, with its reports kept; no trial is
// lost, and the bracket it died in goes on promoting trials.

#include <tunekit/samplers/bohb.hpp>
#include <tunekit/schedulers/bohb.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>

#include "support/multifidelity_scenarios.hpp"
#include "support/spawn.hpp"
#include "support/temp_dir.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace tk = tunekit;

TEST_CASE("journal: a BOHB worker killed with SIGKILL mid-rung loses no trial and stalls no bracket",
          "[integration][journal][processes][bohb]") {
  SKIP_UNDER_TSAN();
  using namespace std::chrono_literals;
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "mf.journal";
  const auto marker = dir.path() / "victim-hangs";
  const tk::journal_storage_options opts{
      .durability = tk::durability::none, .heartbeat_interval = 0.05s, .grace_period = 0.3s};
  auto make = [&] {
    return tk::tuner{tk::journal_storage(path, opts), tk::study_config{.name = "mf"},
                     tk::bohb_sampler({.max_resource = 27, .seed = 1}), tk::bohb_scheduler({.max_resource = 27})};
  };
  const pid_t victim = tk::testing::spawn([&] {
    auto t = make();
    t.optimize(tunekit_test::mf_train, {.n_trials = 12});
    t.optimize(
        [&](tk::trial& tr) -> tk::result {
          const double x = tr.suggest_float("x", 0, 1), y = tr.suggest_float("y", 0, 1);
          for (std::int64_t step = 1; step <= 4; ++step) {
            tr.report(step, tunekit_test::mf_bowl(x, y) + 1.0 / static_cast<double>(step));
            (void)tr.should_prune();
          }
          std::FILE* f = std::fopen(marker.c_str(), "w");
          std::fprintf(f, "%lld", static_cast<long long>(tr.number()));
          std::fclose(f);
          while (true) std::this_thread::sleep_for(1s);
          return tk::pruned;
        },
        {.n_trials = 1});
  });
  for (int i = 0; i < 2000 && !std::filesystem::exists(marker); ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(20ms);  // the marker's content is written
  ::kill(victim, SIGKILL);
  CHECK(tk::testing::wait_for(victim) == 128 + SIGKILL);
  long long killed = -1;
  {
    std::FILE* f = std::fopen(marker.c_str(), "r");
    REQUIRE(f);
    REQUIRE(std::fscanf(f, "%lld", &killed) == 1);
    std::fclose(f);
  }
  REQUIRE(killed == 12);
  std::this_thread::sleep_for(0.4s);  // past the grace period
  auto survivor = make();
  survivor.optimize(tunekit_test::mf_train, {.n_trials = 40});
  const auto trials = survivor.trials();
  REQUIRE(trials.size() == 53);  // none lost
  CHECK(tunekit_test::mf_count(trials, tk::trial_state::running) == 0);
  const auto& dead = trials.at(12);
  CHECK(dead.state == tk::trial_state::fail);
  CHECK_THAT(dead.fail_reason, Catch::Contains("heartbeat expired"));
  CHECK(dead.intermediate_values.size() == 4);
  const auto bracket = survivor.scheduler().bracket_of("mf", 12);
  CHECK(std::any_of(trials.begin(), trials.end(), [&](const auto& t) {
    return t.number > 12 && survivor.scheduler().bracket_of("mf", t.number) == bracket &&
           tunekit_test::mf_last_step(t) >= 9;
  }));
  CHECK(std::any_of(trials.begin(), trials.end(), [&](const auto& t) {
    return t.number > 12 && t.state == tk::trial_state::complete && tunekit_test::mf_last_step(t) == 27;
  }));
}
