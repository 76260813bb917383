#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "../core/trial.hpp"
#include "../detail/format.hpp"
#include "../samplers/random.hpp"
#include "detail/common.hpp"

namespace tunekit {

/// Options of `pbt_scheduler`.
struct pbt_scheduler_options {
  /// Members trained side by side (>= 2).
  std::int64_t population_size = 8;
  /// Steps a member trains between two exploit/explore decisions (>= 1):
  /// each trial trains one such segment.
  std::int64_t perturbation_interval = 1;
  /// Members in the bottom fraction copy one of the top fraction; in (0, 0.5].
  double quantile_fraction = 0.25;
  /// Explore: each mutable parameter is drawn afresh from its distribution
  /// with this probability (in [0, 1]), else perturbed.
  double resample_probability = 0.25;
  /// Explore: a numeric parameter is multiplied by one of these (each > 0),
  /// chosen uniformly, then clipped to its distribution; a categorical one
  /// moves to a neighbouring choice.
  std::vector<double> perturbation_factors = {0.8, 1.2};
  /// Parameters that explore may change; empty: all. The others (e.g. the
  /// network's width, which the copied weights fix) are inherited as they are.
  std::vector<std::string> mutable_params = {};
  /// If set (>= 1): no segment ends at or after this step, so a member's
  /// last trial completes instead of being cut at its final report.
  std::optional<std::int64_t> max_step = std::nullopt;
  /// Seed of exploit and explore draws; unset: from the operating system.
  std::optional<std::uint64_t> seed = std::nullopt;
};

/// A training state handed from one trial to the next by `pbt_scheduler`:
/// what `save` stored, at which step, by which trial.
template <class State>
struct pbt_checkpoint {
  std::int64_t step = 0;
  std::shared_ptr<const State> state;
  std::int64_t trial_number = -1;
};

template <class Base>
class pbt_sampler;

/// Population-based training, PBT (Jaderberg et al. 2017, "Population Based
/// Training of Neural Networks"): a population of models trains side by
/// side; every `perturbation_interval` steps a member in the bottom
/// `quantile_fraction` copies the weights and hyperparameters of a member
/// in the top fraction (exploit, truncation selection) and perturbs or
/// resamples those hyperparameters (explore).
///
/// In tunekit a member's training is a chain of trials, one per segment of
/// `perturbation_interval` steps, each with fixed hyperparameters:
///   - the pbt sampler (`pbt.sampler(base)`) gives a new trial to the
///     member with the least progress that is not running; a new member's
///     parameters come from `base`, a continuing member keeps its own, and a
///     member whose latest score ranks in the bottom fraction gets the
///     checkpoint and parameters of a member in the top fraction, explored;
///   - in the objective, `pbt.restore<State>(trial)` returns the checkpoint
///     to continue from (the member's own, or the copied member's), or
///     nothing for a new member; `pbt.save(trial, state)` hands the state on;
///   - `should_prune` is true at the end of each segment when another
///     member is waiting for a worker (the trial ends PRUNED with its last
///     value; the member goes on in a later trial); when none is, the trial
///     trains on, which is what continuing would do. The trial that reaches
///     the end of training completes normally.
///
/// Members progress in near lock step whatever `n_jobs` is, because the
/// least advanced idle member always goes first. The pbt sampler reports
/// itself exhausted (ending `optimize`) once no member waits for a worker:
/// the ones still training train on to the end. PBT needs
/// `population_size > n_jobs`; with fewer members than workers every member
/// trains on without pause, so none is ever replaced. A worker that arrives
/// in the instant between a segment end and the end of its trial forks the
/// best checkpointed member into a new member (rare; the population grows
/// by one). Checkpoints are held by `shared_ptr`, one per member: a copied
/// state is shared, not copied.
///
/// `pbt_scheduler` is a handle: copies (the one inside the tuner, the one
/// the objective captures, its samplers) share one population, guarded by
/// a mutex, so `save` and `restore` may be called from any worker thread.
/// Single-objective studies only.
class pbt_scheduler {
  struct member {
    std::int64_t index = 0;
    bool running = false, finished = false;
    bool breaking = false;  // its trial ended a segment and has not finished yet
    std::int64_t progress = 0;  // the last step its trials reached
    std::optional<double> score;
    std::map<std::int64_t, double> history;  // step -> score at each segment end
    param_map params;
    detail::small_map<distribution> distributions;
    std::shared_ptr<const void> state;
    std::type_index type = typeid(void);
    std::int64_t state_step = 0, state_trial = -1;
  };

