#pragma once

#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "random.hpp"

namespace tunekit {

/// Options of `grid_sampler`.
struct grid_sampler_options {
  /// Values per parameter, as the user sees them. Parameters of a typed
  /// space that are not listed use every value of their (discrete)
  /// distribution. With a typed space, names outside it and values outside
  /// a parameter's distribution are refused (`invalid_argument`) when the
  /// first trial starts; define-by-run, a bad value fails its trial.
  std::map<std::string, std::vector<category>, std::less<>> values = {};
  /// Seed of the visiting order; unset: from the OS.
  std::optional<std::uint64_t> seed = std::nullopt;
  /// Visit the grid in a seeded pseudo-random order rather than row-major.
  bool shuffle = true;
};

namespace detail {
/// The implementation of `grid_sampler` (below). A template only so that a
/// translation unit instantiates its members where it constructs one, not
/// wherever this header is included (compile cost: docs/compile-time.md).
template <class = void>
class grid_sampler_impl {
 public:
  /// Grids above this many points are refused; enumerate them with the
  /// random or quasi-random samplers instead.
  static constexpr std::uint64_t max_points = std::uint64_t{1} << 28;

  explicit grid_sampler_impl(grid_sampler_options options)
      : values_(std::move(options.values)),
        seed_(detail::seed_or_entropy(options.seed)),
        shuffle_(options.shuffle) {
    for (const auto& [name, vals] : values_) {
      if (vals.empty()) throw invalid_argument("grid_sampler: parameter " + detail::quoted(name) + " has no values");
      for (std::size_t i = 0; i < vals.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (same_value(vals[i], vals[j]))
            throw invalid_argument("grid_sampler: parameter " + detail::quoted(name) + " lists the value " +
                                   categorical_distribution::to_string(vals[i]) + " twice");
    }
  }

  search_space infer_relative_search_space(const study_view&, const frozen_trial&) { return {}; }

  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    if (!built_) build(space);
    if (enqueued_point(t)) {
      // An enqueued trial evaluates its own values; it takes its point if
      // that is on the grid, and no other.
      scan(view);
      if (auto i = index_of(t)) {
        mark(*i);
        view.claim(claim_key(*i), t);  // keeps other workers off it; the trial runs its values either way
      }
      return {};
    }
    const std::vector<category>& point = point_of(view, t);
    param_map out;
    for (const auto& [name, d] : space)
      if (auto k = axis_index(name)) out.emplace(name, to_internal(d, point[*k], name));
    return out;
  }

  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) {
    if (!built_) build({});
    auto k = axis_index(name);
    if (!k) throw invalid_argument("grid_sampler has no values for parameter " + detail::quoted(name));
    return to_internal(d, point_of(view, t)[*k], name);
  }

  /// True once every grid point has been handed out or found in the study.
  bool is_exhausted(const study_view& view) {
    if (!built_) return false;
    scan(view);
    return taken_count_ >= total_;
  }

  /// Number of points in the grid (0 until the space is known).
  std::uint64_t size() const noexcept { return built_ ? total_ : 0; }

