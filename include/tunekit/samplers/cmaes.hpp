#pragma once

/// \file
/// `cmaes_sampler`: the covariance matrix adaptation evolution strategy, for
/// continuous (and integer) problems with budgets of hundreds of trials or
/// more, with IPOP/BIPOP restarts, separable CMA-ES, the margin for integers
/// and warm starting from a source study.
///
/// References (the formulas are in samplers/detail/cmaes_core.hpp):
///   - N. Hansen. *The CMA Evolution Strategy: A Tutorial*. arXiv:1604.00772, 2016.
///   - A. Auger, N. Hansen. *A Restart CMA Evolution Strategy With Increasing
///     Population Size*. CEC 2005 (IPOP).
///   - N. Hansen. *Benchmarking a BI-Population CMA-ES on the BBOB-2009
///     Function Testbed*. GECCO 2009 workshop (BIPOP).
///   - R. Ros, N. Hansen. *A Simple Modification in CMA-ES Achieving Linear
///     Time and Space Complexity*. PPSN 2008 (separable CMA-ES).
///   - R. Hamano, S. Saito, M. Nomura, S. Shirakawa. *CMA-ES with Margin*.
///     GECCO 2022.
///   - M. Nomura, S. Watanabe, Y. Akimoto, Y. Ozaki, M. Onishi. *Warm
///     Starting CMA-ES for Hyperparameter Optimization*. AAAI 2021.
///   - M. Nomura, Y. Akimoto, I. Ono. *CMA-ES with Learning Rate Adaptation*.
///     GECCO 2023.
///
/// How generations are shared between workers (threads or processes): the
/// sampler stores nothing. Every worker replays the study's finished trials
/// in the order the storage lists them, and recomputes the CMA-ES state
/// deterministically from them. A trial's candidate is drawn from a stream
/// that depends only on (seed, trial number), so any worker can recompute
/// the point that trial number n *would* have had in the current generation;
/// a finished trial belongs to the current generation exactly when its
/// parameters equal that point. The first lambda COMPLETE members of a
/// generation, in finish order, are told to the optimizer (PRUNED ones too
/// with `consider_pruned_trials`). Members that finish after their
/// generation was told, failed and (by default) pruned trials, and trials
/// that are not members (enqueued, warm-started, sampled from an older
/// generation) are ignored. Consequences, documented in docs/samplers.md:
///   - workers of one study must use the same seed (an unset seed is derived
///     from the study's name, so unseeded workers agree);
///   - with memory and journal storages every worker sees one finish order,
///     so all agree on every generation; the SQL storages list finished
///     trials in the order each process observed them, and two workers may
///     then disagree on which lambda trials formed a generation, after which
///     each ignores the other's trials of the generations they disagree on.
/// Cost of an ask: O(n^2) per trial finished since the previous ask (the
/// membership test), plus O(n^3) per generation (the eigendecomposition;
/// O(n) when separable): independent of the number of trials in the study.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../detail/compiled_lib.hpp"
#include "detail/sampler_core.hpp"

