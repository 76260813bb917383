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
#include "../../detail/dependent.hpp"
#include "../../detail/format.hpp"
#include "../../mo/constraints.hpp"
#include "../gp.hpp"
#include "../qmc.hpp"
#include "../random.hpp"
#include "acquisition.hpp"
#include "box_lbfgs.hpp"
#include "ehvi.hpp"
#include "gp_fit.hpp"
#include "gp_outputs.hpp"
#include "gp_model.hpp"
#include "gp_trust_region.hpp"
#include "sobol.hpp"

namespace tunekit::detail {
/// A template only so that its Eigen/Boost.Math code is instantiated in the
/// translation units that use the sampler, not in every one that includes
/// the header (compile cost; see benchmarks/RESULTS.md, "Compile cost").
template <class Tag = void>
class gp_sampler_impl {
  // Dependent spellings of Eigen's types (detail/dependent.hpp): checked where used.
  using VectorXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, 1>;
  using RowVectorXd = Eigen::Matrix<dependent_t<Tag, double>, 1, Eigen::Dynamic>;
  using MatrixXd = Eigen::Matrix<dependent_t<Tag, double>, Eigen::Dynamic, Eigen::Dynamic>;

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
    const std::size_t m = view.directions().size();
    if (m < 1 || m > 3)
      throw invalid_argument("gp_sampler supports studies of 1 to 3 objectives (log EHVI by an exact box decomposition); study " +
                             detail::quoted(view.name()) + " has " + std::to_string(m) +
                             " objectives (use tpe_sampler or nsga2_sampler for more)");
    if (m > 1 && options_.acquisition != gp_acquisition::log_ei)
      bad_option("acquisition = " + std::string(options_.acquisition == gp_acquisition::ucb ? "ucb" : "log_pi") +
                 " is for single-objective studies; study " + detail::quoted(view.name()) + " has " +
                 std::to_string(m) + " objectives, for which gp_sampler maximises log EHVI (leave acquisition at log_ei)");
    if (dims.empty()) return {};
    sync(view, dims);
    diag_.n_observations = static_cast<std::int64_t>(data_.size());
    if (data_.size() == 0 || static_cast<std::int64_t>(data_.size()) < options_.n_startup_trials)
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
    if (!(o.scalarized_fraction >= 0 && o.scalarized_fraction <= 1))
      bad_option("scalarized_fraction = " + detail::format_number(o.scalarized_fraction) + " must lie in [0, 1]");
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
    objectives_.clear();
    constraints_.clear();
    rows_.resize(0, static_cast<Eigen::Index>(dims_.size()));
    scanned_ = 0;
    conditional_ = false;
    warms_.clear();
    scalarized_warms_.clear();
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
  bool row_of(const frozen_trial& t, RowVectorXd& row, bool allow_absent = true) const {
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
    const auto dirs = view.directions();
    if (!same_dims(dims) || finished.size() < scanned_ || view.name() != study_name_ ||
        !std::equal(dirs.begin(), dirs.end(), directions_.begin(), directions_.end())) {
      reset(dims);
      study_name_ = view.name();
      directions_.assign(dirs.begin(), dirs.end());
      objectives_.assign(dirs.size(), {});
    }
    RowVectorXd row;
    std::vector<RowVectorXd> fresh;
    for (; scanned_ < finished.size(); ++scanned_) {
      const frozen_trial& t = finished[scanned_];
      // Usable: COMPLETE with one finite value per objective.
      if (t.state != trial_state::complete || t.values.size() != dirs.size() ||
          !std::all_of(t.values.begin(), t.values.end(), [](double v) { return std::isfinite(v); }))
        continue;
      if (!row_of(t, row)) continue;
      if ((row.array() == absent).any()) conditional_ = true;
      fresh.push_back(row);
      for (std::size_t k = 0; k < dirs.size(); ++k)
        objectives_[k].push_back(dirs[k] == direction::maximize ? -t.values[k] : t.values[k]);
      constraints_.push_back(trial_constraints(t));
    }
    if (!fresh.empty()) {
      MatrixXd block(static_cast<Eigen::Index>(fresh.size()), static_cast<Eigen::Index>(dims_.size()));
      for (std::size_t i = 0; i < fresh.size(); ++i) block.row(static_cast<Eigen::Index>(i)) = fresh[i];
      data_.append(block);
    }
  }

