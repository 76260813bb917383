#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../core/errors.hpp"
#include "../detail/format.hpp"

namespace tunekit {

/// The learning-rate state of one optimizer parameter group: what PyTorch's
/// schedulers read and write in `optimizer.param_groups[i]`. Schedules that
/// are chained or run in sequence share one group, exactly as PyTorch's
/// share the optimizer, so their recursive updates compose the same way.
struct lr_group {
  /// The learning rate the next optimizer step uses (`group['lr']`).
  double lr = 0;
  /// The optimizer's momentum (SGD's `momentum`, Adam's beta1), cycled by
  /// `one_cycle_lr` and `cyclic_lr` when their `cycle_momentum` is on.
  std::optional<double> momentum = std::nullopt;
  /// `group['initial_lr']`: set by the first schedule attached (the lr at that
  /// moment), or by `one_cycle_lr` (max_lr / div_factor); every schedule
  /// takes its base lr from it, and `sequential_lr` resets the lr to it.
  std::optional<double> initial_lr = std::nullopt;
  /// Keys `one_cycle_lr` keeps in the group (PyTorch's `max_lr`, `min_lr`,
  /// `max_momentum`, `base_momentum`).
  std::optional<double> max_lr = std::nullopt, min_lr = std::nullopt;
  std::optional<double> max_momentum = std::nullopt, base_momentum = std::nullopt;
};

namespace detail {

/// `invalid_argument` naming the schedule, the option, its value and what is allowed.
[[noreturn]] inline void bad_lr_option(std::string_view schedule, std::string_view option, const std::string& value,
                                       std::string_view allowed) {
  std::string msg(schedule);
  msg.append(": option ").append(quoted(option)).append(" = ").append(value).append(" is not allowed; ");
  msg.append(allowed);
  throw invalid_argument(msg);
}

inline void require_finite(std::string_view schedule, std::string_view option, double x) {
  if (!std::isfinite(x))
    bad_lr_option(schedule, option, format_number(x), "it must be a finite number (options without a default must be set)");
}

inline void require_in(std::string_view schedule, std::string_view option, double x, double low, double high) {
  if (!(x >= low && x <= high))
    bad_lr_option(schedule, option, format_number(x),
                  "it must lie in [" + format_number(low) + ", " + format_number(high) + "]");
}

inline void require_at_least(std::string_view schedule, std::string_view option, std::int64_t x, std::int64_t low,
                             std::string_view why = {}) {
  if (x < low) {
    std::string allowed = "it must be >= " + std::to_string(low);
    if (!why.empty()) allowed.append(" (").append(why).append(")");
    bad_lr_option(schedule, option, std::to_string(x), allowed);
  }
}

/// Python's `a % b` for b > 0 (the result takes the sign of b).
inline std::int64_t py_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

/// Python's `a // b`.
inline std::int64_t py_floordiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// Python's `float ** float` for the finite cases schedules meet: C's pow,
/// which CPython calls too (both give 1 for x**0 and 1**y).
inline double py_pow(double x, double y) { return std::pow(x, y); }

/// Where PyTorch 1.13 raises ZeroDivisionError in the middle of a run.
[[noreturn]] inline void lr_division_by_zero(std::string_view schedule, std::string_view where) {
  throw state_error(std::string(schedule) + ": division by zero in " + std::string(where) +
                    " (PyTorch 1.13 raises ZeroDivisionError here too)");
}

/// The base lr of a schedule attached to `g`: PyTorch's
/// `group.setdefault('initial_lr', group['lr'])`.
inline double attach_base_lr(lr_group& g) {
  if (!g.initial_lr) g.initial_lr = g.lr;
  return *g.initial_lr;
}

}  // namespace detail
}  // namespace tunekit
