#pragma once

/// Sizing from serving measurements: a load benchmark of one serving process
/// (a documented JSON document, `tunekit.serving_benchmark`, written by
/// benchmarks/serve_load.py) becomes the replica's CPU/memory requests and
/// limits, the replica count for a target request rate under a p99 latency
/// objective, an `autoscaling/v2` HorizontalPodAutoscaler on CPU utilisation
/// and a `policy/v1` PodDisruptionBudget (docs/kubernetes.md §5).

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/errors.hpp"
#include "../detail/format.hpp"
#include "kubernetes.hpp"
#include "sizing.hpp"

namespace tunekit::deploy {

/// The value of a serving benchmark's "format" member, and its version.
inline constexpr std::string_view serving_benchmark_format = "tunekit.serving_benchmark";
inline constexpr int serving_benchmark_format_version = 1;

/// One load level of the benchmark: `connections` kept busy for a while.
struct load_level {
  int connections = 0;
  double requests_per_second = 0;       ///< throughput, successful responses only
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
  double cpu_seconds_per_request = 0;   ///< the server process's user+system CPU / requests
  std::int64_t errors = 0;              ///< failed requests (socket errors, non-2xx)
};

/// What one serving process did under load.
struct serving_measurement {
  std::vector<load_level> levels;       ///< in the order measured (ascending connections)
  std::int64_t peak_rss_bytes = 0;      ///< the process's peak resident memory over the benchmark
};

/// What the deployment must achieve, and the policy turning it into numbers.
struct serving_objective {
  double target_rate = 0;               ///< requests/s the service must serve within the objective (required)
  double p99_ms = 0;                    ///< the p99 latency objective of one request (required)
  int cpu_utilization_target = 70;      ///< percent of the CPU request the HPA aims at
  /// N is this share of the fastest measured rate meeting the objective: the
  /// benchmark's closed loop found a saturation rate, and arrivals at exactly
  /// that rate (open loop) would queue without bound.
  double capacity_fraction = 0.8;
  double peak_factor = 1.5;             ///< maxReplicas serves target_rate * peak_factor
  double min_rate_fraction = 0.25;      ///< minReplicas serves this share of target_rate ...
  int min_replicas = 2;                 ///< ... and never fewer (a drain never leaves none)
  int scale_down_stabilization_seconds = 300;  ///< the HPA's scale-down window (Kubernetes' default)
  double memory_headroom = 1.25;        ///< memory request = peak RSS * this ...
  /// ... and at least this: a container's memory counts page cache and kernel
  /// memory the process's RSS does not show (sizing_policy's minimum too).
  std::int64_t min_memory_bytes = 64 * mebibyte;
  /// CPU limit = request * this, and at least the most any level used: room
  /// for bursts before the HPA reacts (CFS throttling at the limit shows in p99).
  double cpu_limit_ratio = 2.0;
  int max_unavailable = 1;              ///< PodDisruptionBudget maxUnavailable
  std::int64_t cpu_granularity_millicores = 10;
  std::int64_t memory_granularity_bytes = 16 * mebibyte;
};

/// The derivation, every number kept so it can be shown and checked.
struct serving_plan {
  std::size_t level = 0;                ///< the load level the per-replica rate comes from
  double measured_rate = 0;             ///< the level's throughput
  double per_replica_rate = 0;          ///< N = capacity_fraction * measured_rate: requests/s one replica is given
  double cpu_seconds_per_request = 0;   ///< c, at that level
  double cores_at_rate = 0;             ///< c * N
  int cpu_utilization_target = 0;       ///< the HPA target: floor(100 * c * N / request) <= the objective's
  int replicas = 0;                     ///< ceil(target_rate / N), within [min_replicas, max_replicas]
  int min_replicas = 0;
  int max_replicas = 0;
  resource_sizing resources;
};

}  // namespace tunekit::deploy

