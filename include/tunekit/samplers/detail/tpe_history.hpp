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

  void reset() {
    ranking_.clear();
    in_below_.clear();
    below_marked_.clear();
    columns_.clear();
    group_states_.clear();
    intersection_ = {};
    groups_ = {};
    scanned_ = 0;
    split_n_ = no_split;
    n_usable_ = 0;
    losses_.clear();
    violations_.clear();
    mo_weight_.clear();
  }

  /// Everything `sync` keeps about one study view, so that a sampler shown
  /// several views in turn (Hyperband: one per bracket) keeps each one's
  /// caches instead of re-reading the view from the start on every switch.
  struct parked_study {
    std::string name;
    bool single_objective = true;
    double sign = 1.0;
    std::size_t scanned = 0, n_usable = 0, split_n = no_split;
    std::vector<rank_entry> ranking;
    std::vector<std::uint8_t> in_below;
    std::vector<std::uint32_t> below_marked;
    std::map<std::string, std::vector<std::unique_ptr<column>>, std::less<>> columns;
    std::vector<group_state> group_states;
    detail::intersection_search_space intersection;
    detail::group_decomposed_search_space groups;
    point_set losses;
    std::vector<double> violations, mo_weight;
  };
  static constexpr std::size_t max_parked = 16;

  void swap_study(parked_study& p) noexcept {
    using std::swap;
    swap(study_name_, p.name);
    swap(single_objective_, p.single_objective);
    swap(sign_, p.sign);
    swap(scanned_, p.scanned);
    swap(n_usable_, p.n_usable);
    swap(split_n_, p.split_n);
    swap(ranking_, p.ranking);
    swap(in_below_, p.in_below);
    swap(below_marked_, p.below_marked);
    swap(columns_, p.columns);
    swap(group_states_, p.group_states);
    swap(intersection_, p.intersection);
    swap(groups_, p.groups);
    swap(losses_, p.losses);
    swap(violations_, p.violations);
    swap(mo_weight_, p.mo_weight);
  }

  /// Makes `name`'s caches the current ones: parks the current view's
  /// (dropping the least recently used beyond `max_parked`) and takes back
  /// `name`'s if it was parked, else starts empty.
  void switch_study(const std::string& name) {
    const auto found = std::find_if(parked_.begin(), parked_.end(), [&](const parked_study& p) { return p.name == name; });
    parked_study incoming;
    if (found != parked_.end()) {
      incoming = std::move(*found);
      parked_.erase(found);
    } else {
      incoming.name = name;
    }
    if (!study_name_.empty() || scanned_ > 0) {
      parked_.emplace_back();
      swap_study(parked_.back());
      if (parked_.size() > max_parked) parked_.erase(parked_.begin());
    }
    reset();
    swap_study(incoming);
  }

  /// Takes in what finished since the previous call: O(new trials · log N).
  void sync(const study_view& view) {
    const auto& finished = view.finished();
    if (view.name() != study_name_) switch_study(view.name());
    if (finished.size() < scanned_) {  // not the study these caches were built from
      reset();
      study_name_ = view.name();
    }
    single_objective_ = view.directions().size() == 1;
    n_objectives_ = view.directions().size();
    sign_ = single_objective_ && view.directions()[0] == direction::maximize ? -1.0 : 1.0;
    if (scanned_ == finished.size()) return;
    // New ranked trials are sorted among themselves and merged in: O(k log k + N)
    // for k new trials, never a full re-sort.
    const auto old_size = static_cast<std::ptrdiff_t>(ranking_.size());
    for (; scanned_ < finished.size(); ++scanned_) {
      const frozen_trial& t = finished[scanned_];
      in_below_.push_back(0);
      violations_.push_back(trial_violation(t));
      if (!single_objective_) {  // the minimised values, for the multi-objective split
        losses_.emplace_back();
        if (rank_key(t)) {
          losses_.back() = t.values;
          for (std::size_t k = 0; k < t.values.size(); ++k)
            if (view.directions()[k] == direction::maximize) losses_.back()[k] = -losses_.back()[k];
        }
      }
      if (auto key = rank_key(t)) {
        ranking_.push_back({key->first, key->second, static_cast<std::uint32_t>(scanned_)});
        ++n_usable_;
      }
    }
    merge_tail(ranking_, static_cast<std::size_t>(old_size));
  }

  /// Optuna's ranking: COMPLETE trials by value, then PRUNED ones by their
  /// last step (later first) and value there; nothing for FAIL or NaN.
  /// Multi-objective studies: COMPLETE trials with finite values, unordered
  /// (the split is by dominance, `split_multi_objective`); nothing else.
  std::optional<std::pair<double, double>> rank_key(const frozen_trial& t) const {
    if (!single_objective_) {
      if (t.state != trial_state::complete || t.values.size() != n_objectives_) return std::nullopt;
      for (double v : t.values)
        if (!std::isfinite(v)) return std::nullopt;
      return std::pair{0.0, 0.0};
    }
    if (t.state == trial_state::complete) {
      if (t.values.size() != 1 || std::isnan(t.values[0])) return std::nullopt;
      return std::pair{-std::numeric_limits<double>::infinity(), sign_ * t.values[0]};
    }
    if (t.state == trial_state::pruned) {
      if (t.intermediate_values.empty()) return std::pair{1.0, 0.0};
      const auto& [step, value] = *t.intermediate_values.rbegin();
      return std::pair{-static_cast<double>(step),
                       std::isnan(value) ? std::numeric_limits<double>::infinity() : sign_ * value};
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
    for (auto id : below_marked_) in_below_[id] = 0;
    below_marked_.clear();
    if (!single_objective_) return split_multi_objective(g);
    if (constrained()) {
      split_constrained(g);
    } else {
      for (std::size_t k = 0; k < g; ++k) below_marked_.push_back(ranking_[k].id);
    }
    for (auto id : below_marked_) in_below_[id] = 1;
    std::sort(below_marked_.begin(), below_marked_.end());  // chronological
    split_n_ = scanned_;
    return below_marked_.size();
  }

  /// True when a ranked trial of a one-objective study violates a constraint.
  bool constrained() const noexcept {
    for (const auto& r : ranking_)
      if (violations_[r.id] != 0) return true;
    return false;
  }

  /// One objective with constraints (constrained_split.hpp): the feasible
  /// trials by rank, then the least violating; no special kernel weights
  /// (Optuna 3.1's `constraints_func`).
  void split_constrained(std::size_t g) {
    std::vector<std::uint32_t> ids;  // the ranked trials, chronological
    for (const auto& r : ranking_) ids.push_back(r.id);
    std::sort(ids.begin(), ids.end());
    std::vector<double> violations;
    for (auto id : ids) violations.push_back(violations_[id]);
    std::vector<std::size_t> below;
    if (split_by_violation(violations, g, below)) {
      for (std::size_t j : below) below_marked_.push_back(ids[j]);
      return;
    }
    for (const auto& r : ranking_) {
      if (below_marked_.size() == g) break;
      if (!(violations_[r.id] > 0)) below_marked_.push_back(r.id);
    }
  }

  /// MOTPE's split (detail/motpe.hpp): the good trials by (constrained)
  /// non-domination rank and greedy hypervolume subset selection, and their
  /// hypervolume-contribution weights in `mo_weight_` (by trial).
  std::size_t split_multi_objective(std::size_t g) {
    point_set losses;
    std::vector<double> violations;
    std::vector<std::uint32_t> ids;
    bool constrained = false;
    for (std::size_t id = 0; id < scanned_; ++id)
      if (!losses_[id].empty()) {
        losses.push_back(losses_[id]);
        violations.push_back(violations_[id]);
        constrained = constrained || violations_[id] != 0;
        ids.push_back(static_cast<std::uint32_t>(id));
      }
    std::vector<std::size_t> below;
    std::vector<double> weights;
    motpe::split(losses, constrained ? std::span<const double>(violations) : std::span<const double>(), g, below, weights);
    mo_weight_.assign(scanned_, 0.0);
    for (std::size_t j = 0; j < below.size(); ++j) {
      const std::uint32_t id = ids[below[j]];
      below_marked_.push_back(id);
      in_below_[id] = 1;
      mo_weight_[id] = weights[j];
    }
    split_n_ = scanned_;
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
    auto it = columns_.find(name);
    if (it == columns_.end()) it = columns_.emplace(std::string(name), std::vector<std::unique_ptr<column>>{}).first;
    column* col = nullptr;
    for (auto& c : it->second)
      if (c->dist == d) col = c.get();
    if (!col) {
      it->second.push_back(std::make_unique<column>(column{d, detail::tpe::kind_of(d), {}, {}, 0, {}}));
      col = it->second.back().get();
    }
    if (col->scanned == scanned_) return *col;
    const auto& finished = view.finished();
    const auto old_size = static_cast<std::ptrdiff_t>(col->sorted.size());
    for (; col->scanned < scanned_; ++col->scanned) {
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
    for (auto& g : group_states_) {
      if (g.dims.size() != dims.size()) continue;
      bool same = true;
      for (std::size_t d = 0; d < dims.size() && same; ++d)
        same = g.dims[d].first == dims[d].name && g.dims[d].second == *dims[d].dist;
      if (same) return g;
    }
    group_state g;
    for (const auto& r : dims) g.dims.emplace_back(std::string(r.name), *r.dist);
    g.above.resize(dims.size());
    group_states_.push_back(std::move(g));
    return group_states_.back();
  }


  static constexpr std::size_t no_split = std::numeric_limits<std::size_t>::max();


  // The study, incrementally.
  std::string study_name_;
  bool single_objective_ = true;
  std::size_t n_objectives_ = 1;
  point_set losses_;                ///< multi-objective: minimised values by trial (empty: not usable)
  std::vector<double> violations_;  ///< total constraint violation by trial (0: feasible or none)
  std::vector<double> mo_weight_;   ///< multi-objective: kernel weight of each good trial
  double sign_ = 1.0;
  std::size_t scanned_ = 0, n_usable_ = 0, split_n_ = no_split;
  std::vector<rank_entry> ranking_;    ///< ranked trials, best first
  std::vector<std::uint8_t> in_below_;
  std::vector<std::uint32_t> below_marked_;
  std::map<std::string, std::vector<std::unique_ptr<column>>, std::less<>> columns_;
  std::vector<group_state> group_states_;
  detail::intersection_search_space intersection_;
  detail::group_decomposed_search_space groups_;
  std::vector<parked_study> parked_;  ///< other views' caches, least recently used first

};
}  // namespace tunekit::detail
