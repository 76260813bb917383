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

#include "support/postgres.hpp"
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
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tk = tunekit;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tk::testing::unique_name;

#if defined(__SANITIZE_THREAD__)
#define TUNEKIT_SKIP_FORK_TESTS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TUNEKIT_SKIP_FORK_TESTS 1
#endif
#endif
#ifdef TUNEKIT_SKIP_FORK_TESTS
#define SKIP_UNDER_TSAN()                                                               \
  do {                                                                                  \
    std::cout << "TUNEKIT_TEST_SKIPPED: under ThreadSanitizer (fork with threads)\n"; \
    return;                                                                             \
  } while (false)
#else
#define SKIP_UNDER_TSAN() \
  do {                    \
  } while (false)
#endif

namespace {

/// Runs `body` in a child process; returns its pid. The child exits 0 if
/// `body` returns, 1 if it throws. Only call while this process has no other
/// thread and no open connection.
pid_t spawn(const std::function<void()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 0;
    try {
      body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "worker %d: %s\n", ::getpid(), e.what());
      code = 1;
    }
    std::_Exit(code);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::int64_t count(const std::vector<tk::frozen_trial>& trials, tk::trial_state s) {
  std::int64_t n = 0;
  for (const auto& t : trials) n += t.state == s;
  return n;
}

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

/// Trial numbers 0..n-1, each once; trial ids unique.
void check_dense(const std::vector<tk::frozen_trial>& trials) {
  std::set<std::int64_t> numbers, ids;
  for (const auto& t : trials) numbers.insert(t.number), ids.insert(t.id);
  CHECK(numbers.size() == trials.size());
  CHECK(ids.size() == trials.size());
  if (!numbers.empty()) {
    CHECK(*numbers.begin() == 0);
    CHECK(*numbers.rbegin() == static_cast<std::int64_t>(trials.size()) - 1);
  }
}

/// A worker: joins the study and runs trials until it has `target` COMPLETE ones.
void run_until(const std::string& url, const std::string& study, std::int64_t target, tk::postgres_storage_options opts,
               const std::function<double(tk::trial&)>& objective, std::uint64_t seed) {
  tk::postgres_storage storage(url, opts);
  tk::tuner tuner{tk::random_sampler{{.seed = seed}}, storage, tk::study_config{.name = study}};
  auto enough = [&](const tk::study_view& view, const tk::frozen_trial&) {
    std::int64_t complete = 0;
    for (const auto& t : view.finished()) complete += t.state == tk::trial_state::complete;
    if (complete >= target) tuner.stop();
  };
  tuner.optimize(objective, {.timeout = std::chrono::seconds(120), .callbacks = {enough}});
}

}  // namespace

TEST_CASE("postgres: 8 worker processes x 50 trials give exactly 400 finished trials with unique numbers",
          "[integration][postgres][processes]") {
  SKIP_UNDER_TSAN();
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string name = unique_name("many");
  create_study(url, name);
  std::vector<pid_t> workers;
  for (int w = 0; w < 8; ++w)
    workers.push_back(spawn([&, w] {
      tk::tuner tuner{tk::random_sampler{{.seed = static_cast<std::uint64_t>(w)}}, tk::postgres_storage(url),
                      tk::study_config{.name = name}};
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
  const auto trials = trials_of(url, name);
  CHECK(trials.size() == 400);
  CHECK(count(trials, tk::trial_state::complete) == 400);
  check_dense(trials);
  drop_study(url, name);
}

TEST_CASE("postgres: 8 worker processes on one grid never run a point twice", "[integration][postgres][processes]") {
  SKIP_UNDER_TSAN();
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string name = unique_name("grid");
  create_study(url, name);
  std::vector<pid_t> workers;
  for (int w = 0; w < 8; ++w)
    workers.push_back(spawn([&, w] {
      tk::tuner tuner{tk::grid_sampler{{.values = {{"a", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                                         16, 17, 18, 19, 20, 21, 22, 23, 24}},
                                                   {"b", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}}},
                                        .seed = static_cast<std::uint64_t>(w)}},
                      tk::postgres_storage(url), tk::study_config{.name = name}};
      tuner.optimize(
          [](tk::trial& t) {
            return static_cast<double>(t.suggest_int("a", 0, 24) * 100 + t.suggest_int("b", 0, 19));
          },
          {.n_trials = 50});
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
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
  create_study(url, name);
  const auto marker = dir.path() / "victim-started";
  // The victim hangs in its third trial after telling us so.
  const pid_t victim = spawn([&] {
    run_until(url, name, 1000, opts,
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
  for (int i = 0; i < 1000 && !fs::exists(marker); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(fs::exists(marker));
  std::this_thread::sleep_for(50ms);
  ::kill(victim, SIGKILL);
  CHECK(wait_for(victim) == 128 + SIGKILL);
  std::int64_t killed_number = -1;
  {
    std::ifstream in(marker);
    in >> killed_number;
  }
  REQUIRE(killed_number >= 0);
  // Two survivors run the study to 20 COMPLETE trials.
  std::vector<pid_t> workers;
  for (int w = 0; w < 2; ++w)
    workers.push_back(spawn([&, w] {
      run_until(url, name, 20, opts,
                [](tk::trial& t) {
                  std::this_thread::sleep_for(100ms);  // long enough for the grace period to pass during the run
                  return t.suggest_float("x", 0, 1);
                },
                20 + static_cast<std::uint64_t>(w));
    }));
  for (auto pid : workers) CHECK(wait_for(pid) == 0);
  const auto trials = trials_of(url, name);
  CHECK(count(trials, tk::trial_state::complete) >= 20);
  CHECK(count(trials, tk::trial_state::running) == 0);
  check_dense(trials);
  const auto& killed = trials.at(static_cast<std::size_t>(killed_number));
  CHECK(killed.state == tk::trial_state::fail);
  CHECK_THAT(killed.fail_reason, Catch::Contains("heartbeat expired"));
  std::vector<tk::frozen_trial> retries;
  for (const auto& t : trials)
    if (t.system_attrs.count("failed_trial") && t.system_attrs.at("failed_trial") == killed_number) retries.push_back(t);
  REQUIRE(retries.size() == 1);
  CHECK(retries[0].state == tk::trial_state::complete);
  CHECK(retries[0].params.at("x") == killed.params.at("x"));
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

#endif  // TUNEKIT_HAS_POSTGRES
