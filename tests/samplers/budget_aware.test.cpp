// Tests of budget_aware_sampler's min_rank_agreement (samplers/budget_aware.hpp)
// and the rank correlation behind it (detail/rank_correlation.hpp).
// BOHB's budget rule itself, bad input and the tuner runs are tested in
// bohb.test.cpp.
#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/samplers/budget_aware.hpp>
#include <tunekit/detail/rank_correlation.hpp>
#include <tunekit/samplers/tpe.hpp>
#include <tunekit/schedulers/bohb.hpp>
#include <tunekit/tuner.hpp>

#include "support/require_invalid.hpp"
#include "support/study_history.hpp"
#include "support/textbook_spearman.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace tk = tunekit;
using Catch::Contains;

/// Records the name of the view it is given.
struct ra_view_probe {
  std::string name;
  double sample_independent(const tk::study_view&, const tk::frozen_trial&, std::string_view, const tk::distribution& d) {
    return tk::from_unit(d, 0.5);
  }
  tk::search_space infer_relative_search_space(const tk::study_view&, const tk::frozen_trial&) { return {}; }
  tk::param_map sample_relative(const tk::study_view& v, const tk::frozen_trial&, const tk::search_space&) {
    name = v.name();
    return {};
  }
};

const tk::testing::study_history::dimensions ra_x = {{"x", tk::float_distribution(0.0, 1.0)}};

}  // namespace

TEST_CASE("rank correlation: Spearman's rho by average ranks", "[samplers][budget_aware]") {
  tk::random_engine rng(7);
  for (int c = 0; c < 200; ++c) {
    INFO("case " << c);
    const std::size_t n = 2 + static_cast<std::size_t>(rng.uniform() * 40);
    std::vector<double> a(n), b(n), up(n), down(n);
    const double mix = rng.uniform();
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = rng.uniform() * 10 - 5;
      b[i] = mix * a[i] + (1 - mix) * (rng.uniform() * 10 - 5);
      up[i] = std::exp(a[i]);      // increasing in a
      down[i] = -a[i] * a[i] * a[i];  // decreasing in a
    }
    const double rho = tk::detail::spearman(a, b);
    CHECK(rho == Approx(tunekit::testing::textbook_spearman(a, b)).margin(1e-12));
    CHECK(rho == Approx(tk::detail::spearman(b, a)).margin(1e-12));
    CHECK(tk::detail::spearman(a, up) == Approx(1.0));
    CHECK(tk::detail::spearman(a, down) == Approx(-1.0));
    CHECK(std::abs(rho) <= 1.0 + 1e-12);
  }
  // Ties get average ranks; a constant side or one pair is no evidence (0).
  CHECK(tk::detail::average_ranks({3, 1, 3, 2}) == std::vector<double>{3.5, 1, 3.5, 2});
  CHECK(tk::detail::spearman({1, 2, 2, 3}, {10, 20, 20, 30}) == Approx(1.0));
  CHECK(tk::detail::spearman({1, 2, 3}, {4, 4, 4}) == 0.0);
  CHECK(tk::detail::spearman({1}, {2}) == 0.0);
  CHECK(tk::detail::spearman({}, {}) == 0.0);
}

TEST_CASE("budget_aware_sampler: min_rank_agreement is checked and names itself", "[samplers][budget_aware]") {
  for (double bad : {1.5, -1.0, -2.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()})
    REQUIRE_INVALID((tk::budget_aware_sampler{ra_view_probe{}, {.max_resource = 9, .min_rank_agreement = bad}}),
                    Contains("min_rank_agreement = ") && Contains("must be in (-1, 1]"));
  REQUIRE_INVALID((tk::budget_aware_sampler{ra_view_probe{},
                                            {.max_resource = 9, .min_observations = 10, .max_observations = 9}}),
                  Contains("max_observations = 9; must be >= min_observations (10)"));
  tk::budget_aware_sampler ok{ra_view_probe{}, {.max_resource = 9, .min_rank_agreement = 1.0}};
  CHECK(ok.budgets() == std::vector<std::int64_t>{1, 3, 9});
  // The default is 0.9; unset is BOHB's rule as published.
  CHECK(tk::budget_aware_sampler_options{}.min_rank_agreement == 0.9);
}

