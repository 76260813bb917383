#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../detail/append_log.hpp"
#include "../detail/budget_ladder.hpp"
#include "../detail/rank_correlation.hpp"

namespace tunekit {

/// Options of `budget_aware_sampler`: the budgets are min_resource · η^k up
/// to max_resource (and max_resource itself), as for `bohb_sampler`.
struct budget_aware_sampler_options {
  std::int64_t min_resource = 1;
  /// The last step a trial trains to. Required.
  std::optional<std::int64_t> max_resource = std::nullopt;
  std::int64_t reduction_factor = 3;
  /// A budget is modelled once this many trials have a value there (>= 1;
  /// 10 is tpe_sampler's n_startup_trials, below which it draws at random).
  std::int64_t min_observations = 10;
  /// Model a smaller budget when it ranks trials as the largest qualifying
  /// one does: the smallest budget whose values have Spearman correlation
  /// >= this with that budget's values, over the trials that have both (at
  /// least `min_observations` of them). It lets the model learn from every
  /// trial stopped early when early rankings hold, and falls back to the
  /// larger budget when curves cross. std::nullopt: BOHB's rule as published
  /// (always the largest budget with enough values). In (-1, 1]; 0.9 was
  /// chosen on seven multi-fidelity functions, four of them held back
  /// (benchmarks/RESULTS.md, "Budget-aware TPE with a rank check").
  std::optional<double> min_rank_agreement = 0.9;
  /// The rank check moves to a smaller budget only while that budget holds at
  /// most this many values (>= min_observations): the inner sampler's ask
  /// grows with its trials (TPE's is about 0.5 ms at 1 000 in 10-D), and by
  /// then a larger budget has plenty.
  std::int64_t max_observations = 1000;
};

/// BOHB's budget rule (Falkner et al. 2018, Algorithm 2) around any
/// relational sampler, with a rank check: the inner sampler sees the study as
/// it stood at one budget, every trial that reached that budget COMPLETE with
/// its value there. The budget is the largest with at least
/// `min_observations` values (BOHB's rule), or a smaller one that ranks the
/// trials as that one does (`min_rank_agreement`, on by default: when early
/// rankings hold, a value at a low budget is as informative as a final one,
/// and there are many more of them; similar in spirit to the rank-consistency
/// weights of MFES-HB, Li et al. 2021). So TPE (or GP) learns
/// from every trial a scheduler stopped at or past that rung, instead of
/// from the few that trained to the end, and never mixes values measured at
/// different budgets. While no budget qualifies, it sees the study as it is.
///
/// A trial's value at budget s is its report at the first step at or past s
/// (the rule ASHA judges by); a COMPLETE trial that never reported counts
/// at max_resource with its final value. A NaN value is left out; an
/// infinite one (either sign, either direction) is handed over as a PRUNED
/// trial without values, which ranks last in TPE and is skipped by GP and
/// CMA-ES, so no model ever sees an infinity. The views are named
/// "<study>/budget-<s>", so a sampler that caches per study keeps one cache
/// per budget. Running trials are passed through as they are (TPE's constant
/// liar). Use it with `bohb_scheduler` (or ASHA): with `hyperband_scheduler`
/// the inner sampler would see one bracket only.
///
/// Cost: one copy of each finished trial per budget it reached, made once
/// (O(new trials · budgets) per ask), plus the inner sampler's ask; the rank
/// check is redone only when a trial reaches the largest qualifying budget
/// (O(n · budgets + m log m), m = the trials that reached it).
template <class Inner>
class budget_aware_sampler {
 public:
  explicit budget_aware_sampler(Inner inner, budget_aware_sampler_options options = {})
      : inner_(std::move(inner)), options_(options) {
    budgets_ = detail::budget_ladder("budget_aware_sampler: ", options.min_resource, options.max_resource,
                                     options.reduction_factor);
    if (options.min_observations < 1)
      throw invalid_argument("budget_aware_sampler: min_observations = " + std::to_string(options.min_observations) +
                             "; must be >= 1");
    if (options.max_observations < options.min_observations)
      throw invalid_argument("budget_aware_sampler: max_observations = " + std::to_string(options.max_observations) +
                             "; must be >= min_observations (" + std::to_string(options.min_observations) + ")");
    if (options.min_rank_agreement && !(*options.min_rank_agreement > -1 && *options.min_rank_agreement <= 1))
      throw invalid_argument("budget_aware_sampler: min_rank_agreement = " +
                             std::to_string(*options.min_rank_agreement) +
                             "; must be in (-1, 1] (e.g. 0.9), or unset for BOHB's rule");
  }

  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) {
    return inner_.sample_independent(budget_view(view), t, name, d);
  }
  search_space infer_relative_search_space(const study_view& view, const frozen_trial& t) {
    return inner_.infer_relative_search_space(view, t);
  }
  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    return inner_.sample_relative(budget_view(view), t, space);
  }

  /// The budgets (steps) values are kept at.
  const std::vector<std::int64_t>& budgets() const noexcept { return budgets_; }
  /// The budget of the last view handed to the inner sampler, if any qualified.
  std::optional<std::int64_t> last_budget() const noexcept { return last_budget_; }
  Inner& inner() noexcept { return inner_; }

 private:
  struct per_study {
    std::vector<detail::append_log<frozen_trial>> logs;
    std::vector<std::shared_ptr<const study_info>> infos;
    std::size_t read = 0;
    /// For min_rank_agreement: each finished trial's value at budgets 0..j
    /// (NaN where it has none), for trials with values at two budgets or more.
    std::vector<std::vector<double>> ladders;
    /// The last choice, kept until the largest qualifying budget or its count changes.
    std::size_t agreed_top = 0, agreed_count = 0, agreed = 0;
  };

  /// The smallest budget with at most max_observations values that ranks the
  /// trials as budget `top` does (see min_rank_agreement), or `top`.
  /// Recomputed only when a trial reached `top` or the choice outgrew the cap.
  std::size_t agreeing_budget(per_study& s, std::size_t top) const {
    const auto at_most_max = [&](std::size_t k) {
      return static_cast<std::int64_t>(s.logs[k].size()) <= options_.max_observations;
    };
    if (s.agreed_top == top && s.agreed_count == s.logs[top].size() && (s.agreed == top || at_most_max(s.agreed)))
      return s.agreed;
    s.agreed_top = top;
    s.agreed_count = s.logs[top].size();
    s.agreed = top;
    std::vector<double> low, high;
    for (std::size_t k = 0; k < top; ++k) {
      if (!at_most_max(k)) continue;
      low.clear();
      high.clear();
      for (const auto& ladder : s.ladders)
        if (ladder.size() > top && std::isfinite(ladder[k]) && std::isfinite(ladder[top])) {
          low.push_back(ladder[k]);
          high.push_back(ladder[top]);
        }
      if (static_cast<std::int64_t>(low.size()) >= options_.min_observations &&
          detail::spearman(low, high) >= *options_.min_rank_agreement) {
        s.agreed = k;
        break;
      }
    }
    return s.agreed;
  }

  /// The view at the largest budget with enough values, or `view` itself.
  study_view budget_view(const study_view& view) {
    per_study& s = studies_[view.name()];
    const auto& finished = view.finished();
    if (s.logs.empty() || finished.size() < s.read) {
      s.logs.assign(budgets_.size(), {});
      s.infos.clear();
      for (auto b : budgets_)
        s.infos.push_back(std::make_shared<const study_info>(study_info{
            view.name() + "/budget-" + std::to_string(b),
            std::vector<direction>(view.directions().begin(), view.directions().end())}));
      s.read = 0;
      s.ladders.clear();
      s.agreed_count = 0;
    }
    for (; s.read < finished.size(); ++s.read) {
      const frozen_trial& t = finished[s.read];
      if (t.values.size() > 1) continue;  // single-objective studies only
      std::vector<double> ladder;
      auto add = [&](std::size_t k, double v) {
        auto copy = std::make_shared<frozen_trial>();
        copy->number = t.number;
        copy->id = t.id;
        // An infinity (a diverged run) must rank last and never reach a
        // model as a number: a PRUNED trial without reports is what TPE
        // ranks after every COMPLETE one and what GP and CMA-ES skip.
        copy->state = std::isfinite(v) ? trial_state::complete : trial_state::pruned;
        if (std::isfinite(v)) copy->values = {v};
        copy->params = t.params;
        copy->distributions = t.distributions;
        copy->system_attrs = t.system_attrs;
        s.logs[k].push_back(std::move(copy));
        if (options_.min_rank_agreement) {
          ladder.resize(k + 1, std::numeric_limits<double>::quiet_NaN());
          ladder[k] = v;
        }
      };
      detail::for_each_budget_value(t, budgets_, add);
      if (ladder.size() >= 2) s.ladders.push_back(std::move(ladder));
    }
    last_budget_.reset();
    for (std::size_t top = budgets_.size(); top-- > 0;)
      if (static_cast<std::int64_t>(s.logs[top].size()) >= options_.min_observations) {
        const std::size_t k = options_.min_rank_agreement ? agreeing_budget(s, top) : top;
        last_budget_ = budgets_[k];
        auto running = [base = view] { return base.running(); };
        return study_view(s.infos[k], s.logs[k].take_snapshot(), std::move(running), view.n_trials());
      }
    return view;
  }

  Inner inner_;
  budget_aware_sampler_options options_;
  std::vector<std::int64_t> budgets_;
  std::map<std::string, per_study, std::less<>> studies_;
  std::optional<std::int64_t> last_budget_;
};

}  // namespace tunekit
