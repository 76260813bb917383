#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/distribution.hpp"
#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "detail/bohb_kde.hpp"
#include "../detail/budget_ladder.hpp"
#include "detail/intersection.hpp"
#include "random.hpp"

namespace tunekit {

/// Options of `bohb_sampler`. The budgets are the rungs of the Hyperband
/// brackets: min_resource · η^k up to max_resource (and max_resource
/// itself); give the same three numbers as to `bohb_scheduler`.
/// The model's defaults are the paper's (and HpBandSter's).
struct bohb_sampler_options {
  /// The smallest budget (step) the model keeps observations at (>= 1).
  std::int64_t min_resource = 1;
  /// The last step a trial trains to. Required.
  std::optional<std::int64_t> max_resource = std::nullopt;
  /// η: budgets are min_resource · η^k (>= 2).
  std::int64_t reduction_factor = 3;
  /// q: the best q % of a budget's observations make the good density l(x) (in (0, 100)).
  double top_n_percent = 15;
  /// N_min, the fewest points in either density; unset: d + 1 (d = the
  /// number of parameters). A budget is modelled once it has N_min + 2 observations.
  std::optional<std::int64_t> min_points_in_model = std::nullopt;
  /// N_s: candidates drawn from the widened l(x); the one with the largest l/g is proposed (>= 1).
  std::int64_t num_samples = 64;
  /// ρ: the fraction of trials proposed uniformly at random, model or not (in [0, 1]).
  double random_fraction = 1.0 / 3.0;
  /// b_w: candidates are drawn with the bandwidths multiplied by this (> 0).
  double bandwidth_factor = 3;
  /// The smallest bandwidth of a dimension (> 0).
  double min_bandwidth = 1e-3;
  /// Cost bound (not in the paper): a density with more points than its
  /// share of this uses an even subsample in rank order, so an ask stays
  /// O(this) however many trials the study holds (>= 2 · (N_min + 1)).
  std::int64_t max_points_in_model = 512;
  /// Seed of every draw; unset means a fresh seed from the operating system.
  std::optional<std::uint64_t> seed = std::nullopt;
};

namespace detail {
/// The implementation of `bohb_sampler` (below). A template only so that a
/// translation unit instantiates what its members call where it constructs
/// one, not wherever this header is included (compile cost).
template <class Tag = void>
class bohb_sampler_impl {
 public:
  explicit bohb_sampler_impl(bohb_sampler_options options) : options_(options), seed_(detail::seed_or_entropy(options.seed)) {
    const char* who = "bohb_sampler: ";
    auto fail = [&](const std::string& what) { throw invalid_argument(who + what); };
    budgets_ = detail::budget_ladder(who, options.min_resource, options.max_resource, options.reduction_factor,
                                     " (the same as bohb_scheduler's)");
    if (!(options.top_n_percent > 0 && options.top_n_percent < 100))
      fail("top_n_percent = " + std::to_string(options.top_n_percent) + "; must be in (0, 100)");
    if (options.min_points_in_model && *options.min_points_in_model < 1)
      fail("min_points_in_model = " + std::to_string(*options.min_points_in_model) + "; must be >= 1 (or unset: d + 1)");
    if (options.num_samples < 1) fail("num_samples = " + std::to_string(options.num_samples) + "; must be >= 1");
    if (!(options.random_fraction >= 0 && options.random_fraction <= 1))
      fail("random_fraction = " + std::to_string(options.random_fraction) + "; must be in [0, 1]");
    if (!(options.bandwidth_factor > 0))
      fail("bandwidth_factor = " + std::to_string(options.bandwidth_factor) + "; must be > 0");
    if (!(options.min_bandwidth > 0)) fail("min_bandwidth = " + std::to_string(options.min_bandwidth) + "; must be > 0");
    if (options.max_points_in_model < 4)
      fail("max_points_in_model = " + std::to_string(options.max_points_in_model) + "; must be >= 4");
  }

  double sample_independent(const study_view&, const frozen_trial& t, std::string_view name,
                            const distribution& d) const {
    random_engine engine = stream_for(seed_, t.number, name);
    return from_unit(d, engine.uniform());
  }

  search_space infer_relative_search_space(const study_view& view, const frozen_trial&) {
    return cache_for(view).intersection.update(view);
  }

  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    param_map out;
    if (space.empty()) return out;
    const direction dir = view.single_direction();
    random_engine rng = stream_for(seed_, t.number, "bohb");
    study_cache& c = cache_for(view);
    c.sync(view, space, budgets_, dir);
    std::vector<double> unit(space.size());
    last_budget_.reset();
    if (rng.uniform() >= options_.random_fraction && propose(view, c, space, dir, rng, unit)) {
      for (std::size_t j = 0; j < space.size(); ++j) {
        const auto& [name, d] = space[j];
        const auto* cat = std::get_if<categorical_distribution>(&d);
        out[name] = cat ? unit[j] : from_unit(d, unit[j]);
      }
      return out;
    }
    for (const auto& [name, d] : space) out[name] = from_unit(d, rng.uniform());
    return out;
  }

