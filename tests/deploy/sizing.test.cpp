#include <tunekit/deploy/sizing.hpp>

#include <catch2/catch.hpp>

#include "deploy/study_fixture.hpp"
#include "support/require_invalid.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace tk = tunekit;
namespace dp = tunekit::deploy;
using Catch::Contains;

namespace {

constexpr std::int64_t Mi = dp::mebibyte;

/// A synthetic study: CPU cores log-normal around `cores`, memory growth
/// mostly zero with a few large first-trial allocations, as a worker shows.
std::vector<tk::resource_usage> synthetic(std::uint32_t seed, std::size_t n, double cores = 1.5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<tk::resource_usage> out;
  for (std::size_t k = 0; k < n; ++k) {
    const double wall = 0.5 + 10 * u(rng);
    const double c = cores * std::exp(0.5 * (u(rng) - 0.5));
    const auto mem = u(rng) < 0.2 ? static_cast<std::int64_t>(u(rng) * 900 * Mi) : static_cast<std::int64_t>(u(rng) * Mi);
    out.push_back({wall, wall * c, mem});
  }
  return out;
}

/// `digits` then exactly one of `suffixes` (may be ""), digits without a leading zero.
bool quantity_form(const std::string& q, std::initializer_list<std::string> suffixes) {
  for (const auto& suffix : suffixes) {
    if (q.size() <= suffix.size() || q.compare(q.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string digits = q.substr(0, q.size() - suffix.size());
    if (digits[0] != '0' && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
  }
  return false;
}
// [1-9][0-9]*m? and [1-9][0-9]*(Mi|Gi)? (std::regex trips GCC 12's warnings under the sanitizers)
bool well_formed_cpu(const std::string& q) { return quantity_form(q, {"m", ""}); }
bool well_formed_memory(const std::string& q) { return quantity_form(q, {"Mi", "Gi", ""}); }

}  // namespace

TEST_CASE("sizing: quantities in Kubernetes form", "[deploy][sizing]") {
  CHECK(dp::cpu_quantity(250) == "250m");
  CHECK(dp::cpu_quantity(1000) == "1");
  CHECK(dp::cpu_quantity(2500) == "2500m");
  CHECK(dp::memory_quantity(512 * Mi) == "512Mi");
  CHECK(dp::memory_quantity(2048 * Mi) == "2Gi");
  CHECK(dp::memory_quantity(100 * Mi + 1) == "101Mi");  // never below the amount
  CHECK(dp::memory_quantity(1000) == "1000");
  REQUIRE_INVALID(dp::cpu_quantity(0), Contains("millicores = 0"));
  REQUIRE_INVALID(dp::memory_quantity(-5), Contains("bytes = -5"));
}

TEST_CASE("sizing: a hand-computed distribution", "[deploy][sizing]") {
  // Cores 0.5, 1, 1.5, 2, 4: p90 (type 7) = 2 + 0.6 * 2 = 3.2; x1.25 = 4 cores.
  std::vector<tk::resource_usage> u = {
      {2, 1, 0}, {2, 2, 256 * Mi}, {2, 3, 0}, {2, 4, 64 * Mi}, {1, 4, 0}};
  const auto s = dp::size_resources(std::span<const tk::resource_usage>(u), {});
  CHECK(s.basis == dp::sizing_basis::distribution);
  CHECK(s.n_trials == 5);
  CHECK(s.requests.cpu_millicores == 4000);
  CHECK(s.limits.cpu_millicores == 8000);  // ratio 2
  // Memory: (128Mi base + 256Mi max growth) x 1.25 = 480Mi; limit ratio 1.
  CHECK(s.requests.memory_bytes == 480 * Mi);
  CHECK(s.limits.memory_bytes == 480 * Mi);
  const auto j = dp::to_json(s);
  CHECK(j == nlohmann::json::parse(R"({"requests": {"cpu": "4", "memory": "480Mi"},
                                       "limits": {"cpu": "8", "memory": "480Mi"}})"));
  const auto no_cpu_limit = dp::size_resources(std::span<const tk::resource_usage>(u), {.set_cpu_limit = false});
  CHECK_FALSE(dp::to_json(no_cpu_limit)["limits"].contains("cpu"));
}

TEST_CASE("sizing: fallback for zero trials, one trial stands for every percentile", "[deploy][sizing]") {
  const auto none = dp::size_resources(std::span<const tk::resource_usage>(), {});
  CHECK(none.basis == dp::sizing_basis::fallback);
  CHECK(none.n_trials == 0);
  CHECK(none.requests == dp::resource_amounts{1000, 1024 * Mi});
  CHECK(none.limits == dp::resource_amounts{2000, 1024 * Mi});

  const std::vector<tk::resource_usage> one = {{4, 2, 32 * Mi}};
  for (double p : {0.0, 50.0, 100.0}) {
    const auto s = dp::size_resources(std::span<const tk::resource_usage>(one), {.cpu_percentile = p, .memory_percentile = p});
    CHECK(s.basis == dp::sizing_basis::single_trial);
    CHECK(s.requests.cpu_millicores == 650);            // 0.5 cores x 1.25 = 625m, up to 650m
    CHECK(s.requests.memory_bytes == 208 * Mi);         // (128 + 32) x 1.25 = 200Mi, up to 208Mi
  }
  // Trials too short to time give no CPU figure: the minimum applies.
  const std::vector<tk::resource_usage> instant = {{0, 0, 0}, {0, 0, 0}};
  CHECK(dp::size_resources(std::span<const tk::resource_usage>(instant), {}).requests.cpu_millicores == 100);
}

TEST_CASE("sizing: from a study, COMPLETE trials only unless pruned ones are asked for", "[deploy][sizing]") {
  using tk::testing::fixture_trial;
  const auto s = tk::testing::make_study("s", {tk::direction::minimize},
                                         {{.values = {1}, .resources = {1, 1, 0}},
                                          {.state = tk::trial_state::pruned, .resources = {1, 3, 512 * Mi}},
                                          {.state = tk::trial_state::fail, .resources = {1, 8, 4096 * Mi}}});
  const auto trials = s.trials(*s.find_study("s"));
  const auto plain = dp::size_resources(std::span<const tk::frozen_trial>(trials), {});
  CHECK(plain.n_trials == 1);
  CHECK(plain.requests.cpu_millicores == 1250);
  const auto with_pruned = dp::size_resources(std::span<const tk::frozen_trial>(trials), {.include_pruned = true});
  CHECK(with_pruned.n_trials == 2);
  CHECK(with_pruned.requests.memory_bytes == 800 * Mi);  // (128 + 512) x 1.25
}

TEST_CASE("sizing: bad policies are rejected naming the field", "[deploy][sizing]") {
  const std::vector<tk::resource_usage> u = {{1, 1, 0}};
  auto size = [&](dp::sizing_policy p) { return dp::size_resources(std::span<const tk::resource_usage>(u), p); };
  REQUIRE_INVALID(size({.cpu_percentile = 101}), Contains("cpu_percentile = 101") && Contains("[0, 100]"));
  REQUIRE_INVALID(size({.memory_percentile = -1}), Contains("memory_percentile = -1"));
  REQUIRE_INVALID(size({.headroom = 0.9}), Contains("headroom = 0.9") && Contains(">= 1"));
  REQUIRE_INVALID(size({.headroom = NAN}), Contains("headroom = nan"));
  REQUIRE_INVALID(size({.cpu_limit_ratio = 0.5}), Contains("cpu_limit_ratio = 0.5"));
  REQUIRE_INVALID(size({.memory_limit_ratio = 0}), Contains("memory_limit_ratio = 0"));
  REQUIRE_INVALID(size({.min_cpu_millicores = 0}), Contains("min_cpu_millicores = 0"));
  REQUIRE_INVALID(size({.memory_granularity_bytes = -1}), Contains("memory_granularity_bytes = -1"));
  REQUIRE_INVALID(size({.base_memory_bytes = -1}), Contains("base_memory_bytes = -1"));
}

TEST_CASE("sizing: properties over seeds", "[deploy][sizing]") {
  for (std::uint32_t seed = 0; seed < 200; ++seed) {
    std::mt19937 rng(seed);
    const std::size_t n = 2 + rng() % 60;
    const auto u = synthetic(seed, n, 0.1 + 0.01 * static_cast<double>(rng() % 400));
    const std::span<const tk::resource_usage> us(u);
    double max_cores = 0;
    std::int64_t max_mem = 0;
    for (const auto& x : u) max_cores = std::max(max_cores, x.cpu_seconds / x.wall_seconds), max_mem = std::max(max_mem, x.peak_memory_growth_bytes);
    INFO("seed " << seed << ", n " << n);

    // Monotone in the percentile and in the headroom.
    dp::resource_sizing prev;
    for (double p = 0; p <= 100; p += 10) {
      const auto s = dp::size_resources(us, {.cpu_percentile = p, .memory_percentile = p});
      if (p > 0) {
        CHECK(s.requests.cpu_millicores >= prev.requests.cpu_millicores);
        CHECK(s.requests.memory_bytes >= prev.requests.memory_bytes);
        CHECK(s.limits.cpu_millicores >= prev.limits.cpu_millicores);
        CHECK(s.limits.memory_bytes >= prev.limits.memory_bytes);
      }
      prev = s;
    }
    for (double h = 1; h <= 3; h += 0.25) {
      const auto s = dp::size_resources(us, {.headroom = h});
      if (h > 1) {
        CHECK(s.requests.cpu_millicores >= prev.requests.cpu_millicores);
        CHECK(s.requests.memory_bytes >= prev.requests.memory_bytes);
        CHECK(s.limits.cpu_millicores >= prev.limits.cpu_millicores);
        CHECK(s.limits.memory_bytes >= prev.limits.memory_bytes);
      }
      prev = s;
    }

    const dp::sizing_policy policy{.cpu_percentile = static_cast<double>(rng() % 101),
                                   .memory_percentile = static_cast<double>(rng() % 101)};
    const auto s = dp::size_resources(us, policy);
    CHECK(s.basis == dp::sizing_basis::distribution);
    // Limits at least the requests; no measured trial would have hit them.
    CHECK(s.limits.cpu_millicores >= s.requests.cpu_millicores);
    CHECK(s.limits.memory_bytes >= s.requests.memory_bytes);
    CHECK(static_cast<double>(s.limits.cpu_millicores) >= max_cores * 1000 - 1e-6);
    CHECK(s.limits.memory_bytes >= policy.base_memory_bytes + max_mem);
    // Minimums and granularity hold; quantities are well formed.
    CHECK(s.requests.cpu_millicores >= policy.min_cpu_millicores);
    CHECK(s.requests.memory_bytes >= policy.min_memory_bytes);
    CHECK(s.requests.cpu_millicores % policy.cpu_granularity_millicores == 0);
    CHECK(s.requests.memory_bytes % policy.memory_granularity_bytes == 0);
    const auto j = dp::to_json(s);
    for (const char* part : {"requests", "limits"}) {
      CHECK(well_formed_cpu(j[part]["cpu"].get<std::string>()));
      CHECK(well_formed_memory(j[part]["memory"].get<std::string>()));
    }
    // The request covers the chosen percentile of the measured cores.
    std::vector<double> cores;
    for (const auto& x : u) cores.push_back(x.cpu_seconds / x.wall_seconds);
    std::sort(cores.begin(), cores.end());
    const auto covered = std::count_if(cores.begin(), cores.end(), [&](double c) {
      return c * 1000 <= static_cast<double>(s.requests.cpu_millicores) + 1e-6;
    });
    CHECK(static_cast<double>(covered) >= std::floor(policy.cpu_percentile / 100.0 * static_cast<double>(n - 1)) + 1);
  }
}
