#pragma once

// The selection behind every unstructured criterion: prune the k least
// important surviving entries of one or more float tensors, in about one
// read pass over the weights plus one write pass over the mask.
//
// Importance is mapped to an unsigned 32-bit key whose integer order is the
// order of the importance (|w| for magnitude: the float's bits without the
// sign; signed scores: the usual sign-flip transform), so comparisons are
// integer compares and NaN is recognisable by its key.
//
// Instead of sorting (PyTorch's topk: O(n log k) with a heap, or introselect
// over an n-element vector of (value, index) pairs), we
//   1. estimate the k-th key from a deterministic sample of ~64K keys and take
//      a band [lo, hi] around it, wide enough (5 standard errors of the
//      sample quantile) that the true k-th key lies inside it,
//   2. in one pass write mask = (key >= lo), count the keys below lo, and
//      collect the few entries inside the band,
//   3. select the remaining k - below among the band's entries exactly, by
//      (key, position), and clear their mask bytes.
// If the band misses the k-th key (a sample that is unrepresentative), step 2
// is redone with the whole range as the band: slower, never wrong.
//
// Tie rule: among equal keys, the entry that comes first (lower segment, then
// lower row-major index) is pruned first.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "../../core/errors.hpp"

namespace tunekit::detail {

/// How the entries are ranked: by |value| (magnitude criteria) or by value.
enum class rank_by { magnitude, value };

/// One tensor taking part in a selection.
struct select_segment {
  const float* values = nullptr;
  std::size_t size = 0;
  const std::uint8_t* current = nullptr;  ///< existing mask, or null: all survive
  std::uint8_t* out = nullptr;            ///< the new mask, size entries
};

template <rank_by R>
inline std::uint32_t key_of(float v) noexcept {
  const auto bits = std::bit_cast<std::uint32_t>(v);
  if constexpr (R == rank_by::magnitude) {
    return bits & 0x7fffffffu;  // -0.0 and +0.0 get the same key, as abs() gives
  } else {
    const std::uint32_t sign = static_cast<std::uint32_t>(static_cast<std::int32_t>(bits) >> 31);
    return bits ^ (sign | 0x80000000u);
  }
}

/// NaN keys lie beyond the keys of +-inf.
template <rank_by R>
inline bool key_is_nan(std::uint32_t key) noexcept {
  if constexpr (R == rank_by::magnitude) {
    return key > 0x7f800000u;
  } else {
    return key > 0xff800000u || key < 0x007fffffu;
  }
}

struct select_candidate {
  std::uint32_t key;
  std::uint32_t segment;
  std::uint64_t index;
  friend bool operator<(const select_candidate& a, const select_candidate& b) noexcept {
    if (a.key != b.key) return a.key < b.key;
    if (a.segment != b.segment) return a.segment < b.segment;
    return a.index < b.index;
  }
};

inline std::size_t count_survivors(std::span<const select_segment> segments) {
  std::size_t m = 0;
  for (const auto& s : segments) {
    if (s.current == nullptr) {
      m += s.size;
    } else {
      std::size_t kept = 0;
      for (std::size_t i = 0; i < s.size; ++i) kept += s.current[i] != 0;
      m += kept;
    }
  }
  return m;
}

[[noreturn]] inline void throw_nan(const char* what) {
  throw invalid_argument(std::string("'") + what +
                         "' contains NaN: a NaN importance cannot be ranked (has training diverged?)");
}

/// Step 2 for one segment. Blocks of 64 entries: a branch-free loop the
/// compiler vectorises writes the mask and counts, and only a block that
/// holds band entries is scanned again (from L1) to collect them.
template <rank_by R, bool HasCurrent>
void band_pass(const select_segment& s, std::uint32_t segment, std::uint32_t lo, std::uint32_t hi,
               std::size_t& below, std::vector<select_candidate>& band, bool& saw_nan) {
  constexpr std::size_t block = 64;
  const std::uint32_t width = hi - lo;
  std::uint32_t nan_seen = 0;
  for (std::size_t start = 0; start < s.size; start += block) {
    const std::size_t end = std::min(s.size, start + block);
    std::uint32_t n_below = 0, n_band = 0;
    for (std::size_t i = start; i < end; ++i) {
      const std::uint32_t key = key_of<R>(s.values[i]);
      const std::uint32_t alive = HasCurrent ? (s.current[i] != 0) : 1u;
      s.out[i] = static_cast<std::uint8_t>(alive & (key >= lo));
      n_below += alive & (key < lo);
      n_band += alive & (key - lo <= width);
      nan_seen |= alive & static_cast<std::uint32_t>(key_is_nan<R>(key));
    }
    below += n_below;
    if (n_band != 0) {
      for (std::size_t i = start; i < end; ++i) {
        const std::uint32_t key = key_of<R>(s.values[i]);
        if ((!HasCurrent || s.current[i] != 0) && key - lo <= width) band.push_back({key, segment, i});
      }
    }
  }
  saw_nan = saw_nan || nan_seen != 0;
}

/// Writes into each segment's `out` the new mask: the k least important
/// survivors pruned (0), the other survivors kept (1), non-survivors 0.
/// `what` names the argument in errors (NaN). Returns the number of survivors.
template <rank_by R>
void select_smallest(std::span<const select_segment> segments, std::size_t k, std::size_t survivors,
                     const char* what) {
  constexpr std::size_t sample_target = 1u << 16;
  std::uint32_t lo = 0, hi = std::numeric_limits<std::uint32_t>::max();
  std::size_t total = 0;
  for (const auto& s : segments) total += s.size;

  // 1. The band, from a sample when the tensors are large enough to need one.
  if (survivors > 4 * sample_target && k > 0 && k < survivors) {
    std::vector<std::uint32_t> sample;
    sample.reserve(sample_target);
    const std::size_t stride = total / sample_target;
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;  // fixed: the sample affects speed, never the result
    std::size_t base = 0;
    std::size_t seg = 0;
    for (std::size_t j = 0; j < sample_target; ++j) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const std::size_t pos = j * stride + static_cast<std::size_t>((state >> 33) % stride);
      while (pos >= base + segments[seg].size) base += segments[seg++].size;
      const auto& s = segments[seg];
      const std::size_t i = pos - base;
      if (s.current != nullptr && s.current[i] == 0) continue;
      const std::uint32_t key = key_of<R>(s.values[i]);
      if (!key_is_nan<R>(key)) sample.push_back(key);
    }
    if (sample.size() >= 1024) {
      std::sort(sample.begin(), sample.end());
      const double n = static_cast<double>(sample.size());
      const double q = static_cast<double>(k) / static_cast<double>(survivors);
      const double delta = 5.0 * std::sqrt(q * (1 - q) / n) + 4.0 / n;
      const double i_lo = std::floor((q - delta) * n);
      const double i_hi = std::ceil((q + delta) * n);
      if (i_lo > 0) lo = sample[static_cast<std::size_t>(i_lo)];
      if (i_hi < n - 1) hi = sample[static_cast<std::size_t>(i_hi)];
    }
  }