namespace tunekit::detail {

// The functions below are `template <class = void>` only so that a
// translation unit compiles just those it calls (see sizing.hpp).
template <class = void>
const nlohmann::json& serving_field(const nlohmann::json& obj, const std::string& path, std::string_view key,
                                    const std::string& source) {
  const std::string where = path.empty() ? std::string(key) : path + "." + std::string(key);
  if (!obj.is_object() || !obj.contains(key))
    throw invalid_argument("serving benchmark " + source + ": " + where + " is missing");
  return obj[std::string(key)];
}

template <class = void>
double serving_number(const nlohmann::json& obj, const std::string& path, std::string_view key,
                      const std::string& source, bool positive) {
  const auto& v = serving_field(obj, path, key, source);
  const std::string where = path.empty() ? std::string(key) : path + "." + std::string(key);
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    throw invalid_argument("serving benchmark " + source + ": " + where + " = " + v.dump() + " is not a number");
  const double x = v.get<double>();
  if (positive ? !(x > 0) : !(x >= 0))
    throw invalid_argument("serving benchmark " + source + ": " + where + " = " + format_number(x) + "; must be " +
                           (positive ? "> 0" : ">= 0"));
  return x;
}

template <class = void>
void check_serving_objective(const deploy::serving_objective& o) {
  auto bad = [](const char* field, const std::string& value, const char* allowed) {
    throw invalid_argument(std::string("serving_objective::") + field + " = " + value + "; " + allowed);
  };
  if (!(o.target_rate > 0 && std::isfinite(o.target_rate)))
    bad("target_rate", format_number(o.target_rate), "must be > 0 requests/s (the rate the service must serve)");
  if (!(o.p99_ms > 0 && std::isfinite(o.p99_ms)))
    bad("p99_ms", format_number(o.p99_ms), "must be > 0 milliseconds (the p99 latency objective)");
  if (o.cpu_utilization_target < 1 || o.cpu_utilization_target > 100)
    bad("cpu_utilization_target", std::to_string(o.cpu_utilization_target), "must be a percentage in [1, 100]");
  if (!(o.capacity_fraction > 0 && o.capacity_fraction <= 1))
    bad("capacity_fraction", format_number(o.capacity_fraction), "must be in (0, 1]");
  if (!(o.peak_factor >= 1 && std::isfinite(o.peak_factor)))
    bad("peak_factor", format_number(o.peak_factor), "must be a finite factor >= 1");
  if (!(o.min_rate_fraction >= 0 && o.min_rate_fraction <= 1))
    bad("min_rate_fraction", format_number(o.min_rate_fraction), "must be in [0, 1]");
  if (o.min_replicas < 1) bad("min_replicas", std::to_string(o.min_replicas), "must be >= 1");
  if (o.scale_down_stabilization_seconds < 0 || o.scale_down_stabilization_seconds > 3600)
    bad("scale_down_stabilization_seconds", std::to_string(o.scale_down_stabilization_seconds),
        "must be in [0, 3600] (the HorizontalPodAutoscaler's range)");
  if (!(o.memory_headroom >= 1 && std::isfinite(o.memory_headroom)))
    bad("memory_headroom", format_number(o.memory_headroom), "must be a finite factor >= 1");
  if (o.min_memory_bytes < 1) bad("min_memory_bytes", std::to_string(o.min_memory_bytes), "must be >= 1");
  if (!(o.cpu_limit_ratio >= 1 && std::isfinite(o.cpu_limit_ratio)))
    bad("cpu_limit_ratio", format_number(o.cpu_limit_ratio), "must be a finite factor >= 1 (a limit below the request is invalid)");
  if (o.max_unavailable < 1) bad("max_unavailable", std::to_string(o.max_unavailable), "must be >= 1");
  if (o.cpu_granularity_millicores < 1)
    bad("cpu_granularity_millicores", std::to_string(o.cpu_granularity_millicores), "must be >= 1");
  if (o.memory_granularity_bytes < 1)
    bad("memory_granularity_bytes", std::to_string(o.memory_granularity_bytes), "must be >= 1");
}

}  // namespace tunekit::detail

