#pragma once

// Hyperband's brackets as numbers: how many, each one's share of the trials,
// and the bracket of a trial number. Shared by hyperband_scheduler (which
// runs the brackets) and dehb_sampler (which proposes for a trial's bracket),
// so the two agree on every trial without talking to each other.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "default_study_name.hpp"

namespace tunekit::detail {

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320): the hash Optuna
/// assigns brackets with, so the same study name and trial number land in
/// the same bracket here and there.
constexpr std::uint32_t crc32(std::string_view text) noexcept {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : text) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/// The share of the trials of each of the B = ⌊log_η(max / min)⌋ + 1
/// brackets: ⌈B · η^s / (s + 1)⌉ for bracket b, s = B − 1 − b (bracket 0
/// stops earliest). Options are checked by the caller.
inline std::vector<std::int64_t> hyperband_shares(std::int64_t min_resource, std::int64_t max_resource,
                                                  std::int64_t reduction_factor) {
  // B in integers: no rounding surprises at exact powers.
  std::int64_t n = 1;
  for (std::int64_t r = min_resource; r <= max_resource / reduction_factor; r *= reduction_factor) ++n;
  std::vector<std::int64_t> shares;
  for (std::int64_t b = 0; b < n; ++b) {
    const std::int64_t s = n - 1 - b;
    std::int64_t power = 1;
    for (std::int64_t k = 0; k < s; ++k) power *= reduction_factor;
    shares.push_back((n * power + s) / (s + 1));
  }
  return shares;
}

/// The bracket of trial `trial_number` of the study `study_name`: CRC-32 of
/// "name_number" modulo the total share, walked through the shares. A name
/// the tuner made up (`is_default_study_name`) is left out ("_number"): it is
/// random, and the brackets must follow from what the user gave alone.
inline std::size_t hyperband_bracket(const std::vector<std::int64_t>& shares, std::string_view study_name,
                                     std::int64_t trial_number) {
  std::int64_t total = 0;
  for (auto s : shares) total += s;
  std::string key(is_default_study_name(study_name) ? std::string_view{} : study_name);
  key += '_';
  key += std::to_string(trial_number);
  auto n = static_cast<std::int64_t>(crc32(key) % static_cast<std::uint64_t>(total));
  for (std::size_t b = 0; b < shares.size(); ++b) {
    n -= shares[b];
    if (n < 0) return b;
  }
  return shares.size() - 1;
}

}  // namespace tunekit::detail
