#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <string>

#include "group.hpp"

namespace tunekit {

/// How `one_cycle_lr` moves between two values within a phase.
enum class anneal_strategy { cos, linear };

/// Options of `one_cycle_lr` (PyTorch's OneCycleLR).
struct one_cycle_lr_options {
  /// Peak lr; no default (PyTorch requires it). The optimizer's lr is ignored.
  double max_lr = std::numeric_limits<double>::quiet_NaN();
  /// Steps in the cycle; or leave it unset and give `epochs` and `steps_per_epoch`.
  std::optional<std::int64_t> total_steps = std::nullopt;
  std::optional<std::int64_t> epochs = std::nullopt;
  std::optional<std::int64_t> steps_per_epoch = std::nullopt;
  /// Fraction of the cycle spent increasing the lr; in [0, 1].
  double pct_start = 0.3;
  anneal_strategy anneal = anneal_strategy::cos;
  /// Cycle the group's momentum inversely to the lr, between these two.
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  /// Initial lr = max_lr / div_factor; final lr = initial lr / final_div_factor.
  double div_factor = 25.;
  double final_div_factor = 1e4;
  /// Three phases (up, down to the initial lr, then down to the final lr) as
  /// in Smith's paper, instead of fastai's two.
  bool three_phase = false;
};

/// The 1cycle policy (Smith & Topin 2019, "Super-Convergence"): up from
/// max_lr / div_factor to max_lr over pct_start of the steps, then down to
/// the final lr, with momentum cycled the other way. PyTorch's OneCycleLR:
/// the step after `total_steps` still extrapolates the last phase, the one
/// after that throws `state_error` (PyTorch raises ValueError).
class one_cycle_lr {
 public:
  explicit one_cycle_lr(one_cycle_lr_options options = {}) : o_(options) {
    constexpr const char* name = "one_cycle_lr";
    if (o_.total_steps) {
      detail::require_at_least(name, "total_steps", *o_.total_steps, 1);
      total_ = *o_.total_steps;
    } else if (!o_.epochs && !o_.steps_per_epoch) {
      throw invalid_argument(std::string(name) + ": options 'total_steps' or ('epochs' and 'steps_per_epoch') must be set");
    } else {
      if (!o_.epochs) throw invalid_argument(std::string(name) + ": option 'epochs' must be set with 'steps_per_epoch'");
      if (!o_.steps_per_epoch)
        throw invalid_argument(std::string(name) + ": option 'steps_per_epoch' must be set with 'epochs'");
      detail::require_at_least(name, "epochs", *o_.epochs, 1);
      detail::require_at_least(name, "steps_per_epoch", *o_.steps_per_epoch, 1);
      if (*o_.epochs > std::numeric_limits<std::int64_t>::max() / *o_.steps_per_epoch)
        detail::bad_lr_option(name, "epochs", std::to_string(*o_.epochs), "epochs * steps_per_epoch overflows");
      total_ = *o_.epochs * *o_.steps_per_epoch;
    }
    detail::require_in(name, "pct_start", o_.pct_start, 0, 1);
    if (o_.anneal != anneal_strategy::cos && o_.anneal != anneal_strategy::linear)
      detail::bad_lr_option(name, "anneal", std::to_string(static_cast<int>(o_.anneal)), "use cos or linear");
    detail::require_finite(name, "max_lr", o_.max_lr);
    detail::require_finite(name, "div_factor", o_.div_factor);
    detail::require_finite(name, "final_div_factor", o_.final_div_factor);
    detail::require_finite(name, "base_momentum", o_.base_momentum);
    detail::require_finite(name, "max_momentum", o_.max_momentum);
    const auto total = static_cast<double>(total_);
    const double up_end = o_.pct_start * total - 1;
    if (up_end == 0)
      detail::bad_lr_option(name, "pct_start", detail::format_number(o_.pct_start),
                            "pct_start * total_steps = 1 makes the first phase empty "
                            "(PyTorch 1.13 raises ZeroDivisionError at construction)");
    if (o_.three_phase) {
      phases_ = {{{up_end, key::initial_lr, key::max_lr, key::max_m, key::base_m},
                  {2 * o_.pct_start * total - 2, key::max_lr, key::initial_lr, key::base_m, key::max_m},
                  {total - 1, key::initial_lr, key::min_lr, key::max_m, key::max_m}}};
      n_phases_ = 3;
    } else {
      phases_ = {{{up_end, key::initial_lr, key::max_lr, key::max_m, key::base_m},
                  {total - 1, key::max_lr, key::min_lr, key::base_m, key::max_m}}};
      n_phases_ = 2;
    }
  }

