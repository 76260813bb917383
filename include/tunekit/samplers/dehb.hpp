#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/distribution.hpp"
#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "../detail/hyperband_brackets.hpp"
#include "../detail/budget_ladder.hpp"
#include "detail/differential_evolution.hpp"
#include "detail/intersection.hpp"
#include "random.hpp"

namespace tunekit {

/// Options of `dehb_sampler`. The budgets and brackets are Hyperband's:
/// give the same min_resource, max_resource and reduction_factor as to
/// `bohb_scheduler`. The defaults of F and CR are the paper's.
struct dehb_sampler_options {
  /// The first rung of the most aggressive bracket (>= 1).
  std::int64_t min_resource = 1;
  /// The last step a trial trains to. Required.
  std::optional<std::int64_t> max_resource = std::nullopt;
  /// η: budgets are min_resource · η^k (>= 2).
  std::int64_t reduction_factor = 3;
  /// F, the scale of the difference vector in rand/1 mutation (in (0, 2]).
  double mutation_factor = 0.5;
  /// CR, the probability that binomial crossover takes a mutant coordinate (in [0, 1]).
  double crossover_prob = 0.5;
  /// Seed of every draw; unset means a fresh seed from the operating system.
  std::optional<std::uint64_t> seed = std::nullopt;
};

/// How `dehb_sampler` made its last proposal (for tests and logs).
struct dehb_proposal {
  std::size_t bracket = 0;      ///< the trial's Hyperband bracket (its first rung is budgets()[bracket])
  std::size_t slot = 0;         ///< its place in the subpopulation of that budget
  std::optional<std::int64_t> target;  ///< trial number of the slot's member it was crossed with
  std::vector<std::int64_t> parents;   ///< trial numbers of a, b, c in a + F (b − c); empty: drawn at random
  std::vector<std::int64_t> pool;      ///< trial numbers of the parent pool the parents were drawn from
};

namespace detail {
/// The implementation of `dehb_sampler` (below). A template only so that a
/// translation unit instantiates what its members call where it constructs
/// one, not wherever this header is included (compile cost).
template <class Tag = void>
class dehb_sampler_impl {
 public:
  explicit dehb_sampler_impl(dehb_sampler_options options) : options_(options), seed_(detail::seed_or_entropy(options.seed)) {
    const char* who = "dehb_sampler: ";
    auto fail = [&](const std::string& what) { throw invalid_argument(who + what); };
    budgets_ = detail::budget_ladder(who, options.min_resource, options.max_resource, options.reduction_factor,
                                     " (the same as bohb_scheduler's)");
    if (!(options.mutation_factor > 0 && options.mutation_factor <= 2))
      fail("mutation_factor = " + std::to_string(options.mutation_factor) + "; must be in (0, 2] (the paper uses 0.5)");
    if (!(options.crossover_prob >= 0 && options.crossover_prob <= 1))
      fail("crossover_prob = " + std::to_string(options.crossover_prob) + "; must be in [0, 1] (the paper uses 0.5)");
    shares_ = detail::hyperband_shares(options.min_resource, *options.max_resource, options.reduction_factor);
    // N_j: the most configurations any bracket b <= j evaluates at budget j
    // in one iteration (bracket b starts shares_[b] and keeps 1/η per rung).
    const std::size_t n = shares_.size();
    population_.assign(n, 1);
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t b = 0; b <= j; ++b) {
        std::int64_t kept = shares_[b];
        for (std::size_t r = b; r < j; ++r) kept /= options.reduction_factor;
        population_[j] = std::max(population_[j], std::max<std::int64_t>(kept, 1));
      }
  }

  double sample_independent(const study_view&, const frozen_trial& t, std::string_view name,
                            const distribution& d) const {
    random_engine engine = stream_for(seed_, t.number, name);
    return from_unit(d, engine.uniform());
  }

