#pragma once

// What the storage throughput benchmarks (journal_throughput, sql_throughput)
// share: one trial cycle, and K forked processes each running N cycles.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
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

/// Forks `processes` children; child p runs `cycles` cycles on the tuner
/// `make_tuner(p)` returns. True when every child exited 0.
template <class MakeTuner>
bool run_cycles_in_processes(int processes, long cycles, MakeTuner make_tuner) {
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      try {
        auto tuner = make_tuner(static_cast<std::uint64_t>(p));
        for (long i = 0; i < cycles; ++i) cycle(tuner);
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
  return ok;
}

}  // namespace tunekit::bench
