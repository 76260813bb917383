#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace tunekit {

namespace detail {

/// SplitMix64 step (Steele, Lea & Flood 2014): used to expand seeds, because
/// nearby seeds must still give unrelated streams.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Mixes a value into a hash; the basis of per-trial stream derivation.
/// `h` is hashed before `v` is combined with it: with a boost-style
/// `h ^ (v + (h << 6) + ...)` nearby seeds collide (seed 1, trial n gave the
/// stream of seed 0, trial n + 64), so seeds 0, 1, 2... were shifted copies.
constexpr std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  std::uint64_t s = h;
  s = splitmix64(s) ^ v;
  return splitmix64(s);
}

/// FNV-1a of a name, so a parameter's stream does not depend on the order in
/// which parameters are suggested.
constexpr std::uint64_t hash_name(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace detail

/// xoshiro256** (Blackman & Vigna 2018). We use our own engine and our own
/// transforms rather than `std::*_distribution`, whose output differs between
/// standard libraries: same version + same seed must give the same trials.
class random_engine {
 public:
  using result_type = std::uint64_t;

  explicit constexpr random_engine(std::uint64_t seed = 0) noexcept { reseed(seed); }

  constexpr void reseed(std::uint64_t seed) noexcept {
    std::uint64_t s = seed;
    for (auto& w : state_) w = detail::splitmix64(s);
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  constexpr result_type operator()() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1) with 53 random bits.
  constexpr double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  /// Uniform double in [low, high).
  constexpr double uniform(double low, double high) noexcept { return low + (high - low) * uniform(); }

  /// Uniform integer in [0, n) without modulo bias (Lemire 2019).
  std::uint64_t below(std::uint64_t n) noexcept {
    if (n == 0) return 0;
    __extension__ using wide = unsigned __int128;  // a GCC/Clang builtin; pedantic-clean
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
      const wide m = static_cast<wide>((*this)()) * n;
      if (static_cast<std::uint64_t>(m) >= threshold) return static_cast<std::uint64_t>(m >> 64);
    }
  }

  /// Standard normal by the Box-Muller transform (one of the pair is dropped:
  /// simpler state, and normals are never on a hot path here).
  double normal() noexcept {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4]{};
};

/// An engine whose stream depends only on (seed, trial number, name): parallel
/// workers drawing for the same trial get the same values in any order.
inline random_engine stream_for(std::uint64_t seed, std::int64_t trial_number,
                                std::string_view name = {}) noexcept {
  std::uint64_t h = detail::mix(seed, static_cast<std::uint64_t>(trial_number));
  h = detail::mix(h, detail::hash_name(name));
  return random_engine{h};
}

}  // namespace tunekit
