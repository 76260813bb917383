#pragma once

/// Resource sizing: turns what the trials of a study measured (wall time,
/// CPU time, peak-memory growth) into Kubernetes CPU and memory requests and
/// limits, by a policy the user can read and change.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../detail/format.hpp"

namespace tunekit::deploy {

inline constexpr std::int64_t mebibyte = std::int64_t{1} << 20;
inline constexpr std::int64_t gibibyte = std::int64_t{1} << 30;

/// How measurements become requests and limits.
///
///  - CPU: each trial's average cores (`cpu_seconds / wall_seconds`); the
///    request is the `cpu_percentile` of that over trials times `headroom`.
///  - Memory: `base_memory_bytes` (what the process holds before its first
///    trial; tunekit cannot see it, set it from your image) plus the
///    `memory_percentile` of the trials' peak-RSS growth, times `headroom`.
///    The default percentile is 100 (the largest growth) because peak RSS
///    only grows within a process: the first trial of a worker carries the
///    allocation its later trials reuse, so most trials report ~0 growth
///    and a lower percentile would size for them.
///  - Limits: the request times `*_limit_ratio`, and never below the largest
///    measured value times `headroom`, so no measured trial would have hit them.
///  - Rounding: up, to `cpu_granularity_millicores` and `memory_granularity_bytes`,
///    then at least the minimums.
///  - Fewer than two trials (documented fallback): no trial measured, the
///    `fallback_*` values are the requests; one trial, its measurement stands
///    for every percentile (headroom and minimums still apply).
struct sizing_policy {
  double cpu_percentile = 90;
  double memory_percentile = 100;
  double headroom = 1.25;
  double cpu_limit_ratio = 2.0;
  double memory_limit_ratio = 1.0;
  bool set_cpu_limit = true;  ///< false: no CPU limit (no throttling; the node's spare CPU is usable)
  std::int64_t base_memory_bytes = 128 * mebibyte;
  std::int64_t min_cpu_millicores = 100;
  std::int64_t min_memory_bytes = 64 * mebibyte;
  std::int64_t cpu_granularity_millicores = 50;
  std::int64_t memory_granularity_bytes = 16 * mebibyte;
  std::int64_t fallback_cpu_millicores = 1000;
  std::int64_t fallback_memory_bytes = 1 * gibibyte;
  bool include_pruned = false;  ///< pruned trials stopped early and under-report; off by default
};

/// CPU in millicores and memory in bytes.
struct resource_amounts {
  std::int64_t cpu_millicores = 0;
  std::int64_t memory_bytes = 0;
  bool operator==(const resource_amounts&) const = default;
};

/// Where a sizing came from.
enum class sizing_basis { fallback, single_trial, distribution };

constexpr std::string_view to_string(sizing_basis b) noexcept {
  switch (b) {
    case sizing_basis::fallback: return "fallback (no measured trial)";
    case sizing_basis::single_trial: return "one measured trial";
    case sizing_basis::distribution: return "distribution over trials";
  }
  return "?";
}

/// Requests and limits for one container, with what they were computed from.
struct resource_sizing {
  resource_amounts requests;
  resource_amounts limits;
  bool cpu_limit = true;  ///< whether `limits.cpu_millicores` is to be set
  sizing_basis basis = sizing_basis::fallback;
  std::size_t n_trials = 0;  ///< trials measured
};

// The functions and classes below are `template <class = void>` only so that a
// translation unit compiles just those it calls (compile cost: see
// benchmarks/RESULTS.md, "Compile cost"); callers use them as plain functions.
/// A CPU amount as a Kubernetes quantity: whole cores as "2", else "250m".
template <class = void>
std::string cpu_quantity(std::int64_t millicores) {
  if (millicores <= 0) throw invalid_argument("cpu_quantity: millicores = " + std::to_string(millicores) + " must be > 0");
  return millicores % 1000 == 0 ? std::to_string(millicores / 1000) : std::to_string(millicores) + "m";
}

/// A memory amount as a Kubernetes quantity: "2Gi" when whole GiB, else "NMi"
/// (rounded up to a MiB), bytes only below a MiB.
template <class = void>
std::string memory_quantity(std::int64_t bytes) {
  if (bytes <= 0) throw invalid_argument("memory_quantity: bytes = " + std::to_string(bytes) + " must be > 0");
  if (bytes % gibibyte == 0) return std::to_string(bytes / gibibyte) + "Gi";
  if (bytes < mebibyte) return std::to_string(bytes);
  return std::to_string((bytes + mebibyte - 1) / mebibyte) + "Mi";
}

/// `{"requests": {"cpu": "250m", "memory": "192Mi"}, "limits": {...}}`, the
/// container's `resources` member.
template <class = void>
nlohmann::json to_json(const resource_sizing& s) {
  nlohmann::json limits = {{"memory", memory_quantity(s.limits.memory_bytes)}};
  if (s.cpu_limit) limits["cpu"] = cpu_quantity(s.limits.cpu_millicores);
  return {{"requests", {{"cpu", cpu_quantity(s.requests.cpu_millicores)}, {"memory", memory_quantity(s.requests.memory_bytes)}}},
          {"limits", limits}};
}

}  // namespace tunekit::deploy