  void attach(lr_group& g) {
    g.initial_lr = o_.max_lr / o_.div_factor;
    g.max_lr = o_.max_lr;
    g.min_lr = *g.initial_lr / o_.final_div_factor;
    if (o_.cycle_momentum) {
      g.momentum = o_.max_momentum;
      g.max_momentum = o_.max_momentum;
      g.base_momentum = o_.base_momentum;
    }
    base_lr_ = *g.initial_lr;
    last_epoch_ = -1;
    step(g);
  }

  void step(lr_group& g) {
    apply(g, last_epoch_ + 1);
    ++last_epoch_;
  }
  void restart(lr_group& g) {
    apply(g, 0);
    last_epoch_ = 0;
  }
  void rewind() noexcept { --last_epoch_; }
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  std::int64_t total_steps() const noexcept { return total_; }
  const one_cycle_lr_options& options() const noexcept { return o_; }

 private:
  enum class key { initial_lr, max_lr, min_lr, max_m, base_m };
  struct phase {
    double end_step;
    key start_lr, end_lr, start_momentum, end_momentum;
  };

  // Reads a key from the group, as PyTorch does (so a later one_cycle_lr on
  // the same group changes what an earlier one reads, as in PyTorch).
  static double read(const lr_group& g, key k) {
    std::optional<double> v;
    switch (k) {
      case key::initial_lr: v = g.initial_lr; break;
      case key::max_lr: v = g.max_lr; break;
      case key::min_lr: v = g.min_lr; break;
      case key::max_m: v = g.max_momentum; break;
      case key::base_m: v = g.base_momentum; break;
    }
    if (!v) throw state_error("one_cycle_lr: the parameter group lost a key one_cycle_lr set when attached");
    return *v;
  }

  double anneal(double start, double end, double pct) const {
    if (o_.anneal == anneal_strategy::cos) {
      const double cos_out = std::cos(std::numbers::pi * pct) + 1;
      return end + (start - end) / 2.0 * cos_out;
    }
    return (end - start) * pct + start;
  }

  void apply(lr_group& g, std::int64_t step_num) const {
    if (step_num > total_)
      throw state_error("one_cycle_lr: tried to step " + std::to_string(step_num + 1) +
                        " times; the cycle has total_steps = " + std::to_string(total_));
    double start_step = 0;
    for (std::size_t i = 0; i < n_phases_; ++i) {
      const phase& p = phases_[i];
      if (static_cast<double>(step_num) <= p.end_step || i + 1 == n_phases_) {
        const double span = p.end_step - start_step;
        if (span == 0) detail::lr_division_by_zero("one_cycle_lr", "a phase of length 0");
        const double pct = (static_cast<double>(step_num) - start_step) / span;
        const double lr = anneal(read(g, p.start_lr), read(g, p.end_lr), pct);
        if (o_.cycle_momentum) g.momentum = anneal(read(g, p.start_momentum), read(g, p.end_momentum), pct);
        g.lr = lr;
        return;
      }
      start_step = p.end_step;
    }
  }

  one_cycle_lr_options o_;
  std::int64_t total_ = 0;
  std::array<phase, 3> phases_{};
  std::size_t n_phases_ = 0;
  double base_lr_ = 0;
  std::int64_t last_epoch_ = -1;
};

}  // namespace tunekit