  /// The budgets (steps) the model keeps observations at.
  const std::vector<std::int64_t>& budgets() const noexcept { return budgets_; }
  /// The budget the last `sample_relative` modelled, if it used a model.
  std::optional<std::int64_t> last_model_budget() const noexcept { return last_budget_; }
  /// How many observations budget `budgets()[k]` held at the last ask that consulted the model
  /// (finished and running trials; asks drawn at random by `random_fraction` do not count them).
  std::size_t observations_at(std::size_t k) const { return k < last_counts_.size() ? last_counts_[k] : 0; }
  std::uint64_t seed() const noexcept { return seed_; }
  const bohb_sampler_options& options() const noexcept { return options_; }

 private:
  /// One budget's observations: unit points (row-major) and signed values,
  /// with the finished ones kept in rank order.
  struct budget_obs {
    std::vector<double> points;
    std::vector<double> values;
    std::vector<std::uint32_t> ranked;  // indices, best first
    void add(std::span<const double> x, double v) {
      const auto i = static_cast<std::uint32_t>(values.size());
      points.insert(points.end(), x.begin(), x.end());
      values.push_back(v);
      ranked.insert(std::upper_bound(ranked.begin(), ranked.end(), v,
                                     [&](double a, std::uint32_t b) { return a < values[b]; }),
                    i);
    }
  };

  struct study_cache {
    detail::intersection_search_space intersection;
    search_space space;
    std::vector<detail::bohb_dim> dims;
    std::vector<budget_obs> per_budget;
    std::size_t read = 0;

    /// Unit coordinates of `t` in `space` (category index for categoricals); false if a parameter is missing.
    static bool point_of(const frozen_trial& t, const search_space& space, std::vector<double>& x) {
      return detail::point_in(t, space, x, [](const distribution& d, double v) {
        return std::holds_alternative<categorical_distribution>(d) ? v : to_unit(d, v);
      });
    }

    /// Calls on(k, value) for each budget `t` has a finite value at.
    template <class On>
    static void observations_of(const frozen_trial& t, const std::vector<std::int64_t>& budgets, direction dir, On&& on) {
      const double sign = dir == direction::maximize ? -1.0 : 1.0;
      // An infinity ranks last whatever its sign (as HpBandSter counts any
      // non-finite loss as bad): a diverged run must not become a "good" point.
      constexpr double last = std::numeric_limits<double>::infinity();
      detail::for_each_budget_value(t, budgets, [&](std::size_t k, double v) { on(k, std::isfinite(v) ? sign * v : last); });
    }

    void sync(const study_view& view, const search_space& s, const std::vector<std::int64_t>& budgets, direction dir) {
      if (!(s == space) || view.finished().size() < read) {
        space = s;
        dims.clear();
        for (const auto& [name, d] : s) {
          const auto* cat = std::get_if<categorical_distribution>(&d);
          dims.push_back({cat ? cat->size() : 0});
        }
        per_budget.assign(budgets.size(), {});
        read = 0;
      }
      std::vector<double> x;
      const auto& finished = view.finished();
      for (; read < finished.size(); ++read) {
        const frozen_trial& t = finished[read];
        if (!point_of(t, space, x)) continue;
        observations_of(t, budgets, dir, [&](std::size_t k, double v) { per_budget[k].add(x, v); });
      }
    }
  };

  study_cache& cache_for(const study_view& view) { return caches_[view.name()]; }

