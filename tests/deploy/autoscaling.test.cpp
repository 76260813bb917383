#include <tunekit/deploy/autoscaling.hpp>

#include <catch2/catch.hpp>

#include "support/require_invalid.hpp"

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace tk = tunekit;
namespace dp = tunekit::deploy;
using Catch::Contains;

namespace {

/// A benchmark document as benchmarks/serve_load.py writes it (the numbers of
/// the worked example in docs/kubernetes.md).
nlohmann::json autoscaling_benchmark_doc() {
  auto level = [](int c, double rps, double p50, double p99, double cpu) {
    return nlohmann::json{{"connections", c},       {"duration_seconds", 10.0},
                          {"requests", rps * 10},   {"requests_per_second", rps},
                          {"latency_ms", {{"p50", p50}, {"p90", p99 * 0.8}, {"p99", p99}, {"max", p99 * 3}}},
                          {"errors", 0},            {"cpu_seconds", cpu * rps * 10},
                          {"cpu_seconds_per_request", cpu}};
  };
  return {{"format", "tunekit.serving_benchmark"},
          {"format_version", 1},
          {"levels", {level(1, 2000, 0.4, 1.5, 80e-6), level(2, 3500, 0.5, 3.0, 70e-6), level(4, 5000, 0.7, 8.0, 62e-6),
                      level(8, 5200, 1.4, 60.0, 60e-6)}},
          {"memory", {{"idle_rss_bytes", 12 * dp::mebibyte}, {"peak_rss_bytes", 100 * dp::mebibyte}}}};
}

dp::serving_objective autoscaling_objective() { return {.target_rate = 20000, .p99_ms = 10}; }

// What `serving` needs of an export document (its own tests use real ones):
// export.hpp and a storage would double this file's compile time.
nlohmann::json autoscaling_best_doc() {
  return {{"format", "tunekit.best_config"},
          {"format_version", 2},
          {"study", {{"name", "demo"}}},
          {"best_trials", nlohmann::json::array({{{"number", 0}, {"values", {0.5}}, {"params", {{"lr", 0.01}}}}})}};
}

dp::serve_options autoscaling_serve_options() {
  return {.name = "serve-demo", .image = "registry.example.com/serve:1.0", .resources = {}};
}

}  // namespace

TEST_CASE("autoscaling: the worked example of docs/kubernetes.md", "[deploy][autoscaling]") {
  const auto m = dp::read_serving_measurement(autoscaling_benchmark_doc());
  REQUIRE(m.levels.size() == 4);
  CHECK(m.levels[2].latency_p99_ms == 8.0);
  CHECK(m.peak_rss_bytes == 100 * dp::mebibyte);
  const auto p = dp::plan_serving(m, autoscaling_objective());
  CHECK(p.level == 2);  // 5200 req/s at 8 connections misses p99 <= 10 ms
  CHECK(p.measured_rate == 5000);
  CHECK(p.per_replica_rate == Approx(4000));               // 0.8 * 5000
  CHECK(p.cores_at_rate == Approx(0.248));                 // 62 us * 4000/s
  CHECK(p.resources.requests.cpu_millicores == 360);       // 248m / 0.70 = 354.3m, up to 10m
  CHECK(p.cpu_utilization_target == 68);                   // floor(100 * 248 / 360)
  CHECK(p.resources.limits.cpu_millicores == 720);         // 2 * request; the most any level used is 312m
  CHECK(p.resources.requests.memory_bytes == 128 * dp::mebibyte);  // 100Mi * 1.25 = 125Mi, up to 16Mi
  CHECK(p.resources.limits.memory_bytes == p.resources.requests.memory_bytes);
  CHECK(p.replicas == 5);      // ceil(20000 / 4000)
  CHECK(p.min_replicas == 2);  // max(2, ceil(5000 / 4000))
  CHECK(p.max_replicas == 8);  // ceil(30000 / 4000)
}

