#pragma once

/// The implementation behind `tunekit::cmaes_sampler` (samplers/cmaes.hpp,
/// which has the references and the options). Included by that header in
/// header-only mode and by the compiled library (src/samplers.cpp), never by
/// a compiled-mode user's translation unit (detail/sampler_core.hpp).

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

#include "../../core/concepts.hpp"
#include "../../core/distribution.hpp"
#include "../../core/errors.hpp"
#include "../../core/random.hpp"
#include "../../detail/dependent.hpp"
#include "../../detail/format.hpp"
#include "../cmaes.hpp"
#include "../random.hpp"
#include "cmaes_core.hpp"
#include "intersection.hpp"

namespace tunekit::detail {

/// The sampler (see the file comment). A template only so that its Eigen code
/// is instantiated where the sampler is used (compile cost, as gp.hpp).
template <class Tag = void>
class cmaes_sampler_impl {
  // A dependent spelling of Eigen::VectorXd (detail/dependent.hpp): checked where used.
  using VectorXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, 1>;

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
    if (view.directions().size() != 1)
      throw invalid_argument("cmaes_sampler supports single-objective studies only; study " + detail::quoted(view.name()) +
                             " has " + std::to_string(view.directions().size()) +
                             " objectives (use tpe_sampler or nsga2_sampler for several)");
    if (dims.empty()) {
      diag_.active = false;
      return {};
    }
    sync(view, dims);
    if (!run_) return {};
    random_engine rng = stream_for(seed_, t.number, "cmaes");
    const VectorXd x = run_->sample(rng);
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
  std::optional<VectorXd> member(const frozen_trial& t) const {
    random_engine rng = stream_for(seed_, t.number, "cmaes");
    VectorXd x = run_->sample(rng);
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
      c.mean = VectorXd::Constant(n, 0.5);
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
    std::vector<std::pair<double, VectorXd>> points;
    const auto n = static_cast<Eigen::Index>(dims_.size());
    std::vector<bool> seen(dims_.size(), false);
    for (const auto& s : options_.source_trials) {
      if (s.state != trial_state::complete || s.values.size() != 1 || !std::isfinite(s.values[0])) continue;
      VectorXd x(n);
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
    std::vector<VectorXd> sorted;
    for (auto& p : points) sorted.push_back(std::move(p.second));
    return cma::warm_start_config<Tag>(sorted, options_.warm_start_gamma, options_.warm_start_alpha).first;
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
  std::optional<cma::cma_run_impl<Tag>> run_;
  std::vector<std::pair<VectorXd, double>> population_;
  int lambda_large_ = 0;
  std::int64_t budget_large_ = 0, budget_small_ = 0;
  bool in_small_regime_ = false;
  cmaes_diagnostics diag_;
};

}  // namespace tunekit::detail
