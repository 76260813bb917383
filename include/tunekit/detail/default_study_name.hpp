#pragma once

// The shape of the name a tuner gives a study the user did not name, so that
// what must not depend on a random name can recognise one: Hyperband's
// bracket hash (detail/hyperband_brackets.hpp) leaves it out, so two runs
// with the same seeds assign the same brackets. The name itself stays
// random: a fixed default would make two unnamed studies in one persistent
// storage the same study.

#include <cstddef>
#include <string_view>

namespace tunekit::detail {

inline constexpr std::string_view default_study_name_prefix = "tunekit-study-";
/// Lowercase hexadecimal digits after the prefix.
inline constexpr std::size_t default_study_name_digits = 12;

/// True for "tunekit-study-" followed by exactly 12 lowercase hex digits.
constexpr bool is_default_study_name(std::string_view name) noexcept {
  if (name.size() != default_study_name_prefix.size() + default_study_name_digits) return false;
  if (name.substr(0, default_study_name_prefix.size()) != default_study_name_prefix) return false;
  for (char c : name.substr(default_study_name_prefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace tunekit::detail
