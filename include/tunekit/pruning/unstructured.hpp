#pragma once

#include "detail/requires_target.hpp"

/// Unstructured criteria: prune individual entries by |weight| (L1
/// magnitude, PyTorch's `l1_unstructured`), by a user-supplied score, or by
/// |weight| across several tensors at once (`global_unstructured`).
///
/// Counts follow PyTorch 1.13: a fraction is rounded half to even over the
/// survivors. Ties at the pruning boundary: the entry with the lower
/// row-major index (for global: the earlier tensor, then the lower index) is
/// pruned first. PyTorch's choice among ties follows its topk internals and
/// is not reproduced (see docs/pruning.md). NaN importance is rejected with
/// `invalid_argument`: a NaN weight means training diverged, and silently
/// keeping it (PyTorch ranks NaN as largest) hides that.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "detail/select.hpp"
#include "mask.hpp"

namespace tunekit {

namespace detail {

template <rank_by R>
pruning_mask select_mask(const importance_view& importance, const std::uint8_t* current, const prune_amount& amount) {
  require_non_empty(importance.size(), "weights");
  pruning_mask out(importance.shape);
  const select_segment segment{importance.values.data(), importance.size(), current, out.data()};
  const std::span<const select_segment> segments(&segment, 1);
  const std::size_t survivors = current == nullptr ? importance.size() : count_survivors(segments);
  const std::size_t k = amount.resolve(survivors);
  select_smallest<R>(segments, k, survivors, "weights");
  return out;
}

}  // namespace detail

/// Prunes the `amount` entries of smallest |weight| (PyTorch: `l1_unstructured`).
struct l1_unstructured {
  prune_amount amount = fraction(0.0);

  [[nodiscard]] pruning_mask compute_mask(const importance_view& weights) const {
    return detail::select_mask<detail::rank_by::magnitude>(weights, nullptr, amount);
  }
  [[nodiscard]] pruning_mask compute_mask(const importance_view& weights, const pruning_mask& current) const {
    return detail::select_mask<detail::rank_by::magnitude>(weights, detail::prior_data(current, weights.shape),
                                                           amount);
  }
};

/// Prunes the `amount` entries of smallest *score* (signed: a negative score
/// ranks below zero). The scores are whatever the user computed, e.g. Taylor
/// importance |w * dL/dw| or movement -sum(w * dL/dw) (Sanh et al. 2020).
struct score_unstructured {
  prune_amount amount = fraction(0.0);

  [[nodiscard]] pruning_mask compute_mask(const importance_view& scores) const {
    return detail::select_mask<detail::rank_by::value>(scores, nullptr, amount);
  }
  [[nodiscard]] pruning_mask compute_mask(const importance_view& scores, const pruning_mask& current) const {
    return detail::select_mask<detail::rank_by::value>(scores, detail::prior_data(current, scores.shape), amount);
  }
};

static_assert(mask_criterion<l1_unstructured>);
static_assert(mask_criterion<score_unstructured>);

/// Options of `global_unstructured`.
struct global_options {
  prune_amount amount = fraction(0.0);
  bool by_score = false;  ///< false: rank by |value| (L1); true: by signed value (user scores)
};

/// One threshold over several tensors (PyTorch: `global_unstructured` with
/// L1Unstructured): the `amount` least important entries of all of them
/// together are pruned, so layers end up with different sparsities.
/// `current` is empty (nothing pruned yet) or holds one mask per tensor.
/// Returns one mask per tensor, in the order given.
inline std::vector<pruning_mask> global_unstructured(std::span<const importance_view> tensors,
                                                     const global_options& options,
                                                     std::span<const pruning_mask> current = {}) {
  if (tensors.empty()) throw invalid_argument("'tensors' is empty: global pruning needs at least one tensor");
  if (!current.empty() && current.size() != tensors.size())
    throw invalid_argument("'current' holds " + std::to_string(current.size()) + " masks for " +
                           std::to_string(tensors.size()) + " tensors");
  std::vector<pruning_mask> out;
  out.reserve(tensors.size());
  std::vector<detail::select_segment> segments;
  std::size_t total = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    out.emplace_back(tensors[i].shape);
    const std::uint8_t* prior = nullptr;
    if (!current.empty()) {
      const std::string what = "current[" + std::to_string(i) + "]";
      prior = detail::prior_data(current[i], tensors[i].shape, what.c_str());
    }
    segments.push_back({tensors[i].values.data(), tensors[i].size(), prior, out.back().data()});
    total += tensors[i].size();
  }
  detail::require_non_empty(total, "tensors");
  const std::size_t survivors = current.empty() ? total : detail::count_survivors(segments);
  const std::size_t k = options.amount.resolve(survivors);
  if (options.by_score) detail::select_smallest<detail::rank_by::value>(segments, k, survivors, "tensors");
  else detail::select_smallest<detail::rank_by::magnitude>(segments, k, survivors, "tensors");
  return out;
}

}  // namespace tunekit
