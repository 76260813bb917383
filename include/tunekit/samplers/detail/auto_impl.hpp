#pragma once

/// The implementation behind `tunekit::auto_sampler` (samplers/auto.hpp has
/// the rule; docs/samplers.md the measurements). Included by that header in
/// header-only mode and by the compiled library (src/samplers.cpp), never by
/// a compiled-mode user's translation unit.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../core/concepts.hpp"
#include "../../core/distribution.hpp"
#include "../../core/errors.hpp"
#include "../../core/random.hpp"
#include "../../detail/format.hpp"
#include "../../detail/resource_meter.hpp"
#include "../../mo/constraints.hpp"
#include "../auto.hpp"
#include "../cmaes.hpp"
#include "../gp.hpp"
#include "../nsga2.hpp"
#include "../random.hpp"
#include "../tpe.hpp"

namespace tunekit::detail {

template <class = void>
class auto_sampler_impl {
 public:
  enum class choice { gp, tpe, cmaes, nsga2 };

  static std::string_view name_of(choice c) noexcept {
    switch (c) {
      case choice::gp: return "gp";
      case choice::tpe: return "tpe";
      case choice::cmaes: return "cmaes";
      case choice::nsga2: return "nsga2";
    }
    return "gp";
  }

  explicit auto_sampler_impl(auto_sampler_options options)
      : options_(validated(std::move(options))),
        seed_(options_.seed ? *options_.seed : seed_or_entropy(std::nullopt)),
        gp_({.seed = child_seed(1)}),
        tpe_({.seed = child_seed(2)}),
        nsga2_({.seed = child_seed(4)}) {}

  const auto_sampler_options& options() const noexcept { return options_; }
  std::uint64_t seed() const noexcept { return seed_; }
  const auto_diagnostics& diagnostics() const noexcept { return diag_; }

  attributes new_trial_system_attrs(const study_view& view) {
    const choice c = decide(view);
    attributes attrs;
    if (c == choice::nsga2) attrs = nsga2_.new_trial_system_attrs(view);
    attrs[std::string(auto_sampler_key)] = std::string(name_of(c));
    return attrs;
  }

  search_space infer_relative_search_space(const study_view& view, const frozen_trial& t) {
    switch (choice_for(view, t)) {
      case choice::gp: return gp_.infer_relative_search_space(view, t);
      case choice::tpe: return tpe_.infer_relative_search_space(view, t);
      case choice::cmaes: return cmaes(view).infer_relative_search_space(view, t);
      case choice::nsga2: return nsga2_.infer_relative_search_space(view, t);
    }
    return {};
  }

  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    switch (choice_for(view, t)) {
      case choice::gp: {
        const double start = resource_meter::thread_cpu_seconds();
        param_map out = gp_.sample_relative(view, t, space);
        diag_.last_gp_ask_seconds = resource_meter::thread_cpu_seconds() - start;
        if (diag_.last_gp_ask_seconds > options_.gp_max_ask_seconds) diag_.gp_too_slow = true;
        return out;
      }
      case choice::tpe: return tpe_.sample_relative(view, t, space);
      case choice::cmaes: {
        try {
          return cmaes(view).sample_relative(view, t, space);
        } catch (const invalid_argument&) {
          // The warm start found no usable source (e.g. the trials so far
          // lack a parameter of this space): CMA-ES from the centre instead.
          cmaes_.emplace(cmaes_options({}));
          return cmaes_->sample_relative(view, t, space);
        }
      }
      case choice::nsga2: return nsga2_.sample_relative(view, t, space);
    }
    return {};
  }

