#pragma once

/// \file
/// Vectors of intermediate values: what a trial of a multi-objective study
/// reports at a step (`trial::report_values`), one value per objective, for
/// multi-objective schedulers to judge. Storages keep one double per step
/// (Optuna's `trial_intermediate_values`), so each vector lives in a system
/// attribute of its own, `tunekit:intermediate_values:<step>` (a JSON array,
/// NaN stored as null), which every storage keeps and Optuna reads back as an
/// attribute it does not use.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/frozen_trial.hpp"

namespace tunekit {

namespace detail {
inline constexpr std::string_view intermediate_vector_prefix = "tunekit:intermediate_values:";

template <class = void>
std::string intermediate_vector_key(std::int64_t step) {
  return std::string(intermediate_vector_prefix) + std::to_string(step);
}

template <class = void>
nlohmann::json intermediate_vector_json(std::span<const double> values) {
  nlohmann::json out = nlohmann::json::array();
  for (double v : values) out.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
  return out;
}
}  // namespace detail

/// The vector `t` reported at `step` with `trial::report_values`, if any.
/// Values that were not finite come back as NaN.
template <class = void>
std::optional<std::vector<double>> intermediate_vector(const frozen_trial& t, std::int64_t step) {
  auto it = t.system_attrs.find(detail::intermediate_vector_key(step));
  if (it == t.system_attrs.end() || !it->second.is_array()) return std::nullopt;
  std::vector<double> out;
  for (const auto& v : it->second) out.push_back(v.is_number() ? v.get<double>() : std::nan(""));
  return out;
}

/// Every step at which `t` reported a vector, with the vector, by step.
template <class = void>
std::vector<std::pair<std::int64_t, std::vector<double>>> intermediate_vectors(const frozen_trial& t) {
  std::vector<std::pair<std::int64_t, std::vector<double>>> out;
  const std::string_view prefix = detail::intermediate_vector_prefix;
  for (auto it = t.system_attrs.lower_bound(prefix); it != t.system_attrs.end(); ++it) {
    const std::string& key = it->first;
    if (key.compare(0, prefix.size(), prefix) != 0) break;
    std::int64_t step = 0;
    try {
      std::size_t used = 0;
      step = std::stoll(key.substr(prefix.size()), &used);
      if (used != key.size() - prefix.size()) continue;
    } catch (const std::exception&) {
      continue;
    }
    if (auto v = intermediate_vector(t, step)) out.emplace_back(step, std::move(*v));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace tunekit
