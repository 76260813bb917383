#pragma once

// The selection behind every unstructured criterion: prune the k least
// important surviving entries of one or more float tensors, in about one
// read pass over the weights plus one write pass over the mask.
//
// Importance is mapped to a signed 32-bit key whose integer order is the
// order of the importance (|w| for magnitude: the float's bits without the
// sign; signed scores: the low bits of negatives flipped), so comparisons are
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
inline std::int32_t key_of(float v) noexcept {
  const auto bits = std::bit_cast<std::int32_t>(v);
  if constexpr (R == rank_by::magnitude) {
    return bits & 0x7fffffff;  // -0.0 and +0.0 get the same key, as abs() gives
  } else {
    // Negative floats: flip the 31 low bits, so that the signed integer order
    // is the float order (-inf < ... < -0 = ... < +inf).
    return bits ^ ((bits >> 31) & 0x7fffffff);
  }
}

/// NaN keys lie beyond the keys of +-inf.
template <rank_by R>
inline bool key_is_nan(std::int32_t key) noexcept {
  if constexpr (R == rank_by::magnitude) {
    return key > 0x7f800000;
  } else {
    return key > 0x7f800000 || key < -0x7f800001;
  }
}

struct select_candidate {
  std::int32_t key;
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
void band_pass(const select_segment& s, std::uint32_t segment, std::int32_t lo, std::int32_t hi,
               std::size_t& below, std::vector<select_candidate>& band, bool& saw_nan) {
  // Locals, not s.*: the byte stores to `out` may alias anything, and would
  // otherwise force the pointers to be reloaded.
  const float* const values = s.values;
  const std::uint8_t* const current = s.current;
  std::uint8_t* const out = s.out;
  const std::size_t size = s.size;
  std::size_t below_here = 0;
  std::size_t i = 0;
  bool nan_seen = false;
#if defined(__SSE2__)
  // 16 entries per step: keys, two signed compares, the mask bytes packed and
  // stored, and a 16-bit movemask of the band entries, whose few set bits are
  // then visited one by one. About two instructions per entry.
  const __m128i v_lo = _mm_set1_epi32(lo), v_hi = _mm_set1_epi32(hi);
  const __m128i v_abs = _mm_set1_epi32(0x7fffffff), v_inf = _mm_set1_epi32(0x7f800000);
  const __m128i v_ninf = _mm_set1_epi32(-0x7f800001), v_one = _mm_set1_epi8(1);
  __m128i v_nan = _mm_setzero_si128();
  __m128i v_below = _mm_setzero_si128();  // 16 byte lanes of counts, flushed every 255 steps
  std::size_t steps = 0;
  auto flush = [&] {
    const __m128i sums = _mm_sad_epu8(v_below, _mm_setzero_si128());
    below_here += static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) +
                  static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums)));
    v_below = _mm_setzero_si128();
  };
  for (; i + 16 <= size; i += 16) {
    __m128i is_below[4], outside[4];
    for (int j = 0; j < 4; ++j) {
      __m128i key = _mm_loadu_si128(reinterpret_cast<const __m128i*>(values + i + 4 * j));
      if constexpr (R == rank_by::magnitude) {
        key = _mm_and_si128(key, v_abs);
        v_nan = _mm_or_si128(v_nan, _mm_cmpgt_epi32(key, v_inf));
      } else {
        key = _mm_xor_si128(key, _mm_and_si128(_mm_srai_epi32(key, 31), v_abs));
        v_nan = _mm_or_si128(v_nan, _mm_or_si128(_mm_cmpgt_epi32(key, v_inf), _mm_cmpgt_epi32(v_ninf, key)));
      }
      is_below[j] = _mm_cmpgt_epi32(v_lo, key);
      outside[j] = _mm_or_si128(is_below[j], _mm_cmpgt_epi32(key, v_hi));
    }
    // 0xff where below lo, 0 elsewhere, as 16 bytes.
    __m128i below_bytes = _mm_packs_epi16(_mm_packs_epi32(is_below[0], is_below[1]),
                                          _mm_packs_epi32(is_below[2], is_below[3]));
    __m128i outside_bytes = _mm_packs_epi16(_mm_packs_epi32(outside[0], outside[1]),
                                            _mm_packs_epi32(outside[2], outside[3]));
    __m128i alive = v_one;
    if constexpr (HasCurrent) {
      const __m128i cur = _mm_loadu_si128(reinterpret_cast<const __m128i*>(current + i));
      alive = _mm_andnot_si128(_mm_cmpeq_epi8(cur, _mm_setzero_si128()), v_one);  // 1 where current != 0
    }
    // out = alive & !below; below count += alive & below.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_andnot_si128(below_bytes, alive));
    v_below = _mm_add_epi8(v_below, _mm_and_si128(below_bytes, alive));
    unsigned in_band = static_cast<unsigned>(_mm_movemask_epi8(outside_bytes)) ^ 0xffffu;
    if constexpr (HasCurrent) in_band &= static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(alive, v_one)));
    while (in_band != 0) {
      const auto j = static_cast<std::size_t>(std::countr_zero(in_band));
      in_band &= in_band - 1;
      band.push_back({key_of<R>(values[i + j]), segment, i + j});
    }
    if (++steps == 255) {
      flush();
      steps = 0;
    }
  }
  flush();
  if constexpr (HasCurrent) {
    // A NaN in an entry already pruned does not matter: recheck the survivors only.
    if (_mm_movemask_epi8(v_nan) != 0)
      for (std::size_t j = 0; j < i; ++j) nan_seen |= current[j] != 0 && key_is_nan<R>(key_of<R>(values[j]));
  } else {
    nan_seen = _mm_movemask_epi8(v_nan) != 0;
  }
