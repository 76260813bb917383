#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <queue>
#include <vector>

namespace tunekit::detail {

/// A multiset of doubles split into its `k` smallest elements (a max-heap)
/// and the rest (a min-heap): the k-th smallest and the (k+1)-th smallest are
/// read in O(1), an insertion costs O(log n), and moving `k` by one costs
/// O(log n). Schedulers ask for a rank that grows with the number of values
/// (a percentile, or the top 1/eta of a rung), so each new value moves `k` by
/// at most one and every decision stays O(log n), never a re-sort.
class rank_tracker {
 public:
  /// Adds `x` (not NaN) to the multiset; `k` is unchanged.
  void insert(double x) {
    if (!lower_.empty() && x <= lower_.top()) {
      lower_.push(x);
      upper_.push(lower_.top());
      lower_.pop();
    } else {
      upper_.push(x);
    }
    rebalance();
  }

  /// Sets how many of the smallest values the lower part holds (clamped to size()).
  void set_rank(std::size_t k) {
    k_ = k;
    rebalance();
  }

  std::size_t size() const noexcept { return lower_.size() + upper_.size(); }
  bool empty() const noexcept { return size() == 0; }
  /// The k-th smallest value (k >= 1 and size() >= k).
  double kth() const { return lower_.top(); }
  /// The (k+1)-th smallest value, if there is one.
  bool has_next() const noexcept { return !upper_.empty(); }
  double next() const { return upper_.top(); }

 private:
  void rebalance() {
    const std::size_t want = k_ < size() ? k_ : size();
    while (lower_.size() > want) {
      upper_.push(lower_.top());
      lower_.pop();
    }
    while (lower_.size() < want) {
      lower_.push(upper_.top());
      upper_.pop();
    }
  }

  std::priority_queue<double> lower_;
  std::priority_queue<double, std::vector<double>, std::greater<>> upper_;
  std::size_t k_ = 0;
};

/// The q-th percentile (0..100) of a growing multiset, interpolated linearly
/// between the two nearest ranks as NumPy's `percentile` does by default
/// (and Optuna's percentile pruner with it). NaN values are not inserted.
class running_percentile {
 public:
  explicit running_percentile(double q = 50) : fraction_(q / 100) {}

  void insert(double x) {
    if (std::isnan(x)) return;
    values_.insert(x);
    values_.set_rank(lower_rank(values_.size()) + 1);
  }

  std::size_t size() const noexcept { return values_.size(); }

  /// NaN when empty.
  double value() const {
    const std::size_t n = values_.size();
    if (n == 0) return std::nan("");
    const double position = static_cast<double>(n - 1) * fraction_;
    const double below = values_.kth();
    const double t = position - std::floor(position);
    if (t == 0 || !values_.has_next()) return below;
    const double above = values_.next();
    if (below == above) return below;  // also keeps inf + (inf - inf) * t from making NaN
    return below + (above - below) * t;
  }

 private:
  std::size_t lower_rank(std::size_t n) const {
    return static_cast<std::size_t>(std::floor(static_cast<double>(n - 1) * fraction_));
  }

  double fraction_;
  rank_tracker values_;
};

}  // namespace tunekit::detail
