#pragma once

// What the storage throughput benchmarks (journal_throughput, sql_throughput)
// share: one trial cycle, and K forked processes each running N cycles.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>
#include <string>
#include <vector>

#include <tunekit/core/trial.hpp>

namespace tunekit::bench {

inline const char* const param_names[10] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"};

/// One cycle: ask, 10 float parameters, 10 reports, tell. Returns the ask's seconds.
template <class Tuner>
double cycle(Tuner& tuner) {
  const auto t0 = std::chrono::steady_clock::now();
  trial t = tuner.ask();
  const auto t1 = std::chrono::steady_clock::now();
  double sum = 0;
  for (const char* name : param_names) sum += t.suggest_float(name, 0, 1);
  for (int step = 0; step < 10; ++step) t.report(step, sum / (step + 1));
  tuner.tell(t, sum);
  return std::chrono::duration<double>(t1 - t0).count();
}

/// Forks `processes` children; child p runs `threads` threads that each run
/// `cycles` cycles on the one tuner `make_tuner(p)` returns (n_jobs-style).
/// True when every child exited 0. `cpu_seconds` gets the children's CPU
/// time (user + system), which a shared machine does not inflate the way
/// it inflates wall time.
template <class MakeTuner>
bool run_cycles_in_processes(int processes, int threads, long cycles, MakeTuner make_tuner, double* cpu_seconds = nullptr) {
  rusage before{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      try {
        auto tuner = make_tuner(static_cast<std::uint64_t>(p));
        std::vector<std::thread> pool;
        std::atomic<bool> failed{false};
        for (int t = 1; t < threads; ++t)
          pool.emplace_back([&] {
            try {
              for (long i = 0; i < cycles; ++i) cycle(tuner);
            } catch (const std::exception& e) {
              std::fprintf(stderr, "worker thread: %s\n", e.what());
              failed = true;
            }
          });
        for (long i = 0; i < cycles; ++i) cycle(tuner);
        for (auto& t : pool) t.join();
        if (failed) std::_Exit(1);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker: %s\n", e.what());
        std::_Exit(1);
      }
      std::_Exit(0);
    }
    children.push_back(pid);
  }
  bool ok = true;
  for (auto pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  rusage after{};
  ::getrusage(RUSAGE_CHILDREN, &after);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  if (cpu_seconds)
    *cpu_seconds = secs(after.ru_utime) + secs(after.ru_stime) - secs(before.ru_utime) - secs(before.ru_stime);
  return ok;
}

/// fdatasync calls every writer of `data_path` made, from the group commit's
/// shared counters (`<data_path>.tunekit-sync`, detail/group_commit.hpp).
inline std::uint64_t flushes_done(const std::string& data_path) {
  std::uint64_t counters[2] = {0, 0};
  if (std::FILE* f = std::fopen((data_path + ".tunekit-sync").c_str(), "rb")) {
    if (std::fread(counters, sizeof counters, 1, f) != 1) counters[1] = 0;
    std::fclose(f);
  }
  return counters[1];
}

}  // namespace tunekit::bench