TEST_CASE("autoscaling: the plan's invariants over seeded random benchmarks", "[deploy][autoscaling]") {
  for (std::uint32_t seed = 0; seed < 300; ++seed) {
    std::mt19937 rng(seed);
    auto u = [&](double lo, double hi) { return lo + (hi - lo) * std::generate_canonical<double, 32>(rng); };
    dp::serving_measurement m;
    m.peak_rss_bytes = static_cast<std::int64_t>(u(1, 500) * dp::mebibyte);
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      const double p50 = u(0.05, 20);
      m.levels.push_back({.connections = 1 << i, .requests_per_second = u(10, 50000), .latency_p50_ms = p50,
                          .latency_p99_ms = p50 * u(1, 20), .cpu_seconds_per_request = u(1e-6, 5e-3),
                          .errors = rng() % 5 == 0 ? 3 : 0});
    }
    dp::serving_objective o{.target_rate = u(1, 1e5), .p99_ms = u(0.5, 100), .cpu_utilization_target = 20 + static_cast<int>(rng() % 80),
                            .capacity_fraction = u(0.3, 1), .peak_factor = u(1, 3), .min_rate_fraction = u(0, 1),
                            .min_replicas = 1 + static_cast<int>(rng() % 3)};
    INFO("seed " << seed);
    bool feasible = false;
    double best = 0;
    for (const auto& l : m.levels)
      if (l.errors == 0 && l.latency_p99_ms <= o.p99_ms) {
        feasible = true;
        best = std::max(best, l.requests_per_second);
      }
    if (!feasible) {
      REQUIRE_INVALID(dp::plan_serving(m, o), Contains("serving_objective::p99_ms") && Contains("cannot be met"));
      continue;
    }
    dp::serving_plan p;
    try {
      p = dp::plan_serving(m, o);
    } catch (const tk::invalid_argument& e) {
      CHECK_THAT(e.what(), Contains("more than 10000 replicas"));
      continue;
    }
    const auto& l = m.levels[p.level];
    CHECK(l.errors == 0);
    CHECK(l.latency_p99_ms <= o.p99_ms);
    CHECK(p.measured_rate == best);
    CHECK(p.per_replica_rate == Approx(o.capacity_fraction * best));
    // Replicas: enough for the target, the peak and the floor; no more than needed.
    CHECK(1 <= p.min_replicas);
    CHECK(p.min_replicas <= p.replicas);
    CHECK(p.replicas <= p.max_replicas);
    CHECK(p.min_replicas >= o.min_replicas);
    CHECK(p.replicas * p.per_replica_rate >= o.target_rate * (1 - 1e-9));
    CHECK(p.max_replicas * p.per_replica_rate >= o.peak_factor * o.target_rate * (1 - 1e-9));
    if (p.replicas > p.min_replicas) CHECK((p.replicas - 1) * p.per_replica_rate < o.target_rate);
    // CPU: at N a replica uses c*N cores, which is the HPA's target share of its request.
    const double cores = l.cpu_seconds_per_request * p.per_replica_rate;
    const auto request = static_cast<double>(p.resources.requests.cpu_millicores) / 1000;
    CHECK(request >= cores * 100 / o.cpu_utilization_target - 1e-9);
    CHECK(request < cores * 100 / o.cpu_utilization_target + 0.010 + 1e-9);  // rounded up by at most 10m
    CHECK(p.cpu_utilization_target <= o.cpu_utilization_target);
    if (cores / request >= 0.01) CHECK(std::abs(100 * cores / request - p.cpu_utilization_target) < 1 + 1e-9);
    CHECK(p.resources.limits.cpu_millicores >= p.resources.requests.cpu_millicores);
    for (const auto& any : m.levels)
      CHECK(p.resources.limits.cpu_millicores >= any.cpu_seconds_per_request * any.requests_per_second * 1000 - 1e-6);
    CHECK(p.resources.limits.cpu_millicores >= 2 * p.resources.requests.cpu_millicores);
    CHECK(static_cast<double>(p.resources.requests.memory_bytes) >= 1.25 * static_cast<double>(m.peak_rss_bytes));
    CHECK(p.resources.requests.memory_bytes >= 64 * dp::mebibyte);
  }
}