namespace tunekit::deploy {

/// Reads a `tunekit.serving_benchmark` document (docs/kubernetes.md): every
/// field the sizing uses must be there, with rates, latencies and CPU per
/// request > 0 and p99 >= p50. Throws `invalid_argument` naming the field by
/// its path (`levels[2].latency_ms.p99`); `source` names the file in messages.
template <class = void>
serving_measurement read_serving_measurement(const nlohmann::json& doc, std::string_view source = "document") {
  const std::string src(source);
  auto fail = [&](const std::string& what) { throw invalid_argument("serving benchmark " + src + ": " + what); };
  const auto& format = detail::serving_field(doc, "", "format", src);
  if (format != serving_benchmark_format)
    fail("format = " + format.dump() + "; expected \"" + std::string(serving_benchmark_format) + "\"");
  const auto& version = detail::serving_field(doc, "", "format_version", src);
  if (version != serving_benchmark_format_version)
    fail("format_version = " + version.dump() + "; this tunekit reads version " +
         std::to_string(serving_benchmark_format_version));
  const auto& levels = detail::serving_field(doc, "", "levels", src);
  if (!levels.is_array() || levels.empty()) fail("levels must be a non-empty array of load levels");
  serving_measurement m;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::string at = "levels[" + std::to_string(i) + "]";
    const auto& l = levels[i];
    load_level out;
    const double connections = detail::serving_number(l, at, "connections", src, true);
    if (connections != std::floor(connections) || connections > 1e6) fail(at + ".connections = " + l["connections"].dump() + "; must be a whole number");
    out.connections = static_cast<int>(connections);
    out.requests_per_second = detail::serving_number(l, at, "requests_per_second", src, true);
    const auto& latency = detail::serving_field(l, at, "latency_ms", src);
    out.latency_p50_ms = detail::serving_number(latency, at + ".latency_ms", "p50", src, true);
    out.latency_p99_ms = detail::serving_number(latency, at + ".latency_ms", "p99", src, true);
    if (out.latency_p99_ms < out.latency_p50_ms)
      fail(at + ".latency_ms.p99 = " + detail::format_number(out.latency_p99_ms) + " is below p50 = " +
           detail::format_number(out.latency_p50_ms));
    out.cpu_seconds_per_request = detail::serving_number(l, at, "cpu_seconds_per_request", src, true);
    out.errors = static_cast<std::int64_t>(detail::serving_number(l, at, "errors", src, false));
    m.levels.push_back(out);
  }
  m.peak_rss_bytes = static_cast<std::int64_t>(
      detail::serving_number(detail::serving_field(doc, "", "memory", src), "memory", "peak_rss_bytes", src, true));
  return m;
}

/// Reads a serving benchmark file (see `read_serving_measurement`). Throws
/// `storage_error` naming the path when it cannot be read, `invalid_argument`
/// when it is not JSON or a field is missing or bad.
template <class = void>
serving_measurement load_serving_measurement(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw storage_error("cannot read serving benchmark file " + detail::quoted(path.string()));
  std::ostringstream text;
  text << f.rdbuf();
  const std::string source = "file " + detail::quoted(path.string());
  const auto doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw invalid_argument("serving benchmark " + source + " is not JSON");
  return read_serving_measurement(doc, source);
}

