#pragma once

/// The implementation of `nsga2_sampler` (samplers/nsga2.hpp): generation
/// bookkeeping from the trials' system attributes, elite selection (Deb et
/// al. 2002), the crowded tournament and the crossover operators. Included
/// by nsga2.hpp.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../../core/concepts.hpp"
#include "../../core/random.hpp"
#include "../../mo/constraints.hpp"
#include "../../mo/pareto.hpp"
#include "../nsga2_options.hpp"
#include "../random.hpp"
#include "intersection.hpp"

namespace tunekit::detail {

/// System attribute keys, as Optuna 3.1 names them.
inline constexpr std::string_view nsga2_generation_key = "nsga2:generation";
inline constexpr std::string_view nsga2_parents_key = "nsga2:parents";

template <class = void>
class nsga2_sampler_impl {
 public:
  explicit nsga2_sampler_impl(nsga2_sampler_options options)
      : options_(std::move(options)), seed_(seed_or_entropy(options_.seed)) {
    const auto& o = options_;
    auto fail = [](const std::string& what) { throw invalid_argument("nsga2_sampler: " + what); };
    if (o.population_size < 2)
      fail("population_size = " + std::to_string(o.population_size) +
           " is too small; it must be >= 2 (two parents per child)");
    if (o.mutation_prob && !(*o.mutation_prob >= 0.0 && *o.mutation_prob <= 1.0))
      fail("mutation_prob = " + format_number(*o.mutation_prob) + " must be in [0, 1], or unset for 1 / n_params");
    if (!(o.crossover_prob >= 0.0 && o.crossover_prob <= 1.0))
      fail("crossover_prob = " + format_number(o.crossover_prob) + " must be in [0, 1]");
    if (!(o.swapping_prob >= 0.0 && o.swapping_prob <= 1.0))
      fail("swapping_prob = " + format_number(o.swapping_prob) + " must be in [0, 1]");
    if (!(o.blx_alpha >= 0.0 && std::isfinite(o.blx_alpha)))
      fail("blx_alpha = " + format_number(o.blx_alpha) + " must be finite and >= 0");
    if (!(o.sbx_eta >= 0.0 && std::isfinite(o.sbx_eta)))
      fail("sbx_eta = " + format_number(o.sbx_eta) + " must be finite and >= 0");
    if (o.crossover != nsga2_crossover::uniform && o.crossover != nsga2_crossover::sbx &&
        o.crossover != nsga2_crossover::blx_alpha)
      fail("crossover = " + std::to_string(static_cast<int>(o.crossover)) +
           " is not a crossover; use uniform, sbx or blx_alpha");
  }

  const nsga2_sampler_options& options() const noexcept { return options_; }
  std::uint64_t seed() const noexcept { return seed_; }

  /// Decides the new trial's generation and parents; the tuner stores them
  /// with the trial when it creates it.
  attributes new_trial_system_attrs(const study_view& view) {
    update(view);
    const auto& [generation, parents] = parent_population(view);
    attributes attrs;
    attrs[std::string(nsga2_generation_key)] = generation + 1;
    if (generation < 0) return attrs;
    // Keyed by the number the new trial will get (exact when sequential).
    random_engine engine = stream_for(seed_, view.n_trials(), nsga2_parents_key);
    const std::size_t first = tournament(parents, engine);
    std::size_t second = tournament(parents, engine);
    for (int retry = 0; retry < 8 && second == first; ++retry) second = tournament(parents, engine);
    const auto& finished = view.finished();
    attrs[std::string(nsga2_parents_key)] = {finished[parents[first].index].id, finished[parents[second].index].id};
    return attrs;
  }

  /// The parameters every COMPLETE or PRUNED trial shares.
  search_space infer_relative_search_space(const study_view& view, const frozen_trial&) {
    search_space out;
    for (const auto& [name, d] : space_.update(view))
      if (!single(d)) out.add(name, d);
    return out;
  }

  /// The child of the trial's parents (empty in generation 0).
  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    param_map out;
    auto g = t.system_attrs.find(nsga2_generation_key);
    auto p = t.system_attrs.find(nsga2_parents_key);
    if (g == t.system_attrs.end() || p == t.system_attrs.end() || !p->second.is_array() || p->second.size() != 2)
      return out;  // generation 0, or a trial this sampler did not create
    update(view);
    const frozen_trial* parent[2] = {find_id(view, p->second[0]), find_id(view, p->second[1])};
    if (!parent[0] || !parent[1]) return out;

