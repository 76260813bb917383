#pragma once

/// The study as TPE sees it (used by tpe_impl.hpp): the finished trials
/// taken in incrementally (ranking, parameter columns, constraint
/// violations), the good/bad split made from them, and the per-study caches
/// of the estimators built on them, parked per study view.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../core/concepts.hpp"
#include "../../core/distribution.hpp"
#include "../../mo/constraints.hpp"
#include "group_decomposed.hpp"
#include "intersection.hpp"
#include "constrained_split.hpp"
#include "motpe.hpp"
#include "parzen_estimator.hpp"

namespace tunekit::detail {
template <class = void>
class tpe_history {
 protected:
  using kind = detail::tpe::kind;
  static constexpr std::uint32_t no_id = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t no_split = std::numeric_limits<std::size_t>::max();

  struct dim_ref {
    std::string_view name;
    const distribution* dist;
  };

  /// A data-dependent kernel width held fixed while the number of
  /// observations stays within 1/16 of the number it was computed for, so
  /// that the normalisers of a large estimator stay cached.
  struct frozen_width {
    std::vector<double> sigma;
    std::size_t n = 0;
    bool stale(std::size_t now, std::size_t dims) const noexcept {
      return now < 64 || sigma.size() != dims || 16 * now > 17 * n || 16 * now < 15 * n;
    }
  };

  /// Per-trial normaliser cache: the kernel constant (log of 1 / (width ·
  /// mass on [0, 1])) for the width it was computed with.
  struct constant_cache {
    std::vector<double> sigma, constant;
    void fit(std::size_t n) {
      if (sigma.size() < n) {
        sigma.resize(n, std::numeric_limits<double>::quiet_NaN());
        constant.resize(n, 0.0);
      }
    }
  };

  /// One parameter (with one distribution) across the finished trials.
  struct column {
    distribution dist;
    kind k;
    std::vector<double> value;         ///< per finished trial: coordinate, NaN if absent/unusable
    std::vector<std::pair<double, std::uint32_t>> sorted;  ///< (value, trial) with a value, sorted (numeric only)
    std::size_t scanned = 0;
    constant_cache above;  ///< univariate bad-trial kernels
  };

  /// Caches of one multivariate group.
  struct group_state {
    std::vector<std::pair<std::string, distribution>> dims;
    std::vector<constant_cache> above;  ///< per dimension
    frozen_width above_width;
  };

  struct rank_entry {
    double primary, secondary;
    std::uint32_t id;
    bool operator<(const rank_entry& o) const noexcept {
      if (primary != o.primary) return primary < o.primary;
      if (secondary != o.secondary) return secondary < o.secondary;
      return id < o.id;
    }
  };

  /// Everything `sync` keeps about one study view, in one place so that a
  /// sampler shown several views in turn (Hyperband: one per bracket) parks
  /// and takes back a view's caches whole: nothing of one view can stay
  /// behind in another's.
  struct study_state {
    std::string name;
    bool single_objective = true;
    std::size_t n_objectives = 1;
    double sign = 1.0;  ///< -1 when the one objective is maximised (ranking minimises)
    std::size_t scanned = 0, n_usable = 0, split_n = no_split;
    std::vector<rank_entry> ranking;  ///< ranked trials, best first
    std::vector<std::uint8_t> in_below;
    std::vector<std::uint32_t> below_marked;
    point_set losses;                ///< multi-objective: minimised values by trial (empty: not usable)
    std::vector<double> violations;  ///< total constraint violation by trial (0: feasible or none)
    std::vector<double> mo_weight;   ///< multi-objective: kernel weight of each good trial
    std::map<std::string, std::vector<std::unique_ptr<column>>, std::less<>> columns;  ///< by name, one per distribution
    std::vector<group_state> group_states;
    detail::intersection_search_space intersection;
    detail::group_decomposed_search_space groups;
  };
  static constexpr std::size_t max_parked = 16;

  /// Makes `name`'s state the current one: parks the current view's
  /// (dropping the least recently used beyond `max_parked`) and takes back
  /// `name`'s if it was parked, else starts empty.
  void switch_study(const std::string& name) {
    const auto found = std::find_if(parked_.begin(), parked_.end(), [&](const study_state& p) { return p.name == name; });
    study_state incoming;
    if (found != parked_.end()) {
      incoming = std::move(*found);
      parked_.erase(found);
    } else {
      incoming.name = name;
    }
    if (!study_.name.empty() || study_.scanned > 0) {
      parked_.push_back(std::move(study_));
      if (parked_.size() > max_parked) parked_.erase(parked_.begin());
    }
    study_ = std::move(incoming);
  }