  search_space infer_relative_search_space(const study_view& view, const frozen_trial&) {
    return caches_[view.name()].intersection.update(view);
  }

  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    param_map out;
    last_.reset();
    if (space.empty()) return out;
    const direction dir = view.single_direction();
    study_cache& c = caches_[view.name()];
    c.sync(view, space, *this, dir);
    random_engine rng = stream_for(seed_, t.number, "dehb");
    const std::vector<double> unit = propose(view, c, t.number, space.size(), dir, rng);
    for (std::size_t j = 0; j < space.size(); ++j) out[space[j].first] = from_unit(space[j].second, unit[j]);
    return out;
  }

  /// The budgets (steps) values are kept at; budgets()[b] is bracket b's first rung.
  const std::vector<std::int64_t>& budgets() const noexcept { return budgets_; }
  /// N_b, the subpopulation size at bracket b's first budget.
  const std::vector<std::int64_t>& population_sizes() const noexcept { return population_; }
  /// The bracket of trial `trial_number` of study `study_name` (the same as bohb_scheduler's).
  std::size_t bracket_of(std::string_view study_name, std::int64_t trial_number) const {
    return detail::hyperband_bracket(shares_, study_name, trial_number);
  }
  /// How the last `sample_relative` proposed, if it had a space to sample.
  const std::optional<dehb_proposal>& last_proposal() const noexcept { return last_; }
  std::uint64_t seed() const noexcept { return seed_; }
  const dehb_sampler_options& options() const noexcept { return options_; }

 private:
  /// A configuration with its (signed: lower is better) value at one budget.
  struct member {
    std::vector<double> x;
    double value = 0;
    std::int64_t number = -1;
    /// Better, or as good and later (DE keeps the offspring on a tie).
    bool beats(const member& o) const { return value < o.value || (value == o.value && number > o.number); }
  };

  struct study_cache {
    detail::intersection_search_space intersection;
    search_space space;
    std::size_t read = 0;
    std::vector<std::uint32_t> bracket, slot;  // by trial number
    std::vector<std::int64_t> filled;          // trials numbered so far per bracket
    std::vector<std::vector<std::optional<member>>> slots;  // [bracket][slot]: finished trials only
    std::vector<std::vector<member>> top;                   // [budget]: best finished, best first, capped

    /// Extends the bracket and slot of every trial number up to `number`.
    void number_through(std::int64_t number, const std::string& name, const dehb_sampler_impl& s) {
      while (static_cast<std::int64_t>(bracket.size()) <= number) {
        const auto n = static_cast<std::int64_t>(bracket.size());
        const std::size_t b = s.bracket_of(name, n);
        bracket.push_back(static_cast<std::uint32_t>(b));
        slot.push_back(static_cast<std::uint32_t>(filled[b]++ % s.population_[b]));
      }
    }

    static bool point_of(const frozen_trial& t, const search_space& space, std::vector<double>& x) {
      return detail::point_in(t, space, x, [](const distribution& d, double v) { return to_unit(d, v); });
    }

    /// Files `t`'s values into `slot_members` (its bracket's first budget)
    /// and `best` (every budget below the last bracket's, capped at `caps`).
    void file(const frozen_trial& t, const search_space& sp, const dehb_sampler_impl& s, direction dir,
              std::vector<std::vector<std::optional<member>>>& slot_members, std::vector<std::vector<member>>& best,
              const std::string& name) {
      std::vector<double> x;
      if (!point_of(t, sp, x)) return;
      number_through(t.number, name, s);
      const std::size_t b = bracket[static_cast<std::size_t>(t.number)];
      const double sign = dir == direction::maximize ? -1.0 : 1.0;
      detail::for_each_budget_value(t, s.budgets_, [&](std::size_t k, double v) {
        // An infinity ranks last whatever its sign, as in bohb_sampler: a
        // diverged run must not displace a finite slot member or parent.
        member m{x, std::isfinite(v) ? sign * v : std::numeric_limits<double>::infinity(), t.number};
        if (k == b) {
          auto& held = slot_members[b][slot[static_cast<std::size_t>(t.number)]];
          if (!held || m.beats(*held)) held = m;
        }
        if (k < best.size()) insert_capped(best[k], std::move(m), s.pool_size(k + 1));
      });
    }

