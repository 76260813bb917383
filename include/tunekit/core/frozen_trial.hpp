#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "distribution.hpp"
#include "errors.hpp"
#include "search_space.hpp"

namespace tunekit {

/// Where a trial is in its life. WAITING trials were enqueued and not yet
/// started; COMPLETE, PRUNED and FAIL are final.
enum class trial_state { running, waiting, complete, pruned, fail };

constexpr bool is_finished(trial_state s) noexcept {
  return s == trial_state::complete || s == trial_state::pruned || s == trial_state::fail;
}

/// Upper-case names, as Optuna prints them.
constexpr std::string_view to_string(trial_state s) noexcept {
  switch (s) {
    case trial_state::running: return "RUNNING";
    case trial_state::waiting: return "WAITING";
    case trial_state::complete: return "COMPLETE";
    case trial_state::pruned: return "PRUNED";
    case trial_state::fail: return "FAIL";
  }
  return "?";
}

/// Whether an objective is to be minimised or maximised.
enum class direction { minimize, maximize };

constexpr std::string_view to_string(direction d) noexcept { return d == direction::minimize ? "minimize" : "maximize"; }

/// True when `a` is strictly better than `b` in direction `d`.
constexpr bool better(direction d, double a, double b) noexcept {
  return d == direction::minimize ? a < b : a > b;
}

/// What a trial cost, measured around the objective call: wall and CPU time
/// (of the thread that ran it) and the growth of the process's peak resident
/// memory while it ran (approximate when trials run in parallel).
struct resource_usage {
  double wall_seconds = 0;
  double cpu_seconds = 0;
  std::int64_t peak_memory_growth_bytes = 0;
  bool operator==(const resource_usage&) const = default;
};

/// User or system attributes: JSON values by key.
using attributes = std::map<std::string, nlohmann::json, std::less<>>;

/// The immutable record of a trial: what storages keep and samplers read.
struct frozen_trial {
  using clock = std::chrono::system_clock;

  std::int64_t number = -1;  ///< 0, 1, 2, ... within its study
  std::int64_t id = -1;      ///< unique within its storage
  trial_state state = trial_state::running;
  std::vector<double> values;  ///< one per direction; empty unless COMPLETE
  param_map params;            ///< internal representation
  detail::small_map<distribution> distributions;
  std::map<std::int64_t, double> intermediate_values;  ///< step -> value
  attributes user_attrs;
  attributes system_attrs;
  std::optional<clock::time_point> datetime_start;
  std::optional<clock::time_point> datetime_complete;
  resource_usage resources;
  std::string fail_reason;  ///< why a FAIL trial failed

  /// The single objective value; an error for multi-objective or unfinished trials.
  double value() const {
    if (values.size() != 1)
      throw state_error("trial " + std::to_string(number) + " has " + std::to_string(values.size()) +
                        " values; value() needs exactly one");
    return values.front();
  }

  bool has_param(std::string_view name) const { return params.find(name) != params.end(); }

  /// A parameter as the user sees it (double, int64, or the category).
  category external_param(std::string_view name) const {
    auto p = params.find(name);
    auto d = distributions.find(name);
    if (p == params.end() || d == distributions.end())
      throw invalid_argument("trial " + std::to_string(number) + " has no parameter " + detail::quoted(name));
    return to_external(d->second, p->second);
  }

  /// A parameter converted to T: `t.param<double>("lr")`, `t.param<std::string>("act")`.
  template <class T>
  T param(std::string_view name) const {
    static_assert(!std::is_same_v<T, std::string_view> && !std::is_pointer_v<T>,
                  "frozen_trial::param<T>: T would point into a temporary; use std::string");
    const category c = external_param(name);
    return std::visit(
        [&](const auto& v) -> T {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_convertible_v<V, T>) return static_cast<T>(v);
          else
            throw invalid_argument("parameter " + detail::quoted(name) + " of trial " + std::to_string(number) +
                                   " holds " + categorical_distribution::to_string(c) +
                                   ", which does not convert to the requested type");
        },
        c);
  }

  /// The value reported at the highest step, if any.
  std::optional<double> last_intermediate_value() const {
    if (intermediate_values.empty()) return std::nullopt;
    return intermediate_values.rbegin()->second;
  }

  /// Wall time between start and completion, if both are known.
  std::optional<double> duration_seconds() const {
    if (!datetime_start || !datetime_complete) return std::nullopt;
    return std::chrono::duration<double>(*datetime_complete - *datetime_start).count();
  }
};

}  // namespace tunekit