  // 2. One pass: mask = key >= lo, count below, collect the band.
  std::vector<select_candidate> band;
  std::size_t below = 0;
  auto pass = [&] {
    band.clear();
    below = 0;
    bool saw_nan = false;
    for (std::size_t j = 0; j < segments.size(); ++j) {
      const auto& s = segments[j];
      const auto segment = static_cast<std::uint32_t>(j);
      if (s.current != nullptr) band_pass<R, true>(s, segment, lo, hi, below, band, saw_nan);
      else band_pass<R, false>(s, segment, lo, hi, below, band, saw_nan);
    }
    if (saw_nan) throw_nan(what);
  };
  pass();
  if (below > k || below + band.size() < k) {  // the sample missed: the whole range is the band
    lo = 0;
    hi = std::numeric_limits<std::uint32_t>::max();
    pass();
  }

  // 3. The remaining k - below, exactly, with the tie rule built into operator<.
  const std::size_t rest = k - below;
  if (rest == 0) return;
  if (rest < band.size()) std::nth_element(band.begin(), band.begin() + static_cast<std::ptrdiff_t>(rest - 1), band.end());
  // nth_element leaves the rest-1 smallest before position rest-1.
  for (std::size_t j = 0; j < rest; ++j) segments[band[j].segment].out[band[j].index] = 0;
}

}  // namespace tunekit::detail
