#pragma once

/// \file
/// `tpe_sampler`: the Tree-structured Parzen Estimator, tunekit's default sampler.
///
/// References:
///   - J. Bergstra, R. Bardenet, Y. Bengio, B. Kégl. *Algorithms for
///     Hyper-Parameter Optimization*. NeurIPS 2011 (TPE: the good/bad split,
///     Parzen estimators l(x) and g(x), candidates ranked by l(x)/g(x)).
///   - S. Falkner, A. Klein, F. Hutter. *BOHB: Robust and Efficient
///     Hyperparameter Optimization at Scale*. ICML 2018 (multivariate kernel
///     densities over all parameters jointly).
///   - S. Watanabe. *Tree-Structured Parzen Estimator: Understanding Its
///     Algorithm Components and Their Roles for Better Empirical
///     Performance*. arXiv:2304.11127, 2023 (the roles of gamma, weights,
///     prior, bandwidth rules and magic clip; the choices measured here).
///
/// Complexity of one ask, with N finished trials, D parameters, C = n_ei_candidates,
/// g = gamma(N) good trials and R running trials:
///   - taking in the k trials finished since the previous ask: O(k log k + N)
///     for the ranking and per parameter (sorted merges; nothing is re-sorted);
///   - univariate (the default), per parameter: O(N) linear passes to lay out
///     g(x)'s kernels in sorted order (weights, neighbour widths) and
///     O(g log g + R) for l(x); scoring visits, per candidate, only the
///     kernels within 8.5 floor widths of it plus the few wider ones (at
///     most about 2 / floor of them), and a candidate that cannot win is
///     dropped after the nearest 2.5 widths: O(C · N) at worst, a small
///     fraction of it in practice; in all O(D · (N + C · N_near));
///   - multivariate: O(N · D) to gather and O(C · N · D) to score;
///   - truncated-normal normalisers (erfc) are cached per trial and
///     recomputed only for kernels whose width changed: O(1) amortised per
///     trial and parameter (the multivariate bad-trial bandwidth follows N in
///     steps of 1/16, so its normalisers are recomputed every N/16 asks).
/// Measured (benchmarks/tpe.bench.cpp, 10-D, ask + tell, CPU time on the
/// 2-core development machine): univariate 0.36 / 1.0 / 3.1 ms and
/// multivariate 0.20 / 0.63 / 2.9 ms at N = 100 / 1000 / 5000, O(N) by
/// Google Benchmark's fit; 180-274x less than Optuna 3.1's TPE at N >= 1000.
/// Memory: O(N · D).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../detail/compiled_lib.hpp"
#include "detail/sampler_core.hpp"

