#pragma once

/// \file
/// `cmaes_sampler`: the covariance matrix adaptation evolution strategy, for
/// continuous (and integer) problems with budgets of hundreds of trials or
/// more, with IPOP/BIPOP restarts, separable CMA-ES, the margin for integers
/// and warm starting from a source study. Not part of the umbrella headers
/// yet: include <tunekit/samplers/cmaes.hpp>.
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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "../core/concepts.hpp"
#include "../core/distribution.hpp"
#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "../detail/format.hpp"
#include "detail/cmaes_core.hpp"
#include "detail/intersection.hpp"
#include "random.hpp"

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

/// The sampler (see the file comment). A template only so that its Eigen code
/// is instantiated where the sampler is used (compile cost, as gp.hpp).
template <class = void>
class cmaes_sampler_impl {
 public:
  explicit cmaes_sampler_impl(cmaes_sampler_options options)
      : options_(std::move(options)), fallback_({.seed = detail::seed_or_entropy(options_.seed)}) {
    validate();
  }

  const cmaes_sampler_options& options() const noexcept { return options_; }
  const cmaes_diagnostics& diagnostics() const noexcept { return diag_; }

  search_space infer_relative_search_space(const study_view& view, const frozen_trial&) {
    search_space out;
    for (const auto& [name, d] : intersection_.update(view))
      if (!single(d) && !std::holds_alternative<categorical_distribution>(d)) out.add(name, d);
    return out;
  }

  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    std::vector<std::pair<std::string, distribution>> dims;
    for (const auto& [name, d] : space)
      if (!single(d) && !std::holds_alternative<categorical_distribution>(d)) dims.emplace_back(name, d);
    if (dims.empty() || view.directions().size() != 1) {
      diag_.active = false;
      return {};
    }
    sync(view, dims);
    if (!run_) return {};
    random_engine rng = stream_for(seed_, t.number, "cmaes");
    const Eigen::VectorXd x = run_->sample(rng);
    param_map out;
    for (std::size_t i = 0; i < dims_.size(); ++i)
      out.emplace(dims_[i].name, from_unit(dims_[i].dist, x[static_cast<Eigen::Index>(i)]));
    return out;
  }

  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name, const distribution& d) {
    if (run_ && !single(d) &&
        std::none_of(dims_.begin(), dims_.end(), [&](const dim& x) { return x.name == name; }) &&
        std::find(diag_.independent_params.begin(), diag_.independent_params.end(), name) ==
            diag_.independent_params.end()) {
      diag_.independent_params.emplace_back(name);
      if (options_.warn_independent_sampling)
        std::fprintf(stderr,
                     "[tunekit] cmaes_sampler: parameter %s (%s) is outside the relative search space and is "
                     "sampled at random; CMA-ES models only numeric parameters that every finished trial has. "
                     "(warned once per parameter; cmaes_sampler_options::warn_independent_sampling = false "
                     "silences this)\n",
                     detail::quoted(name).c_str(), describe(d).c_str());
    }
    return fallback_.sample_independent(view, t, name, d);
  }

 private:
  struct dim {
    std::string name;
    distribution dist;
    cma::discrete_axis axis;
  };

  [[noreturn]] static void bad_option(const std::string& what) {
    throw invalid_argument("cmaes_sampler_options: " + what);
  }

  void validate() const {
    const auto& o = options_;
    using detail::format_number;
    if (o.sigma0 && !(*o.sigma0 > 0 && *o.sigma0 <= 1))
      bad_option("sigma0 = " + format_number(*o.sigma0) + " must lie in (0, 1] (a step on the unit cube; default 1/6)");
    if (o.population_size && *o.population_size < 2)
      bad_option("population_size = " + std::to_string(*o.population_size) + " must be >= 2 (or unset for 4 + 3 ln n)");
    if (o.population_size && *o.population_size > 1'000'000)
      bad_option("population_size = " + std::to_string(*o.population_size) + " must be <= 1000000");
    if (o.n_startup_trials < 0) bad_option("n_startup_trials = " + std::to_string(o.n_startup_trials) + " must be >= 0");
    if (!(o.inc_popsize > 1) || !std::isfinite(o.inc_popsize) || o.inc_popsize > 100)
      bad_option("inc_popsize = " + format_number(o.inc_popsize) + " must lie in (1, 100]");
    if (o.restart_strategy != cmaes_restart::none && o.restart_strategy != cmaes_restart::ipop &&
        o.restart_strategy != cmaes_restart::bipop)
      bad_option("restart_strategy = " + std::to_string(static_cast<int>(o.restart_strategy)) +
                 " is not a cmaes_restart (none, ipop, bipop)");
    if (!(o.tolfun >= 0) || !std::isfinite(o.tolfun))
      bad_option("tolfun = " + format_number(o.tolfun) + " must be finite and >= 0");
    if (!(o.tolx >= 0 && o.tolx < 1))
      bad_option("tolx = " + format_number(o.tolx) + " must lie in [0, 1) (a fraction of the initial step)");
    if (!(o.warm_start_gamma > 0 && o.warm_start_gamma <= 1))
      bad_option("warm_start_gamma = " + format_number(o.warm_start_gamma) + " must lie in (0, 1]");
    if (!(o.warm_start_alpha > 0) || !std::isfinite(o.warm_start_alpha))
      bad_option("warm_start_alpha = " + format_number(o.warm_start_alpha) + " must be positive and finite");
    if (!o.source_trials.empty() && (!o.x0.empty() || o.sigma0))
      bad_option("source_trials cannot be combined with x0 or sigma0: the warm start sets the initial mean and step; "
                 "give one or the other");
  }

  // --- the replay ------------------------------------------------------------------
  void reset(const std::vector<std::pair<std::string, distribution>>& dims, const study_view& view) {
    dims_.clear();
    for (const auto& [name, d] : dims) {
      cma::discrete_axis ax;
      if (const auto* i = std::get_if<int_distribution>(&d)) {
        ax.size = i->size();
        if (i->log()) {
          ax.log = true;
          ax.low = static_cast<double>(i->low());
          ax.log_a = std::log(static_cast<double>(i->low()) - 0.5);
          ax.log_b = std::log(static_cast<double>(i->high()) + 0.5);
        }
      } else if (const auto* f = std::get_if<float_distribution>(&d); f && f->step()) {
        ax.size = f->size();
      }
      dims_.push_back({name, d, ax});
    }
    study_name_ = view.name();
    seed_ = options_.seed ? *options_.seed : detail::mix(0x636d61657321ULL, detail::hash_name(study_name_));
    sign_ = view.directions()[0] == direction::maximize ? -1.0 : 1.0;
    scanned_ = 0;
    n_usable_ = 0;
    run_.reset();
    population_.clear();
    lambda_large_ = 0;
    budget_large_ = budget_small_ = 0;
    in_small_regime_ = false;
    const auto independent = std::move(diag_.independent_params);
    diag_ = {};
    diag_.independent_params = independent;
    if (options_.n_startup_trials == 0) start_first_run();
  }

  bool same_dims(const std::vector<std::pair<std::string, distribution>>& dims) const {
    if (dims.size() != dims_.size()) return false;
    for (std::size_t i = 0; i < dims.size(); ++i)
      if (dims[i].first != dims_[i].name || !(dims[i].second == dims_[i].dist)) return false;
    return true;
  }

  /// The value a finished trial counts with (sign applied), if it counts.
  std::optional<double> usable_value(const frozen_trial& t) const {
    const bool ok = t.state == trial_state::complete ||
                    (options_.consider_pruned_trials && t.state == trial_state::pruned);
    if (!ok || t.values.size() != 1 || !std::isfinite(t.values[0])) return std::nullopt;
    return sign_ * t.values[0];
  }

  /// The candidate trial `t` had if it was drawn from the current
  /// generation, or nothing when its parameters say otherwise.
  std::optional<Eigen::VectorXd> member(const frozen_trial& t) const {
    random_engine rng = stream_for(seed_, t.number, "cmaes");
    Eigen::VectorXd x = run_->sample(rng);
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      const auto& dm = dims_[i];
      const auto p = t.params.find(dm.name);
      const auto pd = t.distributions.find(dm.name);
      if (p == t.params.end() || pd == t.distributions.end() || !(pd->second == dm.dist)) return std::nullopt;
      const double u = x[static_cast<Eigen::Index>(i)];
      if (dm.axis.size > 0) {
        if (p->second != from_unit(dm.dist, u)) return std::nullopt;
      } else if (!(std::abs(to_unit(dm.dist, p->second) - u) <= 1e-9)) {
        return std::nullopt;  // a tolerance, not ==: another build may round the last bits differently
      }
    }
    return x;
  }

  void sync(const study_view& view, const std::vector<std::pair<std::string, distribution>>& dims) {
    const auto& finished = view.finished();
    if (!same_dims(dims) || finished.size() < scanned_ || view.name() != study_name_ || dims_.empty()) reset(dims, view);
    for (; scanned_ < finished.size(); ++scanned_) {
      const frozen_trial& t = finished[scanned_];
      const auto f = usable_value(t);
      if (!f) continue;
      if (!run_) {
        if (++n_usable_ >= options_.n_startup_trials) start_first_run();
        continue;
      }
      auto x = member(t);
      if (!x) continue;
      population_.emplace_back(std::move(*x), *f);
      if (static_cast<int>(population_.size()) < run_->population_size()) continue;
      run_->tell(std::move(population_));
      population_.clear();
      ++diag_.n_generations;
      if (std::string why = run_->should_stop(options_.tolfun, options_.tolx); !why.empty()) end_run(why);
    }
    if (run_) {
      diag_.active = true;
      diag_.generation = run_->generation();
      diag_.sigma = run_->sigma();
      diag_.eta_mean = run_->eta_mean();
      diag_.eta_cov = run_->eta_cov();
      diag_.mean.assign(run_->mean().data(), run_->mean().data() + run_->mean().size());
    }
  }

  std::vector<cma::discrete_axis> axes() const {
    std::vector<cma::discrete_axis> out;
    if (!options_.with_margin) return std::vector<cma::discrete_axis>(dims_.size());
    for (const auto& d : dims_) out.push_back(d.axis);
    return out;
  }

  int default_lambda() const {
    return options_.population_size ? static_cast<int>(*options_.population_size)
                                    : cma::default_population(static_cast<int>(dims_.size()));
  }

  void start_first_run() {
    const auto n = static_cast<Eigen::Index>(dims_.size());
    cma::run_config c;
    if (!options_.source_trials.empty()) {
      c = warm_start();
      diag_.warm_started = true;
    } else {
      c.mean = Eigen::VectorXd::Constant(n, 0.5);
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto& dm = dims_[static_cast<std::size_t>(i)];
        if (auto v = options_.x0.find(dm.name); v != options_.x0.end())
          c.mean[i] = std::clamp(to_unit(dm.dist, to_internal(dm.dist, v->second, dm.name)), 0.0, 1.0);
      }
      c.sigma = options_.sigma0.value_or(1.0 / 6.0);
    }
    c.lambda = default_lambda();
    lambda_large_ = c.lambda;
    begin_run(std::move(c));
  }

  void begin_run(cma::run_config c) {
    c.separable = options_.use_separable_cma;
    c.margin = options_.with_margin;
    c.lr_adapt = options_.lr_adapt;
    c.axes = axes();
    diag_.population_sizes.push_back(c.lambda);
    run_.emplace(std::move(c));
  }

  /// A run ended: restart by the chosen strategy. A degenerate state
  /// restarts even without a strategy (never NaN parameters); otherwise
  /// `none` keeps the converged run.
  void end_run(const std::string& why) {
    const auto strategy = options_.restart_strategy;
    if (strategy == cmaes_restart::none && why != "degenerate") return;
    diag_.stop_reasons.push_back(why);
    ++diag_.n_restarts;
    const std::int64_t used = run_->generation() * run_->population_size();
    (in_small_regime_ ? budget_small_ : budget_large_) += used;

    const auto n = static_cast<Eigen::Index>(dims_.size());
    random_engine rng{detail::mix(detail::mix(seed_, 0x7265737461727473ULL), static_cast<std::uint64_t>(diag_.n_restarts))};
    cma::run_config c;
    c.mean.resize(n);
    for (Eigen::Index i = 0; i < n; ++i) c.mean[i] = rng.uniform();
    const double sigma_default = options_.sigma0.value_or(1.0 / 6.0);
    c.sigma = sigma_default;
    const int lambda_default = default_lambda();
    auto grow = [&] {
      lambda_large_ = static_cast<int>(std::min(1e6, std::round(lambda_large_ * options_.inc_popsize)));
      return lambda_large_;
    };
    if (strategy == cmaes_restart::none) {
      c.lambda = lambda_default;
      in_small_regime_ = false;
    } else if (strategy == cmaes_restart::ipop) {
      c.lambda = grow();
    } else if (budget_small_ < budget_large_) {
      // BIPOP's small regime (Hansen 2009): lambda_s = lambda_def
      // (lambda_large / (2 lambda_def))^(U^2), sigma_s = sigma_def 10^(-2U).
      const double u = rng.uniform();
      const double ratio = std::max(1.0, static_cast<double>(lambda_large_) / (2.0 * lambda_default));
      c.lambda = std::max(2, static_cast<int>(std::floor(lambda_default * std::pow(ratio, u * u))));
      c.sigma = sigma_default * std::pow(10.0, -2.0 * rng.uniform());
      in_small_regime_ = true;
    } else {
      c.lambda = grow();
      in_small_regime_ = false;
    }
    begin_run(std::move(c));
  }

  /// The warm start's initial distribution (see cma::warm_start_config),
  /// with every source value mapped to this study's unit cube.
  cma::run_config warm_start() const {
    std::vector<std::pair<double, Eigen::VectorXd>> points;
    const auto n = static_cast<Eigen::Index>(dims_.size());
    std::vector<bool> seen(dims_.size(), false);
    for (const auto& s : options_.source_trials) {
      if (s.state != trial_state::complete || s.values.size() != 1 || !std::isfinite(s.values[0])) continue;
      Eigen::VectorXd x(n);
      bool complete = true;
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto& dm = dims_[static_cast<std::size_t>(i)];
        const auto p = s.params.find(dm.name);
        const auto pd = s.distributions.find(dm.name);
        if (p == s.params.end() || pd == s.distributions.end()) {
          complete = false;
          continue;
        }
        seen[static_cast<std::size_t>(i)] = true;
        if (std::holds_alternative<categorical_distribution>(pd->second))
          throw invalid_argument("cmaes_sampler_options::source_trials: parameter " + detail::quoted(dm.name) +
                                 " is categorical in the source (" + describe(pd->second) + ") but " +
                                 describe(dm.dist) + " here; a warm start needs the same numeric parameters");
        // The source value as a number, clipped into this study's range.
        const category external = to_external(pd->second, p->second);
        double v = std::holds_alternative<std::int64_t>(external) ? static_cast<double>(std::get<std::int64_t>(external))
                                                                  : std::get<double>(external);
        double lo, hi;
        if (const auto* f = std::get_if<float_distribution>(&dm.dist)) lo = f->low(), hi = f->high();
        else lo = static_cast<double>(std::get<int_distribution>(dm.dist).low()),
             hi = static_cast<double>(std::get<int_distribution>(dm.dist).high());
        v = std::clamp(v, lo, hi);
        x[i] = std::clamp(to_unit(dm.dist, v), 0.0, 1.0);
      }
      if (complete) points.emplace_back(sign_ * s.values[0], std::move(x));
    }
    for (std::size_t i = 0; i < dims_.size(); ++i)
      if (!seen[i])
        throw invalid_argument("cmaes_sampler_options::source_trials: no source trial has parameter " +
                               detail::quoted(dims_[i].name) + "; a warm start needs every parameter of the space");
    if (points.empty())
      throw invalid_argument("cmaes_sampler_options::source_trials: no COMPLETE single-objective source trial has every "
                             "parameter of the space");
    std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Eigen::VectorXd> sorted;
    for (auto& p : points) sorted.push_back(std::move(p.second));
    return cma::warm_start_config(sorted, options_.warm_start_gamma, options_.warm_start_alpha).first;
  }

  cmaes_sampler_options options_;
  random_sampler fallback_;
  detail::intersection_search_space intersection_;

  std::string study_name_;
  std::uint64_t seed_ = 0;
  double sign_ = 1.0;
  std::size_t scanned_ = 0;
  std::int64_t n_usable_ = 0;
  std::vector<dim> dims_;
  std::optional<cma::cma_run> run_;
  std::vector<std::pair<Eigen::VectorXd, double>> population_;
  int lambda_large_ = 0;
  std::int64_t budget_large_ = 0, budget_small_ = 0;
  bool in_small_regime_ = false;
  cmaes_diagnostics diag_;
};

}  // namespace detail

/// CMA-ES sampler (see the file comment for the references, the fallbacks
/// and how workers share generations). Numeric parameters of the relative
/// space are modelled on the unit cube; categorical parameters, parameters
/// outside the relative space, multi-objective studies and the first
/// `n_startup_trials` trials are sampled at random. A seeded sequential run
/// is reproducible. A sampler instance serves one study at a time.
class cmaes_sampler : public detail::cmaes_sampler_impl<> {
 public:
  explicit cmaes_sampler(cmaes_sampler_options options = {}) : detail::cmaes_sampler_impl<>(std::move(options)) {}
};

static_assert(relational_sampler<cmaes_sampler>);

}  // namespace tunekit
