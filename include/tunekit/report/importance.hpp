#pragma once

// Hyperparameter importance by PED-ANOVA:
//   S. Watanabe, A. Bansal, F. Hutter, "PED-ANOVA: Efficiently Quantifying
//   Hyperparameter Importance in Arbitrary Subspaces", IJCAI 2023
//   (arXiv:2304.10255).
//
// The paper shows that the fANOVA variance contribution of a parameter,
// restricted to the region of good trials, equals (up to a constant) the
// Pearson divergence between the parameter's marginal density among the
// top-gamma trials and among the top-gamma' trials (gamma < gamma'):
//
//   importance(d) = integral p'(x_d) (p(x_d) / p'(x_d) - 1)^2 dx_d
//
// so no surrogate model is needed, only two one-dimensional density
// estimates per parameter. A parameter that does not matter has the same
// distribution among the best trials as among all, and scores 0.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "../core/distribution.hpp"
#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"

namespace tunekit::report {

/// Options of `ped_anova_importances`; the defaults are the paper's.
struct ped_anova_options {
  /// gamma: the share of best trials whose parameter distribution is compared.
  double target_quantile = 0.1;
  /// gamma': the region it is compared with (1 = every usable trial, the
  /// global importance; smaller: importance within the good region).
  double region_quantile = 1.0;
  /// Which objective of a multi-objective study to rank by.
  std::size_t objective = 0;
  /// Fewer usable (COMPLETE, finite-valued) trials than this: no result (an
  /// empty vector); with too few trials the top set is a handful of points
  /// and the ranking is noise.
  std::size_t min_trials = 10;
  /// Cells of the grid on which numeric densities are compared.
  int n_grid = 50;
  /// Scale the importances to sum to 1 (unless all are 0).
  bool normalize = true;
};

/// One parameter's importance.
struct param_importance {
  std::string name;
  double importance = 0;
};

namespace detail {

/// A parameter's marginal density on a discrete support: the categories, or
/// `n_grid` cells of the unit interval for numbers. Numbers get a Gaussian
/// kernel density (Scott's bandwidth, as in TPE's Parzen estimator) mixed
/// with one pseudo-observation of the uniform prior, so a cell no trial
/// visited still has mass and the divergence stays finite.
inline std::vector<double> marginal_density(const distribution& d, std::span<const double> units, int n_grid) {
  const bool categorical = std::holds_alternative<categorical_distribution>(d);
  const std::size_t cells =
      categorical ? static_cast<std::size_t>(std::get<categorical_distribution>(d).size()) : static_cast<std::size_t>(n_grid);
  const double n = static_cast<double>(units.size());
  std::vector<double> p(cells, 1.0 / static_cast<double>(cells));  // the prior's pseudo-observation
  if (categorical) {
    for (double u : units) p[static_cast<std::size_t>(tunekit::detail::unit_to_index(u, static_cast<std::int64_t>(cells)))] += 1.0;
  } else {
    double mean = 0, var = 0;
    for (double u : units) mean += u;
    mean /= n;
    for (double u : units) var += (u - mean) * (u - mean);
    const double sigma = n > 1 ? std::sqrt(var / (n - 1)) : 1.0;
    // Scott's rule, floored at one grid cell so a cluster of equal values
    // (an int with few values) is still smoothed over a cell.
    const double h = std::clamp(1.06 * sigma * std::pow(n, -0.2), 1.0 / n_grid, 1.0);
    std::vector<double> kernel(cells);
    for (double u : units) {
      double sum = 0;
      for (std::size_t g = 0; g < cells; ++g) {
        const double z = ((static_cast<double>(g) + 0.5) / static_cast<double>(cells) - u) / h;
        sum += kernel[g] = std::exp(-0.5 * z * z);
      }
      for (std::size_t g = 0; g < cells; ++g) p[g] += kernel[g] / sum;  // each trial adds mass 1 on the grid
    }
  }
  for (double& x : p) x /= n + 1.0;
  return p;
}

/// Pearson divergence sum_g q(g) (p(g) / q(g) - 1)^2 of two densities on one support.
inline double pearson_divergence(std::span<const double> p, std::span<const double> q) {
  double s = 0;
  for (std::size_t g = 0; g < p.size(); ++g) s += q[g] * (p[g] / q[g] - 1.0) * (p[g] / q[g] - 1.0);
  return s;
}

}  // namespace detail

/// Importances of the parameters of `trials` (any states; only COMPLETE
/// trials with a finite value of the chosen objective are used), by
/// PED-ANOVA (Watanabe, Bansal & Hutter, IJCAI 2023), sorted from most to
/// least important (ties by name).
///
/// Behaviour at the edges, all documented in docs/report.md:
///  - fewer than `options.min_trials` usable trials: an empty vector;
///  - a constant objective (or one where the top set is the whole region,
///    which ties make possible): every importance 0;
///  - the top set is every trial at least as good as the
///    ceil(gamma * n)-th best (at least 2), ties included;
///  - a parameter present in only some trials (conditional) is judged on
///    the trials that have it; one with a single possible value scores 0.
/// Throws `invalid_argument` for quantiles outside (0, 1], a target
/// quantile above the region quantile, an objective index the study lacks,
/// or `n_grid` < 2.
inline std::vector<param_importance> ped_anova_importances(std::span<const frozen_trial> trials,
                                                           std::span<const direction> directions,
                                                           const ped_anova_options& options = {}) {
  using tunekit::detail::format_number;
  if (!(options.target_quantile > 0 && options.target_quantile <= 1))
    throw invalid_argument("ped_anova_options: target_quantile = " + format_number(options.target_quantile) +
                           " must lie in (0, 1]");
  if (!(options.region_quantile > 0 && options.region_quantile <= 1))
    throw invalid_argument("ped_anova_options: region_quantile = " + format_number(options.region_quantile) +
                           " must lie in (0, 1]");
  if (options.target_quantile > options.region_quantile)
    throw invalid_argument("ped_anova_options: target_quantile = " + format_number(options.target_quantile) +
                           " is greater than region_quantile = " + format_number(options.region_quantile) +
                           "; the target set must lie inside the region");
  if (options.objective >= directions.size())
    throw invalid_argument("ped_anova_options: objective = " + std::to_string(options.objective) + " but the study has " +
                           std::to_string(directions.size()) + " objective(s)");
  if (options.n_grid < 2)
    throw invalid_argument("ped_anova_options: n_grid = " + std::to_string(options.n_grid) + " must be >= 2");

  // Usable trials, with the objective turned into a loss (smaller is better).
  const double sign = directions[options.objective] == direction::maximize ? -1.0 : 1.0;
  std::vector<std::pair<double, const frozen_trial*>> ranked;
  for (const auto& t : trials)
    if (t.state == trial_state::complete && t.values.size() > options.objective &&
        std::isfinite(t.values[options.objective]))
      ranked.emplace_back(sign * t.values[options.objective], &t);
  if (ranked.size() < std::max<std::size_t>(options.min_trials, 2)) return {};
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  // Thresholds: the k-th best loss; every trial with a loss <= it is in the set.
  const auto threshold = [&](double quantile) {
    const double n = static_cast<double>(ranked.size());
    const std::size_t k = std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(quantile * n)), 2, ranked.size());
    return ranked[k - 1].first;
  };
  const double target_cut = threshold(options.target_quantile);
  const double region_cut = threshold(options.region_quantile);

  // The parameters, each with the distribution of its latest usable trial.
  std::vector<std::pair<std::string, distribution>> params;
  std::vector<std::int64_t> seen_in;  // the trial number each distribution comes from
  for (const auto& [loss, t] : ranked)
    for (const auto& [name, d] : t->distributions) {
      // name is a structured binding: clang 14 cannot capture one, so compare through a reference.
      const auto& key = name;
      auto it = std::find_if(params.begin(), params.end(), [&key](const auto& p) { return p.first == key; });
      if (it == params.end()) {
        params.emplace_back(std::string(name), d);
        seen_in.push_back(t->number);
      } else if (const auto k = static_cast<std::size_t>(it - params.begin()); t->number > seen_in[k]) {
        it->second = d;
        seen_in[k] = t->number;
      }
    }

  std::vector<param_importance> out;
  out.reserve(params.size());
  for (const auto& [name, d] : params) {
    std::vector<double> top, region;
    for (const auto& [loss, t] : ranked) {
      if (loss > region_cut) break;
      auto p = t->params.find(name);
      auto pd = t->distributions.find(name);
      if (p == t->params.end() || pd == t->distributions.end() || !(pd->second == d)) continue;
      const double u = std::clamp(to_unit(d, p->second), 0.0, 1.0);
      region.push_back(u);
      if (loss <= target_cut) top.push_back(u);
    }
    double score = 0;
    // Equal sets (constant objective, or ties up to the region's edge) have
    // equal densities: importance 0 exactly, not rounding noise.
    if (!single(d) && top.size() >= 2 && top.size() < region.size()) {
      const auto p_top = detail::marginal_density(d, top, options.n_grid);
      const auto p_region = detail::marginal_density(d, region, options.n_grid);
      score = detail::pearson_divergence(p_top, p_region);
    }
    out.push_back({name, score});
  }
  if (options.normalize) {
    double total = 0;
    for (const auto& p : out) total += p.importance;
    if (total > 0)
      for (auto& p : out) p.importance /= total;
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.importance != b.importance ? a.importance > b.importance : a.name < b.name;
  });
  return out;
}

}  // namespace tunekit::report
