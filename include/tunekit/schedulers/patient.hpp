#pragma once

#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <variant>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../detail/format.hpp"
#include "detail/common.hpp"

namespace tunekit {

/// Options of `patient_scheduler` (Optuna's PatientPruner).
struct patient_scheduler_options {
  /// Steps without improvement tolerated (>= 0).
  std::int64_t patience = 0;
  /// How much better than the best before the patience window a value must
  /// be to count as an improvement (>= 0).
  double min_delta = 0.0;
};

/// Tolerates a trial that stopped improving for `patience` steps, then asks
/// the wrapped scheduler (or, without one, stops it).
///
/// With the trial's reports sorted by step, let `before` be all but the last
/// `patience + 1` of them and `after` those last ones. The trial has
/// stagnated when (minimising) `min(before) + min_delta < min(after)`, or
/// (maximising) `max(before) - min_delta > max(after)`, NaNs ignored; with
/// `patience + 1` reports or fewer it has not. A stagnated trial is then
/// judged by `Inner` (`patient_scheduler<median_scheduler>`), or stopped
/// when `Inner` is void (`patient_scheduler<>`). A trial that has not
/// stagnated is never stopped, whatever `Inner` says, and `Inner` is not
/// asked.
///
/// Cost: O(patience) per decision when reports arrive in step order (a
/// prefix best is kept per running trial), O(steps of the trial) after a
/// report out of order.
template <class Inner = void>
class patient_scheduler {
  static_assert(std::is_void_v<Inner> || scheduler<Inner>,
                "tunekit::patient_scheduler<Inner>: Inner must satisfy tunekit::scheduler (or be void)");
  using inner_type = std::conditional_t<std::is_void_v<Inner>, std::monostate, Inner>;

 public:
  explicit patient_scheduler(patient_scheduler_options options = {})
    requires std::is_void_v<Inner>
      : options_(check(options)) {}
  explicit patient_scheduler(inner_type inner, patient_scheduler_options options = {})
    requires(!std::is_void_v<Inner>)
      : options_(check(options)), inner_(std::move(inner)) {}

  bool should_prune(const study_view& view, const frozen_trial& t) {
    // Forget the prefixes of trials that have finished.
    cursor_.sync(view, [&] { prefixes_.clear(); }, [&](const frozen_trial& done) { prefixes_.erase(done.id); });
    if (!stagnated(view.single_direction(), t)) return false;
    if constexpr (std::is_void_v<Inner>) return true;
    else return inner_.should_prune(view, t);
  }

  /// Forwards the wrapped scheduler's sampler view (e.g. Hyperband's brackets).
  study_view sampler_view(const study_view& view, const frozen_trial& t)
    requires(!std::is_void_v<Inner> && requires(inner_type& s) {
      { s.sampler_view(view, t) } -> std::same_as<study_view>;
    })
  {
    return inner_.sampler_view(view, t);
  }

  const patient_scheduler_options& options() const noexcept { return options_; }
  /// The wrapped scheduler.
  inner_type& inner() noexcept { return inner_; }

 private:
  static patient_scheduler_options check(patient_scheduler_options o) {
    detail::require_at_least("patient_scheduler", "patience", o.patience, 0);
    detail::require_finite_at_least("patient_scheduler", "min_delta", o.min_delta, 0.0);
    return o;
  }

  struct prefix {
    std::vector<std::pair<std::int64_t, double>> values;  // by step
    std::vector<double> best;                             // best[i]: best of values[0..i], NaNs ignored
  };

  bool stagnated(direction dir, const frozen_trial& t) {
    const auto& iv = t.intermediate_values;
    const auto window = static_cast<std::size_t>(options_.patience) + 1;
    if (iv.size() <= window) return false;
    auto fold = [dir](double best, double v) {
      if (std::isnan(v)) return best;
      if (std::isnan(best)) return v;
      return better(dir, v, best) ? v : best;
    };
    // Reported values never change (`trial::report` ignores a repeated
    // step), so a trial that appended a later step only extends its prefix.
    prefix& p = prefixes_[t.id];
    if (p.values.size() + 1 == iv.size() && (p.values.empty() || iv.rbegin()->first > p.values.back().first)) {
      const auto& [step, v] = *iv.rbegin();
      p.values.emplace_back(step, v);
      p.best.push_back(fold(p.best.empty() ? std::nan("") : p.best.back(), v));
    } else if (p.values.size() != iv.size()) {  // first call, or a report out of order
      p.values.assign(iv.begin(), iv.end());
      p.best.clear();
      double b = std::nan("");
      for (const auto& [step, v] : p.values) p.best.push_back(b = fold(b, v));
    }
    // The window's best in O(patience); the rest comes from the prefix.
    const double before = p.best[p.values.size() - window - 1];
    double after = std::nan("");
    for (std::size_t i = p.values.size() - window; i < p.values.size(); ++i) after = fold(after, p.values[i].second);
    if (dir == direction::minimize) return before + options_.min_delta < after;
    return before - options_.min_delta > after;
  }

  patient_scheduler_options options_;
  [[no_unique_address]] inner_type inner_;
  std::unordered_map<std::int64_t, prefix> prefixes_;  // running trials, by id
  detail::finished_cursor cursor_;
};

/// `patient_scheduler{median_scheduler{}, {.patience = 3}}` deduces the wrapped type.
template <class Inner>
patient_scheduler(Inner, patient_scheduler_options = {}) -> patient_scheduler<Inner>;
patient_scheduler(patient_scheduler_options)->patient_scheduler<void>;
patient_scheduler()->patient_scheduler<void>;

static_assert(scheduler<patient_scheduler<>>);

}  // namespace tunekit
