// Tests of curve_agreement (schedulers/curve_agreement.hpp): how well a
// study's early values rank its final ones, rung by rung.
#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/schedulers/curve_agreement.hpp>

#include "fake_study.hpp"
#include "support/require_invalid.hpp"
#include "support/textbook_spearman.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace {

namespace tk = tunekit;
using Catch::Contains;

/// The report at the first step at or past `step`, if it is finite.
std::optional<double> ca_value_at(const std::map<std::int64_t, double>& reports, std::int64_t step) {
  auto at = reports.lower_bound(step);
  if (at == reports.end() || !std::isfinite(at->second)) return std::nullopt;
  return at->second;
}

/// Indices of the `count` smallest of `v` over `idx` (values distinct).
std::vector<std::size_t> ca_smallest(const std::vector<double>& v, std::vector<std::size_t> idx, std::size_t count) {
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  idx.resize(std::min(count, idx.size()));
  return idx;
}

}  // namespace

TEST_CASE("curve_agreement: equals the definition on random studies (300 seeded cases)", "[schedulers][curve_agreement]") {
  std::size_t with_values = 0, crossing = 0, agreeing = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    tk::random_engine rng(seed);
    const std::int64_t eta = 2 + static_cast<std::int64_t>(rng.below(3));
    const std::int64_t min_resource = 1 + static_cast<std::int64_t>(rng.below(3));
    std::int64_t max_resource = min_resource;
    for (std::uint64_t m = 1 + rng.below(4); m > 0; --m) max_resource *= eta;
    if (rng.below(3) == 0) max_resource += 1;  // a max_resource that is not a rung
    const bool maximize = rng.below(2) == 0;
    const double relation = rng.uniform(-1.0, 1.0);  // how the end follows the start
    tests::fake_study study(maximize ? tk::direction::maximize : tk::direction::minimize);
    std::vector<std::map<std::int64_t, double>> all;
    const std::uint64_t n = rng.below(40);
    for (std::uint64_t i = 0; i < n; ++i) {
      const double quality = rng.uniform(0.0, 1.0), late = rng.uniform(0.0, 1.0);
      std::map<std::int64_t, double> reports;
      // Reports at random steps (not on the rungs), some trials stopped early.
      const std::int64_t last = rng.below(4) == 0 ? 1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(max_resource)))
                                                    : max_resource + static_cast<std::int64_t>(rng.below(2));
      for (std::int64_t step = 1; step <= last; ++step) {
        if (step != last && rng.below(3) != 0) continue;
        const double z = static_cast<double>(step) / static_cast<double>(max_resource);
        double v = (1 - z) * quality + z * (relation * quality + (1 - std::abs(relation)) * late) + 1e-9 * rng.uniform(0.0, 1.0);
        if (rng.below(40) == 0) v = std::numeric_limits<double>::quiet_NaN();
        if (rng.below(40) == 0) v = rng.below(2) ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
        reports[step] = v;
      }
      const auto state = rng.below(5) == 0 ? tk::trial_state::pruned : tk::trial_state::complete;
      study.finish(reports, state);
      all.push_back(reports);
    }
    const auto got = tk::curve_agreement(study.view(), {.min_resource = min_resource,
                                                        .max_resource = max_resource,
                                                        .reduction_factor = eta});
    // The definition, apart: rungs below max_resource; the trials with finite values at both.
    std::vector<std::int64_t> rungs;
    for (std::int64_t b = min_resource; b < max_resource; b *= eta) rungs.push_back(b);
    REQUIRE(got.size() == rungs.size());
    const double sign = maximize ? -1.0 : 1.0;
    for (std::size_t k = 0; k < rungs.size(); ++k) {
      INFO("seed " << seed << ", rung " << rungs[k]);
      std::vector<double> early, final;
      for (const auto& reports : all) {
        const auto e = ca_value_at(reports, rungs[k]);
        const auto f = ca_value_at(reports, max_resource);
        if (e && f) {
          early.push_back(sign * *e);
          final.push_back(sign * *f);
        }
      }
      const std::size_t m = early.size();
      REQUIRE(got[k].step == rungs[k]);
      REQUIRE(got[k].trials == m);
      if (m < 3) {
        REQUIRE(std::isnan(got[k].rank_correlation));
        REQUIRE(std::isnan(got[k].top_rank_correlation));
        continue;
      }
      ++with_values;
      REQUIRE(got[k].rank_correlation == Approx(tunekit::testing::textbook_spearman(early, final)).margin(1e-12));
      std::vector<std::size_t> idx(m);
      for (std::size_t i = 0; i < m; ++i) idx[i] = i;
      const auto u = static_cast<std::size_t>(eta);
      const auto kept = ca_smallest(early, idx, (m + u - 1) / u);
      if (kept.size() >= 3) {
        std::vector<double> ke, kf;
        for (std::size_t i : kept) {
          ke.push_back(early[i]);
          kf.push_back(final[i]);
        }
        REQUIRE(got[k].top_rank_correlation == Approx(tunekit::testing::textbook_spearman(ke, kf)).margin(1e-12));
      } else {
        REQUIRE(std::isnan(got[k].top_rank_correlation));
      }
      const auto best = ca_smallest(final, idx, (m + u * u - 1) / (u * u));
      const auto hits = std::count_if(best.begin(), best.end(),
                                      [&](std::size_t i) { return std::find(kept.begin(), kept.end(), i) != kept.end(); });
      REQUIRE(got[k].best_kept == Approx(static_cast<double>(hits) / static_cast<double>(best.size())));
      crossing += got[k].rank_correlation < 0;
      agreeing += got[k].rank_correlation > 0.9;
    }
  }
  // Both outcomes occur, so the comparison above tested something.
  CHECK(with_values > 200);
  CHECK(crossing > 30);
  CHECK(agreeing > 30);
}