  /// Takes in what finished since the previous call: O(new trials · log N).
  void sync(const study_view& view) {
    const auto& finished = view.finished();
    if (view.name() != study_.name) switch_study(view.name());
    if (finished.size() < study_.scanned) {  // not the study these caches were built from
      study_ = study_state{};
      study_.name = view.name();
    }
    study_.single_objective = view.directions().size() == 1;
    study_.n_objectives = view.directions().size();
    study_.sign = study_.single_objective && view.directions()[0] == direction::maximize ? -1.0 : 1.0;
    if (study_.scanned == finished.size()) return;
    // New ranked trials are sorted among themselves and merged in: O(k log k + N)
    // for k new trials, never a full re-sort.
    const auto old_size = static_cast<std::ptrdiff_t>(study_.ranking.size());
    for (; study_.scanned < finished.size(); ++study_.scanned) {
      const frozen_trial& t = finished[study_.scanned];
      study_.in_below.push_back(0);
      study_.violations.push_back(trial_violation(t));
      if (!study_.single_objective) {  // the minimised values, for the multi-objective split
        study_.losses.emplace_back();
        if (rank_key(t)) {
          study_.losses.back() = t.values;
          for (std::size_t k = 0; k < t.values.size(); ++k)
            if (view.directions()[k] == direction::maximize) study_.losses.back()[k] = -study_.losses.back()[k];
        }
      }
      if (auto key = rank_key(t)) {
        study_.ranking.push_back({key->first, key->second, static_cast<std::uint32_t>(study_.scanned)});
        ++study_.n_usable;
      }
    }
    merge_tail(study_.ranking, static_cast<std::size_t>(old_size));
  }

  /// Optuna's ranking: COMPLETE trials by value, then PRUNED ones by their
  /// last step (later first) and value there; nothing for FAIL or NaN.
  /// Multi-objective studies: COMPLETE trials with finite values, unordered
  /// (the split is by dominance, `split_multi_objective`); nothing else.
  std::optional<std::pair<double, double>> rank_key(const frozen_trial& t) const {
    if (!study_.single_objective) {
      if (t.state != trial_state::complete || t.values.size() != study_.n_objectives) return std::nullopt;
      for (double v : t.values)
        if (!std::isfinite(v)) return std::nullopt;
      return std::pair{0.0, 0.0};
    }
    if (t.state == trial_state::complete) {
      if (t.values.size() != 1 || std::isnan(t.values[0])) return std::nullopt;
      return std::pair{-std::numeric_limits<double>::infinity(), study_.sign * t.values[0]};
    }
    if (t.state == trial_state::pruned) {
      if (t.intermediate_values.empty()) return std::pair{1.0, 0.0};
      const auto& [step, value] = *t.intermediate_values.rbegin();
      return std::pair{-static_cast<double>(step),
                       std::isnan(value) ? std::numeric_limits<double>::infinity() : study_.sign * value};
    }
    return std::nullopt;
  }

  /// Sorts the new tail [old_size, end) of a sorted vector into place: a few
  /// new entries are inserted one by one, many are sorted and merged.
  template <class T>
  static void merge_tail(std::vector<T>& v, std::size_t old_size) {
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(old_size);
    if (v.size() - old_size <= 8) {
      for (auto it = mid; it != v.end(); ++it) std::rotate(std::upper_bound(v.begin(), it, *it), it, it + 1);
      return;
    }
    std::sort(mid, v.end());
    std::inplace_merge(v.begin(), mid, v.end());
  }

  /// Marks the `g` best trials (g = gamma(usable trials), from the sampler).
  std::size_t split_at(std::size_t g) {
    for (auto id : study_.below_marked) study_.in_below[id] = 0;
    study_.below_marked.clear();
    if (!study_.single_objective) return split_multi_objective(g);
    if (constrained()) {
      split_constrained(g);
    } else {
      for (std::size_t k = 0; k < g; ++k) study_.below_marked.push_back(study_.ranking[k].id);
    }
    for (auto id : study_.below_marked) study_.in_below[id] = 1;
    std::sort(study_.below_marked.begin(), study_.below_marked.end());  // chronological
    study_.split_n = study_.scanned;
    return study_.below_marked.size();
  }

  /// True when a ranked trial of a one-objective study violates a constraint.
  bool constrained() const noexcept {
    for (const auto& r : study_.ranking)
      if (study_.violations[r.id] != 0) return true;
    return false;
  }

  /// One objective with constraints (constrained_split.hpp): the feasible
  /// trials by rank, then the least violating; no special kernel weights
  /// (Optuna 3.1's `constraints_func`).
  void split_constrained(std::size_t g) {
    std::vector<std::uint32_t> ids;  // the ranked trials, chronological
    for (const auto& r : study_.ranking) ids.push_back(r.id);
    std::sort(ids.begin(), ids.end());
    std::vector<double> violations;
    for (auto id : ids) violations.push_back(study_.violations[id]);
    std::vector<std::size_t> below;
    if (split_by_violation(violations, g, below)) {
      for (std::size_t j : below) study_.below_marked.push_back(ids[j]);
      return;
    }
    for (const auto& r : study_.ranking) {
      if (study_.below_marked.size() == g) break;
      if (!(study_.violations[r.id] > 0)) study_.below_marked.push_back(r.id);
    }
  }