  /// Parameters the relative sampler left out: GP's, TPE's and NSGA-II's own
  /// fallbacks; under CMA-ES (categorical and conditional parameters) TPE's
  /// univariate estimator over all trials instead of uniform draws.
  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) {
    switch (choice_for(view, t)) {
      case choice::gp: return gp_.sample_independent(view, t, name, d);
      case choice::tpe:
      case choice::cmaes: return tpe_.sample_independent(view, t, name, d);
      case choice::nsga2: return nsga2_.sample_independent(view, t, name, d);
    }
    return from_unit(d, 0.5);
  }

 private:
  struct param_stats {
    std::int64_t count = 0;  // COMPLETE trials that have it
    bool categorical = false;
  };

  [[noreturn]] static void bad_option(const std::string& what) {
    throw invalid_argument("auto_sampler_options: " + what);
  }

  static auto_sampler_options validated(auto_sampler_options o) {
    if (o.gp_max_objectives < 1 || o.gp_max_objectives > 3)
      bad_option("gp_max_objectives = " + std::to_string(o.gp_max_objectives) +
                 " must lie in [1, 3] (the GP models 1 to 3 objectives)");
    if (o.gp_max_constrained_objectives < 1 || o.gp_max_constrained_objectives > 3)
      bad_option("gp_max_constrained_objectives = " + std::to_string(o.gp_max_constrained_objectives) +
                 " must lie in [1, 3] (the GP models 1 to 3 objectives)");
    if (o.gp_max_trials < 0) bad_option("gp_max_trials = " + std::to_string(o.gp_max_trials) + " must be >= 0");
    if (!(o.gp_max_ask_seconds > 0))
      bad_option("gp_max_ask_seconds = " + format_number(o.gp_max_ask_seconds) + " must be positive");
    if (!(o.max_categorical_fraction >= 0 && o.max_categorical_fraction <= 1))
      bad_option("max_categorical_fraction = " + format_number(o.max_categorical_fraction) + " must lie in [0, 1]");
    if (!(o.cmaes_warm_start_alpha > 0) || !std::isfinite(o.cmaes_warm_start_alpha))
      bad_option("cmaes_warm_start_alpha = " + format_number(o.cmaes_warm_start_alpha) + " must be positive and finite");
    if (!(o.cmaes_warm_start_gamma > 0 && o.cmaes_warm_start_gamma <= 1))
      bad_option("cmaes_warm_start_gamma = " + format_number(o.cmaes_warm_start_gamma) + " must lie in (0, 1]");
    return o;
  }

  std::optional<std::uint64_t> child_seed(std::uint64_t k) const {
    return options_.seed ? std::optional<std::uint64_t>(mix(*options_.seed, k)) : std::nullopt;
  }

  cmaes_sampler_options cmaes_options(std::vector<frozen_trial> sources) const {
    return {.seed = child_seed(3),
            .source_trials = std::move(sources),
            .warm_start_gamma = options_.cmaes_warm_start_gamma,
            .warm_start_alpha = options_.cmaes_warm_start_alpha,
            .warn_independent_sampling = false};
  }

  /// The CMA-ES sampler, created when first needed, warm-started from the
  /// COMPLETE trials the other samplers proposed (the same ones for every
  /// worker that creates it before a GP trial finishes late).
  cmaes_sampler& cmaes(const study_view& view) {
    if (cmaes_) return *cmaes_;
    std::vector<frozen_trial> sources;
    for (const auto& t : view.finished())
      if (t.state == trial_state::complete && t.values.size() == 1 && std::isfinite(t.values[0]) &&
          label_of(t) != name_of(choice::cmaes))
        sources.push_back(t);
    cmaes_.emplace(cmaes_options(std::move(sources)));
    return *cmaes_;
  }

  static std::string_view label_of(const frozen_trial& t) {
    const auto it = t.system_attrs.find(auto_sampler_key);
    if (it == t.system_attrs.end() || !it->second.is_string()) return {};
    return it->second.template get_ref<const std::string&>();
  }

  /// The choice stored with the trial, or (an enqueued trial, a trial made
  /// without the hook) the one the study's state gives now.
  choice choice_for(const study_view& view, const frozen_trial& t) {
    const std::string_view label = label_of(t);
    for (choice c : {choice::gp, choice::tpe, choice::cmaes, choice::nsga2})
      if (label == name_of(c)) return c;
    return decide(view);
  }

  /// Takes in the trials that finished since the last call. A study of
  /// another name, fewer finished trials or other directions (a same-named
  /// study re-created with other objectives) is another study: everything
  /// learnt, the delegates included, starts afresh.
  void scan(const study_view& view) {
    const auto& finished = view.finished();
    const auto dirs = view.directions();
    if (view.name() != study_name_ || finished.size() < scanned_ ||
        !std::equal(dirs.begin(), dirs.end(), directions_.begin(), directions_.end())) {
      study_name_ = view.name();
      directions_.assign(dirs.begin(), dirs.end());
      scanned_ = 0;
      n_complete_ = 0;
      params_.clear();
      seen_ = {};
      tpe_after_gp_ = false;
      constrained_ = false;
      cmaes_.reset();
      diag_ = {};
      gp_ = gp_sampler({.seed = child_seed(1)});
      tpe_ = tpe_sampler({.seed = child_seed(2)});
      nsga2_ = nsga2_sampler({.seed = child_seed(4)});
    }
    for (; scanned_ < finished.size(); ++scanned_) {
      const frozen_trial& t = finished[scanned_];
      for (choice c : {choice::gp, choice::tpe, choice::cmaes, choice::nsga2})
        if (label_of(t) == name_of(c)) {
          if (c == choice::tpe && seen(choice::gp)) tpe_after_gp_ = true;
          seen_[static_cast<std::size_t>(c)] = true;
        }
      if (t.system_attrs.count(detail::constraints_key) != 0) constrained_ = true;
      if (t.state != trial_state::complete) continue;
      ++n_complete_;
      for (const auto& [name, d] : t.distributions) {
        auto& p = params_[name];
        ++p.count;
        p.categorical = std::holds_alternative<categorical_distribution>(d) && !single(d);
      }
    }
  }

  bool seen(choice c) const noexcept { return seen_[static_cast<std::size_t>(c)]; }

  std::string gp_slow_words() const {
    return "a GP ask took " + format_number(diag_.last_gp_ask_seconds) + " s of CPU > gp_max_ask_seconds";
  }

  choice decide(const study_view& view) {
    scan(view);
    diag_.n_complete = n_complete_;
    auto pick = [&](choice c, std::string why) {
      diag_.sampler = std::string(name_of(c));
      diag_.reason = std::move(why);
      return c;
    };
    const std::size_t m = view.directions().size();
    const std::string objectives = std::to_string(m) + " objectives";
    const std::int64_t gp_max = constrained_ ? options_.gp_max_constrained_objectives : options_.gp_max_objectives;
    if (m > 1 && static_cast<std::int64_t>(m) > gp_max) {
      const bool before_constraints_known =
          n_complete_ == 0 && static_cast<std::int64_t>(m) <= options_.gp_max_constrained_objectives;
      return pick(choice::tpe, objectives + (constrained_ ? " with constraints > gp_max_constrained_objectives"
                                                          : " > gp_max_objectives") +
                                   ": multi-objective TPE" +
                                   (m > 3                     ? " (the GP models at most 3)"
                                    : before_constraints_known ? " (no COMPLETE trial yet to show constraints)"
                                                               : ""));
    }
    if (n_complete_ == 0)
      return pick(choice::gp, (m > 1 ? objectives + ", " : std::string()) +
                                  "no COMPLETE trial yet: the GP's quasi-random start");
    std::int64_t n_categorical = 0;
    for (const auto& [name, p] : params_) {
      if (p.count < n_complete_)
        return pick(choice::tpe, "conditional space: parameter " + tunekit::detail::quoted(name) + " is in " + std::to_string(p.count) +
                                     " of " + std::to_string(n_complete_) + " COMPLETE trials");
      if (p.categorical) ++n_categorical;
    }
    if (!params_.empty() &&
        static_cast<double>(n_categorical) > options_.max_categorical_fraction * static_cast<double>(params_.size()))
      return pick(choice::tpe, std::to_string(n_categorical) + " of " + std::to_string(params_.size()) +
                                   " parameters are categorical");
    const std::string few = std::to_string(n_complete_) + " COMPLETE trials";
    if (m > 1) {  // the GP (LogEHVI), then multi-objective TPE: CMA-ES has one objective
      if (tpe_after_gp_) return pick(choice::tpe, objectives + ": multi-objective TPE has taken over");
      if (n_complete_ >= options_.gp_max_trials)
        return pick(choice::tpe, objectives + ", " + few + " >= gp_max_trials: multi-objective TPE");
      if (diag_.gp_too_slow) return pick(choice::tpe, objectives + ", " + gp_slow_words() + ": multi-objective TPE");
      return pick(choice::gp, objectives + ", numeric space, " + few + " < gp_max_trials: the GP (LogEHVI)");
    }
    if (constrained_) {  // CMA-ES and one-objective TPE ignore constraints; the GP and NSGA-II do not
      if (seen(choice::nsga2)) return pick(choice::nsga2, "constraints: NSGA-II has taken over");
      if (diag_.gp_too_slow)
        return pick(choice::nsga2, "constraints, " + gp_slow_words() + ": NSGA-II (CMA-ES ignores constraints)");
      return pick(choice::gp, "constraints, numeric space, " + few +
                                  ": the GP (log EI + log feasibility) at any number of trials (CMA-ES ignores constraints)");
    }
    if (seen(choice::cmaes)) return pick(choice::cmaes, "CMA-ES has taken over");
    if (n_complete_ >= options_.gp_max_trials) return pick(choice::cmaes, few + " >= gp_max_trials");
    if (diag_.gp_too_slow) return pick(choice::cmaes, gp_slow_words());
    return pick(choice::gp, "numeric space, " + few + " < gp_max_trials");
  }

  auto_sampler_options options_;
  std::uint64_t seed_;
  gp_sampler gp_;
  tpe_sampler tpe_;
  nsga2_sampler nsga2_;
  std::optional<cmaes_sampler> cmaes_;

  std::string study_name_;
  std::vector<direction> directions_;
  std::size_t scanned_ = 0;
  std::int64_t n_complete_ = 0;
  std::map<std::string, param_stats, std::less<>> params_;
  std::array<bool, 4> seen_{};  ///< by choice: a finished trial carries its label
  bool tpe_after_gp_ = false;   ///< a TPE trial followed a GP one (the GP -> TPE switch)
  bool constrained_ = false;    ///< a finished trial carries constraint values
  auto_diagnostics diag_;
};

}  // namespace tunekit::detail