    static void insert_capped(std::vector<member>& list, member m, std::size_t cap) {
      auto at = std::find_if(list.begin(), list.end(), [&](const member& o) { return m.beats(o); });
      if (static_cast<std::size_t>(at - list.begin()) >= cap) return;
      list.insert(at, std::move(m));
      if (list.size() > cap) list.pop_back();
    }

    void sync(const study_view& view, const search_space& s, const dehb_sampler_impl& owner, direction dir) {
      const std::size_t n = owner.shares_.size();
      if (!(s == space) || view.finished().size() < read || slots.empty()) {
        space = s;
        bracket.clear();
        slot.clear();
        filled.assign(n, 0);
        slots.assign(n, {});
        for (std::size_t b = 0; b < n; ++b) slots[b].assign(static_cast<std::size_t>(owner.population_[b]), std::nullopt);
        top.assign(n - 1, {});
        read = 0;
      }
      const auto& finished = view.finished();
      for (; read < finished.size(); ++read) file(finished[read], space, owner, dir, slots, top, view.name());
    }
  };

  /// ⌈N_{b−1} / η⌉: how many trials successive halving promotes from budget b − 1 (b >= 1).
  std::size_t pool_size(std::size_t b) const {
    const std::int64_t eta = options_.reduction_factor;
    return static_cast<std::size_t>((population_[b - 1] + eta - 1) / eta);
  }