  /// MOTPE's split (detail/motpe.hpp): the good trials by (constrained)
  /// non-domination rank and greedy hypervolume subset selection, and their
  /// hypervolume-contribution weights in `study_.mo_weight` (by trial).
  std::size_t split_multi_objective(std::size_t g) {
    point_set losses;
    std::vector<double> violations;
    std::vector<std::uint32_t> ids;
    bool constrained = false;
    for (std::size_t id = 0; id < study_.scanned; ++id)
      if (!study_.losses[id].empty()) {
        losses.push_back(study_.losses[id]);
        violations.push_back(study_.violations[id]);
        constrained = constrained || study_.violations[id] != 0;
        ids.push_back(static_cast<std::uint32_t>(id));
      }
    std::vector<std::size_t> below;
    std::vector<double> weights;
    motpe::split(losses, constrained ? std::span<const double>(violations) : std::span<const double>(), g, below, weights);
    study_.mo_weight.assign(study_.scanned, 0.0);
    for (std::size_t j = 0; j < below.size(); ++j) {
      const std::uint32_t id = ids[below[j]];
      study_.below_marked.push_back(id);
      study_.in_below[id] = 1;
      study_.mo_weight[id] = weights[j];
    }
    study_.split_n = study_.scanned;
    return below.size();
  }

  /// The value of a trial's parameter as a coordinate of `target`, or NaN
  /// when the trial lacks it or holds it in a way `target` cannot express.
  static double observe(const distribution& target, const frozen_trial& t, std::string_view name) {
    const auto p = t.params.find(name);
    if (p == t.params.end()) return std::numeric_limits<double>::quiet_NaN();
    const auto d = t.distributions.find(name);
    if (d == t.distributions.end() || d->second == target) return detail::tpe::coordinate(target, p->second);
    // Another distribution under the same name (e.g. a range that changed):
    // keep the observation if its user-facing value fits `target`.
    const category c = to_external(d->second, p->second);
    if (const auto* cat = std::get_if<categorical_distribution>(&target)) {
      const auto k = cat->index_of(c);
      return k >= 0 ? static_cast<double>(k) : std::numeric_limits<double>::quiet_NaN();
    }
    double x;
    if (const auto* i = std::get_if<std::int64_t>(&c)) x = static_cast<double>(*i);
    else if (const auto* f = std::get_if<double>(&c)) x = *f;
    else return std::numeric_limits<double>::quiet_NaN();
    return contains(target, x) ? detail::tpe::coordinate(target, x) : std::numeric_limits<double>::quiet_NaN();
  }

  column& column_for(const study_view& view, std::string_view name, const distribution& d) {
    auto it = study_.columns.find(name);
    if (it == study_.columns.end()) it = study_.columns.emplace(std::string(name), std::vector<std::unique_ptr<column>>{}).first;
    column* col = nullptr;
    for (auto& c : it->second)
      if (c->dist == d) col = c.get();
    if (!col) {
      it->second.push_back(std::make_unique<column>(column{d, detail::tpe::kind_of(d), {}, {}, 0, {}}));
      col = it->second.back().get();
    }
    if (col->scanned == study_.scanned) return *col;
    const auto& finished = view.finished();
    const auto old_size = static_cast<std::ptrdiff_t>(col->sorted.size());
    for (; col->scanned < study_.scanned; ++col->scanned) {
      const frozen_trial& t = finished[col->scanned];
      double v = std::numeric_limits<double>::quiet_NaN();
      if (rank_key(t)) v = observe(col->dist, t, name);
      col->value.push_back(v);
      if (col->k != kind::categorical && !std::isnan(v)) col->sorted.emplace_back(v, static_cast<std::uint32_t>(col->scanned));
    }
    merge_tail(col->sorted, static_cast<std::size_t>(old_size));  // by value, ties by trial
    return *col;
  }

  group_state& group_state_for(std::span<const dim_ref> dims) {
    for (auto& g : study_.group_states) {
      if (g.dims.size() != dims.size()) continue;
      bool same = true;
      for (std::size_t d = 0; d < dims.size() && same; ++d)
        same = g.dims[d].first == dims[d].name && g.dims[d].second == *dims[d].dist;
      if (same) return g;
    }
    group_state g;
    for (const auto& r : dims) g.dims.emplace_back(std::string(r.name), *r.dist);
    g.above.resize(dims.size());
    study_.group_states.push_back(std::move(g));
    return study_.group_states.back();
  }

  study_state study_;                ///< the view being sampled
  std::vector<study_state> parked_;  ///< other views', least recently used first
};
}  // namespace tunekit::detail