 private:
  /// `space` is the typed space, or empty for define-by-run (then the axes
  /// are the parameters given values, checked when suggested).
  void build(const search_space& space) {
    std::vector<std::pair<std::string, std::vector<category>>> axes;
    for (const auto& [name, d] : space) {
      if (auto v = values_.find(name); v != values_.end()) {
        for (const auto& value : v->second) to_internal(d, value, name);  // refuse values outside d now
        axes.emplace_back(name, v->second);
        continue;
      }
      if (!is_discrete(d))
        throw invalid_argument("grid_sampler: parameter " + detail::quoted(name) + " is " + describe(d) +
                               ", which is continuous; give its values in grid_sampler_options::values");
      axes.emplace_back(name, all_values(name, d));
    }
    for (const auto& [name, vals] : values_) {
      // A name the typed space lacks would be an axis no trial sets: every
      // real point would be handed out once per value.
      if (!space.empty() && !space.find(name))
        throw invalid_argument("grid_sampler: values are given for parameter " + detail::quoted(name) +
                               ", which is not in the search space");
      if (!space.find(name)) axes.emplace_back(name, vals);
    }
    if (axes.empty()) throw invalid_argument("grid_sampler: no grid; give values or use a typed discrete space");
    total_ = 1;
    for (const auto& [name, vals] : axes) {
      if (total_ > max_points / vals.size())
        throw invalid_argument("grid_sampler: the grid has more than " + std::to_string(max_points) + " points");
      total_ *= vals.size();
    }
    axes_ = std::move(axes);
    taken_.assign(total_, false);
    // A full-period affine map i -> (a*i + c) mod n visits every index once in
    // a scrambled order without storing a permutation.
    random_engine engine(detail::mix(seed_, 0x9a1d));
    stride_ = 1;
    offset_ = 0;
    if (shuffle_ && total_ > 1) {
      offset_ = engine.below(total_);
      do stride_ = 1 + engine.below(total_ - 1);
      while (std::gcd(stride_, total_) != 1);
    }
    built_ = true;
  }

  /// Every value of a discrete distribution, as the user sees it. By index,
  /// not through `from_unit` at evenly spaced points, which on a log scale
  /// repeats small integers and skips large ones.
  static std::vector<category> all_values(std::string_view name, const distribution& d) {
    const auto n = std::max<std::int64_t>(std::visit([](const auto& x) -> std::int64_t { return x.size(); }, d), 1);
    if (static_cast<std::uint64_t>(n) > max_points)
      throw invalid_argument("grid_sampler: parameter " + detail::quoted(name) + " has more than " +
                             std::to_string(max_points) + " values");
    std::vector<category> all;
    if (auto i = std::get_if<int_distribution>(&d)) {
      for (std::int64_t k = 0; k < n; ++k) all.emplace_back(i->low() + k * i->step());
    } else if (auto c = std::get_if<categorical_distribution>(&d)) {
      all = c->choices();
    } else {
      const auto& f = std::get<float_distribution>(d);
      for (std::int64_t k = 0; k < n; ++k) all.emplace_back(f.from_unit(detail::index_to_unit(static_cast<double>(k), n)));
    }
    return all;
  }

  /// The values an enqueued trial was given, or null.
  static const nlohmann::json* fixed_values(const frozen_trial& t) {
    auto f = t.system_attrs.find(detail::fixed_params_key);
    return f != t.system_attrs.end() && f->second.is_object() ? &f->second : nullptr;
  }

  /// Whether the trial was enqueued with a value for every axis.
  bool enqueued_point(const frozen_trial& t) const {
    const nlohmann::json* fixed = fixed_values(t);
    if (!fixed) return false;
    for (const auto& [name, vals] : axes_)
      if (!fixed->contains(name)) return false;
    return true;
  }

  std::optional<std::size_t> axis_index(std::string_view name) const {
    for (std::size_t k = 0; k < axes_.size(); ++k)
      if (axes_[k].first == name) return k;
    return std::nullopt;
  }

  /// The grid index of a trial's parameters, if all grid axes are set and on
  /// the grid. Parameters not suggested yet count with their enqueued value.
  std::optional<std::uint64_t> index_of(const frozen_trial& t) const {
    const nlohmann::json* fixed = fixed_values(t);
    std::uint64_t index = 0;
    for (const auto& [name, vals] : axes_) {
      category value;
      if (auto p = t.params.find(name); p != t.params.end()) {
        value = to_external(t.distributions.find(name)->second, p->second);
      } else if (fixed && fixed->contains(name)) {
        try {
          value = detail::category_from_json(fixed->at(name));
        } catch (const invalid_argument&) {
          return std::nullopt;
        }
      } else {
        return std::nullopt;
      }
      std::uint64_t k = 0;
      while (k < vals.size() && !same_value(vals[k], value)) ++k;
      if (k == vals.size()) return std::nullopt;
      index = index * vals.size() + k;
    }
    return index;
  }