TEST_CASE("autoscaling: HorizontalPodAutoscaler and PodDisruptionBudget fields", "[deploy][autoscaling]") {
  const auto o = autoscaling_objective();
  const auto plan = dp::plan_serving(dp::read_serving_measurement(autoscaling_benchmark_doc()), o);
  auto opts = autoscaling_serve_options();
  opts.namespace_name = "ml";
  const auto list = dp::autoscaled_serving(autoscaling_best_doc(), opts, plan, o);
  REQUIRE(list["items"].size() == 5);
  const auto &dep = list["items"][1], &hpa = list["items"][3], &pdb = list["items"][4];
  CHECK(dep["kind"] == "Deployment");
  CHECK(dep["spec"]["replicas"] == plan.replicas);
  CHECK(dep["spec"]["template"]["spec"]["containers"][0]["resources"] == dp::to_json(plan.resources));
  CHECK(dep["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "360m");

  CHECK(hpa["apiVersion"] == "autoscaling/v2");
  CHECK(hpa["kind"] == "HorizontalPodAutoscaler");
  CHECK(hpa["metadata"]["namespace"] == "ml");
  CHECK(hpa["spec"]["scaleTargetRef"] ==
        nlohmann::json({{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", dep["metadata"]["name"]}}));
  CHECK(hpa["spec"]["minReplicas"] == 2);
  CHECK(hpa["spec"]["maxReplicas"] == 8);
  CHECK(hpa["spec"]["minReplicas"] <= dep["spec"]["replicas"]);
  CHECK(dep["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]);
  const auto& metric = hpa["spec"]["metrics"][0];
  CHECK(metric["type"] == "Resource");
  CHECK(metric["resource"]["name"] == "cpu");
  CHECK(metric["resource"]["target"] == nlohmann::json({{"type", "Utilization"}, {"averageUtilization", 68}}));
  CHECK(hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300);
  const auto shown = nlohmann::json::parse(hpa["metadata"]["annotations"]["tunekit.io/serving-plan"].get<std::string>());
  CHECK(shown["per_replica_rate"] == plan.per_replica_rate);

  CHECK(pdb["apiVersion"] == "policy/v1");
  CHECK(pdb["kind"] == "PodDisruptionBudget");
  CHECK(pdb["spec"]["maxUnavailable"] == 1);
  CHECK(pdb["spec"]["selector"] == dep["spec"]["selector"]);
  for (const auto& [k, v] : pdb["spec"]["selector"]["matchLabels"].items())
    CHECK(dep["spec"]["template"]["metadata"]["labels"][k] == v);

  auto bad = plan;
  bad.min_replicas = bad.max_replicas + 1;
  REQUIRE_INVALID(dp::autoscaled_serving(autoscaling_best_doc(), opts, bad, o), Contains("min_replicas <= replicas <= max_replicas"));
}

TEST_CASE("autoscaling: a benchmark with missing or bad fields is refused, naming the field", "[deploy][autoscaling]") {
  auto without = [](auto edit) {
    auto d = autoscaling_benchmark_doc();
    edit(d);
    return d;
  };
  const std::pair<const char*, const char*> missing[] = {  // message, JSON pointer of the field removed
      {"format is missing", "/format"},
      {"format_version is missing", "/format_version"},
      {"levels is missing", "/levels"},
      {"memory is missing", "/memory"},
      {"memory.peak_rss_bytes is missing", "/memory/peak_rss_bytes"},
      {"levels[1].connections is missing", "/levels/1/connections"},
      {"levels[2].requests_per_second is missing", "/levels/2/requests_per_second"},
      {"levels[0].latency_ms is missing", "/levels/0/latency_ms"},
      {"levels[3].latency_ms.p99 is missing", "/levels/3/latency_ms/p99"},
      {"levels[0].latency_ms.p50 is missing", "/levels/0/latency_ms/p50"},
      {"levels[1].cpu_seconds_per_request is missing", "/levels/1/cpu_seconds_per_request"},
      {"levels[0].errors is missing", "/levels/0/errors"},
  };
  for (const auto& [message, path] : missing) {
    INFO(message);
    const nlohmann::json::json_pointer pointer(path);
    const auto parent = pointer.parent_pointer();
    const auto key = pointer.back();
    REQUIRE_INVALID(dp::read_serving_measurement(without([&](auto& d) { d[parent].erase(key); })), Contains(message));
  }
  // Zero and negative rates, latencies, CPU.
  for (double v : {0.0, -120.0}) {
    REQUIRE_INVALID(dp::read_serving_measurement(without([&](auto& d) { d["levels"][1]["requests_per_second"] = v; })),
                    Contains("levels[1].requests_per_second = " + tk::detail::format_number(v) + "; must be > 0"));
    REQUIRE_INVALID(dp::read_serving_measurement(without([&](auto& d) { d["levels"][0]["latency_ms"]["p50"] = v; })),
                    Contains("levels[0].latency_ms.p50") && Contains("must be > 0"));
    REQUIRE_INVALID(dp::read_serving_measurement(without([&](auto& d) { d["levels"][2]["cpu_seconds_per_request"] = v; })),
                    Contains("levels[2].cpu_seconds_per_request") && Contains("must be > 0"));
    REQUIRE_INVALID(dp::read_serving_measurement(without([&](auto& d) { d["levels"][0]["connections"] = v; })),
                    Contains("levels[0].connections"));
  }
  REQUIRE_INVALID(dp::read_serving_measurement(without([](auto& d) { d["levels"][0]["errors"] = -1; })),
                  Contains("levels[0].errors = -1; must be >= 0"));
  REQUIRE_INVALID(dp::read_serving_measurement(without([](auto& d) { d["levels"][1]["latency_ms"]["p99"] = 0.1; })),
                  Contains("levels[1].latency_ms.p99 = 0.1 is below p50 = 0.5"));
  REQUIRE_INVALID(dp::read_serving_measurement(without([](auto& d) { d["levels"][1]["requests_per_second"] = "fast"; })),
                  Contains("levels[1].requests_per_second = \"fast\" is not a number"));
  REQUIRE_INVALID(dp::read_serving_measurement(without([](auto& d) { d["levels"] = nlohmann::json::array(); })),
                  Contains("levels must be a non-empty array"));
  REQUIRE_INVALID(dp::read_serving_measurement(without([](auto& d) { d["format"] = "tunekit.best_config"; })),
                  Contains("format = \"tunekit.best_config\""));
  REQUIRE_INVALID(dp::read_serving_measurement(without([](auto& d) { d["format_version"] = 2; })),
                  Contains("format_version = 2"));
  REQUIRE_INVALID(dp::read_serving_measurement(without([](auto& d) { d["memory"]["peak_rss_bytes"] = 0; })),
                  Contains("memory.peak_rss_bytes = 0; must be > 0"));
  REQUIRE_THROWS_AS(dp::load_serving_measurement("/nonexistent/bench.json"), tk::storage_error);
}

TEST_CASE("autoscaling: an objective no replica meets, a zero target rate and other bad objectives", "[deploy][autoscaling]") {
  const auto m = dp::read_serving_measurement(autoscaling_benchmark_doc());
  // The fastest p99 measured is 1.5 ms: no load and no replica count meets 1 ms.
  REQUIRE_INVALID(dp::plan_serving(m, {.target_rate = 500, .p99_ms = 1}),
                  Contains("serving_objective::p99_ms = 1 cannot be met by one replica at any measured load") &&
                      Contains("lowest p99 measured is 1.5 ms (at 1 connection(s))"));
  // A level with errors does not count, however fast.
  auto erring = m;
  for (auto& l : erring.levels) l.errors = 1;
  REQUIRE_INVALID(dp::plan_serving(erring, autoscaling_objective()), Contains("cannot be met"));
  auto bad = [](auto edit) {
    auto o = autoscaling_objective();
    edit(o);
    return o;
  };
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.target_rate = 0; })),
                  Contains("serving_objective::target_rate = 0; must be > 0 requests/s"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.target_rate = -5; })), Contains("target_rate = -5"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.p99_ms = 0; })), Contains("serving_objective::p99_ms = 0"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.cpu_utilization_target = 0; })),
                  Contains("cpu_utilization_target = 0"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.cpu_utilization_target = 120; })),
                  Contains("cpu_utilization_target = 120"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.capacity_fraction = 0; })), Contains("capacity_fraction = 0"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.peak_factor = 0.5; })), Contains("peak_factor = 0.5"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.min_rate_fraction = 2; })), Contains("min_rate_fraction = 2"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.min_replicas = 0; })), Contains("min_replicas = 0"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.scale_down_stabilization_seconds = 4000; })),
                  Contains("scale_down_stabilization_seconds = 4000"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.max_unavailable = 0; })), Contains("max_unavailable = 0"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.cpu_limit_ratio = 0.5; })), Contains("cpu_limit_ratio = 0.5"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.memory_headroom = 0.9; })), Contains("memory_headroom = 0.9"));
  REQUIRE_INVALID(dp::plan_serving(m, bad([](auto& o) { o.target_rate = 1e12; })), Contains("more than 10000 replicas"));
}
