#pragma once

/// \file
/// `auto_sampler`: picks, for every new trial, the sampler that measured best
/// for the study's kind of search space and its phase, so that a user need
/// not know which one that is. The rule and the measurements behind each
/// threshold are in docs/samplers.md ("auto_sampler"):
///
///   - more objectives than `gp_max_objectives` (2), or, once a finished
///     trial carries `constraints` values, than
///     `gp_max_constrained_objectives` (3): multi-objective TPE
///     (`tpe_sampler` on the study; constrained by the trials' `constraints`);
///   - no COMPLETE trial yet: the GP (its first trials are its Sobol start);
///   - a conditional space (a parameter some finished trials lack) or one
///     with more categorical than numeric parameters: TPE (multivariate,
///     grouped; multi-objective TPE with several objectives);
///   - 2 objectives (3 with constraints): the GP (LogEHVI; plus the log
///     probability of feasibility with constraints) while fewer than `gp_max_trials` trials are COMPLETE and its asks stay
///     under `gp_max_ask_seconds` of CPU, then multi-objective TPE;
///   - 1 objective with constraints (a finished trial has `constraints`
///     values): the GP at any number of trials (CMA-ES and one-objective
///     TPE ignore constraints) until one of its asks exceeds
///     `gp_max_ask_seconds`, then NSGA-II (constrained domination);
///   - 1 objective otherwise: the GP while fewer than `gp_max_trials` trials
///     are COMPLETE (and its asks stay under `gp_max_ask_seconds`);
///   - then CMA-ES, warm-started (WS-CMA-ES) from the trials so far, for the
///     numeric parameters; categorical ones are drawn by TPE's univariate
///     estimator over all trials.
///
/// Measured (benchmarks/RESULTS.md, "auto_sampler with several
/// objectives"; HV / true-front HV, medians of 5-10 seeds): with 2
/// objectives the GP is far above every other sampler at 50-250 trials
/// (ZDT1-3, WFG4, mlp_cost; e.g. ZDT1 at 100: 0.999 against MOTPE's 0.917).
/// With 3 and no constraints it is not safe: on 6 problems and seed sets
/// (DTLZ2, and 5 held back) at 100 trials it loses to multi-objective TPE
/// on 3 by 2-4x (DTLZ2 0.16 against 0.61, below random search) and wins on
/// 3 by 1.03-1.4x; at 50 trials TPE leads on 5 of 6; a 3-objective GP ask costs
/// ~42 ms of CPU at 100 trials (a 2-objective TPE ask 0.14 ms). With 3
/// objectives and constraints the GP is far ahead on the 3 constrained sets
/// (C2-DTLZ2, seeds 0-9 and 10-14, and with 12 parameters: 0.50, 0.55, 0.27
/// at 100 trials against TPE's 0.30, 0.22, 0.00): its feasibility model
/// keeps it out of DTLZ2's corners. With 4 objectives TPE beats NSGA-II
/// (DTLZ2, 0.46 against 0.28 at 100 trials).
///
/// Which sampler proposed a trial is stored with it, as the system attribute
/// `auto:sampler` ("gp", "tpe", "cmaes" or "nsga2"), so reports, callbacks
/// and every worker of the study can read it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../core/concepts.hpp"
#include "../detail/compiled_lib.hpp"
#include "detail/sampler_core.hpp"