  // --- the proposal --------------------------------------------------------------
  /// Snaps discrete coordinates to the centre of their cell, categorical ones to an index.
  void snap(Eigen::Ref<RowVectorXd, 0, Eigen::InnerStride<>> x) const {
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      const auto d = static_cast<Eigen::Index>(i);
      if (x[d] == absent) continue;
      if (dims_[i].k == kind::continuous) x[d] = std::clamp(x[d], 0.0, 1.0);
      else if (dims_[i].k == kind::discrete) x[d] = to_unit(dims_[i].dist, from_unit(dims_[i].dist, x[d]));
      else x[d] = std::clamp(std::round(x[d]), 0.0, static_cast<double>(dims_[i].size - 1));
    }
  }

  detail::acq::value_grad acquisition(double mu, double sigma, double best) const {
    switch (options_.acquisition) {
      case gp_acquisition::ucb: return detail::acq::ucb(mu, sigma, options_.ucb_kappa);
      case gp_acquisition::log_pi: return detail::acq::log_pi(mu, sigma, best);
      default: return detail::acq::log_ei(mu, sigma, best);
    }
  }

  /// The acquisition of one point from each output's posterior mean and sd,
  /// and its derivatives with respect to them (written to d_mu, d_sigma):
  /// the single-objective acquisition or log EHVI, plus the log probability
  /// that each constraint is satisfied; only the latter while no trial is feasible.
  double joint(const double* mu, const double* sigma, double* d_mu, double* d_sigma) const {
    const std::size_t m = acq_.n_objectives, n = posts_.size();
    std::fill(d_mu, d_mu + n, 0.0);
    std::fill(d_sigma, d_sigma + n, 0.0);
    double v = 0;
    if (acq_.improve && m == 1) {
      const auto a = acquisition(mu[0], sigma[0], acq_.best);
      v = a.value, d_mu[0] = a.d_mu, d_sigma[0] = a.d_sigma;
    } else if (acq_.improve) {
      const auto e = detail::ehvi::log_ehvi(acq_.boxes, {mu, m}, {sigma, m});
      v = e.value;
      std::copy_n(e.d_mu.begin(), m, d_mu);
      std::copy_n(e.d_sigma.begin(), m, d_sigma);
    }
    for (std::size_t j = m; j < n; ++j) {
      const auto a = detail::acq::log_pi(mu[j], sigma[j], acq_.thresholds[j - m]);
      v += a.value, d_mu[j] = a.d_mu, d_sigma[j] = a.d_sigma;
    }
    return v;
  }

  VectorXd score(const MatrixXd& C) const {
    const std::size_t n = posts_.size();
    std::vector<VectorXd> mean(n), var(n);
    for (std::size_t o = 0; o < n; ++o) posts_[o].predict(C, mean[o], var[o]);
    VectorXd out(C.rows());
    std::vector<double> mu(n), sigma(n), scratch(2 * n);
    for (Eigen::Index j = 0; j < C.rows(); ++j) {
      for (std::size_t o = 0; o < n; ++o) mu[o] = mean[o][j], sigma[o] = std::sqrt(var[o][j]);
      const double a = joint(mu.data(), sigma.data(), scratch.data(), scratch.data() + n);
      out[j] = std::isfinite(a) ? a : -std::numeric_limits<double>::infinity();
    }
    return out;
  }

