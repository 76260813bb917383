#pragma once

/// The implementation behind `tunekit::tpe_sampler` (samplers/tpe.hpp, which
/// has the references, the complexity and the options). Included by that
/// header in header-only mode and by the compiled library (src/samplers.cpp),
/// never by a compiled-mode user's translation unit (detail/sampler_core.hpp).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../core/concepts.hpp"
#include "../../core/distribution.hpp"
#include "../../core/errors.hpp"
#include "../../core/random.hpp"
#include "../../detail/format.hpp"
#include "../random.hpp"
#include "../tpe.hpp"
#include "group_decomposed.hpp"
#include "intersection.hpp"
#include "parzen_estimator.hpp"
#include "tpe_history.hpp"

namespace tunekit::detail {
/// A template only so that its Eigen/Boost.Math code is instantiated in the
/// translation units that use the sampler, not in every one that includes
/// the header (compile cost; see benchmarks/RESULTS.md, "Compile cost").
template <class = void>
class tpe_sampler_impl : private tpe_history<> {
 public:
  explicit tpe_sampler_impl(tpe_sampler_options options)
      : options_(std::move(options)),
        seed_(detail::seed_or_entropy(options_.seed)),
        fallback_({.seed = seed_}) {
    validate();
  }

  const tpe_sampler_options& options() const noexcept { return options_; }
  std::uint64_t seed() const noexcept { return seed_; }

  /// Univariate: empty (every parameter goes through `sample_independent`).
  /// Multivariate: the parameters every finished trial shares, or with
  /// `group` the union of the groups.
  search_space infer_relative_search_space(const study_view& view, const frozen_trial&) {
    search_space out;
    if (!options_.multivariate) return out;
    sync(view);
    if (options_.group) {
      for (const auto& g : study_.groups.update(view))
        for (const auto& [name, d] : g)
          if (!single(d)) out.add(name, d);
    } else {
      for (const auto& [name, d] : study_.intersection.update(view))
        if (!single(d)) out.add(name, d);
    }
    return out;
  }

  /// Multivariate TPE over `space` (per group with `group`).
  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    param_map out;
    if (!options_.multivariate || space.empty()) return out;
    sync(view);
    if (!tpe_ready()) return out;
    std::vector<dim_ref> dims;
    if (options_.group) {
      for (const auto& g : study_.groups.update(view)) {
        dims.clear();
        for (const auto& entry : g)
          if (const distribution* d = space.find(entry.first); d && !single(*d)) dims.push_back({entry.first, d});
        if (!dims.empty()) sample_joint(view, t, dims, out);
      }
    } else {
      for (const auto& [name, d] : space)
        if (!single(d)) dims.push_back({name, &d});
      if (!dims.empty()) sample_joint(view, t, dims, out);
    }
    return out;
  }

