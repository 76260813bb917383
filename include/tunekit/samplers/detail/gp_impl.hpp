#pragma once

/// The implementation behind `tunekit::gp_sampler` (samplers/gp.hpp, which
/// has the references, the cost and the options). Included by that header in
/// header-only mode and by the compiled library (src/samplers.cpp), never by
/// a compiled-mode user's translation unit (detail/sampler_core.hpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "../../core/concepts.hpp"
#include "../../core/distribution.hpp"
#include "../../core/errors.hpp"
#include "../../core/random.hpp"
#include "../../detail/format.hpp"
#include "../gp.hpp"
#include "../qmc.hpp"
#include "../random.hpp"
#include "acquisition.hpp"
#include "box_lbfgs.hpp"
#include "gp_model.hpp"
#include "sobol.hpp"

namespace tunekit::detail {
/// A template only so that its Eigen/Boost.Math code is instantiated in the
/// translation units that use the sampler, not in every one that includes
/// the header (compile cost; see benchmarks/RESULTS.md, "Compile cost").
template <class = void>
class gp_sampler_impl {
 public:
  explicit gp_sampler_impl(gp_sampler_options options)
      : options_(options), seed_(detail::seed_or_entropy(options.seed)), startup_({.seed = seed_}), fallback_({.seed = seed_}) {
    validate();
  }

  const gp_sampler_options& options() const noexcept { return options_; }
  std::uint64_t seed() const noexcept { return seed_; }
  const gp_diagnostics& diagnostics() const noexcept { return diag_; }

  /// The union of the parameters finished trials have (each under one
  /// distribution; a name seen under two is left to the independent
  /// sampler). A trial that lacks a parameter (it lives on another branch of
  /// a conditional space) has it "absent" in the model: a coordinate of its
  /// own, away from every present value (see `absent`). Without conditional
  /// parameters this is the intersection.
  search_space infer_relative_search_space(const study_view& view, const frozen_trial&) {
    const auto& finished = view.finished();
    if (finished.size() < union_scanned_) union_.clear(), union_scanned_ = 0;
    for (; union_scanned_ < finished.size(); ++union_scanned_) {
      const frozen_trial& t = finished[union_scanned_];
      if (t.state != trial_state::complete && t.state != trial_state::pruned) continue;
      for (const auto& entry : t.distributions) {  // no structured binding: clang 14 cannot capture one
        const std::string& name = entry.first;
        const auto it = std::find_if(union_.begin(), union_.end(), [&](const auto& e) { return e.name == name; });
        if (it == union_.end()) union_.push_back({name, entry.second, false});
        else if (!(it->dist == entry.second)) it->conflict = true;
      }
    }
    search_space out;
    for (const auto& e : union_)
      if (!e.conflict && !single(e.dist)) out.add(e.name, e.dist);
    return out;
  }

  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    diag_ = {};
    std::vector<std::pair<std::string, distribution>> dims;
    for (const auto& [name, d] : space)
      if (!single(d)) dims.emplace_back(name, d);
    if (view.directions().size() != 1)
      throw invalid_argument("gp_sampler supports single-objective studies only; study " + detail::quoted(view.name()) +
                             " has " + std::to_string(view.directions().size()) +
                             " objectives (use tpe_sampler or nsga2_sampler for several)");
    if (dims.empty()) return {};
    sync(view, dims);
    diag_.n_observations = static_cast<std::int64_t>(values_.size());
    if (values_.empty() || static_cast<std::int64_t>(values_.size()) < options_.n_startup_trials)
      return startup(view, t, space, "startup");
    try {
      return propose(view, t, space);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {  // a numerical failure must not end the study
      return startup(view, t, space, std::string("model failed: ") + e.what());
    }
  }

  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) const {
    return fallback_.sample_independent(view, t, name, d);
  }

 private:
  enum class kind : std::uint8_t { continuous, discrete, categorical };
  struct union_entry {
    std::string name;
    distribution dist;
    bool conflict;
  };
  /// The coordinate of a parameter a trial does not have (any kind): outside
  /// [0, 1] and no category index, so an absent value is at squared distance
  /// 1 to 4 from every present one on a numeric dimension (a point of the
  /// line, so the kernel stays positive definite) and a category of its own
  /// on a categorical one; two absent values are equal.
  static constexpr double absent = -1.0;
  struct dim {
    std::string name;
    distribution dist;
    kind k;
    std::int64_t size;  ///< values of a discrete/categorical dimension
  };

