#pragma once

// The one-line progress display of `tuner::optimize` on stderr:
//
//   37/100 trials [#######.............] best 0.9722 (trial 12) | 2.41 trials/s | 0:15 elapsed | ETA 0:26
//
// redrawn in place with \r (at most 10 times a second), finished with a
// newline, and off unless stderr is a terminal (progress_mode::automatic).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include "../core/frozen_trial.hpp"

namespace tunekit {

/// Whether `optimize` shows a progress line on stderr: `automatic` when
/// stderr is a terminal (the environment variable TUNEKIT_PROGRESS = 0/off
/// or 1/on overrides this choice), `on` always, `off` never.
enum class progress_mode { automatic, on, off };

}  // namespace tunekit

namespace tunekit::detail {

/// What the progress line shows at one moment.
struct progress_snapshot {
  std::int64_t done = 0;                 ///< trials finished in this optimize call
  std::optional<std::int64_t> total = std::nullopt;  ///< n_trials, if set
  double elapsed = 0;                    ///< seconds since optimize started
  std::optional<double> timeout = std::nullopt;  ///< seconds, if set
  std::optional<double> best = std::nullopt;  ///< best value (single objective)
  std::int64_t best_trial = -1;
  std::int64_t n_pruned = 0, n_fail = 0;
};

/// "0:07", "12:34", "1:02:03"; "?" for what cannot be a duration.
inline std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e9) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

/// The progress line's text, cut to `width` columns (0: no limit) so it
/// never wraps, which would break the redraw in place.
inline std::string format_progress(const progress_snapshot& p, std::size_t width = 0) {
  // Built by appending, never `"a" + b + ...`: GCC 12 at -O3 raises false
  // -Wstringop-overflow / -Wrestrict warnings on such chains (bug 105329).
  std::string s;
  auto add = [&s](std::string_view piece) { s.append(piece); };
  add(std::to_string(p.done));
  if (p.total) add("/"), add(std::to_string(*p.total));
  add(" trials");
  // The bar follows whichever limit is nearer: trials or time.
  std::optional<double> fraction;
  if (p.total && *p.total > 0) fraction = static_cast<double>(p.done) / static_cast<double>(*p.total);
  if (p.timeout && *p.timeout > 0) fraction = std::max(fraction.value_or(0.0), p.elapsed / *p.timeout);
  if (fraction) {
    const auto filled = static_cast<std::size_t>(std::clamp(*fraction, 0.0, 1.0) * 20);
    add(" [");
    s.append(filled, '#');
    s.append(20 - filled, '.');
    add("]");
  }
  if (p.n_pruned || p.n_fail) {
    add(" (");
    if (p.n_pruned) add(std::to_string(p.n_pruned)), add(" pruned");
    if (p.n_pruned && p.n_fail) add(", ");
    if (p.n_fail) add(std::to_string(p.n_fail)), add(" failed");
    add(")");
  }
  char num[48];
  if (p.best) {
    std::snprintf(num, sizeof num, "%.6g", *p.best);
    add(" | best "), add(num), add(" (trial "), add(std::to_string(p.best_trial)), add(")");
  } else {
    add(" | best -");
  }
  const double rate = p.elapsed > 0 ? static_cast<double>(p.done) / p.elapsed : 0.0;
  std::snprintf(num, sizeof num, "%.3g", rate);
  add(" | "), add(num), add(" trials/s | "), add(format_duration(p.elapsed));
  if (p.timeout) add("/"), add(format_duration(*p.timeout));
  add(" elapsed");
  // ETA: the sooner of "the remaining trials at the current rate" and "the timeout".
  std::optional<double> eta;
  if (p.total && rate > 0) eta = static_cast<double>(std::max<std::int64_t>(0, *p.total - p.done)) / rate;
  if (p.timeout) eta = std::min(eta.value_or(INFINITY), std::max(0.0, *p.timeout - p.elapsed));
  if (eta) add(" | ETA "), add(format_duration(*eta));
  if (width > 0 && s.size() > width) s.resize(width);  // all ASCII: bytes are columns
  return s;
}

/// Decides `automatic`: TUNEKIT_PROGRESS if set to 0/off/false or
/// 1/on/true, else whether stderr is a terminal.
inline bool progress_enabled(progress_mode mode) {
  if (mode != progress_mode::automatic) return mode == progress_mode::on;
  if (const char* env = std::getenv("TUNEKIT_PROGRESS"); env && *env) {
    const std::string_view v = env;
    if (v == "0" || v == "off" || v == "false" || v == "no") return false;
    if (v == "1" || v == "on" || v == "true" || v == "yes") return true;
  }
#if defined(__unix__) || defined(__APPLE__)
  return ::isatty(2) == 1;
#else
  return false;
#endif
}

/// Columns of the terminal on stderr, 0 if unknown.
inline std::size_t terminal_width() {
#if defined(__unix__) || defined(__APPLE__)
  winsize w{};
  if (::ioctl(2, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
#endif
  return 0;
}

/// The live display of one optimize call. Thread-safe: trials finishing on
/// several threads update it under one mutex. Does nothing when disabled.
class progress_display {
 public:
  using clock = std::chrono::steady_clock;

  progress_display(progress_mode mode, std::optional<std::int64_t> total, std::optional<double> timeout,
                   std::span<const direction> directions)
      : enabled_(progress_enabled(mode)), started_(clock::now()) {
    state_.total = total;
    state_.timeout = timeout;
    if (directions.size() == 1) direction_ = directions.front();
    if (enabled_) {
      std::lock_guard lock(mutex_);
      draw();
    }
  }
  progress_display(const progress_display&) = delete;
  progress_display& operator=(const progress_display&) = delete;
  ~progress_display() { finish(); }

  bool enabled() const noexcept { return enabled_; }

  /// Counts a finished trial; redraws unless the last redraw was under 100 ms ago.
  void trial_finished(const frozen_trial& t) {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    ++state_.done;
    if (t.state == trial_state::pruned) ++state_.n_pruned;
    else if (t.state == trial_state::fail) ++state_.n_fail;
    else if (t.state == trial_state::complete && direction_ && t.values.size() == 1 &&
             (!state_.best || better(*direction_, t.values[0], *state_.best))) {
      state_.best = t.values[0];
      state_.best_trial = t.number;
    }
    if (clock::now() - last_draw_ >= std::chrono::milliseconds(100)) draw();
  }

  /// Erases the line, so that a callback's own output starts at column 0;
  /// `redraw()` puts it back.
  void clear() {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    if (shown_) std::fputs("\r\033[K", stderr), shown_ = false;
  }
  void redraw() {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    draw();
  }

  /// The final state, then a newline. Idempotent.
  void finish() {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    if (finished_) return;
    draw();
    finished_ = true;
    std::fputs("\n", stderr);
    std::fflush(stderr);
  }

 private:
  void draw() {
    if (finished_) return;
    const auto now = clock::now();
    state_.elapsed = std::chrono::duration<double>(now - started_).count();
    const std::size_t width = terminal_width();
    const std::string line = "\r" + format_progress(state_, width > 1 ? width - 1 : 0) + "\033[K";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    last_draw_ = now;
    shown_ = true;
  }

  bool enabled_;
  clock::time_point started_, last_draw_{};
  std::optional<direction> direction_;
  progress_snapshot state_;
  bool shown_ = false, finished_ = false;
  std::mutex mutex_;
};

}  // namespace tunekit::detail
