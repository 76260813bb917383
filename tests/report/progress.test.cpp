#include <catch2/catch.hpp>

#include <tunekit/detail/progress.hpp>

#include <cstdlib>
#include <string>

using tunekit::detail::format_duration;
using tunekit::detail::format_progress;
using tunekit::detail::progress_snapshot;

TEST_CASE("format_duration shows minutes and hours", "[progress]") {
  CHECK(format_duration(0) == "0:00");
  CHECK(format_duration(7.4) == "0:07");
  CHECK(format_duration(59.6) == "1:00");
  CHECK(format_duration(754) == "12:34");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(-1) == "?");
  CHECK(format_duration(INFINITY) == "?");
  CHECK(format_duration(NAN) == "?");
}

TEST_CASE("format_progress with n_trials: done/total, bar, best, rate, ETA", "[progress]") {
  progress_snapshot p{.done = 25, .total = 100, .elapsed = 10, .best = 0.125, .best_trial = 7, .n_pruned = 3, .n_fail = 1};
  CHECK(format_progress(p) ==
        "25/100 trials [#####...............] (3 pruned, 1 failed) | best 0.125 (trial 7) | 2.5 trials/s | 0:10 elapsed | ETA 0:30");
}

TEST_CASE("format_progress with a timeout: elapsed/timeout and the sooner ETA", "[progress]") {
  progress_snapshot p{.done = 4, .elapsed = 15, .timeout = 60};
  CHECK(format_progress(p) == "4 trials [#####...............] | best - | 0.267 trials/s | 0:15/1:00 elapsed | ETA 0:45");
  // Both limits: the trials would take 0:15 more, the timeout 0:45: ETA 0:15.
  p.total = 8;
  CHECK(format_progress(p).find("| ETA 0:15") != std::string::npos);
  CHECK(format_progress(p).find("8 trials [##########") == 2);
}

TEST_CASE("format_progress without limits has no bar and no ETA", "[progress]") {
  progress_snapshot p{.done = 0, .elapsed = 0};
  CHECK(format_progress(p) == "0 trials | best - | 0 trials/s | 0:00 elapsed");
}

TEST_CASE("format_progress is cut to the terminal width", "[progress]") {
  progress_snapshot p{.done = 25, .total = 100, .elapsed = 10, .best = 0.125, .best_trial = 7};
  CHECK(format_progress(p, 30).size() == 30);
  CHECK(format_progress(p, 30) == format_progress(p).substr(0, 30));
}

TEST_CASE("progress_enabled: on and off are obeyed, automatic follows TUNEKIT_PROGRESS", "[progress]") {
  using tunekit::progress_mode;
  using tunekit::detail::progress_enabled;
  CHECK(progress_enabled(progress_mode::on));
  CHECK_FALSE(progress_enabled(progress_mode::off));
  const char* old = std::getenv("TUNEKIT_PROGRESS");
  const std::string saved = old ? old : "";
  ::setenv("TUNEKIT_PROGRESS", "1", 1);
  CHECK(progress_enabled(progress_mode::automatic));
  CHECK_FALSE(progress_enabled(progress_mode::off));  // the variable only decides `automatic`
  ::setenv("TUNEKIT_PROGRESS", "off", 1);
  CHECK_FALSE(progress_enabled(progress_mode::automatic));
  CHECK(progress_enabled(progress_mode::on));
  if (old) ::setenv("TUNEKIT_PROGRESS", saved.c_str(), 1);
  else ::unsetenv("TUNEKIT_PROGRESS");
}