  std::vector<double> propose(const study_view& view, study_cache& c, std::int64_t number, std::size_t d,
                              direction dir, random_engine& rng) {
    const std::string& name = view.name();
    c.number_through(number, name, *this);
    // The finished state, with the running trials' reports added (not cached: they grow).
    auto slots = c.slots;
    auto top = c.top;
    for (const auto& r : view.running())
      if (r.number != number) c.file(r, c.space, *this, dir, slots, top, name);
    const std::size_t b = c.bracket[static_cast<std::size_t>(number)];
    dehb_proposal p;
    p.bracket = b;
    p.slot = c.slot[static_cast<std::size_t>(number)];
    const std::optional<member>& target = slots[b][p.slot];
    if (target) p.target = target->number;

    // The parent pool, never holding the target itself.
    const std::int64_t target_number = target ? target->number : -1;
    std::vector<const member*> pool;
    if (b == 0) {
      for (const auto& m : slots[0])
        if (m && m->number != target_number) pool.push_back(&*m);
    } else {
      for (const auto& m : top[b - 1])
        if (m.number != target_number) pool.push_back(&m);
    }
    for (const member* m : pool) p.pool.push_back(m->number);
    if (pool.size() < 3) {
      // Fill up from the global population: the members of every subpopulation.
      std::vector<const member*> global;
      for (const auto& sub : slots)
        for (const auto& m : sub)
          if (m && m->number != target_number &&
              std::none_of(pool.begin(), pool.end(), [&](const member* q) { return q->number == m->number; }))
            global.push_back(&*m);
      while (pool.size() < 3 && !global.empty()) {
        const auto i = static_cast<std::size_t>(rng.below(global.size()));
        pool.push_back(global[i]);
        global.erase(global.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }

    std::vector<double> unit(d);
    const bool initial = b == 0 && !target;
    if (initial || pool.size() < 3) {
      for (auto& u : unit) u = rng.uniform();
      last_ = std::move(p);
      return unit;
    }
    // Three distinct parents.
    std::size_t i[3];
    i[0] = static_cast<std::size_t>(rng.below(pool.size()));
    do i[1] = static_cast<std::size_t>(rng.below(pool.size()));
    while (i[1] == i[0]);
    do i[2] = static_cast<std::size_t>(rng.below(pool.size()));
    while (i[2] == i[0] || i[2] == i[1]);
    std::vector<double> mutant(d);
    detail::de_mutant(pool[i[0]]->x, pool[i[1]]->x, pool[i[2]]->x, options_.mutation_factor, rng, mutant);
    for (auto k : i) p.parents.push_back(pool[k]->number);
    if (target)
      detail::de_binomial_crossover(target->x, mutant, options_.crossover_prob, rng, unit);
    else
      unit = mutant;
    last_ = std::move(p);
    return unit;
  }

  dehb_sampler_options options_;
  std::uint64_t seed_;
  std::vector<std::int64_t> budgets_;
  std::vector<std::int64_t> shares_;
  std::vector<std::int64_t> population_;
  std::map<std::string, study_cache, std::less<>> caches_;
  std::optional<dehb_proposal> last_;
};
}  // namespace detail

/// DEHB (Awad, Mallik & Hutter 2021, "DEHB: Evolutionary Hyperband for
/// Scalable, Robust and Efficient Hyperparameter Optimization", IJCAI):
/// differential evolution in Hyperband's brackets, one subpopulation per
/// budget, with the paper's cross-budget mutation. Pair it with
/// `bohb_scheduler` given the same three budget options:
/// `tuner{space, dehb_sampler{o}, bohb_scheduler{h}}` (not
/// `hyperband_scheduler`, whose sampler views hold one bracket under
/// another study name).
///
/// Every parameter lives on the unit interval (the paper's encoding):
/// floats and integers through their own map (log scale, steps, rounding),
/// a categorical with c choices as c equal bins.
///
/// A trial's bracket b is the one `bohb_scheduler` gives it (CRC-32 of its
/// study's name and number); its first rung is budget s_b = budgets()[b].
/// Bracket b's trials, in number order, fill the N_b slots of the
/// subpopulation at s_b in turn (slot = rank in the bracket mod N_b), N_b the
/// paper's population size: the most evaluations Hyperband makes at s_b in
/// one iteration (81, 34, 15, 8, 5 for budgets 1 … 81, η = 3). A slot's
/// member is its best trial at s_b (ties: the later), so each new trial
/// competes with the member it was crossed with: DE's one-to-one selection,
/// read from the study. A new trial in slot i:
///   1. parent pool: in bracket 0, the subpopulation at s_0 (other slots);
///      in bracket b > 0, the **promoted configurations of the lower
///      budget**: the best ⌈N_{b−1}/η⌉ trials at s_{b−1} (what successive
///      halving promotes from it). If the pool has fewer than 3 trials it is
///      filled up with members of the other subpopulations (the paper's
///      global population);
///   2. mutant v = a + F (b − c), a, b, c distinct and drawn from the pool;
///      a coordinate outside [0, 1] is redrawn uniformly;
///   3. offspring: binomial crossover of v with slot i's member (at least
///      one mutant coordinate); while slot i is empty, v itself (in bracket
///      0: a uniform draw, the paper's random initial population).
/// With no 3 trials anywhere to draw from, the proposal is uniform.
///
/// Asynchronous: the state is read from the study on each ask — every
/// trial's value at each budget (the report at the first step at or past
/// it, from COMPLETE, PRUNED, FAIL and RUNNING trials alike; a COMPLETE
/// trial that never reported counts at max_resource; NaN is left out and
/// an infinity of either sign ranks last) — so threads and
/// processes sharing a storage share one population, and no worker waits
/// for a rung or a generation. Where the paper trains each offspring from
/// scratch at one budget, here a trial starts in its bracket with a DE
/// proposal for the bracket's first budget and the bracket's successive
/// halving then promotes it by continuing it (as BOHB's brackets do).
///
/// Cost: O(new trials · budgets) bookkeeping, the running trials' reports,
/// and O(Σ N_b · d) per ask, whatever the size of the study.
/// Single-objective studies only.
class dehb_sampler : public detail::dehb_sampler_impl<> {
 public:
  /// Throws `invalid_argument` naming the bad option.
  template <class Tag = void>
  explicit dehb_sampler(dehb_sampler_options options = {}) : detail::dehb_sampler_impl<Tag>(std::move(options)) {}
};

static_assert(relational_sampler<dehb_sampler>);

}  // namespace tunekit