namespace tunekit::detail {

/// Linear interpolation between order statistics (type 7 of Hyndman & Fan
/// 1996, numpy's default): `p` in [0, 100]; `sorted` non-empty and ascending.
template <class = void>
double sizing_percentile(const std::vector<double>& sorted, double p) {
  const double h = (static_cast<double>(sorted.size()) - 1) * p / 100.0;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

template <class = void>
std::int64_t round_up_to(double x, std::int64_t granularity) {
  const double steps = std::ceil(x / static_cast<double>(granularity) - 1e-9);  // 1e-9: 0.25 * 4 is 1, not 2 steps
  return static_cast<std::int64_t>(std::max(steps, 0.0)) * granularity;
}

template <class = void>
void check_sizing_policy(const deploy::sizing_policy& p) {
  auto bad = [](const std::string& field, const std::string& value, const char* allowed) {
    throw invalid_argument("sizing_policy::" + field + " = " + value + "; " + allowed);
  };
  auto percent = [&](const char* f, double v) {
    if (!(v >= 0 && v <= 100)) bad(f, format_number(v), "must be a percentile in [0, 100]");
  };
  percent("cpu_percentile", p.cpu_percentile);
  percent("memory_percentile", p.memory_percentile);
  if (!(p.headroom >= 1 && std::isfinite(p.headroom))) bad("headroom", format_number(p.headroom), "must be a finite factor >= 1");
  if (!(p.cpu_limit_ratio >= 1 && std::isfinite(p.cpu_limit_ratio)))
    bad("cpu_limit_ratio", format_number(p.cpu_limit_ratio), "must be a finite factor >= 1 (a limit below the request is invalid)");
  if (!(p.memory_limit_ratio >= 1 && std::isfinite(p.memory_limit_ratio)))
    bad("memory_limit_ratio", format_number(p.memory_limit_ratio), "must be a finite factor >= 1 (a limit below the request is invalid)");
  if (p.base_memory_bytes < 0) bad("base_memory_bytes", std::to_string(p.base_memory_bytes), "must be >= 0");
  const std::pair<const char*, std::int64_t> positive[] = {
      {"min_cpu_millicores", p.min_cpu_millicores},
      {"min_memory_bytes", p.min_memory_bytes},
      {"cpu_granularity_millicores", p.cpu_granularity_millicores},
      {"memory_granularity_bytes", p.memory_granularity_bytes},
      {"fallback_cpu_millicores", p.fallback_cpu_millicores},
      {"fallback_memory_bytes", p.fallback_memory_bytes}};
  for (const auto& [f, v] : positive)
    if (v <= 0) bad(f, std::to_string(v), "must be > 0");
}

}  // namespace tunekit::detail

namespace tunekit::deploy {

/// Sizes one container from per-trial measurements (see `sizing_policy`).
/// Throws `invalid_argument` naming a bad policy field.
template <class = void>
resource_sizing size_resources(std::span<const resource_usage> usage, const sizing_policy& policy = {}) {
  detail::check_sizing_policy(policy);
  resource_sizing out;
  out.cpu_limit = policy.set_cpu_limit;
  std::vector<double> cores, memory;
  for (const auto& u : usage) {
    // A trial too short to time says nothing about its CPU use.
    if (u.wall_seconds > 0 && std::isfinite(u.wall_seconds) && std::isfinite(u.cpu_seconds))
      cores.push_back(std::max(0.0, u.cpu_seconds / u.wall_seconds));
    memory.push_back(static_cast<double>(std::max<std::int64_t>(0, u.peak_memory_growth_bytes)));
  }
  out.n_trials = memory.size();
  auto finish = [&](std::int64_t& value, std::int64_t granularity, std::int64_t minimum) {
    value = std::max(detail::round_up_to(static_cast<double>(value), granularity), minimum);
  };
  if (memory.empty()) {
    out.basis = sizing_basis::fallback;
    out.requests = {policy.fallback_cpu_millicores, policy.fallback_memory_bytes};
    finish(out.requests.cpu_millicores, policy.cpu_granularity_millicores, policy.min_cpu_millicores);
    finish(out.requests.memory_bytes, policy.memory_granularity_bytes, policy.min_memory_bytes);
    out.limits = out.requests;
    out.limits.cpu_millicores = detail::round_up_to(static_cast<double>(out.requests.cpu_millicores) * policy.cpu_limit_ratio,
                                                 policy.cpu_granularity_millicores);
    out.limits.memory_bytes = detail::round_up_to(static_cast<double>(out.requests.memory_bytes) * policy.memory_limit_ratio,
                                               policy.memory_granularity_bytes);
    return out;
  }
  out.basis = memory.size() == 1 ? sizing_basis::single_trial : sizing_basis::distribution;
  std::sort(cores.begin(), cores.end());
  std::sort(memory.begin(), memory.end());
  const double cpu_p = cores.empty() ? 0.0 : detail::sizing_percentile(cores, policy.cpu_percentile);
  const double cpu_max = cores.empty() ? 0.0 : cores.back();
  const double base = static_cast<double>(policy.base_memory_bytes);
  const double mem_p = detail::sizing_percentile(memory, policy.memory_percentile);
  const double mem_max = memory.back();

  const auto cpu_g = policy.cpu_granularity_millicores;
  const auto mem_g = policy.memory_granularity_bytes;
  out.requests.cpu_millicores = std::max(detail::round_up_to(cpu_p * 1000 * policy.headroom, cpu_g), policy.min_cpu_millicores);
  out.requests.memory_bytes = std::max(detail::round_up_to((base + mem_p) * policy.headroom, mem_g), policy.min_memory_bytes);
  out.limits.cpu_millicores =
      std::max(detail::round_up_to(static_cast<double>(out.requests.cpu_millicores) * policy.cpu_limit_ratio, cpu_g),
               detail::round_up_to(cpu_max * 1000 * policy.headroom, cpu_g));
  out.limits.memory_bytes =
      std::max(detail::round_up_to(static_cast<double>(out.requests.memory_bytes) * policy.memory_limit_ratio, mem_g),
               detail::round_up_to((base + mem_max) * policy.headroom, mem_g));
  return out;
}

/// Sizes from the finished trials of a study: COMPLETE ones, and PRUNED ones
/// when `policy.include_pruned` (FAIL trials never: they may have died early).
template <class = void>
resource_sizing size_resources(std::span<const frozen_trial> trials, const sizing_policy& policy = {}) {
  std::vector<resource_usage> usage;
  for (const auto& t : trials)
    if (t.state == trial_state::complete || (policy.include_pruned && t.state == trial_state::pruned))
      usage.push_back(t.resources);
  return size_resources(std::span<const resource_usage>(usage), policy);
}

}  // namespace tunekit::deploy
