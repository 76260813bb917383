#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../detail/rank_correlation.hpp"
#include "detail/common.hpp"
#include "detail/rank_tracker.hpp"

namespace tunekit {

/// Options of `successive_halving_scheduler` (Optuna's SuccessiveHalvingPruner).
struct successive_halving_scheduler_options {
  /// The step of the first rung is min_resource * reduction_factor^min_early_stopping_rate.
  /// Unset ("auto"): once a trial has completed, max(last step / 100, 1) over
  /// the COMPLETE trials, then fixed; no trial is stopped before that.
  std::optional<std::int64_t> min_resource = std::nullopt;
  /// Only the best 1/reduction_factor of the trials at a rung go on (>= 2).
  std::int64_t reduction_factor = 4;
  /// Shifts every rung up by this many powers of reduction_factor (>= 0).
  std::int64_t min_early_stopping_rate = 0;
  /// A trial reaching a rung that fewer than bootstrap_count other trials
  /// have reached is stopped (>= 0; needs a fixed min_resource when > 0).
  std::int64_t bootstrap_count = 0;
  /// Unset (the default): Optuna's rule. Set to A in [-1, 1]: a rung stops
  /// trials only once it has shown that its values rank trials as their final
  /// values do: Spearman's ρ ≥ A between the values there and the final values
  /// of at least `min_agreement_trials` COMPLETE trials (the latest 1 000 of
  /// them when there are more). Until then, and
  /// whenever ρ falls below A, the rung stops no one, so the first trials
  /// train to the end and tell the sampler (and the check) where the curves
  /// lead; where curves cross, stopping stays off. 0.7 was chosen on seven
  /// multi-fidelity tasks (docs/schedulers.md, "Which early stopping?").
  std::optional<double> min_rank_agreement = std::nullopt;
  /// How many COMPLETE trials with a value at a rung its check needs (>= 3).
  std::int64_t min_agreement_trials = 10;
};

/// Asynchronous successive halving, ASHA (Li et al. 2020, "A System for
/// Massively Parallel Hyperparameter Tuning"), with Optuna's rules.
///
/// Rung r sits at step min_resource · η^(s + r) (η = reduction_factor,
/// s = min_early_stopping_rate). When a trial reports a step at or past its
/// next rung, its value there is recorded in that rung, and it goes on only
/// if that value is among the best ⌊n/η⌋ of the n values recorded in the
/// rung so far (itself included; among the best one while n < η, which
/// promotes early trials that lead their rung instead of suspending them, as
/// Optuna does). A trial may pass several rungs in one decision. A NaN value
/// at a rung stops the trial; infinities rank as numbers.
///
/// Trials are never suspended, so decisions need no synchronisation
/// between workers. Rung values come from the decisions this object made;
/// a trial it never judged (another process's, running or finished, or one
/// of an earlier run of a loaded study) is added to every rung up to its
/// last step, with its value at the first reported step at or past the rung
/// (running ones when a decision is due, so four processes stop as one does).
///
/// Cost: O(log n) per rung passed (one insertion and a rank move of at most
/// one in a `rank_tracker`), O(new trials) of bookkeeping per decision, and
/// a read of the running trials when a trial reaches a rung.
/// Single-objective studies only.
class successive_halving_scheduler {
 public:
  explicit successive_halving_scheduler(successive_halving_scheduler_options options = {})
      : successive_halving_scheduler(options, "successive_halving_scheduler") {}

  bool should_prune(const study_view& view, const frozen_trial& t) {
    const direction dir = view.single_direction();
    sync(view, dir);
    if (t.intermediate_values.empty()) return false;
    if (!min_resource_) return false;
    const auto& [step, value] = *t.intermediate_values.rbegin();
    std::int64_t& rung = rung_of_[t.id];
    if (step < rung_step(rung)) return false;
    sync_running(view, t.id, dir);  // only where a decision is due: it reads every running trial
    const auto seen = seen_running_.find(t.id);
    for (;; ++rung) {
      if (step < rung_step(rung)) return false;
      if (std::isnan(value)) return true;
      rung_stats& r = rung_at(rung);
      // A rung may already hold the trial's value, recorded while another trial was judged.
      const bool recorded = seen != seen_running_.end() && static_cast<std::size_t>(rung) < seen->second.size();
      const double x = recorded ? seen->second[static_cast<std::size_t>(rung)] : sign(dir) * value;
      if (!recorded) r.insert(x, options_.reduction_factor);
      // `rung + 1`: the trial has now completed this rung, even if it stops here.
      if (static_cast<std::int64_t>(r.size()) <= options_.bootstrap_count) {
        ++rung;
        return true;
      }
      if (!(x <= r.kth()) && may_stop_at(rung)) {
        ++rung;
        return true;
      }
    }
  }