  MatrixXd candidates(random_engine& rng) {
    const auto D = static_cast<Eigen::Index>(dims_.size());
    const Eigen::Index n_total = options_.n_candidates, n_sobol = (n_total + 1) / 2, n_local = n_total - n_sobol;
    MatrixXd C(n_total, D);
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
                      : box_lo_[d] + u * (box_hi_[d] - box_lo_[d]);
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
    std::vector<Eigen::Index> order(acq_.rank.size());
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    // In a trust region the box's centre alone (TuRBO's one region).
    const std::size_t top = std::min<std::size_t>(in_box_ ? 1 : 5, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                      [&](Eigen::Index a, Eigen::Index b) { return acq_.rank[static_cast<std::size_t>(a)] < acq_.rank[static_cast<std::size_t>(b)]; });
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
        else C(n_sobol + j, d) = std::clamp(x + w * rng.normal(), box_lo_[d], box_hi_[d]);
      }
    }
    for (Eigen::Index j = 0; j < n_total; ++j) snap(C.row(j));
    return C;
  }

  /// The box candidates and refinement stay in (box_lo_, box_hi_; the unit
  /// cube without a trust region; detail/gp_trust_region.hpp).
  void trust_region_box() {
    const auto D = static_cast<Eigen::Index>(dims_.size());
    box_lo_ = VectorXd::Zero(D);
    box_hi_ = VectorXd::Ones(D);
    in_box_ = false;
    const auto n = static_cast<std::size_t>(data_.size());
    if (!options_.trust_region || objectives_.size() != 1 || !acq_.improve || n == 0 ||
        std::any_of(constraints_.begin(), constraints_.end(), [](const auto& c) { return c.has_value(); }))
      return;
    const std::vector<double>& y = objectives_.front();
    const double length =
        detail::gp::trust_region_length(y, static_cast<std::size_t>(std::max<std::int64_t>(options_.n_startup_trials, 1)), dims_.size());
    const auto centre = static_cast<Eigen::Index>(std::min_element(y.begin(), y.end()) - y.begin());
    std::vector<bool> boxed(dims_.size());
    for (std::size_t d = 0; d < dims_.size(); ++d)
      boxed[d] = dims_[d].k != kind::categorical && data_.X()(centre, static_cast<Eigen::Index>(d)) != absent;
    const RowVectorXd c = data_.X().row(centre);
    if (!detail::gp::trust_region_bounds(c, boxed, posts_.front().hyperparameters().log_lengthscale, length, box_lo_, box_hi_))
      return;
    in_box_ = true;
    diag_.trust_region_length = length;
  }

  /// Gradient ascent on the continuous coordinates (the others held).
  double refine(RowVectorXd& x) const {
    const auto D = static_cast<Eigen::Index>(dims_.size());
    VectorXd lo(D), hi(D);
    for (Eigen::Index d = 0; d < D; ++d) {
      const bool free = dims_[static_cast<std::size_t>(d)].k == kind::continuous && x[d] != absent;
      lo[d] = free ? box_lo_[d] : x[d];
      hi[d] = free ? box_hi_[d] : x[d];
    }
    const std::size_t n = posts_.size();
    std::vector<VectorXd> dmean(n), dvar(n);
    std::vector<double> mu(n), var(n), sigma(n), d_mu(n), d_sigma(n);
    auto objective = [&](const VectorXd& p, VectorXd& g) {
      for (std::size_t o = 0; o < n; ++o) {
        posts_[o].predict_grad(p.transpose(), mu[o], var[o], dmean[o], dvar[o]);
        sigma[o] = std::sqrt(var[o]);
      }
      const double a = joint(mu.data(), sigma.data(), d_mu.data(), d_sigma.data());
      g.setZero(D);
      for (std::size_t o = 0; o < n; ++o) g -= d_mu[o] * dmean[o] + d_sigma[o] * dvar[o] / (2.0 * sigma[o]);
      return std::isfinite(a) && g.allFinite() ? -a : std::numeric_limits<double>::infinity();
    };
    const auto r = detail::box_lbfgs(objective, x.transpose(), lo, hi, {.max_iterations = 40, .gradient_tolerance = 1e-7});
    x = r.x.transpose();
    return -r.f;
  }

  /// Greedy neighbour search on discrete and categorical coordinates.
  double discrete_search(RowVectorXd& x, double value) const {
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
        MatrixXd C = x.replicate(static_cast<Eigen::Index>(options.size()), 1);
        for (std::size_t j = 0; j < options.size(); ++j) {
          C(static_cast<Eigen::Index>(j), d) = options[j];
          snap(C.row(static_cast<Eigen::Index>(j)));
        }
        const VectorXd s = score(C);
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
  bool near_observation(const RowVectorXd& x) const {
    const MatrixXd& X = data_.X();
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
    // Several objectives: log EHVI, or in a fraction of the asks log EI of a
    // random scalarisation (ParEGO), whose GP keeps warm starts of its own.
    const bool scalarized =
        objectives_.size() > 1 && options_.scalarized_fraction > 0 && rng.uniform() < options_.scalarized_fraction;
    const std::vector<VectorXd> ys =
        scalarized ? detail::gp::outputs({detail::gp::chebyshev_scalarised(objectives_, rng, diag_.scalarization_weights)},
                                         constraints_, options_.warp_outputs, rng, acq_)
                   : detail::gp::outputs(objectives_, constraints_, options_.warp_outputs, rng, acq_);
    auto& warms = scalarized ? scalarized_warms_ : warms_;
    posts_.resize(ys.size());
    warms.resize(ys.size());
    std::vector<VectorXd> thetas;
    for (std::size_t o = 0; o < ys.size(); ++o) {
      thetas.push_back(detail::gp::fit_map(data_, ys[o], rng, warms[o], {options_.min_noise, options_.n_restarts}, ws_,
                                           diag_.fit_evaluations));
      if (!posts_[o].fit(data_, ys[o], thetas[o])) return startup(view, t, space, "model failed: posterior is not finite");
    }

    // Running trials at their predicted value (kriging believer).
    if (options_.fantasize_running) {
      std::vector<RowVectorXd> running;
      RowVectorXd row;
      for (const auto& r : view.running())
        if (r.number != t.number && row_of(r, row, false)) running.push_back(row);
      if (!running.empty()) {
        MatrixXd R(static_cast<Eigen::Index>(running.size()), D);
        for (std::size_t i = 0; i < running.size(); ++i) R.row(static_cast<Eigen::Index>(i)) = running[i];
        VectorXd var;
        std::vector<VectorXd> mean(posts_.size());
        diag_.n_fantasies = R.rows();
        for (std::size_t o = 0; o < posts_.size(); ++o) {
          posts_[o].predict(R, mean[o], var);
          if (posts_[o].extend(R, mean[o])) continue;
          diag_.n_fantasies = 0;  // the extended factor failed: this output goes without fantasies
          if (!posts_[o].fit(data_, ys[o], thetas[o])) return startup(view, t, space, "model failed: fantasies");
        }
        // Several objectives: a fantasy predicted feasible joins the front,
        // so that the region it would improve is no longer counted.
        const std::size_t m = acq_.n_objectives;
        if (m > 1 && acq_.improve && diag_.n_fantasies > 0) {
          for (Eigen::Index i = 0; i < R.rows(); ++i) {
            bool feasible = true;
            for (std::size_t j = 0; j < acq_.thresholds.size(); ++j) feasible = feasible && mean[m + j][i] <= acq_.thresholds[j];
            std::vector<double> p(m);
            for (std::size_t k = 0; k < m; ++k) p[k] = mean[k][i];
            if (feasible) acq_.front.push_back(std::move(p));
          }
          acq_.boxes = detail::ehvi::nondominated_boxes(acq_.front, acq_.reference);
        }
      }
    }

    trust_region_box();
    const MatrixXd C = candidates(rng);
    const VectorXd s = score(C);
    std::vector<Eigen::Index> order(static_cast<std::size_t>(C.rows()));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    // The refined candidates plus a few more scored ones to fall back on.
    const auto k = static_cast<std::size_t>(std::min<std::int64_t>(C.rows(), std::max<std::int64_t>(options_.n_refine, 1) + 8));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](Eigen::Index a, Eigen::Index b) { return s[a] > s[b]; });
    // The refined candidates and the discrete search's result, best first;
    // the proposal is the best one that does not repeat a finished trial.
    std::vector<std::pair<double, RowVectorXd>> ranked;
    const bool any_continuous =
        std::any_of(dims_.begin(), dims_.end(), [](const dim& d) { return d.k == kind::continuous; });
    for (std::size_t i = 0; i < k; ++i) {
      RowVectorXd x = C.row(order[i]);
      double v = s[order[i]];
      if (any_continuous && i < static_cast<std::size_t>(options_.n_refine)) {
        RowVectorXd r = x;
        if (const double rv = refine(r); rv > v) v = rv, x = std::move(r);
      }
      ranked.emplace_back(v, std::move(x));
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    {
      RowVectorXd x = ranked.front().second;
      const double v = discrete_search(x, ranked.front().first);
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
    const RowVectorXd best_x = pick->second;
    const double best_value = pick->first;

    const auto& h = posts_.front().hyperparameters();
    diag_.lengthscales.resize(static_cast<std::size_t>(D));
    for (Eigen::Index d = 0; d < D; ++d) diag_.lengthscales[static_cast<std::size_t>(d)] = std::exp(h.log_lengthscale[d]);
    diag_.signal_variance = std::exp(h.log_signal);
    diag_.noise_variance = std::exp(h.log_noise);
    diag_.jitter = posts_.front().jitter();
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
  std::vector<direction> directions_;
  std::size_t scanned_ = 0;
  std::vector<dim> dims_;
  /// Per objective, each modelled trial's value (sign flipped when maximised), in data order.
  std::vector<std::vector<double>> objectives_;
  /// Each modelled trial's constraint values, if it has them, in data order.
  std::vector<std::optional<std::vector<double>>> constraints_;
  MatrixXd rows_;
  detail::gp::gp_data data_;
  detail::gp::lml_workspace ws_;
  std::vector<detail::gp::posterior> posts_;  ///< per output: the objectives, then the constraints
  std::vector<std::optional<VectorXd>> warms_;  ///< per output, the previous fit
  std::vector<std::optional<VectorXd>> scalarized_warms_;  ///< the same for asks that scalarise (ParEGO)
  detail::gp::acquisition_state acq_;  ///< set by detail::gp::outputs each ask
  std::optional<detail::sobol_engine> sobol_;
  VectorXd box_lo_, box_hi_;  ///< this ask's box (the unit cube without a trust region)
  bool in_box_ = false;              ///< a trust region is in force this ask
  gp_diagnostics diag_;
};
}  // namespace tunekit::detail
