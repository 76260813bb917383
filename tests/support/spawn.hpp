#pragma once

// Child processes for multi-process storage tests (tests/integration/).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <vector>

#include <tunekit/core/frozen_trial.hpp>

// ThreadSanitizer does not support threads started after a fork in a process
// that has threads (its own runtime has one): the fork tests run in the other builds.
#if defined(__SANITIZE_THREAD__)
#define TUNEKIT_SKIP_FORK_TESTS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TUNEKIT_SKIP_FORK_TESTS 1
#endif
#endif
#ifdef TUNEKIT_SKIP_FORK_TESTS
// The TUNEKIT_TEST_SKIPPED line makes CTest report the test as skipped.
#define SKIP_UNDER_TSAN()                                                               \
  do {                                                                                  \
    std::cout << "TUNEKIT_TEST_SKIPPED: under ThreadSanitizer (fork with threads)\n"; \
    WARN("skipped under ThreadSanitizer (fork with threads)");                        \
    return;                                                                             \
  } while (false)
#else
#define SKIP_UNDER_TSAN() \
  do {                    \
  } while (false)
#endif
namespace tunekit::testing {

/// Runs `body` in a child process; returns its pid. The child exits 0 if
/// `body` returns, 1 if it throws. Only call while this process has no other
/// thread and no open database connection.
inline pid_t spawn(const std::function<void()>& body) {
  std::fflush(nullptr);  // or the child writes the parent's buffered output again
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

inline int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::int64_t count(const std::vector<frozen_trial>& trials, trial_state s) {
  std::int64_t n = 0;
  for (const auto& t : trials) n += t.state == s;
  return n;
}

}  // namespace tunekit::testing