namespace tunekit {

/// What `cmaes_sampler` does when a run ends by its termination criteria.
enum class cmaes_restart {
  /// Keep going with the converged distribution (Optuna's default).
  none,
  /// IPOP (Auger & Hansen 2005): restart from a random mean with the
  /// population size multiplied by `inc_popsize`.
  ipop,
  /// BIPOP (Hansen 2009): alternate IPOP's growing populations with small
  /// populations of random size and smaller step, giving each regime about
  /// the same number of evaluations.
  bipop,
};

/// Options of `cmaes_sampler`. Scales are those of the unit cube each
/// parameter is mapped to (log parameters after the log).
struct cmaes_sampler_options {
  /// Seed of every draw. Unset: derived from the study's name, so that all
  /// workers of a study (which must share the seed) agree without one.
  std::optional<std::uint64_t> seed = std::nullopt;
  /// Initial step size on the unit cube; default 1/6 (Optuna: a sixth of the range).
  std::optional<double> sigma0 = std::nullopt;
  /// Initial mean by parameter name, as the user sees the values; parameters
  /// left out start at the centre of their range.
  param_values x0 = {};
  /// Population size lambda; default 4 + floor(3 ln n) for n parameters.
  std::optional<std::int64_t> population_size = std::nullopt;
  /// Trials drawn at random until this many trials are COMPLETE.
  std::int64_t n_startup_trials = 1;
  cmaes_restart restart_strategy = cmaes_restart::none;
  /// Factor of IPOP's (and BIPOP's large regime's) population growth.
  double inc_popsize = 2.0;
  /// A run ends (and restarts, with IPOP or BIPOP) when the best values of
  /// the last 10 + 30 n / lambda generations and all values of the last
  /// generation lie within `tolfun` (objective units; Hansen's 1e-12), or
  /// when every coordinate's standard deviation is below `tolx` times the
  /// initial step (Hansen's 1e-12). Larger values restart sooner.
  double tolfun = 1e-12;
  double tolx = 1e-12;
  /// Separable CMA-ES (diagonal covariance; Ros & Hansen 2008): O(n) per
  /// sample, faster learning, for high dimensions and separable problems.
  bool use_separable_cma = false;
  /// CMA-ES with margin (Hamano et al. 2022) on integer and stepped
  /// parameters, so they keep moving after the mean converges. No effect on
  /// continuous parameters. (Optuna's default is off.)
  bool with_margin = true;
  /// Learning-rate adaptation (Nomura et al. 2023): the mean's and the
  /// covariance's learning rates shrink while the update is noisy, which
  /// lets the default population handle noisy and multimodal objectives
  /// (at the price of slower convergence on easy ones).
  bool lr_adapt = false;
  /// WS-CMA-ES (Nomura et al. 2021): COMPLETE trials of a related source
  /// study (same direction), whose best `warm_start_gamma` fraction gives
  /// the initial mean and covariance. Matched by parameter name.
  std::vector<frozen_trial> source_trials = {};
  double warm_start_gamma = 0.1;
  /// Standard deviation (unit cube) of the Gaussian around each good source solution.
  double warm_start_alpha = 0.1;
  /// Let PRUNED trials with a value (their last intermediate value) count
  /// as members of a generation.
  bool consider_pruned_trials = false;
  /// Warn once on stderr when a parameter outside the relative search
  /// space (a categorical, a conditional one) is sampled independently.
  bool warn_independent_sampling = true;
};

/// What the sampler's replay arrived at: for tests, diagnostics and the curious.
struct cmaes_diagnostics {
  bool active = false;             ///< a CMA-ES run exists (startup is over)
  std::int64_t generation = 0;     ///< generations told in the current run
  std::int64_t n_generations = 0;  ///< generations told over all runs
  std::int64_t n_restarts = 0;
  std::vector<std::int64_t> population_sizes;  ///< lambda of each run, first run first
  std::vector<std::string> stop_reasons;       ///< why each finished run ended
  double sigma = 0;
  double eta_mean = 1, eta_cov = 1;  ///< learning rates (lr_adapt)
  std::vector<double> mean;  ///< unit-cube coordinates, in the order of the relative space
  bool warm_started = false;
  std::vector<std::string> independent_params;  ///< parameters sampled independently while CMA-ES ran
};
namespace detail {
template <class>
class cmaes_sampler_impl;  // detail/cmaes_impl.hpp
}  // namespace detail

/// CMA-ES sampler (see the file comment for the references, the fallbacks
/// and how workers share generations). Numeric parameters of the relative
/// space are modelled on the unit cube; categorical parameters, parameters
/// outside the relative space, multi-objective studies and the first
/// `n_startup_trials` trials are sampled at random. A seeded sequential run
/// is reproducible. A sampler instance serves one study at a time.
class cmaes_sampler
    : public detail::sampler_handle<detail::diagnosed_sampler_core<cmaes_sampler_options, cmaes_diagnostics>> {
  using core_type = detail::diagnosed_sampler_core<cmaes_sampler_options, cmaes_diagnostics>;

 public:
#if defined(TUNEKIT_COMPILED_LIB)
  /// Compiled mode: defined once, in the library (src/samplers.cpp).
  explicit cmaes_sampler(cmaes_sampler_options options = {});
#else
  /// A template only so that a translation unit compiles the implementation
  /// when it constructs a CMA-ES sampler, not when it merely names one.
  template <class Impl = detail::cmaes_sampler_impl<void>>
  explicit cmaes_sampler(cmaes_sampler_options options = {})
      : detail::sampler_handle<core_type>(
            std::make_unique<detail::diagnosed_sampler_model<Impl, core_type>>(std::move(options))) {}
#endif

  /// What the last ask's replay arrived at.
  const cmaes_diagnostics& diagnostics() const noexcept { return core_->diagnostics(); }
};

static_assert(relational_sampler<cmaes_sampler>);

}  // namespace tunekit

#if !defined(TUNEKIT_COMPILED_LIB) || defined(TUNEKIT_BUILDING_COMPILED_LIB)
#include "detail/cmaes_impl.hpp"
#endif
