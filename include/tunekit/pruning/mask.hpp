#pragma once

#include "detail/requires_target.hpp"

/// Masks, amounts and the non-owning tensor references every pruning
/// criterion works on.
///
/// A mask is an xtensor array of `std::uint8_t` of the weights' shape: 1 keeps
/// an entry, 0 prunes it. One byte per entry rather than PyTorch's float32 mask:
/// a quarter of the memory traffic, and `weights * mask` still works.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <cstdlib>
#include <memory>
#include <new>

#include <xtensor/xarray.hpp>

#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <xtensor/xlayout.hpp>

#include "../core/errors.hpp"

namespace tunekit {

namespace detail {

/// The allocator of masks: large masks (8 MB and up, i.e. 8M weights) get
/// 2 MB-aligned memory with a transparent-huge-page hint on Linux. A fresh
/// 64M-entry mask otherwise costs 16K page faults on first touch, a third of
/// the time of computing it. Elsewhere, and for small masks, std::allocator.
template <class T>
struct mask_allocator {
  using value_type = T;
  static constexpr std::size_t large = std::size_t{8} << 20;
  static constexpr std::size_t huge_page = std::size_t{2} << 20;

  mask_allocator() = default;
  template <class U>
  mask_allocator(const mask_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
#if defined(__linux__)
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= large) {
      const std::size_t rounded = (bytes + huge_page - 1) / huge_page * huge_page;
      void* p = std::aligned_alloc(huge_page, rounded);
      if (p == nullptr) throw std::bad_alloc();
      ::madvise(p, rounded, MADV_HUGEPAGE);  // only a hint: ignored where THP is off
      return static_cast<T*>(p);
    }
#endif
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
#if defined(__linux__)
    if (n * sizeof(T) >= large) {
      std::free(p);
      return;
    }
#endif
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  friend bool operator==(const mask_allocator&, const mask_allocator<U>&) noexcept {
    return true;
  }
};

}  // namespace detail

/// 1 keeps the entry, 0 prunes it; the shape is the weights' shape. An
/// `xt::xarray<std::uint8_t>` in all but its allocator (see mask_allocator).
using pruning_mask = xt::xarray<std::uint8_t, xt::layout_type::row_major, detail::mask_allocator<std::uint8_t>>;

/// The shape of a tensor, outermost axis first.
using tensor_shape = std::vector<std::size_t>;

/// How many entries (or channels) a criterion prunes: a fraction of the
/// candidates, or an absolute count, as PyTorch's `amount` (float vs int).
struct prune_amount {
  enum class kind { fraction, count };
  kind type = kind::fraction;
  double fraction = 0.0;     ///< in [0, 1]; used when type == fraction
  std::int64_t count = 0;    ///< >= 0; used when type == count