TEST_CASE("budget_aware_sampler: models the smallest budget that ranks trials as the largest qualifying one does",
          "[samplers][budget_aware]") {
  // Seeded random studies on budgets 1, 3, 9: each trial has a final quality q;
  // budget 3 sees q plus a little noise, budget 1 q through a relation chosen
  // per study (same order, reversed, or q mixed with noise). Trials stop at a
  // random budget. The choice must be the definition, checked with the textbook
  // formula: the smallest budget k with at most max_observations values and
  // >= min_observations finite pairs with
  // the largest budget `top` holding >= min_observations values, and rho >= the
  // threshold; else `top`.
  tk::random_engine rng(11);
  int chose_smaller = 0, chose_top = 0;
  for (int c = 0; c < 300; ++c) {
    INFO("case " << c);
    const std::int64_t min_obs = 3 + static_cast<std::int64_t>(rng.uniform() * 8);
    const std::int64_t max_obs = min_obs + static_cast<std::int64_t>(rng.uniform() * 60);
    const double threshold = -0.5 + 1.45 * rng.uniform();
    const int relation = static_cast<int>(rng.uniform() * 3);
    const double noise = rng.uniform();
    const int n = static_cast<int>(rng.uniform() * 60);
    tk::testing::study_history h;
    std::vector<std::vector<double>> values(3);  // per budget, in trial order; NaN where absent
    for (int i = 0; i < n; ++i) {
      const double q = rng.uniform();
      const double at1 = relation == 0 ? q * q : relation == 1 ? -q : (1 - noise) * q + noise * rng.uniform();
      const double at[3] = {at1, q + 0.05 * rng.uniform(), q};
      const int reached = static_cast<int>(rng.uniform() * 3);  // stopped after budget 1, 3 or 9
      std::map<std::int64_t, double> iv;
      const std::int64_t steps[3] = {1, 3, 9};
      for (int k = 0; k < 3; ++k) {
        if (k <= reached) iv[steps[k]] = at[k];
        values[static_cast<std::size_t>(k)].push_back(k <= reached ? at[k] : std::nan(""));
      }
      h.add(ra_x, {q}, reached == 2 ? tk::trial_state::complete : tk::trial_state::pruned,
            reached == 2 ? std::vector<double>{q} : std::vector<double>{}, iv);
    }
    tk::budget_aware_sampler s{ra_view_probe{},
                               {.max_resource = 9,
                                .min_observations = min_obs,
                                .min_rank_agreement = threshold,
                                .max_observations = max_obs}};
    tk::frozen_trial next;
    next.number = n;
    s.sample_relative(h.view(), next, {});

    // The expected budget, from the definition.
    auto count = [&](std::size_t k) {
      return std::count_if(values[k].begin(), values[k].end(), [](double v) { return !std::isnan(v); });
    };
    std::optional<std::size_t> top;
    for (std::size_t k = 3; k-- > 0;)
      if (count(k) >= min_obs) {
        top = k;
        break;
      }
    if (!top) {
      CHECK_FALSE(s.last_budget());
      CHECK(s.inner().name == h.view().name());
      continue;
    }
    std::size_t expected = *top;
    for (std::size_t k = 0; k < *top; ++k) {
      if (count(k) > max_obs) continue;
      std::vector<double> low, high;
      for (std::size_t i = 0; i < values[k].size(); ++i)
        if (!std::isnan(values[k][i]) && !std::isnan(values[*top][i])) {
          low.push_back(values[k][i]);
          high.push_back(values[*top][i]);
        }
      if (static_cast<std::int64_t>(low.size()) >= min_obs && tunekit::testing::textbook_spearman(low, high) >= threshold + 1e-9) {
        expected = k;
        break;
      }
    }
    const std::int64_t budgets[3] = {1, 3, 9};
    REQUIRE(s.last_budget() == budgets[expected]);
    CHECK(s.inner().name == h.view().name() + "/budget-" + std::to_string(budgets[expected]));
    (expected < *top ? chose_smaller : chose_top)++;
  }
  // Both outcomes are exercised.
  CHECK(chose_smaller > 30);
  CHECK(chose_top > 30);
}