 public:
  /// What a trial of the population does: which member it trains, from
  /// which step and checkpoint, with which parameters.
  struct plan {
    std::int64_t member = -1;
    std::int64_t start_step = 0;
    /// The member whose checkpoint and parameters were copied (exploit), or -1.
    std::int64_t copied_member = -1;
    /// True when the parameters come from the base sampler (a new member).
    bool fresh = true;
    param_map params;
    detail::small_map<distribution> distributions;
    std::shared_ptr<const void> state;
    std::type_index type = typeid(void);
    std::int64_t state_trial = -1;
  };

  explicit pbt_scheduler(pbt_scheduler_options options = {}) : shared_(std::make_shared<shared>()) {
    const char* who = "pbt_scheduler";
    detail::require_at_least(who, "population_size", options.population_size, 2);
    detail::require_at_least(who, "perturbation_interval", options.perturbation_interval, 1);
    if (!(options.quantile_fraction > 0 && options.quantile_fraction <= 0.5))
      throw invalid_argument(std::string(who) + ": quantile_fraction = " + detail::format_number(options.quantile_fraction) +
                             " is not allowed; quantile_fraction must be in (0, 0.5]");
    if (!(options.resample_probability >= 0 && options.resample_probability <= 1))
      throw invalid_argument(std::string(who) + ": resample_probability = " +
                             detail::format_number(options.resample_probability) +
                             " is not allowed; resample_probability must be in [0, 1]");
    if (options.perturbation_factors.empty())
      throw invalid_argument(std::string(who) + ": perturbation_factors is empty; give at least one factor");
    for (double f : options.perturbation_factors)
      if (!(f > 0) || !std::isfinite(f))
        throw invalid_argument(std::string(who) + ": perturbation_factors holds " + detail::format_number(f) +
                               "; every factor must be positive and finite");
    if (options.max_step) detail::require_at_least(who, "max_step", *options.max_step, 1);
    shared_->seed = detail::seed_or_entropy(options.seed);
    shared_->options = std::move(options);
  }

  /// True at the end of a segment: the trial has trained
  /// `perturbation_interval` steps past its start (and, with `max_step`,
  /// has not reached it). Records the member's score, which ranks it when
  /// its next trial is planned.
  bool should_prune(const study_view& view, const frozen_trial& t) {
    std::lock_guard lock(shared_->mutex);
    shared& s = *shared_;
    s.direction_ = view.single_direction();
    s.sync(view);
    if (t.intermediate_values.empty()) return false;
    plan& p = s.plan_for(t.number);
    const auto& [step, value] = *t.intermediate_values.rbegin();
    if (s.options.max_step && step >= *s.options.max_step) return false;
    if (step - p.start_step < s.options.perturbation_interval) return false;
    member& m = s.members[static_cast<std::size_t>(p.member)];
    m.progress = step;
    m.score = value;
    m.history[step] = value;
    m.params = t.params;
    m.distributions = t.distributions;
    // Hand the worker over only if another member is waiting for one;
    // otherwise training on in this trial is the same as continuing.
    if (!s.someone_waiting(&m)) {
      p.start_step = step;
      return false;
    }
    m.breaking = true;
    return true;
  }

  /// A sampler that gives each trial its member's parameters (see the class
  /// comment); `base` proposes the parameters of new members.
  template <class Base>
  pbt_sampler<Base> sampler(Base base) const {
    return pbt_sampler<Base>(shared_, std::move(base));
  }

  /// Stores `state` as the checkpoint of the member trial `t` trains, at
  /// the trial's last reported step (0 before any report). Call it before
  /// returning `tunekit::pruned` at a segment end; a later call replaces it.
  template <class State>
  void save(const trial& t, State state) {
    auto stored = std::make_shared<const State>(std::move(state));
    std::lock_guard lock(shared_->mutex);
    shared& s = *shared_;
    member& m = s.members[static_cast<std::size_t>(s.plan_for(t.number()).member)];
    m.state = std::move(stored);
    m.type = typeid(State);
    const auto& iv = t.frozen().intermediate_values;
    m.state_step = iv.empty() ? 0 : iv.rbegin()->first;
    m.state_trial = t.number();
  }

