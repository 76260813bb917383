#pragma once

/// The constrained part of TPE's good/bad split (used by tpe_history.hpp for
/// one objective and motpe.hpp for several), as Optuna 3.1's `TPESampler`
/// with `constraints_func` makes it: feasible trials rank before infeasible
/// ones, infeasible ones by total violation.
///
/// Reference: S. Watanabe, F. Hutter. *c-TPE: tree-structured Parzen
/// estimator with inequality constraints for expensive hyperparameter
/// optimization*. IJCAI 2023 (the constrained TPE family; Optuna 3.1's
/// `constraints_func` is its simplest member, the split written here).
#include <algorithm>
#include <cstddef>
#include <numeric>
#include <span>
#include <vector>

namespace tunekit::detail {

/// The good trials when the feasible ones cannot fill them: with
/// `violations` the total violation of each usable trial (0: feasible; in
/// chronological order), if at most `n_below` trials are feasible the
/// `n_below` good ones are all the feasible trials and then the least
/// violating (ties: the older first). Then fills `below` with their
/// positions, in increasing order, and returns true. Otherwise returns false
/// and leaves `below` empty: the good trials are the best `n_below` feasible
/// ones, by the caller's objective order (value, or non-domination rank).
inline bool split_by_violation(std::span<const double> violations, std::size_t n_below,
                               std::vector<std::size_t>& below) {
  below.clear();
  const std::size_t n = violations.size();
  n_below = std::min(n_below, n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return violations[a] < violations[b]; });
  if (n_below < n && !(violations[order[n_below]] > 0)) return false;  // more than n_below feasible trials
  below.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_below));
  std::sort(below.begin(), below.end());
  return true;
}

}  // namespace tunekit::detail
