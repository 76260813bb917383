#pragma once

/// \file
/// `gp_sampler`: Bayesian optimization with a Gaussian-process model, for
/// expensive objectives where the number of trials is what the user pays for.
///
/// References:
///   - C. E. Rasmussen, C. K. I. Williams. *Gaussian Processes for Machine
///     Learning*. MIT Press 2006 (GP regression, Matérn kernels, the marginal
///     likelihood and its gradient).
///   - J. Snoek, H. Larochelle, R. P. Adams. *Practical Bayesian Optimization
///     of Machine Learning Algorithms*. NeurIPS 2012 (Matérn 5/2 ARD for HPO).
///   - S. Ament, S. Daulton, D. Eriksson, M. Balandat, E. Bakshy. *Unexpected
///     Improvements to Expected Improvement for Bayesian Optimization*.
///     NeurIPS 2023 (LogEI, the default acquisition).
///   - C. Hvarfner, E. O. Hellsten, L. Nardi. *Vanilla Bayesian Optimization
///     Performs Great in High Dimensions*. ICML 2024 (the lengthscale prior).
///   - D. Eriksson, M. Pearce, J. Gardner, R. Turner, M. Poloczek. *Scalable
///     Global Optimization via Local Bayesian Optimization*. NeurIPS 2019
///     (TuRBO-1, the optional trust region).
///   - D. Ginsbourger, R. Le Riche, L. Carraro. *Kriging is well-suited to
///     parallelize optimization*. 2010 (the kriging believer for running trials).
///   - M. Emmerich, K. Giannakoglou, B. Naujoks. *Single- and multiobjective
///     evolutionary optimization assisted by Gaussian random field
///     metamodels*. IEEE TEC 10(4), 2006, and K. Yang, M. Emmerich, A. Deutz,
///     T. Bäck. *Efficient computation of expected hypervolume improvement
///     using box decomposition algorithms*. J. Glob. Optim. 75, 2019 (EHVI,
///     several objectives; detail/ehvi.hpp).
///   - J. Knowles. *ParEGO: a hybrid algorithm with on-line landscape
///     approximation for expensive multiobjective optimization problems*.
///     IEEE TEC 10(1), 2006 (random augmented Chebyshev scalarisations, mixed
///     with EHVI for several objectives).
///   - J. Gardner, M. Kusner, Z. Xu, K. Weinberger, J. Cunningham. *Bayesian
///     optimization with inequality constraints*. ICML 2014 (EI times the
///     probability of feasibility, for constraints).
///
/// Several objectives (2 or 3) and constraints: one GP per objective and per
/// constraint, on the same trials; the acquisition is log EHVI (or log EI)
/// plus the log probability that every constraint holds (detail/gp_outputs.hpp).
///
/// Cost of one ask with n usable trials in D dimensions, C candidates, per modelled output:
/// O(n^2 D) to refresh the pairwise geometry (O(n D) when one trial was
/// added), per marginal-likelihood evaluation O(n^3) (Cholesky and K^-1 from
/// its factor; a warm-started fit takes one or two dozen), O(C n^2) to score the candidates and
/// O(n^2) per refinement step. Memory O(n^2 D).
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

/// The acquisition function `gp_sampler` maximises.
enum class gp_acquisition {
  /// Log expected improvement (Ament et al. 2023): EI's choices, without its
  /// vanishing values and gradients far from the incumbent.
  log_ei,
  /// Lower confidence bound mean - kappa * sd (for minimisation; Srinivas et al. 2010).
  ucb,
  /// Log probability of improvement (Kushner 1964): greedier than EI.
  log_pi,
};

/// Options of `gp_sampler`.
struct gp_sampler_options {
  /// Trials taken from the scrambled Sobol sequence (as `qmc_sampler` with
  /// the same seed) until this many trials are COMPLETE.
  std::int64_t n_startup_trials = 10;
  /// The acquisition of single-objective studies; studies of several
  /// objectives use log EHVI and need the default, `log_ei`.
  gp_acquisition acquisition = gp_acquisition::log_ei;
  /// Exploration weight of `gp_acquisition::ucb`.
  double ucb_kappa = 2.0;
  /// Points scored per ask: half from a scrambled Sobol sequence over the
  /// space, half perturbations of the best trials so far.
  std::int64_t n_candidates = 1024;
  /// The best candidates refined by the bounded gradient method.
  std::int64_t n_refine = 4;
  /// Random hyperparameter draws (from the priors) screened per fit; a
  /// quarter of them (at least one) once the previous fit is there as a warm
  /// start. The best draw is optimised too when it beats the warm start
  /// (or when there is none).
  std::int64_t n_restarts = 8;
  /// Studies of several objectives: the fraction of asks that maximise log
  /// EI of a random augmented Chebyshev scalarisation of the objectives
  /// (ParEGO, Knowles 2006: weights uniform on the simplex, objectives
  /// normalised to the range the modelled trials span) instead of log EHVI.
  /// A scalarisation aims at one region of the front and is not drawn to its
  /// extremes, where EHVI spends tens of trials on corners of the box; EHVI
  /// spreads the front more finely. Half of each beats either alone
  /// (benchmarks/RESULTS.md, "GP sampler: EHVI and ParEGO mixed"). 0 is
  /// log EHVI only, 1 ParEGO only.
  double scalarized_fraction = 0.5;
  /// Running trials enter the model at their predicted value (kriging
  /// believer), so parallel workers spread out.
  bool fantasize_running = true;
  /// Model log(1 + (y - min) / (median - min)) instead of y (both
  /// standardised): a monotone warp that keeps heavy-tailed objectives from
  /// flattening the region of good values. Off: plain standardisation.
  bool warp_outputs = true;
  /// Smallest noise variance, relative to the standardised outputs' variance.
  /// Low, because the noise term is fitted (MAP) and a floor above what the
  /// data say blurs the last digits a converging search needs: at 1e-6 the
  /// GP stalled at regret ~1e-5 on branin and hartmann3 (benchmarks/RESULTS.md,
  /// "GP: noise floor"); the jitter keeps K positive definite.
  double min_noise = 1e-10;
  /// Trust region (TuRBO-1, Eriksson et al. 2019): the candidates and their
  /// refinement stay in a box around the best trial, its sides the fitted
  /// lengthscales scaled to a geometric mean `length` (unit cube); `length`
  /// starts at 0.8, doubles after 3 improving trials in a row, halves after
  /// max(4, D) trials without one and restarts at 0.8 below 0.5^7.
  /// Single-objective, unconstrained studies only (ignored otherwise). Off by
  /// default: it helps ackley5 and styblinski_tang8 but costs levy10 from
  /// 100 trials on (benchmarks/RESULTS.md, "GP trust region").
  bool trust_region = false;
  /// Seed of every draw; unset means a fresh seed from the operating system.
  std::optional<std::uint64_t> seed = std::nullopt;
};