  /// Fits the densities of the largest budget with enough observations and
  /// writes the best candidate to `unit`; false when no budget qualifies.
  bool propose(const study_view& view, study_cache& c, const search_space& space, direction dir, random_engine& rng,
               std::vector<double>& unit) {
    const std::size_t d = space.size();
    const std::size_t n_min =
        options_.min_points_in_model ? static_cast<std::size_t>(*options_.min_points_in_model) : d + 1;
    // The running trials' reports, per budget (not cached: they grow).
    std::vector<budget_obs> live(budgets_.size());
    std::vector<double> x;
    for (const auto& r : view.running())
      if (study_cache::point_of(r, space, x))
        study_cache::observations_of(r, budgets_, dir, [&](std::size_t k, double v) { live[k].add(x, v); });
    last_counts_.assign(budgets_.size(), 0);
    std::optional<std::size_t> chosen;
    for (std::size_t k = 0; k < budgets_.size(); ++k) {
      last_counts_[k] = c.per_budget[k].values.size() + live[k].values.size();
      if (last_counts_[k] >= n_min + 2) chosen = k;
    }
    if (!chosen) return false;
    const budget_obs& fin = c.per_budget[*chosen];
    const budget_obs& run = live[*chosen];
    // Merge the two rank orders; an entry >= fin.size() is a running trial.
    const std::uint32_t offset = static_cast<std::uint32_t>(fin.values.size());
    std::vector<std::uint32_t> order;
    order.reserve(fin.ranked.size() + run.ranked.size());
    {
      std::size_t i = 0, j = 0;
      while (i < fin.ranked.size() || j < run.ranked.size()) {
        if (j == run.ranked.size() || (i < fin.ranked.size() && !(run.values[run.ranked[j]] < fin.values[fin.ranked[i]])))
          order.push_back(fin.ranked[i++]);
        else
          order.push_back(offset + run.ranked[j++]);
      }
    }
    auto row = [&](std::uint32_t e) -> const double* {
      return e < offset ? &fin.points[e * d] : &run.points[(e - offset) * d];
    };
    const std::size_t n = order.size();
    const std::size_t n_good = std::max(n_min, static_cast<std::size_t>(options_.top_n_percent * static_cast<double>(n) / 100.0));
    const std::size_t n_bad = std::max(n_min, n - std::min(n, n_good));
    const auto cap = static_cast<std::size_t>(options_.max_points_in_model);
    const std::size_t cap_good = std::max<std::size_t>(2, std::min(cap / 2, static_cast<std::size_t>(std::ceil(
                                                                                 options_.top_n_percent * cap / 100.0))));
    const std::size_t cap_bad = std::max<std::size_t>(2, cap - cap_good);
    // Rows [first, first + count) of the ranking, evenly thinned to at most `limit`.
    auto gather = [&](std::size_t first, std::size_t count, std::size_t limit) {
      std::vector<double> pts;
      const std::size_t m = std::min(count, limit);
      pts.reserve(m * d);
      for (std::size_t i = 0; i < m; ++i) {
        const std::size_t r = first + (count <= limit ? i : i * count / m);
        const double* p = row(order[r]);
        pts.insert(pts.end(), p, p + d);
      }
      return pts;
    };
    const detail::bohb_kde good(c.dims, gather(0, n_good, cap_good), options_.min_bandwidth);
    const detail::bohb_kde bad(c.dims, gather(n - n_bad, n_bad, cap_bad), options_.min_bandwidth);
    std::vector<double> candidate(d), scratch;
    double best = -std::numeric_limits<double>::infinity();
    bool found = false;
    for (std::int64_t s = 0; s < options_.num_samples; ++s) {
      good.sample(rng, options_.bandwidth_factor, options_.min_bandwidth, candidate);
      const double score = good.log_pdf(candidate, scratch) - bad.log_pdf(candidate, scratch);
      if (!found || score > best) {
        best = score;
        unit = candidate;
        found = true;
      }
    }
    last_budget_ = budgets_[*chosen];
    return found;
  }

  bohb_sampler_options options_;
  std::uint64_t seed_;
  std::vector<std::int64_t> budgets_;
  std::map<std::string, study_cache, std::less<>> caches_;
  std::optional<std::int64_t> last_budget_;
  std::vector<std::size_t> last_counts_;
};
}  // namespace detail

/// The model half of BOHB (Falkner, Klein & Hutter 2018, "BOHB: Robust and
/// Efficient Hyperparameter Optimization at Scale", ICML; Algorithm 2): one
/// pair of kernel densities per budget, fitted to the values trials
/// reported at that budget, and proposals from the largest budget that has
/// at least N_min + 2 observations. With probability ρ, or while no budget
/// has enough observations, the proposal is uniform at random. Otherwise
/// the N_b observations of the budget are ranked; the best
/// N_l = max(N_min, ⌊q·N_b / 100⌋) make l(x), the worst
/// N_g = max(N_min, N_b − N_l) make g(x) (`detail::bohb_kde`); N_s
/// candidates are drawn from l with bandwidths widened by b_w, and the one
/// maximising l(x)/g(x) is proposed.
///
/// Pair it with `bohb_scheduler` (Hyperband brackets whose trials all feed
/// this model): `tuner{space, bohb_sampler{o}, bohb_scheduler{h}}`. The two
/// share nothing but the study: the sampler reads every trial's reported
/// values, finished or running (as the scheduler's rungs see them), so
/// threads (`n_jobs > 1`) and processes on one storage feed one model, and
/// no worker waits for another.
///
/// Observations: trial t contributes to budget s its value at the first
/// reported step at or past s (the rule ASHA judges by), if finite, from
/// COMPLETE, PRUNED, FAIL and RUNNING trials alike (a worker that died
/// mid-rung keeps what it reported); a COMPLETE trial that never reported
/// contributes its final value at max_resource. NaN values are left out;
/// infinities of either sign rank last, in either direction. Parameters outside the relational space (the
/// typed space, or the parameters every finished trial shares) are drawn
/// uniformly.
///
/// Cost: O(new trials · budgets) bookkeeping, the running trials' reports,
/// and O(N_s · min(N_b, max_points_in_model) · d) for the densities per ask.
/// Single-objective studies only.
class bohb_sampler : public detail::bohb_sampler_impl<> {
 public:
  /// Throws `invalid_argument` naming the bad option.
  template <class Tag = void>
  explicit bohb_sampler(bohb_sampler_options options = {}) : detail::bohb_sampler_impl<Tag>(std::move(options)) {}
};

static_assert(relational_sampler<bohb_sampler>);

}  // namespace tunekit