  /// Univariate TPE for one parameter; random during the startup trials.
  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) {
    if (single(d)) return from_unit(d, 0.5);
    sync(view);
    if (!tpe_ready()) return fallback_.sample_independent(view, t, name, d);
    return sample_univariate(view, t, name, d);
  }

 private:
  static constexpr double eps_sigma = 1e-12;

  // --- options ----------------------------------------------------------------
  [[noreturn]] static void bad_option(const std::string& what) { throw invalid_argument("tpe_sampler_options: " + what); }

  void validate() const {
    const auto& o = options_;
    if (o.n_startup_trials < 0)
      bad_option("n_startup_trials = " + std::to_string(o.n_startup_trials) + " must be >= 0");
    if (o.n_ei_candidates < 1)
      bad_option("n_ei_candidates = " + std::to_string(o.n_ei_candidates) + " must be >= 1");
    if (!(o.prior_weight > 0) || !std::isfinite(o.prior_weight))
      bad_option("prior_weight = " + detail::format_number(o.prior_weight) + " must be positive and finite");
    if (!o.gamma) bad_option("gamma is empty; give a function n -> number of good trials in [0, n]");
    if (!o.weights) bad_option("weights is empty; give a function n -> n non-negative weights");
    if (!(o.min_bandwidth_factor >= 0 && o.min_bandwidth_factor <= 1))
      bad_option("min_bandwidth_factor = " + detail::format_number(o.min_bandwidth_factor) + " must lie in [0, 1]");
    if (!(o.magic_clip_exponent > 0))
      bad_option("magic_clip_exponent = " + detail::format_number(o.magic_clip_exponent) + " must be positive");
    if (o.categorical_prior_weight && !(*o.categorical_prior_weight > 0 && *o.categorical_prior_weight < 1))
      bad_option("categorical_prior_weight = " + detail::format_number(*o.categorical_prior_weight) +
                 " must lie in (0, 1)");
    // Probe the callables where a mistake shows: small n, the cap of the
    // default gamma, and a long study.
    for (std::int64_t n : {0, 1, 2, 3, 5, 10, 11, 24, 25, 26, 50, 100, 249, 250, 251, 1000, 10000}) {
      gamma_checked(n);
      if (n <= 100) weights_checked(n);
    }
  }

  std::int64_t gamma_checked(std::int64_t n) const {
    const std::int64_t g = options_.gamma(n);
    if (g < 0 || g > n)
      bad_option("gamma(" + std::to_string(n) + ") returned " + std::to_string(g) +
                 "; gamma must return a number of good trials in [0, n]");
    return g;
  }

  /// `weights(n)`, checked. The last two results are kept (an ask needs the
  /// weights of the good and of the bad trials, the same n for every parameter).
  const std::vector<double>& weights_checked(std::int64_t n) const {
    for (auto& slot : weights_cache_)
      if (slot.n == n) return slot.w;
    auto& slot = weights_cache_[weights_next_];
    weights_next_ ^= 1;
    slot.n = -1;
    slot.w = options_.weights(n);
    if (slot.w.size() < static_cast<std::size_t>(n))
      bad_option("weights(" + std::to_string(n) + ") returned " + std::to_string(slot.w.size()) +
                 " weights; it must return n of them");
    double sum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double w = slot.w[static_cast<std::size_t>(i)];
      if (!(w >= 0) || !std::isfinite(w))
        bad_option("weights(" + std::to_string(n) + ") returned " + detail::format_number(w) +
                   "; weights must be finite and >= 0");
      sum += w;
    }
    if (n > 0 && !(sum > 0)) bad_option("weights(" + std::to_string(n) + ") returned only zeros");
    slot.n = n;
    return slot.w;
  }


  bool tpe_ready() const noexcept {
    return study_.n_usable >= static_cast<std::size_t>(options_.n_startup_trials);
  }

  /// Marks the gamma(n) best trials; kept while no trial finishes.
  std::size_t split() {
    if (study_.split_n == study_.scanned) return study_.below_marked.size();
    return split_at(static_cast<std::size_t>(gamma_checked(static_cast<std::int64_t>(study_.n_usable))));
  }

  /// The running trials other than `t` (the constant liar's observations).
  template <class F>
  void for_each_running(const study_view& view, const frozen_trial& t, F&& f) const {
    if (!options_.constant_liar) return;
    for (const auto& r : view.running())
      if (r.number != t.number) f(r);
  }

  // --- kernels ------------------------------------------------------------------
  /// The narrowest kernel of an estimator with `components` kernels. For a
  /// discrete parameter it is at least half a grid cell: a kernel much
  /// narrower than its cell puts all its mass on one value, and the
  /// estimator could never move to the neighbouring values again.
  double min_sigma(std::size_t components, const distribution& d) const {
    const double discrete = detail::tpe::kind_of(d) == kind::discrete
                                ? 0.5 / static_cast<double>(detail::tpe::n_values(d))
                                : 0.0;
    if (!options_.consider_magic_clip) return std::max(eps_sigma, discrete);
    return std::max({options_.min_bandwidth_factor, discrete,
                     std::pow(1.0 + static_cast<double>(components), -options_.magic_clip_exponent)});
  }

  /// The scaling in force for the estimators being built.
  bool peak_scaled(bool multivariate) const noexcept {
    const auto scale = options_.kernel_scale.value_or(multivariate ? tpe_kernel_scale::density : tpe_kernel_scale::peak);
    return scale == tpe_kernel_scale::peak;
  }

  /// log of a numeric kernel's constant factor, without log √2π: 1 / (width ·
  /// mass on [0, 1]) for a density, 1 / mass on [0, 1] for a peak-scaled
  /// continuous kernel (a discrete kernel is a mass: 1 / mass on [0, 1]).
  double kernel_constant(kind k, double mu, double sigma) const {
    const double z = detail::tpe::log_normaliser(mu, sigma);
    if (k != kind::continuous) return -z;
    return (peak_ ? 0.0 : -std::log(sigma)) - z - detail::tpe::log_sqrt_2pi;
  }

  double cached_constant(constant_cache* cache, std::uint32_t id, kind k, double mu, double sigma) const {
    if (!cache || id == no_id) return kernel_constant(k, mu, sigma);
    if (cache->sigma[id] != sigma) {
      cache->sigma[id] = sigma;
      cache->constant[id] = kernel_constant(k, mu, sigma);
    }
    return cache->constant[id];
  }

  /// Normalised component weights from raw observation weights plus the prior.
  void set_weights(detail::tpe::parzen_estimator& pe, std::span<const double> raw, std::size_t prior_index) const {
    pe.weight.assign(raw.begin(), raw.end());
    pe.weight.insert(pe.weight.begin() + static_cast<std::ptrdiff_t>(prior_index), options_.prior_weight);
    double sum = 0;
    for (double w : pe.weight) sum += w;
    for (double& w : pe.weight) w /= sum;
  }

  void categorical_dim(detail::tpe::dim_model& m, const distribution& d, std::size_t n_obs) const {
    const auto k = detail::tpe::n_values(d);
    if (options_.categorical_prior_weight) detail::tpe::aitchison_aitken_kernel(m, k, *options_.categorical_prior_weight);
    else detail::tpe::categorical_kernel(m, k, n_obs, options_.prior_weight);
  }

  // --- univariate ---------------------------------------------------------------
  double sample_univariate(const study_view& view, const frozen_trial& t, std::string_view name,
                           const distribution& d) {
    column& col = column_for(view, name, d);
    split();
    const kind k = col.k;
    peak_ = peak_scaled(false);

    // Good trials (chronological) and the running ones.
    obs_ids_.clear();
    for (auto id : study_.below_marked)
      if (!std::isnan(col.value[id])) obs_ids_.push_back(id);
    running_.clear();
    for_each_running(view, t, [&](const frozen_trial& r) {
      const double v = observe(col.dist, r, name);
      if (!std::isnan(v)) running_.push_back(v);
    });

    // l(x): the good trials, sorted by value for the neighbour rule.
    below_.dims.assign(1, {});
    {
      const auto& w = weights_checked(static_cast<std::int64_t>(obs_ids_.size()));
      pairs_.clear();
      for (std::size_t i = 0; i < obs_ids_.size(); ++i)
        pairs_.push_back({col.value[obs_ids_[i]], study_.single_objective ? w[i] : study_.mo_weight[obs_ids_[i]], no_id});
      build_univariate(below_, pairs_, k, d, nullptr);
    }

    // g(x): the other ranked trials, gathered in value order from the
    // column's incremental sort; weights by chronological rank.
    {
      // Chronological rank among the bad trials holding the parameter (no_id: not one).
      rank_of_.resize(study_.scanned);
      std::uint32_t r = 0;
      for (std::size_t id = 0; id < study_.scanned; ++id)
        rank_of_[id] = !study_.in_below[id] && !std::isnan(col.value[id]) ? r++ : no_id;
      const std::size_t n_above = r + running_.size();
      const auto& w = weights_checked(static_cast<std::int64_t>(n_above));
      pairs_.resize(n_above);
      obs_pair* out = pairs_.data();
      if (k == kind::categorical) {
        for (std::size_t id = 0; id < study_.scanned; ++id)
          if (rank_of_[id] != no_id) *out++ = {col.value[id], w[rank_of_[id]], static_cast<std::uint32_t>(id)};
        for (std::size_t i = 0; i < running_.size(); ++i) *out++ = {running_[i], w[r + i], no_id};
      } else {
        std::sort(running_.begin(), running_.end());
        std::size_t ri = 0;
        for (const auto& [v, id] : col.sorted) {
          const std::uint32_t rank = rank_of_[id];
          if (rank == no_id) continue;  // a good trial
          for (; ri < running_.size() && running_[ri] < v; ++ri) *out++ = {running_[ri], w[r + ri], no_id};
          *out++ = {v, w[rank], id};
        }
        for (; ri < running_.size(); ++ri) *out++ = {running_[ri], w[r + ri], no_id};
      }
      col.above.fit(study_.scanned);
      above_.dims.assign(1, {});
      build_univariate(above_, pairs_, k, d, &col.above, /*sorted=*/true);
    }

    const distribution* dists[] = {&d};
    random_engine engine = stream_for(seed_, t.number, name);
    return choose(engine, dists)[0];
  }

  struct obs_pair {
    obs_pair() noexcept {}  // left uninitialised: scratch filled right after resize
    obs_pair(double v, double w, std::uint32_t i) noexcept : value(v), weight(w), id(i) {}
    double value, weight;
    std::uint32_t id;
  };

  /// A one-parameter estimator from (value, weight) pairs plus the prior.
  void build_univariate(detail::tpe::parzen_estimator& pe, std::vector<obs_pair>& obs, kind k, const distribution& d,
                        constant_cache* cache, bool sorted = false) {
    auto& m = pe.dims[0];
    m.k = k;
    const std::size_t n = obs.size();
    if (k == kind::categorical) {
      m.choice.resize(n + 1);
      raw_.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        m.choice[i] = static_cast<std::int32_t>(obs[i].value);
        raw_[i] = obs[i].weight;
      }
      m.choice[n] = -1;
      categorical_dim(m, d, n);
      set_weights(pe, raw_, n);
      pe.base.assign(n + 1, 0.0);
      pe.clear_windows();
      return;
    }
    if (!sorted) std::sort(obs.begin(), obs.end(), [](const obs_pair& a, const obs_pair& b) { return a.value < b.value; });
    // The prior (centre 0.5) takes its place in the sorted order: it is a
    // neighbour like any other kernel (as in Optuna).
    const auto prior_at = static_cast<std::size_t>(
        std::lower_bound(obs.begin(), obs.end(), 0.5, [](const obs_pair& a, double v) { return a.value < v; }) -
        obs.begin());
    const std::size_t total = n + 1;
    m.mu.resize(total);
    m.sigma.resize(total);
    m.inv_sigma.resize(total);
    raw_.resize(n);
    for (std::size_t i = 0, j = 0; j < total; ++j) {
      if (j == prior_at) {
        m.mu[j] = 0.5;
        continue;
      }
      m.mu[j] = obs[i].value;
      raw_[i] = obs[i].weight;
      ++i;
    }
    detail::tpe::neighbour_widths(m.mu, options_.consider_endpoints, m.sigma);
    // Most kernels of a large estimator sit at the floor width: those more
    // than 8.5 widths from both ends have all their mass inside [0, 1] (to
    // 1e-17), hence one shared constant and no erfc.
    const double lo = min_sigma(total, d), inv_lo = 1.0 / lo;
    const double interior = k == kind::continuous ? (peak_ ? 0.0 : -std::log(lo)) - detail::tpe::log_sqrt_2pi : 0.0;
    const double edge = 8.5 * lo;
    pe.base.resize(total);
    for (std::size_t i = 0, j = 0; j < total; ++j) {
      if (j == prior_at) {
        m.sigma[j] = 1.0;
        m.inv_sigma[j] = 1.0;
        pe.base[j] = kernel_constant(k, 0.5, 1.0);
        continue;
      }
      const double mu = m.mu[j];
      if (m.sigma[j] <= lo) {
        m.sigma[j] = lo;
        m.inv_sigma[j] = inv_lo;
        pe.base[j] = mu > edge && mu < 1.0 - edge ? interior : cached_constant(cache, obs[i].id, k, mu, lo);
      } else {
        const double s = std::min(m.sigma[j], 1.0);
        m.sigma[j] = s;
        m.inv_sigma[j] = 1.0 / s;
        pe.base[j] = cached_constant(cache, obs[i].id, k, mu, s);
      }
      ++i;
    }
    set_weights(pe, raw_, prior_at);
    if (cache) pe.index_windows();  // the bad trials: many kernels, most at the floor width
    else pe.clear_windows();
  }

  // --- multivariate -------------------------------------------------------------
  void sample_joint(const study_view& view, const frozen_trial& t, std::span<const dim_ref> dims, param_map& out) {
    const std::size_t D = dims.size();
    cols_.clear();
    for (const auto& r : dims) cols_.push_back(&column_for(view, r.name, *r.dist));
    split();
    peak_ = peak_scaled(true);
    group_state& gs = group_state_for(dims);
    auto has_all = [&](std::uint32_t id) {
      for (const column* c : cols_)
        if (std::isnan(c->value[id])) return false;
      return true;
    };

    // Good and bad trials holding every parameter of the group, chronological.
    obs_ids_.clear();
    for (auto id : study_.below_marked)
      if (has_all(id)) obs_ids_.push_back(id);
    above_ids_.clear();
    for (std::size_t id = 0; id < study_.scanned; ++id)
      if (!study_.in_below[id] && has_all(static_cast<std::uint32_t>(id))) above_ids_.push_back(static_cast<std::uint32_t>(id));
    running_rows_.clear();
    for_each_running(view, t, [&](const frozen_trial& r) {
      const std::size_t start = running_rows_.size();
      for (std::size_t d = 0; d < D; ++d) {
        const double v = observe(cols_[d]->dist, r, dims[d].name);
        if (std::isnan(v)) {
          running_rows_.resize(start);
          return;
        }
        running_rows_.push_back(v);
      }
    });
    const std::size_t n_running = running_rows_.size() / D;

    build_joint(below_, obs_ids_, {}, 0, dims, nullptr);
    gs.above.resize(D);
    for (auto& c : gs.above) c.fit(study_.scanned);
    build_joint(above_, above_ids_, running_rows_, n_running, dims, &gs);

    std::vector<const distribution*> dists;
    for (const auto& r : dims) dists.push_back(r.dist);
    random_engine engine = stream_for(seed_, t.number, std::string("tpe/joint/") + std::string(dims[0].name));
    const auto& chosen = choose(engine, dists);
    for (std::size_t d = 0; d < D; ++d) out.insert_or_assign(dims[d].name, chosen[d]);
  }

  /// Scott's rule (Scott 1992; Silverman 1986, the normal reference rule in
  /// D dimensions): (4 / (D + 2))^(1/(D+4)) · spread · n^(-1/(D+4)), with
  /// spread = min(standard deviation, interquartile range / 1.349). Falls
  /// back to the fixed rule when the spread is 0 (fewer than two distinct values).
  /// Reorders `v` (first n entries).
  static double scott_width(std::vector<double>& v, std::size_t n, std::size_t D) {
    const double d = static_cast<double>(D);
    const double scale = std::pow(static_cast<double>(std::max<std::size_t>(n, 1)), -1.0 / (d + 4.0));
    if (n < 2) return 0.2 * scale;
    double mean = 0;
    for (std::size_t i = 0; i < n; ++i) mean += v[i];
    mean /= static_cast<double>(n);
    double var = 0;
    for (std::size_t i = 0; i < n; ++i) var += (v[i] - mean) * (v[i] - mean);
    const double sd = std::sqrt(var / static_cast<double>(n - 1));
    const auto begin = v.begin(), end = v.begin() + static_cast<std::ptrdiff_t>(n);
    const auto q1 = begin + static_cast<std::ptrdiff_t>((n - 1) / 4), q3 = begin + static_cast<std::ptrdiff_t>(3 * (n - 1) / 4);
    std::nth_element(begin, q3, end);
    std::nth_element(begin, q1, q3);
    const double iqr = *q3 - *q1;
    const double spread = iqr > 0 ? std::min(sd, iqr / 1.349) : sd;
    if (!(spread > 0)) return 0.2 * scale;
    return std::pow(4.0 / (d + 2.0), 1.0 / (d + 4.0)) * spread * scale;
  }

  /// Widths of a joint estimator's numeric kernels, per dimension.
  void joint_widths(std::span<const dim_ref> dims, std::span<const std::uint32_t> ids,
                    std::span<const double> running, std::size_t n_running, std::vector<double>& sigma) {
    const std::size_t D = dims.size(), n = ids.size() + n_running;
    const double fixed = 0.2 * std::pow(static_cast<double>(std::max<std::size_t>(n, 1)), -1.0 / (static_cast<double>(D) + 4.0));
    sigma.assign(D, fixed);
    if (options_.bandwidth != tpe_bandwidth::scott) return;
    for (std::size_t d = 0; d < D; ++d) {
      if (cols_[d]->k == kind::categorical) continue;
      values_.clear();
      for (auto id : ids) values_.push_back(cols_[d]->value[id]);
      for (std::size_t r = 0; r < n_running; ++r) values_.push_back(running[r * D + d]);
      sigma[d] = scott_width(values_, values_.size(), D);
    }
  }

  void build_joint(detail::tpe::parzen_estimator& pe, std::span<const std::uint32_t> ids,
                   std::span<const double> running, std::size_t n_running, std::span<const dim_ref> dims,
                   group_state* gs) {
    const std::size_t D = dims.size(), n_fin = ids.size(), n = n_fin + n_running, total = n + 1;
    pe.clear_windows();
    pe.dims.resize(D);
    pe.base.assign(total, 0.0);
    const auto& w = weights_checked(static_cast<std::int64_t>(n));
    raw_.assign(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(n));
    if (!study_.single_objective && !gs)  // the good trials of a multi-objective study: hypervolume contributions
      for (std::size_t i = 0; i < n_fin; ++i) raw_[i] = study_.mo_weight[ids[i]];
    // The bad trials' widths are refreshed when their number moves by more
    // than 1/16 (always while there are few): their normalisers then stay cached.
    const std::vector<double>* sigma = &widths_;
    if (!gs || gs->above_width.stale(n, D)) {
      joint_widths(dims, ids, running, n_running, widths_);
      if (gs) {
        gs->above_width.sigma = widths_;
        gs->above_width.n = n;
      }
    } else {
      sigma = &gs->above_width.sigma;
    }
    for (std::size_t d = 0; d < D; ++d) {
      auto& m = pe.dims[d];
      m.k = cols_[d]->k;
      if (m.k == kind::categorical) {
        m.choice.resize(total);
        for (std::size_t i = 0; i < n_fin; ++i) m.choice[i] = static_cast<std::int32_t>(cols_[d]->value[ids[i]]);
        for (std::size_t r = 0; r < n_running; ++r) m.choice[n_fin + r] = static_cast<std::int32_t>(running[r * D + d]);
        m.choice[n] = -1;
        categorical_dim(m, *dims[d].dist, n);
        continue;
      }
      const double s = std::clamp((*sigma)[d], min_sigma(total, *dims[d].dist), 1.0);
      m.mu.resize(total);
      m.sigma.assign(total, s);
      m.inv_sigma.assign(total, 1.0 / s);
      constant_cache* cache = gs ? &gs->above[d] : nullptr;
      for (std::size_t i = 0; i < n_fin; ++i) {
        m.mu[i] = cols_[d]->value[ids[i]];
        pe.base[i] += cached_constant(cache, ids[i], m.k, m.mu[i], s);
      }
      for (std::size_t r = 0; r < n_running; ++r) {
        m.mu[n_fin + r] = running[r * D + d];
        pe.base[n_fin + r] += kernel_constant(m.k, m.mu[n_fin + r], s);
      }
      m.mu[n] = 0.5;
      m.sigma[n] = m.inv_sigma[n] = 1.0;
      pe.base[n] += kernel_constant(m.k, 0.5, 1.0);
    }
    set_weights(pe, raw_, n);
  }

  // --- the choice -----------------------------------------------------------------
  /// Draws the candidates from l(x) and returns the one with the best
  /// log l(x) - log g(x), as internal values per dimension.
  const std::vector<double>& choose(random_engine& engine, std::span<const distribution* const> dists) {
    const auto C = static_cast<std::size_t>(options_.n_ei_candidates);
    cand_.resize(dists.size(), C);
    below_.sample(engine, dists, cand_);
    ll_.resize(C);
    below_.log_pdf(cand_, ll_);
    const std::size_t best = above_.argmax_ratio(cand_, ll_);
    chosen_.resize(dists.size());
    for (std::size_t d = 0; d < dists.size(); ++d) chosen_[d] = cand_.internal[d][best];
    return chosen_;
  }


  tpe_sampler_options options_;
  std::uint64_t seed_;
  random_sampler fallback_;
  // Scratch, reused between asks (no allocation per candidate).
  bool peak_ = false;  ///< peak-scaled kernels in the estimators being built
  detail::tpe::parzen_estimator below_, above_;
  detail::tpe::candidates cand_;
  std::vector<double> ll_, chosen_, running_, running_rows_, values_, widths_;
  std::vector<std::uint32_t> obs_ids_, above_ids_, rank_of_;
  std::vector<obs_pair> pairs_;
  std::vector<column*> cols_;
  mutable std::vector<double> raw_;
  struct weights_slot {
    std::int64_t n = -1;
    std::vector<double> w;
  };
  mutable std::array<weights_slot, 2> weights_cache_;
  mutable std::size_t weights_next_ = 0;
};
}  // namespace tunekit::detail