/// What the last ask did: for tests, diagnostics and the curious.
struct gp_diagnostics {
  std::int64_t n_observations = 0;  ///< finished trials in the model
  std::int64_t n_fantasies = 0;     ///< running trials added at their predicted value
  std::vector<double> lengthscales;  ///< per parameter, on the unit scale
  double signal_variance = 0, noise_variance = 0, jitter = 0;  ///< standardised units
  int fit_evaluations = 0;
  double acquisition_value = 0;
  /// The trust region's side (geometric mean, unit cube); 0 when no box was used.
  double trust_region_length = 0;
  /// Several objectives: the weights of the Chebyshev scalarisation this ask
  /// maximised log EI of; empty when it maximised log EHVI.
  std::vector<double> scalarization_weights;
  /// Empty when the GP proposed the point; otherwise why the Sobol point was used.
  std::string fallback;
};
namespace detail {
template <class>
class gp_sampler_impl;  // detail/gp_impl.hpp
}  // namespace detail

/// Gaussian-process Bayesian optimization (see the file comment for the
/// references and the cost).
///
/// The relational space (a typed space, or the union of the parameters
/// finished trials have; a parameter a trial lacks is "absent", a coordinate
/// of its own) is modelled on the unit cube: log-scaled parameters
/// transformed first, integers and stepped floats at the centre of their
/// cell, categoricals by a Hamming distance. Outputs are standardised.
/// Kernel hyperparameters are refitted by MAP every ask, warm-started from
/// the previous fit; the acquisition is maximised over a quasi-random plus
/// local candidate set, refined by projected L-BFGS on the numeric
/// parameters and by a neighbour search on the discrete ones.
///
/// Studies of 2 or 3 objectives maximise log EHVI, or, in a fraction of the
/// asks, log EI of a random Chebyshev scalarisation (ParEGO); constrained
/// ones add the log probability of feasibility (docs/samplers-gp.md); more than 3
/// objectives is an `invalid_argument` at the first ask.
///
/// Fallbacks (documented in docs/samplers-gp.md): fewer than
/// `n_startup_trials` complete trials, and a model
/// that cannot be fitted (every Cholesky failed, or a non-finite posterior)
/// give the trial its Sobol point, and `diagnostics().fallback` says why.
/// Pruned and failed trials are ignored; maximisation flips the sign.
/// Parameters outside the relational space are drawn at random. A seeded,
/// sequential run is reproducible. A sampler instance serves one study at a time.
class gp_sampler
    : public detail::sampler_handle<detail::diagnosed_sampler_core<gp_sampler_options, gp_diagnostics>> {
  using core_type = detail::diagnosed_sampler_core<gp_sampler_options, gp_diagnostics>;

 public:
#if defined(TUNEKIT_COMPILED_LIB)
  /// Compiled mode: defined once, in the library (src/samplers.cpp).
  explicit gp_sampler(gp_sampler_options options = {});
#else
  /// A template only so that a translation unit compiles the implementation
  /// when it constructs a GP sampler, not when it merely names one.
  template <class Impl = detail::gp_sampler_impl<void>>
  explicit gp_sampler(gp_sampler_options options = {})
      : detail::sampler_handle<core_type>(
            std::make_unique<detail::diagnosed_sampler_model<Impl, core_type>>(std::move(options))) {}
#endif

  /// The seed every draw derives from (the one given, or the one drawn).
  std::uint64_t seed() const noexcept { return core_->seed(); }
  /// What the last ask did.
  const gp_diagnostics& diagnostics() const noexcept { return core_->diagnostics(); }
};

static_assert(relational_sampler<gp_sampler>);

}  // namespace tunekit

#if !defined(TUNEKIT_COMPILED_LIB) || defined(TUNEKIT_BUILDING_COMPILED_LIB)
#include "detail/gp_impl.hpp"
#endif