namespace tunekit {

/// Optuna's split: the best ceil(n / 10) trials, at most 25, are "good".
inline std::int64_t tpe_default_gamma(std::int64_t n) noexcept { return std::min<std::int64_t>((n + 9) / 10, 25); }

/// Optuna's weights (Bergstra et al. 2013): the 25 newest observations
/// weigh 1, older ones ramp linearly from 1/n (oldest) up to 1. Oldest first.
inline std::vector<double> tpe_default_weights(std::int64_t n) {
  if (n <= 0) return {};
  std::vector<double> w(static_cast<std::size_t>(n), 1.0);
  if (n <= 25) return w;
  const std::int64_t ramp = n - 25;
  const double start = 1.0 / static_cast<double>(n);
  for (std::int64_t i = 0; i < ramp; ++i)
    w[static_cast<std::size_t>(i)] =
        ramp == 1 ? start : start + (1.0 - start) * static_cast<double>(i) / static_cast<double>(ramp - 1);
  return w;
}

/// How the multivariate kernels' widths are chosen. (Univariate kernels
/// always use the neighbour rule of Bergstra et al. 2011: each kernel as
/// wide as the larger gap to its neighbours.)
enum class tpe_bandwidth {
  /// 0.2 · n^(-1/(D+4)) of the range, whatever the data (Optuna's rule).
  fixed,
  /// Scott's normal-reference rule per parameter (Scott 1992; Silverman
  /// 1986): (4/(D+2))^(1/(D+4)) · min(std, IQR/1.349) · n^(-1/(D+4)) of the
  /// observations themselves, so kernels shrink as the good trials cluster
  /// (Watanabe 2023 finds it the better multivariate rule; so do we).
  scott,
};

/// How the numeric kernels of a Parzen estimator are scaled against each
/// other (discrete and categorical kernels are probability masses either way).
enum class tpe_kernel_scale {
  /// Each kernel integrates to its weight: the textbook mixture density.
  density,
  /// Each kernel peaks at its weight: its density times its width, so wide
  /// kernels (the prior, isolated observations) count for more and g(x)
  /// keeps a floor where few trials went. This is the mixture Optuna 3.1
  /// evaluates (its truncated-normal log-density leaves out the 1/sigma
  /// factor); see docs/samplers.md for what it changes and the measurements.
  peak,
};

/// Options of `tpe_sampler`; every default is Optuna 3.1's unless noted.
/// The last four are tunekit's additions; `bandwidth` was chosen on the
/// quality suite of BENCHMARKS.md with seeds 100-139 and 200-239 (the
/// published tables use seeds 0-19), the others keep Optuna's behaviour by
/// default. See docs/samplers.md.
struct tpe_sampler_options {
  /// Trials sampled at random (exactly as `random_sampler` with the same
  /// seed) until this many trials are COMPLETE or PRUNED.
  std::int64_t n_startup_trials = 10;
  /// Candidates drawn from l(x) per sample; the best l(x)/g(x) wins.
  std::int64_t n_ei_candidates = 24;
  /// Weight of the prior kernel (uniform-like: centred, as wide as the range).
  double prior_weight = 1.0;
  /// Univariate widths: let the domain's ends widen the outermost kernels.
  bool consider_endpoints = false;
  /// Keep every kernel at least a minimum width that shrinks as the m
  /// kernels of an estimator accumulate ("magic clip", Bergstra et al.
  /// 2011): max(min_bandwidth_factor, (m + 1)^-magic_clip_exponent) of the range.
  bool consider_magic_clip = true;
  /// Model the relational space jointly (Falkner et al. 2018) instead of
  /// each parameter alone. tunekit: on; Optuna: off. Multivariate TPE had the
  /// lower median regret on 7 of the 8 suite functions at 200 trials and 6
  /// of 8 at 100 (seeds 100-199), and beats Optuna's default univariate TPE
  /// (benchmarks/RESULTS.md); univariate TPE stays available.
  bool multivariate = true;
  /// With `multivariate`: split the space into groups of parameters that
  /// appear together, so conditional define-by-run spaces are modelled
  /// jointly per branch (a group is the relational space when every trial
  /// holds the same parameters). Ignored by univariate TPE. Optuna: off.
  bool group = true;
  /// Number of "good" trials out of n ranked ones; must return a value in [0, n].
  std::function<std::int64_t(std::int64_t)> gamma = tpe_default_gamma;
  /// Weights of n observations, oldest first; non-negative, finite, not all zero.
  std::function<std::vector<double>(std::int64_t)> weights = tpe_default_weights;
  /// Count running trials as bad ones (a "constant liar"), so parallel
  /// workers spread out. Free when sequential. (Optuna: off by default.)
  bool constant_liar = true;
  /// Seed of every draw; unset means a fresh seed from the operating system.
  std::optional<std::uint64_t> seed = std::nullopt;
  /// Multivariate kernel widths. Optuna: `fixed`; tunekit: `scott`, which
  /// lowered the median regret of every suite function at 100 and at 200
  /// trials (seeds 100-119).
  tpe_bandwidth bandwidth = tpe_bandwidth::scott;
  /// The magic clip's floor, as a fraction of the range (Optuna: 0.01).
  double min_bandwidth_factor = 0.01;
  /// The magic clip's exponent; 1 gives Optuna's 1/min(100, m + 1). Larger
  /// values narrow the good trials' kernels sooner (more exploitation).
  double magic_clip_exponent = 1.0;
  /// Scaling of the numeric kernels; unset: `peak` for univariate TPE,
  /// `density` for multivariate TPE (each the better on the quality suite,
  /// seeds 100-199; docs/samplers.md).
  std::optional<tpe_kernel_scale> kernel_scale = std::nullopt;
  /// If set, categorical kernels are Aitchison-Aitken with this mass spread
  /// over the unobserved choices; else Optuna's kernel (prior_weight / (n + 1)).
  std::optional<double> categorical_prior_weight = std::nullopt;
};

namespace detail {
template <class>
class tpe_sampler_impl;  // detail/tpe_impl.hpp
}  // namespace detail

/// Tree-structured Parzen Estimator sampler (Bergstra et al. 2011; see the
/// file comment for the references and the complexity).
///
/// For each parameter (or each group of parameters, when multivariate), the
/// finished trials are ranked and split into the `gamma(n)` best and the
/// rest; a Parzen estimator l(x) is fitted to the best and g(x) to the rest,
/// `n_ei_candidates` points are drawn from l and the one maximising
/// l(x)/g(x) (the expected improvement, up to a monotone map) is returned.
/// Pruned trials rank after every complete one, by their last reported
/// step (later is better) then value; failed trials and NaN values are
/// ignored; maximisation flips the sign. Running trials (other than the one
/// being sampled) count as bad ones with `constant_liar`. With constraint
/// values (`trial::set_constraints`), feasible trials rank first, then the
/// others by total violation (Optuna 3.1's `constraints_func` split).
///
/// Draws depend only on (seed, trial number, parameter name) and on the
/// finished trials, so a seeded sequential run is reproducible. A sampler
/// instance may serve several studies: it caches the trials of the study it
/// last saw and keeps the caches of up to 16 others, so switching back and
/// forth costs no rescan (and proposals are those of one sampler per study).
/// Multi-objective studies get MOTPE (detail/motpe.hpp; docs/multi-objective.md).
class tpe_sampler : public detail::sampler_handle<detail::sampler_core<tpe_sampler_options>> {
  using core_type = detail::sampler_core<tpe_sampler_options>;

 public:
#if defined(TUNEKIT_COMPILED_LIB)
  /// Compiled mode: defined once, in the library (src/samplers.cpp).
  explicit tpe_sampler(tpe_sampler_options options = {});
#else
  /// A template only so that a translation unit compiles the implementation
  /// when it constructs a TPE sampler, not when it merely names one.
  template <class Impl = detail::tpe_sampler_impl<void>>
  explicit tpe_sampler(tpe_sampler_options options = {})
      : detail::sampler_handle<core_type>(std::make_unique<detail::sampler_model<Impl, core_type>>(std::move(options))) {}
#endif

  /// The seed every draw derives from (the one given, or the one drawn).
  std::uint64_t seed() const noexcept { return core_->seed(); }
};

static_assert(relational_sampler<tpe_sampler>);

}  // namespace tunekit

#if !defined(TUNEKIT_COMPILED_LIB) || defined(TUNEKIT_BUILDING_COMPILED_LIB)
#include "detail/tpe_impl.hpp"
#endif
