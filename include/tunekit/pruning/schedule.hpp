#pragma once

#include "detail/requires_target.hpp"

/// Sparsity schedules: how sparse the model should be at each training step,
/// and at which steps the mask is recomputed.
///
/// Every schedule satisfies `sparsity_schedule`: `target_sparsity(step)` is
/// the fraction of all entries that should be pruned after the update at
/// `step`, and `is_update_step(step)` says whether to prune at `step`. Turn a
/// target into an amount on top of the current mask with `amount_to_reach`.

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>

#include "../core/errors.hpp"
#include "mask.hpp"

namespace tunekit {

/// A sparsity schedule: a target sparsity in [0, 1] per step, and the steps
/// at which to prune towards it.
template <class S>
concept sparsity_schedule = requires(const S& s, std::int64_t step) {
  { s.target_sparsity(step) } -> std::convertible_to<double>;
  { s.is_update_step(step) } -> std::convertible_to<bool>;
};

namespace detail {
inline void check_sparsity(double s, const char* what) {
  if (!(s >= 0.0 && s <= 1.0))
    throw invalid_argument(std::string("'") + what + "' must be in [0, 1], got " + std::to_string(s));
}
}  // namespace detail

/// Prune once, at `step`, to `sparsity` (then fine-tune with the mask fixed).
struct one_shot_schedule {
  double sparsity = 0.0;
  std::int64_t step = 0;

  [[nodiscard]] double target_sparsity(std::int64_t t) const {
    detail::check_sparsity(sparsity, "sparsity");
    return t >= step ? sparsity : 0.0;
  }
  [[nodiscard]] bool is_update_step(std::int64_t t) const { return t == step; }
};

/// Hold `sparsity` from `begin_step` to `end_step` (< 0: forever),
/// re-pruning every `frequency` steps (after regrowth or when the mask is
/// recomputed from fresh weights).
struct constant_schedule {
  double sparsity = 0.0;
  std::int64_t begin_step = 0;
  std::int64_t end_step = -1;
  std::int64_t frequency = 1;

  [[nodiscard]] double target_sparsity(std::int64_t t) const {
    check();
    return t >= begin_step ? sparsity : 0.0;
  }
  [[nodiscard]] bool is_update_step(std::int64_t t) const {
    check();
    if (t < begin_step || (end_step >= 0 && t > end_step)) return false;
    return (t - begin_step) % frequency == 0;
  }

 private:
  void check() const {
    detail::check_sparsity(sparsity, "sparsity");
    if (frequency < 1) throw invalid_argument("'frequency' must be >= 1, got " + std::to_string(frequency));
    if (end_step >= 0 && end_step < begin_step)
      throw invalid_argument("'end_step' (" + std::to_string(end_step) + ") is before 'begin_step' (" +
                             std::to_string(begin_step) + ")");
  }
};

/// Automated gradual pruning (Zhu & Gupta 2017, "To prune, or not to prune"):
/// s_t = s_f + (s_i - s_f) (1 - (t - t_0) / (t_end - t_0))^exponent, updated
/// every `frequency` steps from `begin_step` (t_0) to `end_step`, where it
/// reaches `final_sparsity` and stays. Pruning fast while redundancy is high
/// and slowly near the end gives the network time to recover.
struct polynomial_schedule {
  double initial_sparsity = 0.0;
  double final_sparsity = 0.0;
  std::int64_t begin_step = 0;
  std::int64_t end_step = 0;
  std::int64_t frequency = 100;
  double exponent = 3.0;

  [[nodiscard]] double target_sparsity(std::int64_t t) const {
    check();
    if (t < begin_step) return 0.0;
    if (t >= end_step) return final_sparsity;
    // The target holds between updates: the value at the last update step.
    const std::int64_t last = begin_step + (t - begin_step) / frequency * frequency;
    const double progress = static_cast<double>(last - begin_step) / static_cast<double>(end_step - begin_step);
    return final_sparsity + (initial_sparsity - final_sparsity) * std::pow(1.0 - progress, exponent);
  }
  [[nodiscard]] bool is_update_step(std::int64_t t) const {
    check();
    if (t < begin_step || t > end_step) return false;
    return t == end_step || (t - begin_step) % frequency == 0;
  }

 private:
  void check() const {
    detail::check_sparsity(initial_sparsity, "initial_sparsity");
    detail::check_sparsity(final_sparsity, "final_sparsity");
    if (initial_sparsity > final_sparsity)
      throw invalid_argument("'initial_sparsity' (" + std::to_string(initial_sparsity) +
                             ") must not exceed 'final_sparsity' (" + std::to_string(final_sparsity) + ")");
    if (end_step <= begin_step)
      throw invalid_argument("'end_step' (" + std::to_string(end_step) + ") must be after 'begin_step' (" +
                             std::to_string(begin_step) + ")");
    if (frequency < 1) throw invalid_argument("'frequency' must be >= 1, got " + std::to_string(frequency));
    if (!(exponent > 0)) throw invalid_argument("'exponent' must be > 0, got " + std::to_string(exponent));
  }
};

static_assert(sparsity_schedule<one_shot_schedule>);
static_assert(sparsity_schedule<constant_schedule>);
static_assert(sparsity_schedule<polynomial_schedule>);

/// The amount to prune on top of a mask with `current` statistics so that
/// `target` of all entries (or channels) end up pruned: a count, since new
/// pruning counts only survivors. Zero when the target is already met.
inline prune_amount amount_to_reach(double target, const sparsity_stats& current) {
  detail::check_sparsity(target, "target");
  const auto wanted = static_cast<std::size_t>(std::nearbyint(target * static_cast<double>(current.size)));
  return count(wanted > current.pruned ? static_cast<std::int64_t>(wanted - current.pruned) : 0);
}

}  // namespace tunekit