namespace tunekit {

/// The system attribute that names the sampler `auto_sampler` used for a trial.
inline constexpr std::string_view auto_sampler_key = "auto:sampler";

/// Options of `auto_sampler`. The defaults are the measured ones
/// (docs/samplers.md); change them only to reproduce the measurements.
struct auto_sampler_options {
  /// Seed of every draw (each sampler gets one derived from it). Unset: GP
  /// and TPE draw a fresh seed; CMA-ES derives one from the study's name.
  std::optional<std::uint64_t> seed = std::nullopt;
  /// The GP proposes trials until this many trials are COMPLETE; CMA-ES then
  /// (multi-objective TPE with several objectives; no switch by count in a
  /// constrained one-objective study).
  std::int64_t gp_max_trials = 150;
  /// The GP for studies of at most this many objectives (1 to 3);
  /// multi-objective TPE for more. 2: with 3 objectives (no constraints)
  /// the GP lost to multi-objective TPE by 2-4x on 3 of 6 measured problems
  /// and seed sets at 100 trials and won by at most 1.4x (docs/samplers.md);
  /// 3 gives the GP those too.
  std::int64_t gp_max_objectives = 2;
  /// The same once a finished trial carries constraint values. 3: with
  /// constraints the GP led multi-objective TPE on every 3-objective set
  /// measured (C2-DTLZ2 at 100 trials: 0.50 against 0.30 of the front's HV;
  /// with 12 parameters 0.27 against 0.00, TPE found no feasible point).
  std::int64_t gp_max_constrained_objectives = 3;
  /// ... or until one GP ask has cost more than this much CPU (seconds, this
  /// thread). Measured cost is not reproducible: a seeded run may switch at
  /// another trial on another machine if its GP asks come near the limit.
  double gp_max_ask_seconds = 0.5;
  /// TPE instead of GP/CMA-ES when more than this fraction of the
  /// parameters is categorical.
  double max_categorical_fraction = 0.5;
  /// The width (unit cube) WS-CMA-ES adds around the best trials when
  /// CMA-ES takes over (cmaes_sampler_options::warm_start_alpha; CMA-ES's
  /// own default for a related study is 0.1: here the source is this study).
  double cmaes_warm_start_alpha = 0.02;
  /// The fraction of the trials so far (the best ones, at least one) whose
  /// mean and spread give CMA-ES's initial distribution
  /// (cmaes_sampler_options::warm_start_gamma): 0.02 of 150 is the best 3.
  double cmaes_warm_start_gamma = 0.02;
};

/// What `auto_sampler` decided for the last trial it saw.
struct auto_diagnostics {
  std::string sampler;  ///< "gp", "tpe", "cmaes" or "nsga2"
  std::string reason;   ///< why, in words
  std::int64_t n_complete = 0;       ///< COMPLETE trials the decision saw
  double last_gp_ask_seconds = 0;    ///< CPU of the last GP ask
  bool gp_too_slow = false;          ///< a GP ask exceeded gp_max_ask_seconds
};

namespace detail {
template <class>
class auto_sampler_impl;  // detail/auto_impl.hpp

/// The core of `auto_sampler`: a diagnosed sampler that also stores its
/// choice with each new trial.
class auto_sampler_core : public diagnosed_sampler_core<auto_sampler_options, auto_diagnostics> {
 public:
  virtual attributes new_trial_system_attrs(const study_view& view) = 0;
};

template <class Impl>
class auto_sampler_model final : public sampler_model<Impl, auto_sampler_core> {
 public:
  using sampler_model<Impl, auto_sampler_core>::sampler_model;
  const auto_diagnostics& diagnostics() const noexcept override { return this->impl_.diagnostics(); }
  attributes new_trial_system_attrs(const study_view& view) override {
    return this->impl_.new_trial_system_attrs(view);
  }
};
}  // namespace detail

/// The automatic sampler (see the file comment and docs/samplers.md).
/// A seeded sequential run is reproducible (unless a GP ask exceeds
/// `gp_max_ask_seconds`). A sampler instance serves one study at a time.
class auto_sampler : public detail::sampler_handle<detail::auto_sampler_core> {
  using core_type = detail::auto_sampler_core;

 public:
#if defined(TUNEKIT_COMPILED_LIB)
  /// Compiled mode: defined once, in the library (src/samplers.cpp).
  explicit auto_sampler(auto_sampler_options options = {});
#else
  /// A template only so that a translation unit compiles the implementation
  /// (and TPE's, GP's and CMA-ES's) when it constructs one.
  template <class Impl = detail::auto_sampler_impl<void>>
  explicit auto_sampler(auto_sampler_options options = {})
      : detail::sampler_handle<core_type>(std::make_unique<detail::auto_sampler_model<Impl>>(std::move(options))) {}
#endif

  /// Chooses the new trial's sampler; the tuner stores the choice (and
  /// NSGA-II's generation and parents, in a constrained one-objective study
  /// past the GP's cost limit) with the trial.
  attributes new_trial_system_attrs(const study_view& view) { return core_->new_trial_system_attrs(view); }
  /// What the last decision was and why.
  const auto_diagnostics& diagnostics() const noexcept { return core_->diagnostics(); }
};

static_assert(relational_sampler<auto_sampler>);

}  // namespace tunekit

#if !defined(TUNEKIT_COMPILED_LIB) || defined(TUNEKIT_BUILDING_COMPILED_LIB)
#include "detail/auto_impl.hpp"
#endif