/// The derivation of docs/kubernetes.md §5:
///
///  - N, the per-replica rate: `capacity_fraction` times the highest
///    throughput of a level without errors whose p99 meets the objective;
///    c, that level's CPU per request.
///  - CPU request = c * N / (cpu_utilization_target / 100), rounded up; the
///    HPA target is then floor(100 * c * N / request), so a replica reaches
///    it exactly when it serves N. CPU limit: request * cpu_limit_ratio, and
///    at least the most CPU any level used (c * rate).
///  - Memory request = limit = peak RSS * memory_headroom, rounded up, at
///    least min_memory_bytes.
///  - replicas = ceil(target_rate / N); maxReplicas = ceil(peak_factor *
///    target_rate / N); minReplicas = max(min_replicas, ceil(min_rate_fraction
///    * target_rate / N)); replicas and maxReplicas never below minReplicas.
///
/// Throws `invalid_argument` naming the field: a bad objective, or a p99
/// objective no measured load meets (no HPA can fix that: a replica is too
/// slow even alone).
template <class = void>
serving_plan plan_serving(const serving_measurement& m, const serving_objective& o) {
  detail::check_serving_objective(o);
  if (m.levels.empty()) throw invalid_argument("serving_measurement::levels is empty; measure at least one load level");
  if (m.peak_rss_bytes <= 0)
    throw invalid_argument("serving_measurement::peak_rss_bytes = " + std::to_string(m.peak_rss_bytes) + "; must be > 0");
  serving_plan p;
  bool found = false;
  const load_level* fastest = &m.levels.front();
  double max_cores = 0;
  for (std::size_t i = 0; i < m.levels.size(); ++i) {
    const auto& l = m.levels[i];
    if (l.latency_p99_ms < fastest->latency_p99_ms) fastest = &l;
    max_cores = std::max(max_cores, l.cpu_seconds_per_request * l.requests_per_second);
    if (l.errors == 0 && l.latency_p99_ms <= o.p99_ms && (!found || l.requests_per_second > p.measured_rate)) {
      found = true;
      p.level = i;
      p.measured_rate = l.requests_per_second;
    }
  }
  if (!found)
    throw invalid_argument("serving_objective::p99_ms = " + detail::format_number(o.p99_ms) +
                           " cannot be met by one replica at any measured load: the lowest p99 measured is " +
                           detail::format_number(fastest->latency_p99_ms) + " ms (at " +
                           std::to_string(fastest->connections) +
                           " connection(s)); no replica count or autoscaler helps when one request alone is too slow. "
                           "Relax the objective, or make a request cheaper");
  const auto& chosen = m.levels[p.level];
  p.per_replica_rate = o.capacity_fraction * p.measured_rate;
  p.cpu_seconds_per_request = chosen.cpu_seconds_per_request;
  p.cores_at_rate = chosen.cpu_seconds_per_request * p.per_replica_rate;

  auto& r = p.resources;
  r.basis = sizing_basis::distribution;  // of load levels here: no trial was used (n_trials 0)
  r.n_trials = 0;
  r.cpu_limit = true;
  const double request_milli = p.cores_at_rate * 1000.0 * 100.0 / o.cpu_utilization_target;
  r.requests.cpu_millicores = std::max(detail::round_up_to(request_milli, o.cpu_granularity_millicores), o.cpu_granularity_millicores);
  r.limits.cpu_millicores = std::max(
      detail::round_up_to(static_cast<double>(r.requests.cpu_millicores) * o.cpu_limit_ratio, o.cpu_granularity_millicores),
      detail::round_up_to(max_cores * 1000.0, o.cpu_granularity_millicores));
  r.requests.memory_bytes = std::max(
      detail::round_up_to(static_cast<double>(m.peak_rss_bytes) * o.memory_headroom, o.memory_granularity_bytes),
      o.min_memory_bytes);
  r.limits.memory_bytes = r.requests.memory_bytes;
  p.cpu_utilization_target = std::max(
      1, static_cast<int>(std::floor(100.0 * p.cores_at_rate * 1000.0 / static_cast<double>(r.requests.cpu_millicores) + 1e-9)));

  auto replicas_for = [&](double rate) {
    const double n = std::ceil(rate / p.per_replica_rate - 1e-9);
    if (n > 10000) throw invalid_argument("serving_objective::target_rate = " + detail::format_number(o.target_rate) +
                                          " needs more than 10000 replicas of " + detail::format_number(p.per_replica_rate) + " requests/s");
    return static_cast<int>(n);
  };
  p.min_replicas = std::max(o.min_replicas, replicas_for(o.min_rate_fraction * o.target_rate));
  p.replicas = std::max(p.min_replicas, replicas_for(o.target_rate));
  p.max_replicas = std::max(p.replicas, replicas_for(o.peak_factor * o.target_rate));
  return p;
}