    random_engine engine = stream_for(seed_, t.number, "nsga2:child");
    const double mutation = options_.mutation_prob.value_or(1.0 / static_cast<double>(std::max<std::size_t>(1, space.size())));
    const bool cross = engine.uniform() < options_.crossover_prob;
    for (const auto& [name, d] : space) {
      const double swap = engine.uniform(), mutate = engine.uniform();
      const double* x[2] = {nullptr, nullptr};
      for (int k = 0; k < 2; ++k) {
        auto v = parent[k]->params.find(name);
        auto pd = parent[k]->distributions.find(name);
        if (v != parent[k]->params.end() && pd != parent[k]->distributions.end() && pd->second == d) x[k] = &v->second;
      }
      if (!x[0] || !x[1] || mutate < mutation) continue;  // mutation: drawn by sample_independent
      double value = *x[0];
      if (cross) {
        if (options_.crossover == nsga2_crossover::uniform || std::holds_alternative<categorical_distribution>(d))
          value = swap < options_.swapping_prob ? *x[1] : *x[0];
        else
          value = from_unit(d, numeric_crossover(to_unit(d, *x[0]), to_unit(d, *x[1]), engine));
      }
      out.insert_or_assign(name, value);
    }
    return out;
  }

  /// Uniform draw, exactly as `random_sampler`: generation 0 and mutations.
  double sample_independent(const study_view&, const frozen_trial& t, std::string_view name,
                            const distribution& d) const {
    random_engine engine = stream_for(seed_, t.number, name);  // exactly random_sampler's draw
    return from_unit(d, engine.uniform());
  }

 private:
  /// A member of a parent population: where it is in `finished`, its rank
  /// and crowding distance in the selection that kept it.
  struct member {
    std::size_t index;
    std::size_t rank;
    double crowding;
  };
  struct generation_cache {
    std::size_t n_members = 0;  // size of the generation when selected
    std::vector<member> elites;
  };

  /// Takes in the trials finished since the previous call.
  void update(const study_view& view) {
    const auto& finished = view.finished();
    if (view.name() != study_ || finished.size() < scanned_) {
      study_ = view.name();
      scanned_ = 0;
      generations_.clear();
      cache_.clear();
      by_id_.clear();
      space_ = {};
    }
    for (; scanned_ < finished.size(); ++scanned_) {
      const frozen_trial& t = finished[scanned_];
      by_id_[t.id] = scanned_;
      if (t.state != trial_state::complete || t.values.size() != view.directions().size()) continue;
      auto g = t.system_attrs.find(nsga2_generation_key);
      if (g == t.system_attrs.end() || !g->second.is_number_integer()) continue;
      const auto generation = g->second.get<std::int64_t>();
      if (generation < 0 || generation > 1'000'000) continue;
      if (static_cast<std::size_t>(generation) >= generations_.size())
        generations_.resize(static_cast<std::size_t>(generation) + 1);
      generations_[static_cast<std::size_t>(generation)].push_back(scanned_);
    }
  }

  const frozen_trial* find_id(const study_view& view, const nlohmann::json& id) const {
    if (!id.is_number_integer()) return nullptr;
    auto it = by_id_.find(id.get<std::int64_t>());
    return it == by_id_.end() ? nullptr : &view.finished()[it->second];
  }

  /// The latest generation with `population_size` COMPLETE trials and the
  /// elite population bred from it: generation g's parents are the elites
  /// of g's trials together with g - 1's parents (Deb et al. 2002, the
  /// (mu + lambda) survival). Cached per generation; recomputed when more
  /// trials of a generation have completed (parallel workers).
  std::pair<std::int64_t, std::vector<member>> parent_population(const study_view& view) {
    const auto size = static_cast<std::size_t>(options_.population_size);
    std::int64_t generation = -1;
    const std::vector<member>* parents = nullptr;
    bool stale = false;
    if (cache_.size() < generations_.size()) cache_.resize(generations_.size());  // no reallocation below
    for (std::size_t g = 0; g < generations_.size() && generations_[g].size() >= size; ++g) {
      generation_cache& c = cache_[g];
      if (stale || c.n_members != generations_[g].size()) {
        std::vector<std::size_t> candidates = generations_[g];
        if (parents)
          for (const member& m : *parents) candidates.push_back(m.index);
        std::sort(candidates.begin(), candidates.end());
        candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
        c.elites = select_elites(view, candidates);
        c.n_members = generations_[g].size();
        stale = true;  // every later generation built on these parents
      }
      parents = &c.elites;
      generation = static_cast<std::int64_t>(g);
    }
    return {generation, parents ? *parents : std::vector<member>{}};
  }