  [[noreturn]] static void bad_option(const std::string& what) { throw invalid_argument("gp_sampler_options: " + what); }

  void validate() const {
    const auto& o = options_;
    if (o.n_startup_trials < 0) bad_option("n_startup_trials = " + std::to_string(o.n_startup_trials) + " must be >= 0");
    if (o.n_candidates < 2) bad_option("n_candidates = " + std::to_string(o.n_candidates) + " must be >= 2");
    if (o.n_refine < 0 || o.n_refine > o.n_candidates)
      bad_option("n_refine = " + std::to_string(o.n_refine) + " must lie in [0, n_candidates]");
    if (o.n_restarts < 0) bad_option("n_restarts = " + std::to_string(o.n_restarts) + " must be >= 0");
    if (!(o.ucb_kappa >= 0) || !std::isfinite(o.ucb_kappa))
      bad_option("ucb_kappa = " + detail::format_number(o.ucb_kappa) + " must be finite and >= 0");
    if (!(o.min_noise > 0 && o.min_noise <= 1e-1))
      bad_option("min_noise = " + detail::format_number(o.min_noise) + " must lie in (0, 0.1]");
    if (o.acquisition != gp_acquisition::log_ei && o.acquisition != gp_acquisition::ucb &&
        o.acquisition != gp_acquisition::log_pi)
      bad_option("acquisition = " + std::to_string(static_cast<int>(o.acquisition)) + " is not a gp_acquisition");
  }

  param_map startup(const study_view& view, const frozen_trial& t, const search_space& space, std::string why) {
    diag_.fallback = std::move(why);
    return startup_.sample_relative(view, t, space);
  }

  // --- the study's usable trials, kept incrementally ----------------------------
  void reset(const std::vector<std::pair<std::string, distribution>>& dims) {
    dims_.clear();
    std::vector<std::uint8_t> cat;
    for (const auto& [name, d] : dims) {
      kind k = kind::continuous;
      std::int64_t size = 0;
      if (const auto* c = std::get_if<categorical_distribution>(&d)) k = kind::categorical, size = c->size();
      else if (const auto* i = std::get_if<int_distribution>(&d)) k = kind::discrete, size = i->size();
      else if (const auto* f = std::get_if<float_distribution>(&d); f && f->step()) k = kind::discrete, size = f->size();
      dims_.push_back({name, d, k, size});
      cat.push_back(k == kind::categorical ? 1 : 0);
    }
    data_.reset(std::move(cat));
    values_.clear();
    rows_.resize(0, static_cast<Eigen::Index>(dims_.size()));
    scanned_ = 0;
    conditional_ = false;
    warm_.reset();
  }

  bool same_dims(const std::vector<std::pair<std::string, distribution>>& dims) const {
    if (dims.size() != dims_.size()) return false;
    for (std::size_t i = 0; i < dims.size(); ++i)
      if (dims[i].first != dims_[i].name || !(dims[i].second == dims_[i].dist)) return false;
    return true;
  }

  /// The coordinate of a trial's parameter, `absent` if it lacks it, NaN if
  /// it holds it under another distribution.
  double coordinate(const dim& d, const frozen_trial& t) const {
    const auto p = t.params.find(d.name);
    const auto pd = t.distributions.find(d.name);
    if (p == t.params.end() || pd == t.distributions.end()) return absent;
    if (!(pd->second == d.dist)) return std::numeric_limits<double>::quiet_NaN();
    if (d.k == kind::categorical) return p->second;
    return to_unit(d.dist, p->second);
  }

