#pragma once

#include "detail/requires_target.hpp"

/// N:M semi-structured sparsity (e.g. 2:4, which sparse tensor cores run
/// at twice the dense rate): in every group of M consecutive entries along
/// an axis, keep the N of largest |weight|.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "mask.hpp"

namespace tunekit {

/// Keeps at most `n` of every `m` consecutive entries along `axis` (default:
/// the last, the input dimension of a dense [out, in] weight): the largest
/// |weight| survive; among equal |weight| the lower index is pruned first,
/// the library-wide tie rule. With an existing
/// mask, entries it prunes count as pruned and the group keeps at most `n`
/// of its survivors. The axis length must be a multiple of `m`.
struct n_m_sparsity {
  std::size_t n = 2;
  std::size_t m = 4;
  std::ptrdiff_t axis = -1;

  [[nodiscard]] pruning_mask compute_mask(const importance_view& w) const { return compute(w, nullptr); }
  [[nodiscard]] pruning_mask compute_mask(const importance_view& w, const pruning_mask& current) const {
    return compute(w, detail::prior_data(current, w.shape));
  }

 private:
  pruning_mask compute(const importance_view& w, const std::uint8_t* current) const {
    if (m == 0) throw invalid_argument("'m' must be >= 1, got 0");
    if (n > m) throw invalid_argument("'n' (" + std::to_string(n) + ") must not exceed 'm' (" + std::to_string(m) + ")");
    detail::require_non_empty(w.size(), "weights");
    const auto rank = static_cast<std::ptrdiff_t>(w.shape.size());
    if (axis < -rank || axis >= rank)
      throw invalid_argument("'axis' " + std::to_string(axis) + " is out of range for a tensor of rank " +
                             std::to_string(rank));
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + rank : axis);
    const std::size_t len = w.shape[a];
    if (len % m != 0)
      throw invalid_argument("'m' (" + std::to_string(m) + ") does not divide the length " + std::to_string(len) +
                             " of axis " + std::to_string(a));
    std::size_t inner = 1;
    for (std::size_t d = a + 1; d < w.shape.size(); ++d) inner *= w.shape[d];
    const std::size_t outer = w.size() / (len * inner);

    pruning_mask out(w.shape);
    std::uint8_t* o = out.data();
    std::vector<std::size_t> group(m);
    for (std::size_t i = 0; i < w.size(); ++i) o[i] = current == nullptr ? 1 : (current[i] != 0);
    for (std::size_t p = 0; p < outer; ++p) {
      for (std::size_t q = 0; q < inner; ++q) {
        for (std::size_t g = 0; g < len; g += m) {
          std::size_t alive = 0;
          for (std::size_t j = 0; j < m; ++j) {
            const std::size_t idx = (p * len + g + j) * inner + q;
            if (std::isnan(w.values[idx]))
              throw invalid_argument("'weights' contains NaN at flat index " + std::to_string(idx) +
                                     ": a NaN weight cannot be ranked (has training diverged?)");
            if (o[idx]) group[alive++] = idx;
          }
          if (alive <= n) continue;
          // Smallest |w| first; equal |w|: lower index first.
          std::sort(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(alive), [&](std::size_t x, std::size_t y) {
            const float ax = std::fabs(w.values[x]), ay = std::fabs(w.values[y]);
            return ax != ay ? ax < ay : x < y;
          });
          for (std::size_t j = 0; j < alive - n; ++j) o[group[j]] = 0;
        }
      }
    }
    return out;
  }
};

static_assert(mask_criterion<n_m_sparsity>);

}  // namespace tunekit