  /// The constraint violation of a COMPLETE trial (0 when unconstrained).
  double violation(const frozen_trial& t) const {
    if (options_.constraints_func) return constraint_violation(options_.constraints_func(t));
    return trial_violation(t);  // the `constraints` attribute (mo/constraints.hpp)
  }

  /// Survival (Deb et al. 2002, section III-C): whole fronts by rank while
  /// they fit, then the last front's members by decreasing crowding distance.
  /// Deterministic: ties go to the earlier-finished trial.
  std::vector<member> select_elites(const study_view& view, const std::vector<std::size_t>& candidates) const {
    const auto& finished = view.finished();
    point_set values;
    std::vector<double> violations;
    bool constrained = false;
    for (std::size_t i : candidates) {
      std::vector<double> v = finished[i].values;
      for (std::size_t k = 0; k < v.size(); ++k)
        if (view.directions()[k] == direction::maximize) v[k] = -v[k];
      values.push_back(std::move(v));
      violations.push_back(violation(finished[i]));
      constrained = constrained || violations.back() != 0;
    }
    const auto ranks = constrained ? constrained_non_dominated_ranks(values, violations) : non_dominated_ranks(values);
    const auto fronts = fronts_of(ranks);
    const auto size = static_cast<std::size_t>(options_.population_size);
    std::vector<member> elites;
    for (std::size_t r = 0; r < fronts.size() && elites.size() < size; ++r) {
      const auto crowding = crowding_distance(values, fronts[r]);
      std::vector<std::size_t> order(fronts[r].size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      if (elites.size() + order.size() > size)
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return crowding[a] > crowding[b]; });
      for (std::size_t j = 0; j < order.size() && elites.size() < size; ++j)
        elites.push_back({candidates[fronts[r][order[j]]], r, crowding[order[j]]});
    }
    return elites;
  }

  /// Crowded binary tournament (Deb et al. 2002): the lower rank wins, then
  /// the larger crowding distance, then the first drawn. Returns a position.
  static std::size_t tournament(const std::vector<member>& pop, random_engine& engine) {
    const auto a = static_cast<std::size_t>(engine.below(pop.size()));
    const auto b = static_cast<std::size_t>(engine.below(pop.size()));
    if (pop[b].rank < pop[a].rank || (pop[b].rank == pop[a].rank && pop[b].crowding > pop[a].crowding)) return b;
    return a;
  }

  /// SBX or BLX-alpha of two unit coordinates; redrawn while outside [0, 1]
  /// (a few times), then clamped.
  double numeric_crossover(double x0, double x1, random_engine& engine) const {
    double child = x0;
    for (int attempt = 0; attempt < 16; ++attempt) {
      if (options_.crossover == nsga2_crossover::blx_alpha) {
        const double lo = std::min(x0, x1), hi = std::max(x0, x1), d = hi - lo;
        child = engine.uniform(lo - options_.blx_alpha * d, hi + options_.blx_alpha * d);
      } else {  // SBX: the spread factor beta has the polynomial density of Deb & Agrawal (1995)
        const double u = engine.uniform(), e = 1.0 / (options_.sbx_eta + 1.0);
        const double beta = u <= 0.5 ? std::pow(2.0 * u, e) : std::pow(1.0 / (2.0 * (1.0 - u)), e);
        const double sign = engine.uniform() < 0.5 ? 1.0 : -1.0;  // either of the two children
        child = 0.5 * ((x0 + x1) + sign * beta * (x0 - x1));
      }
      if (child >= 0.0 && child <= 1.0) return child;
    }
    return std::clamp(child, 0.0, 1.0);
  }

  nsga2_sampler_options options_;
  std::uint64_t seed_;
  std::string study_;
  std::size_t scanned_ = 0;
  std::vector<std::vector<std::size_t>> generations_;  // COMPLETE trials per generation (indices in finished)
  std::vector<generation_cache> cache_;
  std::unordered_map<std::int64_t, std::size_t> by_id_;
  intersection_search_space space_;
};

}  // namespace tunekit::detail