  /// The number of entries to prune among `n` candidates. A fraction is
  /// rounded half to even (`round(0.3 * 35) = 10`), as Python's round() does
  /// in PyTorch; a count above `n` is an error. `what` names the argument.
  [[nodiscard]] std::size_t resolve(std::size_t n, const char* what = "amount") const {
    if (type == kind::fraction) {
      if (!(fraction >= 0.0 && fraction <= 1.0))
        throw invalid_argument(std::string("'") + what + "' must be a fraction in [0, 1], got " +
                               std::to_string(fraction));
      // nearbyint rounds half to even under the default rounding mode; std::round would not.
      return static_cast<std::size_t>(std::nearbyint(fraction * static_cast<double>(n)));
    }
    if (count < 0)
      throw invalid_argument(std::string("'") + what + "' must be a count >= 0, got " + std::to_string(count));
    if (static_cast<std::uint64_t>(count) > n)
      throw invalid_argument(std::string("'") + what + "' is a count of " + std::to_string(count) +
                             " but there are only " + std::to_string(n) + " candidates to prune");
    return static_cast<std::size_t>(count);
  }
};

/// `fraction(0.3)`: prune 30 % of the candidates (rounded half to even).
inline prune_amount fraction(double f) { return {prune_amount::kind::fraction, f, 0}; }
/// `count(5)`: prune exactly 5 candidates.
inline prune_amount count(std::int64_t n) { return {prune_amount::kind::count, 0.0, n}; }

/// A non-owning, contiguous, row-major view of a tensor: what criteria read.
/// Built from any xtensor container or adaptor by `tunekit::tensor_ref(e)`.
template <class T>
struct tensor_view {
  std::span<T> values;
  tensor_shape shape;
  [[nodiscard]] std::size_t size() const noexcept { return values.size(); }
  /// A view of mutable memory is also a read-only view (what criteria take).
  operator tensor_view<const T>() const
    requires(!std::is_const_v<T>)
  {
    return {values, shape};
  }
};

/// Importance scores (or weights) as criteria see them.
using importance_view = tensor_view<const float>;

namespace detail {

inline std::size_t shape_size(const tensor_shape& shape) {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

inline std::string shape_string(const tensor_shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

template <class E>
tensor_shape shape_of(const E& e) {
  return tensor_shape(e.shape().begin(), e.shape().end());
}

/// True when `e` stores its elements contiguously in row-major order from
/// `e.data()`: then criteria read the user's memory directly, with no copy.
template <class E>
bool is_row_major_contiguous(const E& e) {
  if constexpr (requires { e.data(); e.strides(); e.shape(); }) {
    if constexpr (requires { e.data_offset(); }) {
      if (e.data_offset() != 0) return false;
    }
    std::ptrdiff_t expected = 1;
    for (std::size_t i = e.shape().size(); i-- > 0;) {
      const auto extent = static_cast<std::ptrdiff_t>(e.shape()[i]);
      if (extent != 1 && static_cast<std::ptrdiff_t>(e.strides()[i]) != expected) return false;
      expected *= extent;
    }
    return true;
  } else {
    return false;
  }
}

}  // namespace detail

/// A row-major contiguous view of `e` (an xtensor container, or an adaptor
/// of memory the user owns). Throws invalid_argument when `e` is not
/// contiguous row-major; evaluate such expressions into an `xt::xarray` first.
template <class E>
auto tensor_ref(E&& e, const char* what = "weights") {
  using value_type = std::remove_reference_t<decltype(*e.data())>;
  if (!detail::is_row_major_contiguous(e))
    throw invalid_argument(std::string("'") + what +
                           "' must be a contiguous row-major tensor (evaluate views into an xt::xarray first)");
  return tensor_view<value_type>{std::span<value_type>(e.data(), e.size()), detail::shape_of(e)};
}

/// Per-tensor (or global) sparsity: how much of it a mask prunes.
struct sparsity_stats {
  std::size_t size = 0;     ///< entries
  std::size_t pruned = 0;   ///< entries whose mask is 0
  [[nodiscard]] std::size_t kept() const noexcept { return size - pruned; }
  [[nodiscard]] double sparsity() const noexcept {
    return size == 0 ? 0.0 : static_cast<double>(pruned) / static_cast<double>(size);
  }
  sparsity_stats& operator+=(const sparsity_stats& o) noexcept {
    size += o.size;
    pruned += o.pruned;
    return *this;
  }
};

/// Sparsity of one mask.
inline sparsity_stats stats(const pruning_mask& mask) {
  std::size_t kept = 0;
  for (std::uint8_t m : mask.storage()) kept += m != 0;
  return {mask.size(), mask.size() - kept};
}

/// Global sparsity of several masks (the sum of their counts).
inline sparsity_stats stats(std::span<const pruning_mask> masks) {
  sparsity_stats total;
  for (const auto& m : masks) total += stats(m);
  return total;
}

/// A mask that keeps everything, of the given shape.
inline pruning_mask full_mask(const tensor_shape& shape) {
  pruning_mask m(shape);
  std::fill(m.begin(), m.end(), std::uint8_t{1});
  return m;
}

namespace detail {

/// The existing mask to compose with; throws when its shape differs from the weights'.
inline const std::uint8_t* prior_data(const pruning_mask& current, const tensor_shape& shape,
                                      const char* what = "current") {
  const tensor_shape s = shape_of(current);
  if (s != shape)
    throw invalid_argument(std::string("'") + what + "' mask has shape " + shape_string(s) +
                           " but the weights have shape " + shape_string(shape));
  return current.data();
}

inline void require_non_empty(std::size_t n, const char* what) {
  if (n == 0) throw invalid_argument(std::string("'") + what + "' is empty: there is nothing to prune");
}

}  // namespace detail

/// Multiplies `weights` by `mask` in place: pruned entries become 0. Use it on
/// the weights after each optimizer step and on the gradients before it, so
/// that pruned weights stay zero through training. `weights` may be any
/// xtensor container, view or `xt::adapt` over memory the user owns.
template <class E>
void apply_mask(E&& weights, const pruning_mask& mask) {
  const tensor_shape s = detail::shape_of(weights);
  if (s != detail::shape_of(mask))
    throw invalid_argument("'mask' has shape " + detail::shape_string(detail::shape_of(mask)) +
                           " but the weights have shape " + detail::shape_string(s));
  using value_type = std::remove_cvref_t<decltype(*weights.begin())>;
  if (detail::is_row_major_contiguous(weights)) {
    // The hot path (every training step): a plain loop the compiler vectorises.
    value_type* w = weights.data();
    const std::uint8_t* m = mask.data();
    const std::size_t n = mask.size();
    for (std::size_t i = 0; i < n; ++i) w[i] = m[i] ? w[i] : value_type(0);
  } else {
    auto m = mask.begin();
    for (auto it = weights.begin(); it != weights.end(); ++it, ++m)
      if (*m == 0) *it = value_type(0);
  }
}

}  // namespace tunekit