/// The serving objects of `serving()` sized by `plan` (its replicas and
/// resources replace `o`'s), followed by an `autoscaling/v2`
/// HorizontalPodAutoscaler `<name>` scaling the Deployment on CPU utilisation
/// within [minReplicas, maxReplicas] with a scale-down stabilisation window,
/// and a `policy/v1` PodDisruptionBudget `<name>` with the Deployment's
/// selector. Throws `invalid_argument` naming a bad option.
template <class = void>
nlohmann::json autoscaled_serving(const nlohmann::json& best_config, serve_options o, const serving_plan& plan,
                                  const serving_objective& objective) {
  detail::check_serving_objective(objective);
  if (plan.min_replicas < 1 || plan.min_replicas > plan.replicas || plan.replicas > plan.max_replicas)
    throw invalid_argument("serving_plan: replicas must satisfy 1 <= min_replicas <= replicas <= max_replicas, got " +
                           std::to_string(plan.min_replicas) + " <= " + std::to_string(plan.replicas) + " <= " +
                           std::to_string(plan.max_replicas));
  if (plan.cpu_utilization_target < 1 || plan.cpu_utilization_target > 100)
    throw invalid_argument("serving_plan::cpu_utilization_target = " + std::to_string(plan.cpu_utilization_target) +
                           "; must be in [1, 100]");
  o.replicas = plan.replicas;
  o.resources = plan.resources;
  nlohmann::json list = serving(best_config, o);
  const auto& deployment = list["items"][1];
  const auto& meta = deployment["metadata"];
  const std::string name = meta["name"];
  nlohmann::json hpa_meta = meta, pdb_meta = meta;
  // The derivation, for a reader of the manifest (docs/kubernetes.md).
  hpa_meta["annotations"]["tunekit.io/serving-plan"] =
      nlohmann::json{{"per_replica_rate", plan.per_replica_rate},
                     {"measured_rate", plan.measured_rate},
                     {"cpu_seconds_per_request", plan.cpu_seconds_per_request},
                     {"target_rate", objective.target_rate},
                     {"p99_ms", objective.p99_ms},
                     {"replicas", plan.replicas}}
          .dump();

  nlohmann::json hpa = {
      {"apiVersion", "autoscaling/v2"},
      {"kind", "HorizontalPodAutoscaler"},
      {"metadata", hpa_meta},
      {"spec",
       {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", name}}},
        {"minReplicas", plan.min_replicas},
        {"maxReplicas", plan.max_replicas},
        {"metrics", nlohmann::json::array({{{"type", "Resource"},
                                            {"resource",
                                             {{"name", "cpu"},
                                              {"target", {{"type", "Utilization"},
                                                          {"averageUtilization", plan.cpu_utilization_target}}}}}}})},
        {"behavior", {{"scaleDown", {{"stabilizationWindowSeconds", objective.scale_down_stabilization_seconds}}}}}}}};
  nlohmann::json pdb = {{"apiVersion", "policy/v1"},
                        {"kind", "PodDisruptionBudget"},
                        {"metadata", pdb_meta},
                        {"spec",
                         {{"maxUnavailable", objective.max_unavailable},
                          {"selector", deployment["spec"]["selector"]}}}};
  list["items"].push_back(std::move(hpa));
  list["items"].push_back(std::move(pdb));
  return list;
}

}  // namespace tunekit::deploy