  /// A trial's row; false if a parameter has another distribution, or (for
  /// a running trial, `allow_absent` false) has not been suggested yet.
  bool row_of(const frozen_trial& t, Eigen::RowVectorXd& row, bool allow_absent = true) const {
    row.resize(static_cast<Eigen::Index>(dims_.size()));
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      const double c = coordinate(dims_[i], t);
      if (!std::isfinite(c) || (!allow_absent && c == absent)) return false;
      row[static_cast<Eigen::Index>(i)] = c;
    }
    return true;
  }

  void sync(const study_view& view, const std::vector<std::pair<std::string, distribution>>& dims) {
    const auto& finished = view.finished();
    if (!same_dims(dims) || finished.size() < scanned_ || view.name() != study_name_) {
      reset(dims);
      study_name_ = view.name();
    }
    sign_ = view.directions()[0] == direction::maximize ? -1.0 : 1.0;
    Eigen::RowVectorXd row;
    std::vector<Eigen::RowVectorXd> fresh;
    for (; scanned_ < finished.size(); ++scanned_) {
      const frozen_trial& t = finished[scanned_];
      if (t.state != trial_state::complete || t.values.size() != 1 || !std::isfinite(t.values[0])) continue;
      if (!row_of(t, row)) continue;
      if ((row.array() == absent).any()) conditional_ = true;
      fresh.push_back(row);
      values_.push_back(sign_ * t.values[0]);
    }
    if (!fresh.empty()) {
      Eigen::MatrixXd block(static_cast<Eigen::Index>(fresh.size()), static_cast<Eigen::Index>(dims_.size()));
      for (std::size_t i = 0; i < fresh.size(); ++i) block.row(static_cast<Eigen::Index>(i)) = fresh[i];
      data_.append(block);
    }
  }

  /// Standardised (by default warped) outputs; constant outputs map to 0.
  /// Safe for any finite scale (1e-300 .. 1e300): deviations are rescaled
  /// before squaring, and the warp divides by a spread first.
  Eigen::VectorXd standardised() const {
    const auto n = static_cast<Eigen::Index>(values_.size());
    Eigen::VectorXd y(n);
    double mean = 0;
    for (double v : values_) mean += v / static_cast<double>(n);
    double scale = 0;
    for (double v : values_) scale = std::max(scale, std::abs(v - mean));
    if (!(scale > 0) || !std::isfinite(scale)) return Eigen::VectorXd::Zero(n);
    if (options_.warp_outputs) {
      // y -> log(1 + (y - min) / c), c = median - min: monotone (the argmin
      // is kept), near-linear below the median, and heavy upper tails
      // (rosenbrock's 1e5 next to its 0) no longer flatten the good region.
      const double lo = *std::min_element(values_.begin(), values_.end());
      std::vector<double> sorted(values_);
      std::nth_element(sorted.begin(), sorted.begin() + n / 2, sorted.end());
      double c = sorted[static_cast<std::size_t>(n / 2)] - lo;
      if (!(c > 0) || !std::isfinite(c)) c = *std::max_element(values_.begin(), values_.end()) - lo;
      if (!(c > 0) || !std::isfinite(c)) return Eigen::VectorXd::Zero(n);
      for (Eigen::Index i = 0; i < n; ++i) y[i] = std::log1p((values_[static_cast<std::size_t>(i)] - lo) / c);
      return (y.array() - y.mean()) / std::sqrt(std::max((y.array() - y.mean()).square().mean(), 1e-300));
    }
    double ss = 0;
    for (double v : values_) ss += ((v - mean) / scale) * ((v - mean) / scale);
    const double sd = scale * std::sqrt(ss / static_cast<double>(n));
    for (Eigen::Index i = 0; i < n; ++i) y[i] = (values_[static_cast<std::size_t>(i)] - mean) / sd;
    return y;
  }

  // --- the proposal --------------------------------------------------------------
  Eigen::VectorXd fit_hyperparameters(const Eigen::VectorXd& y, random_engine& rng) {
    const auto D = static_cast<Eigen::Index>(dims_.size());
    detail::gp::hyper_bounds b;
    b.log_noise_lo = std::log(options_.min_noise);
    Eigen::VectorXd lo(D + 2), hi(D + 2);
    lo << Eigen::VectorXd::Constant(D, b.log_lengthscale_lo), b.log_signal_lo, b.log_noise_lo;
    hi << Eigen::VectorXd::Constant(D, b.log_lengthscale_hi), b.log_signal_hi, b.log_noise_hi;
    auto clamp = [&](Eigen::VectorXd t) { return Eigen::VectorXd(t.cwiseMax(lo).cwiseMin(hi)); };
    auto objective = [&](const Eigen::VectorXd& t, Eigen::VectorXd& g) {
      return detail::gp::neg_log_posterior(data_, y, t, &g, ws_);
    };

    // The prior's mode, and random draws from the priors screened by their
    // value alone (a Cholesky each, no gradient).
    Eigen::VectorXd mode(D + 2);
    const detail::gp::prior pr;
    mode << Eigen::VectorXd::Constant(D, pr.lengthscale_mean(D)), pr.signal_mean, pr.noise_mean;
    mode = clamp(mode);
    Eigen::VectorXd best_draw = mode;
    double best_draw_f = detail::gp::neg_log_posterior(data_, y, mode, nullptr, ws_);
    int evaluations = 1;
    // Warm-started fits screen a quarter of the draws (at least one): the
    // previous optimum is usually still the best start.
    const bool warm = warm_ && warm_->size() == D + 2;
    const std::int64_t n_draws = warm ? (options_.n_restarts + 3) / 4 : options_.n_restarts;
    for (std::int64_t r = 0; r < n_draws; ++r) {
      Eigen::VectorXd t(D + 2);
      for (Eigen::Index d = 0; d < D; ++d)
        t[d] = pr.lengthscale_mean(D) + pr.lengthscale_sd * rng.normal();
      t[D] = pr.signal_mean + pr.signal_sd * rng.normal();
      t[D + 1] = pr.noise_mean + pr.noise_sd * rng.normal();
      t = clamp(t);
      const double f = detail::gp::neg_log_posterior(data_, y, t, nullptr, ws_);
      ++evaluations;
      if (f < best_draw_f) best_draw_f = f, best_draw = t;
    }
    // A warm start (the previous fit) is refined alone unless a screened draw
    // already beats it: re-optimising from a worse draw every ask doubled the
    // cost and rarely won (issue 4's cost bar).
    std::vector<Eigen::VectorXd> starts;
    if (warm) {
      starts.push_back(clamp(*warm_));
      const double warm_f = detail::gp::neg_log_posterior(data_, y, starts.back(), nullptr, ws_);
      ++evaluations;
      if (best_draw_f < warm_f) starts.push_back(best_draw);
    } else {
      starts.push_back(best_draw);
    }
    Eigen::VectorXd best;
    double best_f = std::numeric_limits<double>::infinity();
    for (const auto& s : starts) {
      // The log posterior grows like n; so does the gradient that still matters.
      const double tolerance = 1e-4 * static_cast<double>(std::max<Eigen::Index>(data_.size(), 10));
      // One more trial moves the optimum little: the warm start gets fewer
      // iterations (the next ask continues from where this one stops).
      const bool from_warm = warm && &s == &starts.front();
      const auto r = detail::box_lbfgs(objective, s, lo, hi,
                                       {.max_iterations = from_warm ? 8 : 60, .gradient_tolerance = tolerance,
                                        .relative_tolerance = 1e-9});
      evaluations += r.evaluations;
      if (r.f < best_f) best_f = r.f, best = r.x;
    }
    diag_.fit_evaluations = evaluations;
    if (!std::isfinite(best_f)) throw std::runtime_error("no hyperparameters give a positive definite kernel matrix");
    warm_ = best;
    return best;
  }

  /// Snaps discrete coordinates to the centre of their cell, categorical ones to an index.
  void snap(Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> x) const {
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      const auto d = static_cast<Eigen::Index>(i);
      if (x[d] == absent) continue;
      if (dims_[i].k == kind::continuous) x[d] = std::clamp(x[d], 0.0, 1.0);
      else if (dims_[i].k == kind::discrete) x[d] = to_unit(dims_[i].dist, from_unit(dims_[i].dist, x[d]));
      else x[d] = std::clamp(std::round(x[d]), 0.0, static_cast<double>(dims_[i].size - 1));
    }
  }

  detail::acq::value_grad acquisition(double mu, double var, double best) const {
    const double sigma = std::sqrt(var);
    switch (options_.acquisition) {
      case gp_acquisition::ucb: return detail::acq::ucb(mu, sigma, options_.ucb_kappa);
      case gp_acquisition::log_pi: return detail::acq::log_pi(mu, sigma, best);
      default: return detail::acq::log_ei(mu, sigma, best);
    }
  }

  Eigen::VectorXd score(const Eigen::MatrixXd& C, double best) const {
    Eigen::VectorXd mean, var, out(C.rows());
    post_.predict(C, mean, var);
    for (Eigen::Index j = 0; j < C.rows(); ++j) {
      const double a = acquisition(mean[j], var[j], best).value;
      out[j] = std::isfinite(a) ? a : -std::numeric_limits<double>::infinity();
    }
    return out;
  }

  Eigen::MatrixXd candidates(random_engine& rng) {
    const auto D = static_cast<Eigen::Index>(dims_.size());
    const Eigen::Index n_total = options_.n_candidates, n_sobol = (n_total + 1) / 2, n_local = n_total - n_sobol;
    Eigen::MatrixXd C(n_total, D);
    // Quasi-random: the Sobol sequence with a fresh digital shift per ask.
    if (!sobol_ || sobol_->dimension() != static_cast<std::size_t>(D)) sobol_.emplace(static_cast<std::size_t>(D));
    sobol_->seed(0);
    std::vector<std::uint64_t> shift(static_cast<std::size_t>(D));
    for (auto& s : shift) s = rng();
    for (Eigen::Index j = 0; j < n_sobol; ++j)
      for (Eigen::Index d = 0; d < D; ++d) {
        const std::uint64_t bits = static_cast<std::uint64_t>((*sobol_)()) ^ shift[static_cast<std::size_t>(d)];
        const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
        C(j, d) = dims_[static_cast<std::size_t>(d)].k == kind::categorical
                      ? std::floor(u * static_cast<double>(dims_[static_cast<std::size_t>(d)].size))
                      : u;
      }
    // In a conditional space a Sobol point takes its branch from a random
    // finished trial (a "donor"): the donor's absent parameters stay absent
    // and its categorical choices are kept, so that every candidate is a
    // point of a branch that exists.
    if (conditional_)
      for (Eigen::Index j = 0; j < n_sobol; ++j) {
        const auto donor = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(data_.size())));
        for (Eigen::Index d = 0; d < D; ++d) {
          const double v = data_.X()(donor, d);
          if (v == absent || dims_[static_cast<std::size_t>(d)].k == kind::categorical) C(j, d) = v;
        }
      }
    // Local: Gaussian steps of three widths around the best observations.
    std::vector<Eigen::Index> order(values_.size());
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    const std::size_t top = std::min<std::size_t>(5, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                      [&](Eigen::Index a, Eigen::Index b) { return values_[static_cast<std::size_t>(a)] < values_[static_cast<std::size_t>(b)]; });
    static constexpr double widths[] = {0.005, 0.03, 0.1};
    const double p_flip = 1.0 / static_cast<double>(D);
    for (Eigen::Index j = 0; j < n_local; ++j) {
      const Eigen::Index centre = order[static_cast<std::size_t>(j) % top];
      const double w = widths[(static_cast<std::size_t>(j) / top) % 3];
      for (Eigen::Index d = 0; d < D; ++d) {
        const auto& dm = dims_[static_cast<std::size_t>(d)];
        const double x = data_.X()(centre, d);
        if (x == absent || (conditional_ && dm.k == kind::categorical)) C(n_sobol + j, d) = x;
        else if (dm.k == kind::categorical)
          C(n_sobol + j, d) = rng.uniform() < p_flip ? static_cast<double>(rng.below(static_cast<std::uint64_t>(dm.size))) : x;
        else C(n_sobol + j, d) = std::clamp(x + w * rng.normal(), 0.0, 1.0);
      }
    }
    for (Eigen::Index j = 0; j < n_total; ++j) snap(C.row(j));
    return C;
  }

  /// Gradient ascent on the continuous coordinates (the others held).
  double refine(Eigen::RowVectorXd& x, double best) const {
    const auto D = static_cast<Eigen::Index>(dims_.size());
    Eigen::VectorXd lo(D), hi(D);
    for (Eigen::Index d = 0; d < D; ++d) {
      const bool free = dims_[static_cast<std::size_t>(d)].k == kind::continuous && x[d] != absent;
      lo[d] = free ? 0.0 : x[d];
      hi[d] = free ? 1.0 : x[d];
    }
    Eigen::VectorXd dmean, dvar;
    auto objective = [&](const Eigen::VectorXd& p, Eigen::VectorXd& g) {
      double mean, var;
      post_.predict_grad(p.transpose(), mean, var, dmean, dvar);
      const auto a = acquisition(mean, var, best);
      const double sigma = std::sqrt(var);
      g = -(a.d_mu * dmean + a.d_sigma * dvar / (2.0 * sigma));
      return std::isfinite(a.value) && g.allFinite() ? -a.value : std::numeric_limits<double>::infinity();
    };
    const auto r = detail::box_lbfgs(objective, x.transpose(), lo, hi, {.max_iterations = 40, .gradient_tolerance = 1e-7});
    x = r.x.transpose();
    return -r.f;
  }

  /// Greedy neighbour search on discrete and categorical coordinates.
  double discrete_search(Eigen::RowVectorXd& x, double value, double best) const {
    for (int pass = 0; pass < 3; ++pass) {
      bool moved = false;
      for (std::size_t i = 0; i < dims_.size(); ++i) {
        const auto& dm = dims_[i];
        const auto d = static_cast<Eigen::Index>(i);
        // In a conditional space a categorical may choose the branch: moving
        // it would score a point whose absent parameters are those of another branch.
        if (dm.k == kind::continuous || x[d] == absent || (conditional_ && dm.k == kind::categorical)) continue;
        std::vector<double> options;
        if (dm.k == kind::categorical) {
          for (std::int64_t c = 0; c < dm.size; ++c)
            if (static_cast<double>(c) != x[d]) options.push_back(static_cast<double>(c));
        } else {
          const double cell = 1.0 / static_cast<double>(dm.size);
          for (double step : {-2.0, -1.0, 1.0, 2.0}) options.push_back(x[d] + step * cell);
        }
        if (options.empty()) continue;
        Eigen::MatrixXd C = x.replicate(static_cast<Eigen::Index>(options.size()), 1);
        for (std::size_t j = 0; j < options.size(); ++j) {
          C(static_cast<Eigen::Index>(j), d) = options[j];
          snap(C.row(static_cast<Eigen::Index>(j)));
        }
        const Eigen::VectorXd s = score(C, best);
        Eigen::Index arg;
        const double top = s.maxCoeff(&arg);
        if (top > value) {
          value = top;
          x = C.row(arg);
          moved = true;
        }
      }
      if (!moved) break;
    }
    return value;
  }

  /// Whether x repeats a finished trial: numeric coordinates within 1e-7 of
  /// it on the unit cube (a distance no objective can resolve), categorical
  /// ones equal. Not wider: a guard of 1e-3 rejected every proposal next to
  /// the incumbent, so a GP converging on a smooth minimum was sent to
  /// random points instead and stalled (branin at regret 3e-5; benchmarks/RESULTS.md).
  bool near_observation(const Eigen::RowVectorXd& x) const {
    const Eigen::MatrixXd& X = data_.X();
    for (Eigen::Index a = 0; a < X.rows(); ++a) {
      double d2 = 0;
      for (std::size_t i = 0; i < dims_.size(); ++i) {
        const auto d = static_cast<Eigen::Index>(i);
        const double delta = X(a, d) - x[d];
        d2 += dims_[i].k == kind::categorical ? (delta != 0 ? 1.0 : 0.0) : delta * delta;
      }
      if (d2 < 1e-14) return true;
    }
    return false;
  }

  param_map propose(const study_view& view, const frozen_trial& t, const search_space& space) {
    const auto D = static_cast<Eigen::Index>(dims_.size());
    random_engine rng = stream_for(seed_, t.number, "gp");
    const Eigen::VectorXd y = standardised();
    const Eigen::VectorXd theta = fit_hyperparameters(y, rng);
    if (!post_.fit(data_, y, theta)) return startup(view, t, space, "model failed: posterior is not finite");
    const double best = y.minCoeff();

    // Running trials at their predicted value (kriging believer).
    if (options_.fantasize_running) {
      std::vector<Eigen::RowVectorXd> running;
      Eigen::RowVectorXd row;
      for (const auto& r : view.running())
        if (r.number != t.number && row_of(r, row, false)) running.push_back(row);
      if (!running.empty()) {
        Eigen::MatrixXd R(static_cast<Eigen::Index>(running.size()), D);
        for (std::size_t i = 0; i < running.size(); ++i) R.row(static_cast<Eigen::Index>(i)) = running[i];
        Eigen::VectorXd mean, var;
        post_.predict(R, mean, var);
        if (post_.extend(R, mean)) diag_.n_fantasies = R.rows();
        else if (!post_.fit(data_, y, theta)) return startup(view, t, space, "model failed: fantasies");
      }
    }

    const Eigen::MatrixXd C = candidates(rng);
    const Eigen::VectorXd s = score(C, best);
    std::vector<Eigen::Index> order(static_cast<std::size_t>(C.rows()));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    // The refined candidates plus a few more scored ones to fall back on.
    const auto k = static_cast<std::size_t>(std::min<std::int64_t>(C.rows(), std::max<std::int64_t>(options_.n_refine, 1) + 8));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](Eigen::Index a, Eigen::Index b) { return s[a] > s[b]; });
    // The refined candidates and the discrete search's result, best first;
    // the proposal is the best one that does not repeat a finished trial.
    std::vector<std::pair<double, Eigen::RowVectorXd>> ranked;
    const bool any_continuous =
        std::any_of(dims_.begin(), dims_.end(), [](const dim& d) { return d.k == kind::continuous; });
    for (std::size_t i = 0; i < k; ++i) {
      Eigen::RowVectorXd x = C.row(order[i]);
      double v = s[order[i]];
      if (any_continuous && i < static_cast<std::size_t>(options_.n_refine)) {
        Eigen::RowVectorXd r = x;
        if (const double rv = refine(r, best); rv > v) v = rv, x = std::move(r);
      }
      ranked.emplace_back(v, std::move(x));
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    {
      Eigen::RowVectorXd x = ranked.front().second;
      const double v = discrete_search(x, ranked.front().first, best);
      ranked.insert(ranked.begin(), {v, std::move(x)});
    }
    const auto pick = std::find_if(ranked.begin(), ranked.end(), [&](const auto& c) {
      return c.second.allFinite() && std::isfinite(c.first) && !near_observation(c.second);
    });
    if (pick == ranked.end()) {
      if (!ranked.front().second.allFinite()) return startup(view, t, space, "model failed: non-finite proposal");
      // Every refined maximum repeats a trial (an over-confident model, or a
      // small discrete space): a wasted trial. Explore instead.
      return startup(view, t, space, "duplicate: the acquisition's maximum is an observed point");
    }
    const Eigen::RowVectorXd best_x = pick->second;
    const double best_value = pick->first;

    const auto& h = post_.hyperparameters();
    diag_.lengthscales.resize(static_cast<std::size_t>(D));
    for (Eigen::Index d = 0; d < D; ++d) diag_.lengthscales[static_cast<std::size_t>(d)] = std::exp(h.log_lengthscale[d]);
    diag_.signal_variance = std::exp(h.log_signal);
    diag_.noise_variance = std::exp(h.log_noise);
    diag_.jitter = post_.jitter();
    diag_.acquisition_value = best_value;

    param_map out;
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      const auto& dm = dims_[i];
      const double c = best_x[static_cast<Eigen::Index>(i)];
      if (c == absent) continue;  // not on this branch: drawn independently if the trial asks for it
      out.emplace(dm.name, dm.k == kind::categorical ? c : from_unit(dm.dist, c));
    }
    return out;
  }

  gp_sampler_options options_;
  std::uint64_t seed_;
  qmc_sampler startup_;
  random_sampler fallback_;
  std::vector<union_entry> union_;
  std::size_t union_scanned_ = 0;
  bool conditional_ = false;  ///< some modelled trial lacks a parameter

  std::string study_name_;
  double sign_ = 1.0;
  std::size_t scanned_ = 0;
  std::vector<dim> dims_;
  std::vector<double> values_;  ///< sign * value of each modelled trial, in data order
  Eigen::MatrixXd rows_;
  detail::gp::gp_data data_;
  detail::gp::lml_workspace ws_;
  detail::gp::posterior post_;
  std::optional<Eigen::VectorXd> warm_;
  std::optional<detail::sobol_engine> sobol_;
  gp_diagnostics diag_;
};
}  // namespace tunekit::detail
