#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../core/errors.hpp"
#include "../core/trial.hpp"
#include "../detail/format.hpp"
#include "any.hpp"
#include "chained.hpp"
#include "constant.hpp"
#include "cosine_annealing.hpp"
#include "cosine_annealing_warm_restarts.hpp"
#include "cyclic.hpp"
#include "exponential.hpp"
#include "linear.hpp"
#include "multi_step.hpp"
#include "one_cycle.hpp"
#include "polynomial.hpp"
#include "sequential.hpp"
#include "step.hpp"

namespace tunekit {

/// The schedule kinds `suggest_lr_schedule` can choose from, by the names it
/// records in the trial.
inline const std::vector<std::string>& lr_schedule_kinds() {
  static const std::vector<std::string> kinds = {
      "none",   "constant", "step",   "multi_step", "exponential", "cosine", "cosine_warm_restarts",
      "linear", "polynomial", "one_cycle", "cyclic", "warmup_cosine"};
  return kinds;
}

/// What `suggest_lr_schedule` may choose.
struct lr_schedule_space {
  /// Steps the schedule will run (epochs, or batches for per-batch use):
  /// periods, decay horizons and warm-ups are chosen relative to it. >= 4.
  std::int64_t horizon = 0;
  /// The kinds to choose among (see `lr_schedule_kinds()`); empty: all.
  std::vector<std::string> kinds = {};
  /// Parameter names are `<prefix>` (the kind) and `<prefix>.<kind>.<name>`.
  std::string prefix = "lr_schedule";
  /// Whether one_cycle and cyclic cycle the momentum (only useful when the
  /// optimizer has one).
  bool cycle_momentum = false;
};

namespace detail {

inline std::int64_t fraction_of(std::int64_t horizon, double fraction, std::int64_t low = 1) {
  return std::max<std::int64_t>(low, std::llround(fraction * static_cast<double>(horizon)));
}

}  // namespace detail

/// A tunable learning-rate schedule: suggests the kind from `space.kinds`
/// and then only that kind's parameters (conditional parameters, define-by-
/// run), and returns the policy, ready for `scheduled_lr{lr, policy}`.
/// `lr` is the base (peak) learning rate, often itself a suggested
/// parameter; one_cycle peaks at it and cyclic tops out at it.
///
/// \code
/// const double lr = t.suggest_float("lr", 1e-4, 1.0, {.log = true});
/// tunekit::scheduled_lr schedule{lr, tunekit::suggest_lr_schedule(t, lr, {.horizon = epochs})};
/// \endcode
///
/// Kinds and the parameters each adds (names below are after `<prefix>.<kind>.`):
///   none (the lr stays put), constant (factor, warm fraction), step (step_size,
///   gamma), multi_step (first, count, gamma), exponential (final_factor: the
///   lr's factor after `horizon` steps), cosine (eta_min_factor), cosine_warm_restarts
///   (t_0, t_mult, eta_min_factor), linear (start_factor, end_factor, fraction),
///   polynomial (power), one_cycle (pct_start, anneal, div_factor,
///   final_div_factor, three_phase), cyclic (base_ratio, up_fraction, mode,
///   final_factor for exp_range), warmup_cosine (warmup_fraction,
///   start_factor, eta_min_factor: linear warm-up then cosine annealing).
/// (A template only so that the schedules it can build are instantiated where it is called.)
template <class = void>
inline any_chainable_lr suggest_lr_schedule(trial& t, double lr, const lr_schedule_space& space) {
  const std::int64_t h = space.horizon;
  // Below 4 steps one_cycle's phases cannot all be non-empty.
  if (h < 4)
    throw invalid_argument("suggest_lr_schedule: option 'horizon' = " + std::to_string(h) +
                           " is not allowed; it must be >= 4 (the steps the schedule will run)");
  if (!std::isfinite(lr) || !(lr > 0))
    throw invalid_argument("suggest_lr_schedule: option 'lr' = " + detail::format_number(lr) +
                           " is not allowed; it must be finite and > 0");
  std::vector<std::string> kinds = space.kinds.empty() ? lr_schedule_kinds() : space.kinds;
  for (const auto& k : kinds)
    if (std::find(lr_schedule_kinds().begin(), lr_schedule_kinds().end(), k) == lr_schedule_kinds().end())
      throw invalid_argument("suggest_lr_schedule: option 'kinds' has " + detail::quoted(k) +
                             ", which is not a schedule kind (see tunekit::lr_schedule_kinds())");
  const std::string kind = t.suggest_categorical(space.prefix, kinds);
  const std::string p = space.prefix + "." + kind + ".";
  const auto hd = static_cast<double>(h);
  auto eta_min = [&](std::string_view name) { return lr * t.suggest_float(p + std::string(name), 1e-4, 0.1, {.log = true}); };

  if (kind == "none") return constant_lr{{.factor = 1.0, .total_iters = 0}};
  if (kind == "constant")
    return constant_lr{{.factor = t.suggest_float(p + "factor", 0.05, 1.0, {.log = true}),
                        .total_iters = detail::fraction_of(h, t.suggest_float(p + "fraction", 0.01, 0.3))}};
  if (kind == "step")
    return step_lr{{.step_size = t.suggest_int(p + "step_size", 1, h, {.log = true}),
                    .gamma = t.suggest_float(p + "gamma", 0.05, 0.9, {.log = true})}};
  if (kind == "multi_step") {
    const double first = t.suggest_float(p + "first", 0.2, 0.9);
    const std::int64_t count = t.suggest_int(p + "count", 1, 3);
    std::vector<std::int64_t> milestones;
    for (std::int64_t k = 0; k < count; ++k)
      milestones.push_back(detail::fraction_of(
          h, first + (1 - first) * static_cast<double>(k) / static_cast<double>(count)));
    return multi_step_lr{{.milestones = std::move(milestones),
                          .gamma = t.suggest_float(p + "gamma", 0.05, 0.9, {.log = true})}};
  }
  if (kind == "exponential")
    return exponential_lr{{.gamma = std::pow(t.suggest_float(p + "final_factor", 1e-3, 1.0, {.log = true}), 1.0 / hd)}};
  if (kind == "cosine") return cosine_annealing_lr{{.t_max = h, .eta_min = eta_min("eta_min_factor")}};
  if (kind == "cosine_warm_restarts")
    return cosine_annealing_warm_restarts_lr{{.t_0 = t.suggest_int(p + "t_0", 1, h, {.log = true}),
                                              .t_mult = t.suggest_int(p + "t_mult", 1, 3),
                                              .eta_min = eta_min("eta_min_factor")}};
  if (kind == "linear")
    return linear_lr{{.start_factor = t.suggest_float(p + "start_factor", 0.01, 1.0, {.log = true}),
                      .end_factor = t.suggest_float(p + "end_factor", 0.0, 1.0),
                      .total_iters = detail::fraction_of(h, t.suggest_float(p + "fraction", 0.05, 1.0))}};
  if (kind == "polynomial") return polynomial_lr{{.total_iters = h, .power = t.suggest_float(p + "power", 0.5, 3.0)}};
  if (kind == "one_cycle") {
    // pct_start * h = 1 would leave the first phase empty: it lasts at least 2 steps.
    const double low = std::min(0.5, std::max(0.05, 2.0 / hd));
    return one_cycle_lr{{.max_lr = lr,
                         .total_steps = h,
                         .pct_start = t.suggest_float(p + "pct_start", low, 0.5),
                         .anneal = t.suggest_categorical(p + "anneal", {std::string("cos"), std::string("linear")}) == "cos"
                                       ? anneal_strategy::cos
                                       : anneal_strategy::linear,
                         .cycle_momentum = space.cycle_momentum,
                         .div_factor = t.suggest_float(p + "div_factor", 5.0, 100.0, {.log = true}),
                         .final_div_factor = t.suggest_float(p + "final_div_factor", 10.0, 1e5, {.log = true}),
                         .three_phase = t.suggest_categorical(p + "three_phase", {false, true})}};
  }
  if (kind == "cyclic") {
    const double ratio = t.suggest_float(p + "base_ratio", 2.0, 100.0, {.log = true});
    const std::int64_t up = detail::fraction_of(h, t.suggest_float(p + "up_fraction", 0.02, 0.5));
    const std::string mode =
        t.suggest_categorical(p + "mode", {std::string("triangular"), std::string("triangular2"), std::string("exp_range")});
    cyclic_lr_options o{.base_lr = lr / ratio, .max_lr = lr, .step_size_up = up, .cycle_momentum = space.cycle_momentum};
    if (mode == "triangular2") o.mode = cyclic_mode::triangular2;
    if (mode == "exp_range") {
      o.mode = cyclic_mode::exp_range;
      o.gamma = std::pow(t.suggest_float(p + "final_factor", 1e-2, 1.0, {.log = true}), 1.0 / hd);
    }
    return cyclic_lr{std::move(o)};
  }
  // warmup_cosine: PyTorch's recipe SequentialLR([LinearLR, CosineAnnealingLR], [w]).
  const std::int64_t w = std::min(h - 1, detail::fraction_of(h, t.suggest_float(p + "warmup_fraction", 0.01, 0.3)));
  return sequential_lr{{linear_lr{{.start_factor = t.suggest_float(p + "start_factor", 0.01, 0.5, {.log = true}),
                                   .end_factor = 1.0,
                                   .total_iters = w}},
                        cosine_annealing_lr{{.t_max = h - w, .eta_min = eta_min("eta_min_factor")}}},
                       {w}};
}

}  // namespace tunekit