  /// The checkpoint trial `t` continues from, or nothing for a new member
  /// (train from scratch, from step 0). Records the lineage as user
  /// attributes of the trial: "pbt:member", "pbt:start_step" and, when it
  /// copied another member, "pbt:copied_member" and "pbt:copied_trial".
  /// `invalid_argument` if the checkpoint was saved as another type.
  template <class State>
  std::optional<pbt_checkpoint<State>> restore(trial& t) {
    plan p;
    {
      std::lock_guard lock(shared_->mutex);
      p = shared_->plan_for(t.number());
    }
    t.set_user_attr("pbt:member", p.member);
    t.set_user_attr("pbt:start_step", p.start_step);
    if (p.copied_member >= 0) {
      t.set_user_attr("pbt:copied_member", p.copied_member);
      t.set_user_attr("pbt:copied_trial", p.state_trial);
    }
    if (!p.state) return std::nullopt;
    if (p.type != typeid(State))
      throw invalid_argument("pbt_scheduler::restore: the checkpoint of trial " + std::to_string(p.state_trial) +
                             " was saved as another type than the one asked for");
    return pbt_checkpoint<State>{p.start_step, std::static_pointer_cast<const State>(p.state), p.state_trial};
  }

  /// The plan of trial number `n` (assigning it now if it has none).
  plan plan_of(std::int64_t trial_number) {
    std::lock_guard lock(shared_->mutex);
    return shared_->plan_for(trial_number);
  }

  /// Members so far (population_size, more if some were forked).
  std::int64_t n_members() const {
    std::lock_guard lock(shared_->mutex);
    return static_cast<std::int64_t>(shared_->members.size());
  }

  const pbt_scheduler_options& options() const noexcept { return shared_->options; }

 private:
  template <class Base>
  friend class pbt_sampler;

  struct shared {
    std::mutex mutex;
    pbt_scheduler_options options;
    std::uint64_t seed = 0;
    direction direction_ = direction::minimize;
    std::vector<member> members;
    std::map<std::int64_t, plan> plans;  // by trial number, until the trial finishes
    detail::finished_cursor cursor;

    /// Takes in finished trials: their members become idle, or finished
    /// when the trial completed (or failed).
    void sync(const study_view& view) {
      direction_ = view.single_direction();
      cursor.sync(
          view, [] {},
          [&](const frozen_trial& done) {
            auto it = plans.find(done.number);
            if (it == plans.end()) return;
            member& m = members[static_cast<std::size_t>(it->second.member)];
            m.running = false;
            m.breaking = false;
            if (!done.params.empty()) {
              m.params = done.params;
              m.distributions = done.distributions;
            }
            if (done.state != trial_state::pruned) {
              m.finished = true;
              if (!done.intermediate_values.empty()) m.progress = done.intermediate_values.rbegin()->first;
              if (done.state == trial_state::complete && done.values.size() == 1) {
                m.score = done.values[0];
                m.history[m.progress] = done.values[0];
              }
            } else if (!done.intermediate_values.empty() && done.intermediate_values.rbegin()->first > m.progress) {
              // Stopped by the user, not at a segment end: still a score.
              m.progress = done.intermediate_values.rbegin()->first;
              m.score = done.intermediate_values.rbegin()->second;
              m.history[m.progress] = *m.score;
            }
            plans.erase(it);
          });
    }

    /// A member's score as of step `at`: its last segment-end score at or
    /// before that step. Members are compared at the same step, so one that
    /// has trained further does not look better for that alone.
    static std::optional<double> score_at(const member& m, std::int64_t at) {
      auto it = m.history.upper_bound(at);
      if (it == m.history.begin()) return std::nullopt;
      return std::prev(it)->second;
    }

    /// The members with a score as of step `at`, best first (NaN last), and
    /// how many make a quantile (Ray Tune's rule: ceil(n * fraction), at
    /// most n / 2). O(population log population).
    std::pair<std::vector<const member*>, std::size_t> ranking(std::int64_t at) const {
      std::vector<std::pair<double, const member*>> scored;
      for (const auto& m : members)
        if (auto s = score_at(m, at)) scored.emplace_back(*s, &m);
      std::sort(scored.begin(), scored.end(), [&](const auto& a, const auto& b) {
        if (std::isnan(a.first) != std::isnan(b.first)) return std::isnan(b.first);
        if (a.first != b.first && !std::isnan(a.first)) return better(direction_, a.first, b.first);
        return a.second->index < b.second->index;
      });
      std::vector<const member*> order;
      for (const auto& [score, m] : scored) order.push_back(m);
      auto q = static_cast<std::size_t>(std::ceil(static_cast<double>(order.size()) * options.quantile_fraction));
      q = std::min(q, order.size() / 2);
      return {std::move(order), q};
    }