TEST_CASE("curve_agreement: early values that separate bad from good but not good from best", "[schedulers][curve_agreement]") {
  // 10 good configurations whose order reverses by the end, 20 bad ones that stay bad:
  // the first cut (η = 3: the best 10 at step 1) keeps exactly the good ones.
  tests::fake_study study;
  for (int i = 0; i < 10; ++i) study.finish({{1, 1.0 + i}, {9, 0.5}, {27, 1.0 - 0.01 * i}});
  for (int i = 0; i < 20; ++i) study.finish({{1, 100.0 + i}, {9, 100.0}, {27, 100.0 + i}});
  const auto r = tk::curve_agreement(study.view(), {.max_resource = 27});
  REQUIRE(r.size() == 3);  // rungs 1, 3, 9
  CHECK(r[0].step == 1);
  CHECK(r[0].trials == 30);
  CHECK(r[0].rank_correlation > 0.5);
  CHECK(r[0].top_rank_correlation == Approx(-1.0));
  CHECK(r[0].best_kept == Approx(1.0));  // the best 4 at the end are all kept
  // Step 3 reads the report at step 9 (the first at or past it): tied good ones.
  CHECK(r[1].step == 3);
  CHECK(r[1].top_rank_correlation == Approx(0.0));
  // A maximised study with every value negated reads the same.
  tests::fake_study mirrored(tk::direction::maximize);
  for (int i = 0; i < 10; ++i) mirrored.finish({{1, -1.0 - i}, {9, -0.5}, {27, -1.0 + 0.01 * i}});
  for (int i = 0; i < 20; ++i) mirrored.finish({{1, -100.0 - i}, {9, -100.0}, {27, -100.0 - i}});
  const auto m = tk::curve_agreement(mirrored.view(), {.max_resource = 27});
  for (std::size_t k = 0; k < r.size(); ++k) {
    CHECK(m[k].rank_correlation == Approx(r[k].rank_correlation));
    CHECK(m[k].top_rank_correlation == Approx(r[k].top_rank_correlation));
    CHECK(m[k].best_kept == Approx(r[k].best_kept));
  }
}

TEST_CASE("curve_agreement: bad input", "[schedulers][curve_agreement]") {
  tests::fake_study study;
  REQUIRE_INVALID(tk::curve_agreement(study.view(), {}), Contains("max_resource is not set"));
  REQUIRE_INVALID(tk::curve_agreement(study.view(), {.min_resource = 0, .max_resource = 9}), Contains("min_resource = 0"));
  REQUIRE_INVALID(tk::curve_agreement(study.view(), {.min_resource = 10, .max_resource = 9}), Contains("max_resource = 9"));
  REQUIRE_INVALID(tk::curve_agreement(study.view(), {.max_resource = 9, .reduction_factor = 1}),
                  Contains("reduction_factor = 1"));
  // An empty study: every rung, no trials, no correlation.
  const auto empty = tk::curve_agreement(study.view(), {.max_resource = 9});
  REQUIRE(empty.size() == 2);
  CHECK(empty[0].trials == 0);
  CHECK(std::isnan(empty[0].rank_correlation));
  CHECK(std::isnan(empty[0].best_kept));
  // Trials stopped early, NaN and infinite values, and a COMPLETE trial that never reported are left out.
  study.finish({{1, 0.5}, {3, 0.4}}, tk::trial_state::pruned);
  study.finish({{1, std::numeric_limits<double>::quiet_NaN()}, {9, 0.1}});
  study.finish({{1, 0.2}, {9, std::numeric_limits<double>::infinity()}});
  study.finish({});
  study.finish({{1, 0.3}, {9, 0.3}});
  study.finish({{1, 0.1}, {9, 0.2}});
  const auto few = tk::curve_agreement(study.view(), {.max_resource = 9});
  CHECK(few[0].trials == 2);
  CHECK(std::isnan(few[0].rank_correlation));
  CHECK(few[0].best_kept == Approx(1.0));
  // Several objectives: an error, not a guess.
  tk::detail::append_log<tk::frozen_trial> log;
  const tk::study_view two("two", {tk::direction::minimize, tk::direction::minimize}, log.take_snapshot(), {}, 0);
  REQUIRE_THROWS_WITH(tk::curve_agreement(two, {.max_resource = 9}), Contains("expected one"));
}
