#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

#include <sys/resource.h>

#include "../core/frozen_trial.hpp"

namespace tunekit::detail {

/// Measures what one objective call costs. CPU time is the calling thread's
/// (the objective runs on one tuner thread; with `n_jobs > 1` process CPU
/// would mix trials). Memory is the growth of the process's peak resident
/// set (getrusage), the only portable signal for "this trial needed more".
class resource_meter {
 public:
  resource_meter() : wall_(std::chrono::steady_clock::now()), cpu_(thread_cpu_seconds()), peak_(peak_rss_bytes()) {}

  resource_usage stop() const {
    resource_usage u;
    u.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
    u.cpu_seconds = thread_cpu_seconds() - cpu_;
    u.peak_memory_growth_bytes = peak_rss_bytes() - peak_;
    return u;
  }

  static double thread_cpu_seconds() noexcept {
    timespec ts{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }

  static std::int64_t peak_rss_bytes() noexcept {
    rusage r{};
    if (getrusage(RUSAGE_SELF, &r) != 0) return 0;
    return static_cast<std::int64_t>(r.ru_maxrss) * 1024;  // Linux reports KiB
  }

 private:
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
  std::int64_t peak_;
};

}  // namespace tunekit::detail
