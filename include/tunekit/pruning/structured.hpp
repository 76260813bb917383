#pragma once

#include "detail/requires_target.hpp"

/// Structured criterion: prune whole channels (filters, rows, columns) by
/// their Ln norm along a chosen axis (PyTorch: `ln_structured`).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "mask.hpp"

namespace tunekit {

/// Prunes the `amount` channels along `axis` whose Ln norm (over all other
/// axes) is smallest: `axis = 0` prunes the output units of a dense
/// [out, in] weight or the filters of a conv [out, in, kh, kw] weight.
///
/// Composition (as PyTorch's PruningContainer): only channels with at least
/// one surviving entry are candidates, a fraction counts those channels, and
/// the norms are taken over the surviving entries. Norms are accumulated in
/// double (PyTorch: float32), which can only matter for near-ties. Ties: the
/// lower channel index is pruned first (PyTorch selects the channels to
/// *keep* via topk, so among tied norms it may choose differently).
struct ln_structured {
  prune_amount amount = fraction(0.0);
  double norm = 2.0;       ///< p of the Ln norm: > 0, or infinity (max |w|)
  std::ptrdiff_t axis = 0; ///< the channel axis; negative counts from the end

  /// The channel norms along `axis`, over the entries `current` keeps (all when null).
  [[nodiscard]] std::vector<double> channel_norms(const importance_view& w, const std::uint8_t* current = nullptr) const {
    const std::size_t a = resolve_axis(w.shape);
    check_norm();
    const layout l = layout_of(w.shape, a);
    std::vector<double> acc(l.channels, 0.0);
    // Nested loops over (outer, channel, inner): no division per entry, and a
    // contiguous inner run per (outer, channel) that the compiler vectorises.
    const float* v = w.values.data();
    bool nan = false;
    for (std::size_t o = 0; o < l.outer; ++o)
      for (std::size_t c = 0; c < l.channels; ++c) {
        const std::size_t start = (o * l.channels + c) * l.inner;
        const float* run = v + start;
        const std::uint8_t* keep = current == nullptr ? nullptr : current + start;
        if (keep == nullptr) acc[c] = combine(acc[c], run_norm<false>(run, keep, l.inner, nan));
        else acc[c] = combine(acc[c], run_norm<true>(run, keep, l.inner, nan));
      }
    if (nan) {
      for (std::size_t i = 0; i < w.size(); ++i)
        if (std::isnan(v[i]) && (current == nullptr || current[i] != 0))
          throw invalid_argument("'weights' contains NaN at flat index " + std::to_string(i) +
                                 ": a NaN weight cannot be ranked (has training diverged?)");
    }
    if (!std::isinf(norm) && norm != 1.0)
      for (double& c : acc) c = norm == 2.0 ? std::sqrt(c) : std::pow(c, 1.0 / norm);
    return acc;
  }

  [[nodiscard]] pruning_mask compute_mask(const importance_view& w) const { return compute(w, nullptr); }
  [[nodiscard]] pruning_mask compute_mask(const importance_view& w, const pruning_mask& current) const {
    return compute(w, detail::prior_data(current, w.shape));
  }

 private:
  struct layout {
    std::size_t outer = 1, channels = 1, inner = 1;
  };
  static layout layout_of(const tensor_shape& shape, std::size_t a) {
    layout l;
    for (std::size_t d = 0; d < a; ++d) l.outer *= shape[d];
    l.channels = shape[a];
    for (std::size_t d = a + 1; d < shape.size(); ++d) l.inner *= shape[d];
    return l;
  }
  double combine(double acc, double run) const { return std::isinf(norm) ? std::max(acc, run) : acc + run; }