  /// The step of rung `r` (saturates at the largest int64); unset while an
  /// automatic min_resource is not known yet.
  std::optional<std::int64_t> rung_step_of(std::int64_t r) const {
    if (!min_resource_) return std::nullopt;
    return rung_step(r);
  }
  /// How many values rung `r` holds.
  std::size_t rung_size(std::int64_t r) const {
    return r >= 0 && static_cast<std::size_t>(r) < rungs_.size() ? rungs_[static_cast<std::size_t>(r)].size() : 0;
  }
  const successive_halving_scheduler_options& options() const noexcept { return options_; }

 protected:
  successive_halving_scheduler(successive_halving_scheduler_options options, const char* who) : options_(options) {
    if (options.min_resource) detail::require_at_least(who, "min_resource", *options.min_resource, 1);
    detail::require_at_least(who, "reduction_factor", options.reduction_factor, 2);
    detail::require_at_least(who, "min_early_stopping_rate", options.min_early_stopping_rate, 0);
    detail::require_at_least(who, "bootstrap_count", options.bootstrap_count, 0);
    detail::require_at_least(who, "min_agreement_trials", options.min_agreement_trials, 3);
    if (options.min_rank_agreement && !(*options.min_rank_agreement >= -1.0 && *options.min_rank_agreement <= 1.0))
      throw invalid_argument(std::string(who) + ": min_rank_agreement = " + std::to_string(*options.min_rank_agreement) +
                             " is not allowed; it must be in [-1, 1], or unset for Optuna's rule");
    if (options.bootstrap_count > 0 && !options.min_resource)
      throw invalid_argument(std::string(who) + ": bootstrap_count = " + std::to_string(options.bootstrap_count) +
                             " needs a fixed min_resource (automatic min_resource allows only bootstrap_count = 0)");
    min_resource_ = options.min_resource;
  }

 private:
  /// Values recorded at one rung, signed so that smaller is better.
  class rung_stats {
   public:
    void insert(double x, std::int64_t eta) {
      values_.insert(x);
      const std::size_t n = values_.size();
      const std::size_t k = n / static_cast<std::size_t>(eta);
      values_.set_rank(k == 0 ? 1 : k);
    }
    std::size_t size() const noexcept { return values_.size(); }
    double kth() const { return values_.kth(); }

   private:
    detail::rank_tracker values_;
  };

  static double sign(direction d) noexcept { return d == direction::maximize ? -1.0 : 1.0; }

  std::int64_t rung_step(std::int64_t rung) const {
    std::int64_t s = *min_resource_;
    const std::int64_t limit = std::numeric_limits<std::int64_t>::max();
    for (std::int64_t k = 0; k < options_.min_early_stopping_rate + rung; ++k) {
      if (s > limit / options_.reduction_factor) return limit;
      s *= options_.reduction_factor;
    }
    return s;
  }

  /// Whether rung `r` may stop trials: always under Optuna's rule; with
  /// min_rank_agreement, once its values rank enough COMPLETE trials (the
  /// latest `agreement_window` of them) as their final values do. Their pairs
  /// are folded in as they arrive, and ρ is recomputed only after new ones:
  /// O(w log w) per check after new COMPLETE trials, w ≤ agreement_window.
  bool may_stop_at(std::int64_t r) {
    if (!options_.min_rank_agreement) return true;
    if (static_cast<std::size_t>(r) >= agreement_.size()) agreement_.resize(static_cast<std::size_t>(r) + 1);
    rung_pairs& a = agreement_[static_cast<std::size_t>(r)];
    const std::int64_t step = rung_step(r);
    bool changed = false;
    for (; a.read < completed_.size(); ++a.read) {
      const frozen_trial& t = *completed_[a.read];
      if (t.values.size() != 1 || !std::isfinite(t.values[0])) continue;
      auto at = t.intermediate_values.lower_bound(step);
      // A rung at or past the trial's last report says nothing the final value does not.
      if (at == t.intermediate_values.end() || std::next(at) == t.intermediate_values.end() || !std::isfinite(at->second))
        continue;
      a.early.push_back(at->second);
      a.final.push_back(t.values[0]);
      changed = true;
    }
    if (changed) {
      // The latest `agreement_window` pairs: plenty for ρ, and a bounded cost per check.
      if (a.early.size() > 2 * agreement_window) {
        a.early.erase(a.early.begin(), a.early.end() - agreement_window);
        a.final.erase(a.final.begin(), a.final.end() - agreement_window);
      }
      const auto from = static_cast<std::ptrdiff_t>(a.early.size() - std::min(a.early.size(), agreement_window));
      a.rho = detail::spearman(std::vector<double>(a.early.begin() + from, a.early.end()),
                               std::vector<double>(a.final.begin() + from, a.final.end()));
    }
    return static_cast<std::int64_t>(a.early.size()) >= options_.min_agreement_trials && a.rho >= *options_.min_rank_agreement;
  }

  rung_stats& rung_at(std::int64_t r) {
    if (static_cast<std::size_t>(r) >= rungs_.size()) rungs_.resize(static_cast<std::size_t>(r) + 1);
    return rungs_[static_cast<std::size_t>(r)];
  }