  static std::string claim_key(std::uint64_t index) { return "grid:" + std::to_string(index); }

  static bool same_value(const category& a, const category& b) {
    auto number = [](const category& c) -> std::optional<double> {
      if (auto i = std::get_if<std::int64_t>(&c)) return static_cast<double>(*i);
      if (auto f = std::get_if<double>(&c)) return *f;
      return std::nullopt;
    };
    if (auto x = number(a), y = number(b); x && y) return *x == *y;
    return a == b;
  }

  void mark(std::uint64_t index) {
    if (!taken_[index]) {
      taken_[index] = true;
      ++taken_count_;
    }
  }

  /// Marks the points of trials this sampler has not seen yet.
  void scan(const study_view& view) {
    const auto& finished = view.finished();
    for (; scanned_ < finished.size(); ++scanned_)
      if (auto i = index_of(finished[scanned_])) mark(*i);
    for (const auto& r : view.running())
      if (auto i = index_of(r)) mark(*i);
  }

  const std::vector<category>& point_of(const study_view& view, const frozen_trial& t) {
    auto found = assigned_.find(t.number);
    if (found == assigned_.end()) {
      scan(view);
      if (taken_count_ >= total_) throw search_space_exhausted("grid_sampler: every grid point has been handed out");
      std::uint64_t index;
      while (true) {
        while (taken_[(offset_ + stride_ * cursor_) % total_]) ++cursor_;
        index = (offset_ + stride_ * cursor_) % total_;
        mark(index);
        // The storage arbitrates between workers: a point another worker
        // claimed first (its trial maybe not visible yet) is skipped.
        if (view.claim(claim_key(index), t)) break;
        if (taken_count_ >= total_) throw search_space_exhausted("grid_sampler: every grid point has been handed out");
      }
      std::vector<category> point(axes_.size());
      std::uint64_t rest = index;
      for (std::size_t k = axes_.size(); k-- > 0;) {
        point[k] = axes_[k].second[rest % axes_[k].second.size()];
        rest /= axes_[k].second.size();
      }
      found = assigned_.emplace(t.number, std::move(point)).first;
    }
    return found->second;
  }

  std::map<std::string, std::vector<category>, std::less<>> values_;
  std::uint64_t seed_;
  bool shuffle_;
  bool built_ = false;
  std::vector<std::pair<std::string, std::vector<category>>> axes_;
  std::uint64_t total_ = 0, stride_ = 1, offset_ = 0, cursor_ = 0, taken_count_ = 0;
  std::vector<bool> taken_;
  std::size_t scanned_ = 0;
  std::unordered_map<std::int64_t, std::vector<category>> assigned_;
};

}  // namespace detail

/// Exhaustive search over the Cartesian product of parameter values.
///
/// Never hands out the same point twice: points already present in the
/// study (finished or running trials, e.g. of another worker or an earlier
/// run) are skipped, and so are points this sampler handed out itself. An
/// enqueued trial evaluates its own values and uses up only its own point
/// (if it is on the grid). When every point is taken, `is_exhausted()` is
/// true and the tuner ends the study. O(parameters) per trial; memory one
/// bit per grid point.
///
/// Across workers (tuners, threads, processes) each point is claimed
/// through `study_view::claim`, which the storage makes atomic (the
/// journal under its file lock), so no two workers run the same point even
/// when they start trials at the same moment. With a storage that cannot
/// arbitrate claims, workers see a point only once its trial has recorded
/// its parameters.
class grid_sampler : public detail::grid_sampler_impl<> {
 public:
  template <class Tag = void>
  explicit grid_sampler(grid_sampler_options options = {}) : detail::grid_sampler_impl<Tag>(std::move(options)) {}
};

static_assert(relational_sampler<grid_sampler>);

}  // namespace tunekit
