#pragma once

// Scenarios the multi-process storage tests (tests/integration/) share, each
// taking a factory `open()` that returns a new handle on the storage under
// test: workers racing on one study (random or grid sampler), and the kill -9
// scenario: a worker hangs in its third trial and is killed with SIGKILL; two
// survivors run the study to 20 COMPLETE trials, failing the victim's trial
// once its heartbeat expires and running its retry with the same parameters.

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tunekit/samplers/grid.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/tuner.hpp>

#include "support/spawn.hpp"

namespace tunekit::testing {

/// Trial numbers 0..n-1, each once; trial ids unique.
inline void check_dense(const std::vector<frozen_trial>& trials) {
  std::set<std::int64_t> numbers, ids;
  for (const auto& t : trials) numbers.insert(t.number), ids.insert(t.id);
  CHECK(numbers.size() == trials.size());
  CHECK(ids.size() == trials.size());
  if (!numbers.empty()) {
    CHECK(*numbers.begin() == 0);
    CHECK(*numbers.rbegin() == static_cast<std::int64_t>(trials.size()) - 1);
  }
}

// GCC 12 at -O1 with ASan warns that the empty optional timeout in
// `{.n_trials = n_trials}` "may be used uninitialized" (a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

/// `n_workers` processes, each with a random sampler (seed = its index) on a
/// storage from `open()`, run `n_trials` trials of study `study`; each must
/// complete all of them and exit 0.
template <class Open>
void run_random_workers(Open open, const std::string& study, int n_workers, int n_trials) {
  std::vector<pid_t> workers;
  for (int w = 0; w < n_workers; ++w)
    workers.push_back(spawn([&, w] {
      tuner t{random_sampler{{.seed = static_cast<std::uint64_t>(w)}}, open(), study_config{.name = study}};
      const auto summary = t.optimize(
          [](trial& tr) {
            const double x = tr.suggest_float("x", -1, 1);
            tr.report(0, x);
            return x * x;
          },
          {.n_trials = n_trials});
      if (summary.n_complete != n_trials)
        throw std::runtime_error("a worker finished " + std::to_string(summary.n_complete));
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
}

/// `n_workers` processes, each with a grid sampler over a in 0..24, b in
/// 0..19 (seed = its index) on a storage from `open()`, run `n_trials`
/// trials of study `study` whose value is a * 100 + b; each must exit 0.
template <class Open>
void run_grid_workers(Open open, const std::string& study, int n_workers, int n_trials) {
  std::vector<pid_t> workers;
  for (int w = 0; w < n_workers; ++w)
    workers.push_back(spawn([&, w] {
      tuner t{grid_sampler{{.values = {{"a", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                              16, 17, 18, 19, 20, 21, 22, 23, 24}},
                                        {"b", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}}},
                             .seed = static_cast<std::uint64_t>(w)}},
              open(), study_config{.name = study}};
      t.optimize(
          [](trial& tr) {
            return static_cast<double>(tr.suggest_int("a", 0, 24) * 100 + tr.suggest_int("b", 0, 19));
          },
          {.n_trials = n_trials});
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Worker processes released at one instant: each child blocks in `wait()`
/// until the parent calls `release()` (a pipe: EOF reaches every reader at
/// once when the last write end closes).
class start_barrier {
 public:
  start_barrier() { REQUIRE(::pipe(fds_) == 0); }
  ~start_barrier() {
    for (int fd : fds_)
      if (fd >= 0) ::close(fd);
  }
  start_barrier(const start_barrier&) = delete;
  start_barrier& operator=(const start_barrier&) = delete;

  /// In a child: blocks until the parent releases.
  void wait() {
    ::close(fds_[1]);
    char c;
    while (::read(fds_[0], &c, 1) < 0 && errno == EINTR) {
    }
  }
  /// In the parent, once every child is spawned.
  void release() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

/// What one worker of `open_study_together` did: its exit code and, if it
/// threw, the message.
struct worker_outcome {
  int code = 0;
  std::string error;
};

/// `directions.size()` worker processes, released at one instant, each open
/// study `study` (which does not exist yet) on a storage from `open()` with
/// its own direction and run `n_trials` random-sampler trials. The storage
/// is opened after the release too, so a fresh file or database is created
/// by the workers racing.
template <class Open>
std::vector<worker_outcome> open_study_together(Open open, const std::string& study,
                                                const std::vector<direction>& directions, int n_trials,
                                                const std::filesystem::path& dir) {
  start_barrier barrier;
  std::vector<pid_t> workers;
  for (std::size_t w = 0; w < directions.size(); ++w) {
    const auto err = dir / ("worker-" + std::to_string(w) + ".err");
    std::filesystem::remove(err);
    workers.push_back(spawn([&, w, err] {
      barrier.wait();
      try {
        tuner t{random_sampler{{.seed = static_cast<std::uint64_t>(w)}}, open(),
                study_config{.name = study, .directions = {directions[w]}}};
        const auto summary = t.optimize([](trial& tr) { return tr.suggest_float("x", -1, 1); },
                                        {.n_trials = n_trials, .timeout = std::chrono::seconds(60)});
        if (summary.n_complete != n_trials)
          throw std::runtime_error("finished " + std::to_string(summary.n_complete) + " trials");
      } catch (const std::exception& e) {
        std::FILE* f = std::fopen(err.c_str(), "w");
        if (f != nullptr) {
          std::fputs(e.what(), f);
          std::fclose(f);
        }
        throw;
      }
    }));
  }
  barrier.release();
  std::vector<worker_outcome> out;
  for (std::size_t w = 0; w < workers.size(); ++w) {
    worker_outcome o{.code = wait_for(workers[w]), .error = {}};
    if (std::FILE* f = std::fopen((dir / ("worker-" + std::to_string(w) + ".err")).c_str(), "r")) {
      char buf[4096];
      o.error.assign(buf, std::fread(buf, 1, sizeof buf, f));
      std::fclose(f);
    }
    out.push_back(std::move(o));
  }
  return out;
}

/// The fleet-start checks, `rounds` times on a fresh storage from
/// `fresh(round)` (which returns an opener): 8 workers released together
/// open one new study and run 5 trials each; none dies, the study has
/// exactly 40 trials, numbered densely. Then the bad input: 4 workers ask
/// for minimize and 4 for maximize; whichever creates the study first, the
/// other side fails with an `invalid_argument` naming both directions and the
/// winners' trials are all there.
template <class Fresh>
void check_fleet_start(Fresh fresh, int rounds, const std::filesystem::path& dir) {
  int deaths = 0;
  for (int round = 0; round < rounds; ++round) {
    auto open = fresh(round);
    const auto outcomes = open_study_together(open, "fleet", std::vector<direction>(8, direction::minimize), 5, dir);
    for (const auto& o : outcomes) {
      if (o.code != 0) {
        ++deaths;
        UNSCOPED_INFO("round " << round << ": a worker exited " << o.code << ": " << o.error);
      }
    }
    auto s = open();
    const auto trials = s.trials(s.study_by_name("fleet"));
    CHECK(trials.size() == 40);
    CHECK(count(trials, trial_state::complete) == 40);
    check_dense(trials);
  }
  CHECK(deaths == 0);

  auto open = fresh(rounds);
  std::vector<direction> mixed(4, direction::minimize);
  mixed.resize(8, direction::maximize);
  const auto outcomes = open_study_together(open, "mixed", mixed, 5, dir);
  auto s = open();
  const auto id = s.study_by_name("mixed");
  const direction stored = s.study_directions(id).at(0);
  int winners = 0;
  for (std::size_t w = 0; w < outcomes.size(); ++w) {
    INFO("worker " << w << " (" << to_string(mixed[w]) << "): " << outcomes[w].error);
    if (mixed[w] == stored) {
      CHECK(outcomes[w].code == 0);
      ++winners;
    } else {
      CHECK(outcomes[w].code == 1);
      CHECK_THAT(outcomes[w].error, Catch::Contains("[tunekit.invalid_argument]") &&
                                        Catch::Contains("exists with directions [" + std::string(to_string(stored)) +
                                                        "]") &&
                                        Catch::Contains("[" + std::string(to_string(mixed[w])) + "] were asked for"));
    }
  }
  CHECK(winners == 4);
  const auto trials = s.trials(id);
  CHECK(trials.size() == 20);
  check_dense(trials);
}

/// A worker: joins `study` on a storage from `open()` and runs trials until
/// the study has `target` COMPLETE ones.
template <class Open>
void run_until(Open& open, const std::string& study, std::int64_t target,
               const std::function<double(trial&)>& objective, std::uint64_t seed) {
  tuner t{random_sampler{{.seed = seed}}, open(), study_config{.name = study}};
  auto enough = [&](const study_view& view, const frozen_trial&) {
    std::int64_t complete = 0;
    for (const auto& f : view.finished()) complete += f.state == trial_state::complete;
    if (complete >= target) t.stop();
  };
  t.optimize(objective, {.timeout = std::chrono::seconds(120), .callbacks = {enough}});
}

/// Creates study `study` and runs the scenario on it; `open()` returns a
/// handle with heartbeats on (grace period well under 2 s), `dir` is scratch space.
/// Checks the victim's trial failed and was retried once; returns every
/// trial of the study for storage-specific checks.
template <class Open>
std::vector<frozen_trial> check_killed_worker_is_retried(Open open, const std::string& study,
                                                         const std::filesystem::path& dir) {
  using namespace std::chrono_literals;
  open().create_study(study, std::array{direction::minimize});
  const auto marker = dir / "victim-started";
  // The victim hangs in its third trial after telling us so.
  const pid_t victim = spawn([&] {
    run_until(open, study, 1000,
              [&, n = 0](trial& t) mutable {
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
  for (int i = 0; i < 1000 && !std::filesystem::exists(marker); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(std::filesystem::exists(marker));
  std::this_thread::sleep_for(50ms);
  ::kill(victim, SIGKILL);
  CHECK(wait_for(victim) == 128 + SIGKILL);
  long long killed_number = -1;
  {
    std::FILE* f = std::fopen(marker.c_str(), "r");
    REQUIRE(std::fscanf(f, "%lld", &killed_number) == 1);
    std::fclose(f);
  }
  REQUIRE(killed_number >= 0);
  // Two survivors run the study to 20 COMPLETE trials.
  std::vector<pid_t> workers;
  for (int w = 0; w < 2; ++w)
    workers.push_back(spawn([&, w] {
      run_until(open, study, 20,
                [](trial& t) {
                  std::this_thread::sleep_for(100ms);  // long enough for the grace period to pass during the run
                  return t.suggest_float("x", 0, 1);
                },
                20 + static_cast<std::uint64_t>(w));
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
  auto s = open();
  const auto trials = s.trials(s.study_by_name(study));
  CHECK(count(trials, trial_state::complete) >= 20);
  CHECK(count(trials, trial_state::running) == 0);
  const auto& killed = trials.at(static_cast<std::size_t>(killed_number));
  CHECK(killed.state == trial_state::fail);
  CHECK_THAT(killed.fail_reason, Catch::Contains("heartbeat expired"));
  std::vector<frozen_trial> retries;
  for (const auto& t : trials)
    if (t.system_attrs.count("failed_trial") && t.system_attrs.at("failed_trial") == killed_number) retries.push_back(t);
  REQUIRE(retries.size() == 1);
  CHECK(retries[0].state == trial_state::complete);
  CHECK(retries[0].params.at("x") == killed.params.at("x"));
  return trials;
}

}  // namespace tunekit::testing
