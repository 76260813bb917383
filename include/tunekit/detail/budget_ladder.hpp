#pragma once

// The budgets a BOHB-style sampler keeps values at (Hyperband's rungs), and a
// trial's value at each: shared by bohb_sampler, dehb_sampler,
// budget_aware_sampler and curve_agreement, so they read a study the same way.

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../core/search_space.hpp"

namespace tunekit::detail {

/// min_resource · η^k up to max_resource, and max_resource itself when it is
/// not a rung. Checks the three options; an error starts with `who` ("bohb_sampler: ")
/// and names the option; `max_hint` ends the message of a missing max_resource.
inline std::vector<std::int64_t> budget_ladder(const std::string& who, std::int64_t min_resource,
                                               const std::optional<std::int64_t>& max_resource,
                                               std::int64_t reduction_factor, const std::string& max_hint = "") {
  auto fail = [&](const std::string& what) { throw invalid_argument(who + what); };
  if (min_resource < 1) fail("min_resource = " + std::to_string(min_resource) + "; must be >= 1");
  if (!max_resource) fail("max_resource is not set; give the last step a trial trains to" + max_hint);
  if (*max_resource < min_resource)
    fail("max_resource = " + std::to_string(*max_resource) + "; must be >= min_resource (" +
         std::to_string(min_resource) + ")");
  if (reduction_factor < 2) fail("reduction_factor = " + std::to_string(reduction_factor) + "; must be >= 2");
  std::vector<std::int64_t> budgets;
  for (std::int64_t b = min_resource; b <= *max_resource; b *= reduction_factor) {
    budgets.push_back(b);
    if (b > *max_resource / reduction_factor) break;  // the next rung would overflow or pass the top
  }
  if (budgets.back() != *max_resource) budgets.push_back(*max_resource);
  return budgets;
}

/// Calls on(k, value) for each budget `budgets[k]` trial `t` has a finite value
/// at: its report at the first step at or past the budget (the rule ASHA judges
/// by). A COMPLETE trial that never reported counts at the last budget.
template <class On>
void for_each_budget_value(const frozen_trial& t, const std::vector<std::int64_t>& budgets, On&& on) {
  const auto& iv = t.intermediate_values;
  if (iv.empty()) {
    if (t.state == trial_state::complete && t.values.size() == 1 && !std::isnan(t.values[0]))
      on(budgets.size() - 1, t.values[0]);
    return;
  }
  for (std::size_t k = 0; k < budgets.size(); ++k) {
    auto at = iv.lower_bound(budgets[k]);
    if (at == iv.end()) break;
    if (!std::isnan(at->second)) on(k, at->second);
  }
}

/// Writes `t`'s coordinates in `space` to `x`, each as coordinate(distribution,
/// internal value); false if `t` lacks a parameter or has it with another
/// distribution.
template <class Coordinate>
bool point_in(const frozen_trial& t, const search_space& space, std::vector<double>& x, Coordinate&& coordinate) {
  x.resize(space.size());
  for (std::size_t j = 0; j < space.size(); ++j) {
    const auto& [name, d] = space[j];
    auto p = t.params.find(name);
    auto pd = t.distributions.find(name);
    if (p == t.params.end() || pd == t.distributions.end() || !(pd->second == d)) return false;
    x[j] = coordinate(d, p->second);
  }
  return true;
}

}  // namespace tunekit::detail