    bool in_bottom(const member& m) const {
      auto [order, q] = ranking(m.progress);
      for (std::size_t i = order.size() - q; i < order.size(); ++i)
        if (order[i] == &m) return true;
      return false;
    }

    /// A top-quantile member (as of step `at`) with a checkpoint, other than
    /// `self`, drawn with `engine`.
    const member* pick_donor(const member* self, std::int64_t at, random_engine& engine) const {
      auto [order, q] = ranking(at);
      std::vector<const member*> top;
      for (std::size_t i = 0; i < q; ++i)
        if (order[i] != self && order[i]->state) top.push_back(order[i]);
      if (top.empty()) return nullptr;
      return top[engine.below(top.size())];
    }

    /// A member other than `self` could use a worker now: the population is
    /// not full yet, a member is idle, or one is about to be.
    bool someone_waiting(const member* self) const {
      if (static_cast<std::int64_t>(members.size()) < options.population_size) return true;
      return std::any_of(members.begin(), members.end(), [&](const member& m) {
        return &m != self && !m.finished && (!m.running || m.breaking);
      });
    }

    bool is_mutable(std::string_view name) const {
      if (options.mutable_params.empty()) return true;
      return std::find(options.mutable_params.begin(), options.mutable_params.end(), name) !=
             options.mutable_params.end();
    }

    /// Explore: resample or perturb each mutable parameter.
    param_map explore(const member& donor, random_engine& engine) const {
      param_map out = donor.params;
      for (auto& [name, value] : out) {
        if (!is_mutable(name)) continue;
        auto d = donor.distributions.find(name);
        if (d == donor.distributions.end()) continue;
        const distribution& dist = d->second;
        double next = value;
        if (engine.uniform() < options.resample_probability) {
          next = from_unit(dist, engine.uniform());
        } else if (auto c = std::get_if<categorical_distribution>(&dist)) {
          const auto n = static_cast<double>(c->size());
          next = std::clamp(value + (engine.below(2) ? 1.0 : -1.0), 0.0, n - 1);
        } else {
          const double f = options.perturbation_factors[engine.below(options.perturbation_factors.size())];
          next = value * f;
          if (auto fd = std::get_if<float_distribution>(&dist)) {
            next = std::clamp(next, fd->low(), fd->high());
            if (fd->step()) next = from_unit(dist, to_unit(dist, next));
          } else {
            const auto& id = std::get<int_distribution>(dist);
            next = std::clamp(next, static_cast<double>(id.low()), static_cast<double>(id.high()));
            next = from_unit(dist, to_unit(dist, next));
          }
        }
        if (contains(dist, next)) value = next;
      }
      return out;
    }

    /// The plan of trial `number`, made on first use (O(population)).
    plan& plan_for(std::int64_t number) {
      if (auto it = plans.find(number); it != plans.end()) return it->second;
      random_engine engine = stream_for(seed, number, "pbt");
      plan p;
      member* chosen = nullptr;
      if (static_cast<std::int64_t>(members.size()) < options.population_size) {
        chosen = &new_member();
      } else {
        for (auto& m : members)
          if (!m.running && !m.finished && (!chosen || m.progress < chosen->progress)) chosen = &m;
      }
      if (chosen) {
        p.member = chosen->index;
        // Exploit is decided now, not at the segment end: by the time a member
        // is rescheduled, the others have reached about the same step.
        const member* donor = nullptr;
        if (chosen->score && in_bottom(*chosen)) donor = pick_donor(chosen, chosen->progress, engine);
        if (donor) {
          adopt(p, *donor);
          p.params = explore(*donor, engine);
          p.copied_member = donor->index;
        } else if (!chosen->params.empty() || chosen->state) {
          adopt(p, *chosen);
        }
      } else {  // every member is busy (a worker came between a segment end and its trial's end): fork
        const std::int64_t latest = std::numeric_limits<std::int64_t>::max();
        const member* donor = pick_donor(nullptr, latest, engine);
        if (!donor) {
          auto [order, q] = ranking(latest);
          for (const member* m : order)
            if (m->state) { donor = m; break; }
        }
        // new_member() may reallocate: remember the donor by index.
        const std::int64_t donor_index = donor ? donor->index : -1;
        member& fork = new_member();
        p.member = fork.index;
        if (donor_index >= 0) {
          const member& d = members[static_cast<std::size_t>(donor_index)];
          adopt(p, d);
          p.params = explore(d, engine);
          p.copied_member = donor_index;
          fork.progress = d.state_step;
        }
        chosen = &fork;
      }
      chosen->running = true;
      return plans.emplace(number, std::move(p)).first->second;
    }