#endif
  for (; i < size; ++i) {  // the tail (or everything, without SSE2)
    const std::int32_t key = key_of<R>(values[i]);
    const bool alive = !HasCurrent || current[i] != 0;
    const bool is_below = key < lo;
    out[i] = static_cast<std::uint8_t>(alive && !is_below);
    below_here += alive && is_below;
    nan_seen |= alive && key_is_nan<R>(key);
    if (alive && key >= lo && key <= hi) band.push_back({key, segment, i});
  }
  below += below_here;
  saw_nan = saw_nan || nan_seen;
}

/// Writes into each segment's `out` the new mask: the k least important
/// survivors pruned (0), the other survivors kept (1), non-survivors 0.
/// `survivors` is the number of entries the `current` masks keep; `what`
/// names the argument in errors (NaN).
template <rank_by R>
void select_smallest(std::span<const select_segment> segments, std::size_t k, std::size_t survivors,
                     const char* what) {
  constexpr std::size_t sample_target = 1u << 18;
  std::size_t band_reserve = 0;
  std::int32_t lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
  std::size_t total = 0;
  for (const auto& s : segments) total += s.size;

  // 1. The band, from a sample when the tensors are large enough to need one:
  // 2^14 runs of 16 consecutive entries (one cache line each), at jittered
  // strides. A narrow band means few entries to select among in step 3.
  if (survivors > 16 * sample_target && k > 0 && k < survivors) {
    std::vector<std::int32_t> sample;
    sample.reserve(sample_target);
    constexpr std::size_t run = 16;
    const std::size_t runs = sample_target / run;
    const std::size_t stride = total / runs;
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;  // fixed: the sample affects speed, never the result
    std::size_t base = 0;
    std::size_t seg = 0;
    for (std::size_t j = 0; j < runs; ++j) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      std::size_t pos = j * stride + static_cast<std::size_t>((state >> 33) % (stride - run));
      for (std::size_t r = 0; r < run; ++r, ++pos) {
        while (pos >= base + segments[seg].size) base += segments[seg++].size;
        const auto& s = segments[seg];
        const std::size_t i = pos - base;
        if (s.current != nullptr && s.current[i] == 0) continue;
        const std::int32_t key = key_of<R>(s.values[i]);
        if (!key_is_nan<R>(key)) sample.push_back(key);
      }
      if (seg >= segments.size()) break;
    }
    if (sample.size() >= 4096) {
      const double n = static_cast<double>(sample.size());
      const double q = static_cast<double>(k) / static_cast<double>(survivors);
      const double delta = 5.0 * std::sqrt(q * (1 - q) / n) + 16.0 / n;
      const double i_lo = std::floor((q - delta) * n);
      const double i_hi = std::ceil((q + delta) * n);
      if (i_lo > 0) {
        auto at = sample.begin() + static_cast<std::ptrdiff_t>(i_lo);
        std::nth_element(sample.begin(), at, sample.end());
        lo = *at;
      }
      if (i_hi < n - 1) {
        auto at = sample.begin() + static_cast<std::ptrdiff_t>(i_hi);
        std::nth_element(sample.begin(), at, sample.end());
        hi = *at;
      }
      band_reserve = static_cast<std::size_t>(3.0 * delta * static_cast<double>(survivors)) + 1024;
    }
  }

  // 2. One pass: mask = key >= lo, count below, collect the band.
  std::vector<select_candidate> band;
  band.reserve(band_reserve);
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
    lo = std::numeric_limits<std::int32_t>::min();
    hi = std::numeric_limits<std::int32_t>::max();
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
