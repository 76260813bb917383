#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../core/study_view.hpp"
#include "../../detail/format.hpp"

namespace tunekit::detail {

/// Reads a study's finished trials incrementally: each finished trial is
/// handed to `on_new` exactly once, so a scheduler's work per decision is
/// O(new trials), not O(all trials). A view of another study (other name,
/// or fewer finished trials than already read) starts over with `on_reset`.
class finished_cursor {
 public:
  template <class OnReset, class OnNew>
  void sync(const study_view& view, OnReset&& on_reset, OnNew&& on_new) {
    const auto& finished = view.finished();
    if (finished.size() < read_ || view.name() != study_) {
      on_reset();
      read_ = 0;
      study_ = view.name();
    }
    for (; read_ < finished.size(); ++read_) on_new(finished[read_]);
  }
  std::size_t read() const noexcept { return read_; }

 private:
  std::string study_;
  std::size_t read_ = 0;
};

/// Optuna's rule for `interval_steps`: a trial is judged at its last step
/// only if no earlier report fell in the same interval after the warm-up,
/// so reporting steps 0, 3, 7 with interval 5 judges steps 0 and 7.
inline bool first_in_interval(const frozen_trial& t, std::int64_t step, std::int64_t warmup, std::int64_t interval) {
  const std::int64_t nearest = (step - warmup) / interval * interval + warmup;
  std::int64_t second_last = -1;
  // `step` is the largest key, so the one before it is the second-last step.
  if (t.intermediate_values.size() >= 2) second_last = std::prev(t.intermediate_values.end(), 2)->first;
  return second_last < nearest;
}

/// Throws `invalid_argument` naming `option` unless `value >= minimum`.
inline void require_at_least(const char* scheduler, const char* option, std::int64_t value, std::int64_t minimum) {
  if (value < minimum)
    throw invalid_argument(std::string(scheduler) + ": " + option + " = " + std::to_string(value) + " is not allowed; " +
                           option + " must be >= " + std::to_string(minimum));
}

inline void require_finite_at_least(const char* scheduler, const char* option, double value, double minimum) {
  if (!(value >= minimum) || !std::isfinite(value))
    throw invalid_argument(std::string(scheduler) + ": " + option + " = " + format_number(value) +
                           " is not allowed; " + option + " must be finite and >= " + format_number(minimum));
}

}  // namespace tunekit::detail