    member& new_member() {
      member m;
      m.index = static_cast<std::int64_t>(members.size());
      members.push_back(std::move(m));
      return members.back();
    }

    /// Continue from `m`'s checkpoint with its parameters.
    static void adopt(plan& p, const member& m) {
      p.fresh = m.params.empty();
      p.params = m.params;
      p.distributions = m.distributions;
      p.state = m.state;
      p.type = m.type;
      p.start_step = m.state ? m.state_step : 0;
      p.state_trial = m.state_trial;
    }
  };

  std::shared_ptr<shared> shared_;
};

static_assert(scheduler<pbt_scheduler>);

/// The sampler side of `pbt_scheduler`: new members get `Base`'s
/// parameters, continuing and exploiting members their planned ones. Made by
/// `pbt.sampler(base)`; always relational, whatever `Base` is.
template <class Base>
class pbt_sampler {
  static_assert(sampler<Base>, "tunekit::pbt_sampler<Base>: Base must satisfy tunekit::sampler");

 public:
  search_space infer_relative_search_space(const study_view& view, const frozen_trial& t) {
    if (auto planned = planned_space(view, t)) return *planned;
    if constexpr (relational_sampler<Base>) return base_.infer_relative_search_space(view, t);
    else return {};
  }

  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    const pbt_scheduler::plan p = plan(view, t);
    if (p.fresh) {
      if constexpr (relational_sampler<Base>) return base_.sample_relative(view, t, space);
      else return {};
    }
    param_map out;
    for (const auto& [name, d] : space)
      if (auto v = planned_value(p, name, d)) out.insert_or_assign(name, *v);
    return out;
  }

  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) {
    const pbt_scheduler::plan p = plan(view, t);
    if (!p.fresh)
      if (auto v = planned_value(p, name, d)) return *v;
    return base_.sample_independent(view, t, name, d);
  }

  void after_trial(const study_view& view, const frozen_trial& t)
    requires requires(Base& b) { b.after_trial(view, t); }
  {
    base_.after_trial(view, t);
  }

  /// True when no member is waiting for a worker: every member has finished
  /// or is training, and the ones training will train on to the end.
  bool is_exhausted(const study_view& view) {
    std::lock_guard lock(shared_->mutex);
    shared_->sync(view);
    return !shared_->someone_waiting(nullptr);
  }

  Base& base() noexcept { return base_; }

 private:
  friend class pbt_scheduler;
  pbt_sampler(std::shared_ptr<pbt_scheduler::shared> s, Base base) : shared_(std::move(s)), base_(std::move(base)) {}

  pbt_scheduler::plan plan(const study_view& view, const frozen_trial& t) {
    std::lock_guard lock(shared_->mutex);
    shared_->sync(view);
    return shared_->plan_for(t.number);
  }

  std::optional<search_space> planned_space(const study_view& view, const frozen_trial& t) {
    const pbt_scheduler::plan p = plan(view, t);
    if (p.fresh) return std::nullopt;
    search_space space;
    for (const auto& [name, d] : p.distributions) space.add(name, d);
    return space;
  }

  static std::optional<double> planned_value(const pbt_scheduler::plan& p, std::string_view name,
                                             const distribution& d) {
    auto v = p.params.find(name);
    auto pd = p.distributions.find(name);
    if (v == p.params.end() || pd == p.distributions.end() || !(pd->second == d)) return std::nullopt;
    return v->second;
  }

  std::shared_ptr<pbt_scheduler::shared> shared_;
  Base base_;
};

}  // namespace tunekit