  /// Sum of |v|^p (or max |v| for p = infinity) over one contiguous run.
  template <bool Masked>
  double run_norm(const float* v, const std::uint8_t* keep, std::size_t n, bool& nan) const {
    double s = 0.0;
    bool bad = false;
    if (std::isinf(norm)) {
      for (std::size_t i = 0; i < n; ++i) {
        const double x = (!Masked || keep[i]) ? std::fabs(static_cast<double>(v[i])) : 0.0;
        bad |= x != x;
        s = x > s ? x : s;
      }
    } else if (norm == 1.0) {
      for (std::size_t i = 0; i < n; ++i) s += (!Masked || keep[i]) ? std::fabs(static_cast<double>(v[i])) : 0.0;
      bad = s != s;
    } else if (norm == 2.0) {
      for (std::size_t i = 0; i < n; ++i) {
        const double x = (!Masked || keep[i]) ? static_cast<double>(v[i]) : 0.0;
        s += x * x;
      }
      bad = s != s;
    } else {
      for (std::size_t i = 0; i < n; ++i)
        s += (!Masked || keep[i]) ? std::pow(std::fabs(static_cast<double>(v[i])), norm) : 0.0;
      bad = s != s;
    }
    nan |= bad;
    return s;
  }

  std::size_t resolve_axis(const tensor_shape& shape) const {
    detail::require_non_empty(detail::shape_size(shape), "weights");
    const auto rank = static_cast<std::ptrdiff_t>(shape.size());
    if (axis < -rank || axis >= rank)
      throw invalid_argument("'axis' " + std::to_string(axis) + " is out of range for a tensor of rank " +
                             std::to_string(rank));
    return static_cast<std::size_t>(axis < 0 ? axis + rank : axis);
  }
  void check_norm() const {
    if (!(norm > 0))
      throw invalid_argument("'norm' must be > 0 (or infinity), got " + std::to_string(norm));
  }

  pruning_mask compute(const importance_view& w, const std::uint8_t* current) const {
    const std::vector<double> norms = channel_norms(w, current);
    const layout l = layout_of(w.shape, resolve_axis(w.shape));

    // Candidates: channels with a surviving entry.
    std::vector<std::uint8_t> alive(l.channels, current == nullptr ? 1 : 0);
    if (current != nullptr)
      for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t c = 0; c < l.channels; ++c) {
          const std::uint8_t* run = current + (o * l.channels + c) * l.inner;
          for (std::size_t i = 0; i < l.inner && !alive[c]; ++i) alive[c] = run[i] != 0;
        }
    std::vector<std::size_t> order;
    for (std::size_t c = 0; c < l.channels; ++c)
      if (alive[c]) order.push_back(c);
    const std::size_t k = amount.resolve(order.size());
    // By (norm, index): among equal norms the lower index is pruned first.
    std::sort(order.begin(), order.end(),
              [&](std::size_t x, std::size_t y) { return norms[x] != norms[y] ? norms[x] < norms[y] : x < y; });
    std::vector<std::uint8_t> keep(alive);
    for (std::size_t j = 0; j < k; ++j) keep[order[j]] = 0;

    pruning_mask out = pruning_mask::from_shape(w.shape);
    std::uint8_t* dst = out.data();
    for (std::size_t o = 0; o < l.outer; ++o)
      for (std::size_t c = 0; c < l.channels; ++c) {
        const std::size_t start = (o * l.channels + c) * l.inner;
        if (current == nullptr || !keep[c]) std::fill(dst + start, dst + start + l.inner, keep[c]);
        else for (std::size_t i = 0; i < l.inner; ++i) dst[start + i] = current[start + i] != 0;
      }
    return out;
  }
};

static_assert(mask_criterion<ln_structured>);

/// The channels along `axis` that `mask` keeps at least one entry of: the
/// units that survive structured pruning (what `materialize` keeps).
inline std::vector<std::size_t> kept_channels(const pruning_mask& mask, std::size_t axis = 0) {
  if (axis >= mask.dimension())
    throw invalid_argument("'axis' " + std::to_string(axis) + " is out of range for a mask of rank " +
                           std::to_string(mask.dimension()));
  const std::size_t channels = mask.shape()[axis];
  std::size_t inner = 1;
  for (std::size_t d = axis + 1; d < mask.dimension(); ++d) inner *= mask.shape()[d];
  std::vector<std::uint8_t> any(channels, 0);
  for (std::size_t i = 0; i < mask.size(); ++i) any[(i / inner) % channels] |= mask.data()[i] != 0;
  std::vector<std::size_t> kept;
  for (std::size_t c = 0; c < channels; ++c)
    if (any[c]) kept.push_back(c);
  return kept;
}

}  // namespace tunekit