  void sync(const study_view& view, direction dir) {
    const auto& finished = view.finished();
    if (finished.size() < read_ || view.name() != study_) {
      rungs_.clear();
      rung_of_.clear();
      seen_running_.clear();
      foreign_.clear();
      completed_.clear();
      agreement_.clear();
      max_complete_step_.reset();
      min_resource_ = options_.min_resource;
      read_ = 0;
      study_ = view.name();
    }
    for (; read_ < finished.size(); ++read_) {
      const frozen_trial& t = finished[read_];
      if (t.state == trial_state::complete && !t.intermediate_values.empty())
        max_complete_step_ = std::max(max_complete_step_.value_or(t.intermediate_values.rbegin()->first),
                                      t.intermediate_values.rbegin()->first);
      // A trial we judged keeps the rungs of our decisions; one recorded while
      // running (another worker's) adds the rungs it reached since.
      const bool judged = rung_of_.erase(t.id) > 0;
      const auto seen = seen_running_.find(t.id);
      const std::size_t recorded = seen == seen_running_.end() ? 0 : seen->second.size();
      if (seen != seen_running_.end()) seen_running_.erase(seen);
      if (!judged) foreign_.push_back({finished.pointer(read_), recorded});
      if (options_.min_rank_agreement && t.state == trial_state::complete) completed_.push_back(finished.pointer(read_));
    }
    if (!min_resource_ && max_complete_step_) min_resource_ = std::max<std::int64_t>(*max_complete_step_ / 100, 1);
    if (!min_resource_) return;
    // Trials finished without our decisions join the rungs they reached.
    for (const auto& [p, from] : foreign_) {
      const auto& iv = p->intermediate_values;
      for (auto rung = static_cast<std::int64_t>(from);; ++rung) {
        auto at = iv.lower_bound(rung_step(rung));
        if (at == iv.end() || std::isnan(at->second)) break;
        rung_at(rung).insert(sign(dir) * at->second, options_.reduction_factor);
      }
    }
    foreign_.clear();
  }

  /// Running trials that reached rungs without our decisions (other
  /// processes' trials, or another thread's between its report and its
  /// decision) join those rungs now, with their value at the first reported
  /// step at or past each, as finished ones do: a trial is compared with
  /// every trial that reached its rung, wherever that trial runs. Their values
  /// are remembered, so each enters a rung once.
  void sync_running(const study_view& view, std::int64_t self, direction dir) {
    for (const frozen_trial& r : view.running()) {
      if (r.id == self || r.intermediate_values.empty()) continue;
      const auto judged = rung_of_.find(r.id);
      auto seen = seen_running_.find(r.id);
      const auto decided = static_cast<std::size_t>(judged == rung_of_.end() ? 0 : judged->second);
      std::size_t rung = std::max(decided, seen == seen_running_.end() ? 0 : seen->second.size());
      for (;; ++rung) {
        auto at = r.intermediate_values.lower_bound(rung_step(static_cast<std::int64_t>(rung)));
        if (at == r.intermediate_values.end() || std::isnan(at->second)) break;
        if (seen == seen_running_.end()) seen = seen_running_.emplace(r.id, std::vector<double>{}).first;
        // Rungs below `decided` hold the values of our decisions; their slots stay unused.
        seen->second.resize(rung, std::numeric_limits<double>::quiet_NaN());
        seen->second.push_back(sign(dir) * at->second);
        rung_at(static_cast<std::int64_t>(rung)).insert(seen->second.back(), options_.reduction_factor);
      }
    }
  }

  successive_halving_scheduler_options options_;
  std::optional<std::int64_t> min_resource_;
  std::vector<rung_stats> rungs_;
  std::unordered_map<std::int64_t, std::int64_t> rung_of_;  // running trials we judged: rungs completed
  /// Running trials recorded by sync_running: their signed value at each rung reached.
  std::unordered_map<std::int64_t, std::vector<double>> seen_running_;
  /// Finished trials to add to the rungs, from the first rung they are not in yet.
  std::vector<std::pair<std::shared_ptr<const frozen_trial>, std::size_t>> foreign_;
  /// With min_rank_agreement: the COMPLETE trials, and per rung their (value there, final value) pairs.
  struct rung_pairs {
    std::size_t read = 0;
    std::vector<double> early, final;
    double rho = 0.0;
  };
  static constexpr std::size_t agreement_window = 1000;
  std::vector<std::shared_ptr<const frozen_trial>> completed_;
  std::vector<rung_pairs> agreement_;
  std::optional<std::int64_t> max_complete_step_;
  std::string study_;
  std::size_t read_ = 0;
};

/// The name Ray Tune and the literature use.
using asha_scheduler = successive_halving_scheduler;

static_assert(scheduler<successive_halving_scheduler>);

}  // namespace tunekit
