#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "../../core/random.hpp"

namespace tunekit::detail {

/// One dimension of BOHB's model: continuous on the unit interval (floats
/// and integers, as HpBandSter treats them) or unordered with `n_choices`
/// categories (the value is the category's index).
struct bohb_dim {
  std::int64_t n_choices = 0;  ///< 0: continuous
};

/// The product-kernel density of BOHB (Falkner et al. 2018, §3.1), as
/// HpBandSter fits it with statsmodels' KDEMultivariate: a Gaussian kernel
/// per continuous dimension and an Aitchison–Aitken kernel per categorical
/// one, with the "normal reference" bandwidth 1.06 · σ · n^(−1/(d+4)) per
/// dimension (σ the population standard deviation), never below
/// `min_bandwidth`. The data are rows of `points` (row-major, d columns).
class bohb_kde {
 public:
  bohb_kde(std::span<const bohb_dim> dims, std::vector<double> points, double min_bandwidth)
      : dims_(dims.begin(), dims.end()), data_(std::move(points)) {
    const std::size_t d = dims_.size();
    n_ = d == 0 ? 0 : data_.size() / d;
    bw_.assign(d, min_bandwidth);
    if (n_ == 0) return;
    const double scale = 1.06 * std::pow(static_cast<double>(n_), -1.0 / (static_cast<double>(d) + 4.0));
    for (std::size_t j = 0; j < d; ++j) {
      double mean = 0;
      for (std::size_t i = 0; i < n_; ++i) mean += data_[i * d + j];
      mean /= static_cast<double>(n_);
      double var = 0;
      for (std::size_t i = 0; i < n_; ++i) var += (data_[i * d + j] - mean) * (data_[i * d + j] - mean);
      double bw = std::max(scale * std::sqrt(var / static_cast<double>(n_)), min_bandwidth);
      // An Aitchison–Aitken λ beyond (c−1)/c would favour the other categories.
      if (dims_[j].n_choices > 1)
        bw = std::min(bw, static_cast<double>(dims_[j].n_choices - 1) / static_cast<double>(dims_[j].n_choices));
      bw_[j] = bw;
    }
    log_same_.assign(d, 0.0);
    log_other_.assign(d, 0.0);
    for (std::size_t j = 0; j < d; ++j)
      if (dims_[j].n_choices > 1) {
        log_same_[j] = std::log1p(-bw_[j]);
        log_other_[j] = std::log(bw_[j] / static_cast<double>(dims_[j].n_choices - 1));
      }
  }

  std::size_t size() const noexcept { return n_; }
  double bandwidth(std::size_t j) const { return bw_.at(j); }

  /// log of the density at `x` (d values), by log-sum-exp over the data.
  double log_pdf(std::span<const double> x, std::vector<double>& scratch) const {
    const std::size_t d = dims_.size();
    scratch.resize(n_);
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < n_; ++i) {
      double s = 0;
      const double* row = &data_[i * d];
      for (std::size_t j = 0; j < d; ++j) {
        if (dims_[j].n_choices == 0) {
          const double z = (x[j] - row[j]) / bw_[j];
          s -= 0.5 * z * z;
        } else {
          s += x[j] == row[j] ? log_same_[j] : log_other_[j];
        }
      }
      scratch[i] = s;
      best = std::max(best, s);
    }
    if (!std::isfinite(best)) return best;
    double sum = 0;
    for (std::size_t i = 0; i < n_; ++i) sum += std::exp(scratch[i] - best);
    double norm = 0;
    for (std::size_t j = 0; j < d; ++j)
      if (dims_[j].n_choices == 0) norm -= std::log(bw_[j] * 2.5066282746310002);
    return best + std::log(sum) - std::log(static_cast<double>(n_)) + norm;
  }

  /// A draw from the model with widened bandwidths, as HpBandSter samples
  /// candidates: a random datum, then per continuous dimension a normal of
  /// standard deviation max(h, min_bandwidth) · bandwidth_factor truncated
  /// to [0, 1]; per categorical dimension the datum's category with
  /// probability 1 − λ, else a uniform one.
  void sample(random_engine& rng, double bandwidth_factor, double min_bandwidth, std::span<double> out) const {
    const std::size_t d = dims_.size();
    const double* row = &data_[static_cast<std::size_t>(rng.below(n_)) * d];
    for (std::size_t j = 0; j < d; ++j) {
      if (dims_[j].n_choices == 0) {
        const double sd = std::max(bw_[j], min_bandwidth) * bandwidth_factor;
        double v = row[j];
        // Rejection from the normal: the datum lies in [0, 1], so at least
        // about half the mass is inside; give up after 64 tries (clamp).
        bool inside = false;
        for (int k = 0; k < 64 && !inside; ++k) {
          v = row[j] + sd * rng.normal();
          inside = v >= 0.0 && v <= 1.0;
        }
        out[j] = std::clamp(v, 0.0, 1.0);
      } else {
        out[j] = rng.uniform() < 1.0 - bw_[j] ? row[j]
                                               : static_cast<double>(rng.below(static_cast<std::uint64_t>(dims_[j].n_choices)));
      }
    }
  }

 private:
  std::vector<bohb_dim> dims_;
  std::vector<double> data_;
  std::vector<double> bw_;
  std::vector<double> log_same_, log_other_;  // categorical: log(1 − λ), log(λ / (c − 1))
  std::size_t n_ = 0;
};

}  // namespace tunekit::detail