TEST_CASE("budget_aware_sampler: crossing curves keep the largest budget; agreeing ones give the smallest",
          "[samplers][budget_aware]") {
  // 30 trials that trained to 9. Slow starters: budget 1 ranks them in reverse.
  for (const bool crossing : {false, true}) {
    tk::testing::study_history h;
    for (int i = 0; i < 30; ++i) {
      const double q = (i * 7 % 30) / 30.0;
      h.add(ra_x, {q}, tk::trial_state::complete, {q},
            {{1, crossing ? 1.0 - q : 2.0 + q}, {3, 1.0 + q}, {9, q}});
    }
    tk::budget_aware_sampler s{ra_view_probe{}, {.max_resource = 9}};
    tk::budget_aware_sampler published{ra_view_probe{}, {.max_resource = 9, .min_rank_agreement = std::nullopt}};
    tk::frozen_trial next;
    next.number = 30;
    s.sample_relative(h.view(), next, {});
    published.sample_relative(h.view(), next, {});
    CHECK(s.last_budget() == (crossing ? 3 : 1));  // budget 3 agrees with 9 either way
    CHECK(published.last_budget() == 9);
    // Diverged and NaN reports (either budget) are left out of the pairs: same choice.
    constexpr double inf = std::numeric_limits<double>::infinity();
    tk::testing::study_history awkward;
    for (int i = 0; i < 30; ++i) {
      const double q = (i * 7 % 30) / 30.0;
      awkward.add(ra_x, {q}, tk::trial_state::complete, {q},
                  {{1, crossing ? 1.0 - q : 2.0 + q}, {3, 1.0 + q}, {9, q}});
    }
    for (const double bad : {inf, -inf, std::nan("")}) {
      awkward.add(ra_x, {0.5}, tk::trial_state::pruned, {}, {{1, bad}, {3, 1.5}, {9, 0.5}});
      awkward.add(ra_x, {0.5}, tk::trial_state::pruned, {}, {{1, 2.5}, {3, bad}, {9, 0.5}});
      awkward.add(ra_x, {0.5}, tk::trial_state::pruned, {}, {{1, 2.5}, {3, 1.5}, {9, bad}});
    }
    tk::budget_aware_sampler tolerant{ra_view_probe{}, {.max_resource = 9}};
    tolerant.sample_relative(awkward.view(), next, {});
    CHECK(tolerant.last_budget() == (crossing ? 3 : 1));
    // A cap below budget 1's 30 values keeps the choice off it.
    tk::budget_aware_sampler capped{ra_view_probe{}, {.max_resource = 9, .max_observations = 29}};
    capped.sample_relative(h.view(), next, {});
    CHECK(capped.last_budget() == 9);
  }
}

TEST_CASE("budget_aware_sampler: with the rank check, TPE under bohb_scheduler finds the bowl and loses no trial",
          "[samplers][budget_aware]") {
  // Curves that agree early: the rule models low budgets, so most trials feed the model.
  tk::tuner tuner{tk::budget_aware_sampler{tk::tpe_sampler{{.seed = 5}}, {.max_resource = 9}},
                  tk::bohb_scheduler({.max_resource = 9}), tk::study_config{.name = "rank-agreement"}};
  const auto summary = tuner.optimize(
      [](tk::trial& t) -> tk::result {
        const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
        const double bowl = (x - 0.3) * (x - 0.3) + (y - 0.7) * (y - 0.7);
        for (std::int64_t step = 1; step <= 9; ++step) {
          t.report(step, bowl + 1.0 / static_cast<double>(step));
          if (t.should_prune()) return tk::pruned;
        }
        return bowl;
      },
      {.n_trials = 80});
  CHECK(summary.n_fail == 0);
  CHECK(tuner.trials().size() == 80);
  CHECK(tuner.best_value() < 0.02);
  CHECK(tuner.sampler().last_budget() == 1);
}
