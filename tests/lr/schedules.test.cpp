// tunekit/lr: concepts, bad input (each option PyTorch rejects, and the few
// we reject on top), composition rules, reduce-on-plateau edge cases, and
// properties checked over many seeded random arguments against PyTorch's
// closed forms.
#include <catch2/catch.hpp>

#include <tunekit/core/random.hpp>
#include <tunekit/lr.hpp>

#include "support/require_invalid.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;

namespace {

struct halving_lr {
  double value = 0.1;
  double lr() const { return value; }
  void step() { value /= 2; }
};

struct times_lr {
  double factor = 0.9;
  std::int64_t epoch = -1;
  void attach(tk::lr_group& g) {
    if (!g.initial_lr) g.initial_lr = g.lr;
    epoch = 0;
  }
  void step(tk::lr_group& g) {
    ++epoch;
    g.lr *= factor;
  }
  void restart(tk::lr_group&) { epoch = 0; }
  void rewind() { --epoch; }
  std::int64_t last_epoch() const { return epoch; }
};

struct no_lr {
  void step() {}
};

std::vector<double> run(double lr, tk::any_chainable_lr policy, int n) {
  tk::scheduled_lr s{lr, std::move(policy)};
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(s.lr());
    s.step();
  }
  return out;
}

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("lr concepts accept our schedules and users' own", "[lr][concepts]") {
  static_assert(tk::lr_schedule<halving_lr>);
  static_assert(!tk::lr_schedule<no_lr>);
  static_assert(tk::lr_schedule<tk::scheduled_lr<tk::step_lr>>);
  static_assert(tk::lr_schedule<tk::scheduled_lr<tk::any_chainable_lr>>);
  static_assert(tk::lr_schedule<tk::reduce_lr_on_plateau>);
  static_assert(tk::chainable_lr<times_lr>);
  static_assert(!tk::chainable_lr<halving_lr>);
  static_assert(tk::chainable_lr<tk::step_lr> && tk::chainable_lr<tk::multi_step_lr> &&
                tk::chainable_lr<tk::exponential_lr> && tk::chainable_lr<tk::cosine_annealing_lr> &&
                tk::chainable_lr<tk::cosine_annealing_warm_restarts_lr> && tk::chainable_lr<tk::one_cycle_lr> &&
                tk::chainable_lr<tk::linear_lr> && tk::chainable_lr<tk::polynomial_lr> &&
                tk::chainable_lr<tk::constant_lr> && tk::chainable_lr<tk::cyclic_lr> &&
                tk::chainable_lr<tk::sequential_lr> && tk::chainable_lr<tk::chained_lr> &&
                tk::chainable_lr<tk::lambda_lr> && tk::chainable_lr<tk::multiplicative_lr>);
  static_assert(!tk::chainable_lr<tk::reduce_lr_on_plateau>);

  // A user's policy composes with ours: warm-up by ConstantLR, then x0.9 per epoch.
  const auto lrs = run(1.0, tk::sequential_lr{{tk::constant_lr{{.factor = 0.5, .total_iters = 2}}, times_lr{}}, {2}}, 5);
  // times_lr has no closed form, so at the milestone PyTorch's step(0) leaves the lr as
  // ConstantLR left it (0.5) instead of resetting it to the base lr.
  CHECK_THAT(lrs, Catch::Approx(std::vector<double>{0.5, 0.5, 0.5, 0.45, 0.405}).epsilon(1e-15));
}

TEST_CASE("options PyTorch rejects throw invalid_argument naming the option", "[lr][invalid]") {
  REQUIRE_INVALID(tk::step_lr({.step_size = 0}), Contains("step_lr") && Contains("'step_size'"));
  REQUIRE_INVALID(tk::step_lr({.step_size = 5, .gamma = not_a_number}), Contains("'gamma'"));
  REQUIRE_INVALID(tk::multi_step_lr({.milestones = {1}, .gamma = not_a_number}), Contains("'gamma'"));
  REQUIRE_INVALID(tk::exponential_lr(tk::exponential_lr_options{}), Contains("exponential_lr") && Contains("'gamma'"));
  REQUIRE_INVALID(tk::cosine_annealing_lr({.t_max = 0}), Contains("'t_max'"));
  REQUIRE_INVALID(tk::cosine_annealing_lr({.t_max = 10, .eta_min = not_a_number}), Contains("'eta_min'"));
  REQUIRE_INVALID(tk::cosine_annealing_warm_restarts_lr({.t_0 = 0}), Contains("'t_0'"));
  REQUIRE_INVALID(tk::cosine_annealing_warm_restarts_lr({.t_0 = 5, .t_mult = 0}), Contains("'t_mult'"));
  REQUIRE_INVALID(tk::linear_lr({.start_factor = 1.5}), Contains("linear_lr") && Contains("'start_factor'"));
  REQUIRE_INVALID(tk::linear_lr({.start_factor = -0.1}), Contains("'start_factor'"));
  REQUIRE_INVALID(tk::linear_lr({.start_factor = 0.0}), Contains("'start_factor'") && Contains("divides by zero"));
  REQUIRE_INVALID(tk::linear_lr({.end_factor = 1.01}), Contains("'end_factor'"));
  REQUIRE_INVALID(tk::linear_lr({.end_factor = -1}), Contains("'end_factor'"));
  REQUIRE_INVALID(tk::constant_lr({.factor = 1.5}), Contains("constant_lr") && Contains("'factor'"));
  REQUIRE_INVALID(tk::constant_lr({.factor = -0.5}), Contains("'factor'"));
  REQUIRE_INVALID(tk::constant_lr({.factor = 0, .total_iters = 3}), Contains("'factor'"));
  REQUIRE_INVALID(tk::polynomial_lr({.power = -1}), Contains("'power'"));
  REQUIRE_INVALID(tk::polynomial_lr({.power = not_a_number}), Contains("'power'"));

  REQUIRE_INVALID(tk::lambda_lr(tk::lambda_lr_options{}), Contains("lambda_lr") && Contains("'lr_lambda'"));
  REQUIRE_INVALID(tk::multiplicative_lr(tk::multiplicative_lr_options{}), Contains("'lr_lambda'"));

  // OneCycleLR
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1}), Contains("'total_steps'") && Contains("'epochs'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .total_steps = 0}), Contains("'total_steps'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .total_steps = -3}), Contains("'total_steps'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .epochs = 0, .steps_per_epoch = 10}), Contains("'epochs'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .epochs = 3, .steps_per_epoch = 0}), Contains("'steps_per_epoch'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .epochs = 3}), Contains("'steps_per_epoch'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .steps_per_epoch = 3}), Contains("'epochs'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .total_steps = 100, .pct_start = 1.2}), Contains("'pct_start'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .total_steps = 100, .pct_start = -0.1}), Contains("'pct_start'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .total_steps = 10, .pct_start = 0.1}),
                  Contains("'pct_start'") && Contains("ZeroDivisionError"));
  REQUIRE_INVALID(tk::one_cycle_lr({.max_lr = 0.1, .total_steps = 100, .anneal = static_cast<tk::anneal_strategy>(7)}),
                  Contains("'anneal'"));
  REQUIRE_INVALID(tk::one_cycle_lr({.total_steps = 100}), Contains("'max_lr'"));

  // CyclicLR
  REQUIRE_INVALID(tk::cyclic_lr({.max_lr = 0.1}), Contains("cyclic_lr") && Contains("'base_lr'"));
  REQUIRE_INVALID(tk::cyclic_lr({.base_lr = 0.01}), Contains("'max_lr'"));
  REQUIRE_INVALID(tk::cyclic_lr({.base_lr = 0.01, .max_lr = 0.1, .step_size_up = 0}), Contains("'step_size_up'"));
  REQUIRE_INVALID(tk::cyclic_lr({.base_lr = 0.01, .max_lr = 0.1, .step_size_up = 5, .step_size_down = -1}),
                  Contains("'step_size_down'"));
  REQUIRE_INVALID(tk::cyclic_lr({.base_lr = 0.01, .max_lr = 0.1, .mode = static_cast<tk::cyclic_mode>(9)}),
                  Contains("'mode'"));

  // ReduceLROnPlateau
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.factor = 1.0}), Contains("reduce_lr_on_plateau") && Contains("'factor'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.factor = -0.5}), Contains("'factor'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.factor = not_a_number}), Contains("'factor'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.mode = static_cast<tk::plateau_mode>(3)}), Contains("'mode'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.threshold_mode = static_cast<tk::plateau_threshold_mode>(3)}),
                  Contains("'threshold_mode'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.patience = -1}), Contains("'patience'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.cooldown = -2}), Contains("'cooldown'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.threshold = -1e-3}), Contains("'threshold'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.min_lr = -1}), Contains("'min_lr'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(0.1, {.eps = not_a_number}), Contains("'eps'"));
  REQUIRE_INVALID(tk::reduce_lr_on_plateau(-0.1), Contains("'lr'"));

  // Compositions and the bound lr
  REQUIRE_INVALID(tk::chained_lr({}), Contains("'schedules'"));
  REQUIRE_INVALID(tk::sequential_lr({}, {}), Contains("'schedules'"));
  REQUIRE_INVALID(tk::sequential_lr({tk::step_lr{{.step_size = 2}}, tk::step_lr{{.step_size = 3}}}, {}),
                  Contains("'milestones'"));
  REQUIRE_INVALID(tk::sequential_lr({tk::step_lr{{.step_size = 2}}, tk::step_lr{{.step_size = 3}}, tk::constant_lr{}},
                                    {5, 5}),
                  Contains("'milestones'") && Contains("increasing"));
  REQUIRE_INVALID(tk::sequential_lr({tk::chained_lr{{tk::step_lr{{.step_size = 2}}}}}, {}), Contains("'schedules'"));
  REQUIRE_INVALID(tk::sequential_lr({tk::step_lr{{.step_size = 2}},
                                     tk::sequential_lr{{tk::step_lr{{.step_size = 2}}}, {}}},
                                    {3}),
                  Contains("'schedules'") && Contains("entry 1"));
  REQUIRE_INVALID(tk::scheduled_lr(-1.0, tk::step_lr{{.step_size = 2}}), Contains("'lr'"));
  REQUIRE_INVALID(tk::scheduled_lr(not_a_number, tk::step_lr{{.step_size = 2}}), Contains("'lr'"));
}

TEST_CASE("one_cycle_lr extrapolates one step past its end, then refuses", "[lr][one_cycle]") {
  tk::scheduled_lr s{0.1, tk::one_cycle_lr{{.max_lr = 1.0, .total_steps = 10, .cycle_momentum = false}}};
  for (int i = 0; i < 10; ++i) s.step();
  CHECK(s.last_epoch() == 10);
  // One step past the end the last phase's cosine has turned back up (PyTorch: 0.04951936798652623).
  CHECK(s.lr() == 0.04951936798652623);
  const double at_end = s.lr();
  REQUIRE_THROWS_AS(s.step(), tk::state_error);
  CHECK(s.lr() == at_end);
  CHECK(s.last_epoch() == 10);
  CHECK_FALSE(s.momentum().has_value());  // cycle_momentum off and no momentum given
  // As in PyTorch, the optimizer's lr is ignored: the cycle starts at max_lr / div_factor.
  CHECK(tk::scheduled_lr{123.0, tk::one_cycle_lr{{.max_lr = 1.0, .total_steps = 10}}}.lr() == Approx(0.04).epsilon(1e-14));
}

TEST_CASE("reduce_lr_on_plateau: patience, cooldown, min_lr, eps and NaN by hand", "[lr][plateau]") {
  tk::reduce_lr_on_plateau s(1.0, {.factor = 0.5, .patience = 2, .threshold = 0.1, .cooldown = 1, .min_lr = 0.2});
  // best 10 (rel threshold: better means < 0.9 * best)
  const double metrics[] = {10, 9.5, 9.2, 9.1, 8.0, 8.0, NAN, NAN, NAN, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  const double want[] = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2};
  // 9.5, 9.2 and 9.1 are within 10% of 10: bad epochs 1, 2, 3 > patience, halve after the 4th
  // metric. The cooldown epoch (8.0, an improvement anyway) resets the count; 8.0 again and two
  // NaNs (never better) are bad: halve. The NaN in cooldown does not count; 1 is the new best;
  // three more 1s halve towards min_lr = 0.2, and the next reduction (0.2 -> 0.2) is skipped.
  std::vector<double> got;
  for (double m : metrics) {
    got.push_back(s.lr());
    s.step(m);
  }
  CHECK(got == std::vector<double>(std::begin(want), std::end(want)));
  CHECK(s.best() == 1);
  CHECK(s.last_epoch() == 18);

  // eps: a reduction smaller than eps is skipped.
  tk::reduce_lr_on_plateau tiny(1e-9, {.factor = 0.5, .patience = 0});
  tiny.step(1);
  tiny.step(1);
  CHECK(tiny.lr() == 1e-9);

  // mode max, abs threshold: must beat the best by more than 0.5.
  tk::reduce_lr_on_plateau up(1.0, {.mode = tk::plateau_mode::max, .factor = 0.1, .patience = 0,
                                    .threshold = 0.5, .threshold_mode = tk::plateau_threshold_mode::abs});
  up.step(1.0);  // better than -inf
  CHECK(up.lr() == 1.0);
  up.step(1.4);  // not better by 0.5
  CHECK(up.lr() == 0.1);
  CHECK(up.best() == 1.0);
}

TEST_CASE("cosine_annealing_lr follows PyTorch's closed form within 1e-12, far past t_max too", "[lr][property]") {
  tk::random_engine rng(20261128);
  for (int c = 0; c < 200; ++c) {
    const std::int64_t t_max = 1 + static_cast<std::int64_t>(rng.below(60));
    const double base = std::exp(-8 * rng.uniform());
    const double eta_min = base * 0.5 * rng.uniform();
    tk::scheduled_lr s{base, tk::cosine_annealing_lr{{.t_max = t_max, .eta_min = eta_min}}};
    for (std::int64_t e = 0; e < 7 * t_max; ++e) {
      const double closed =
          eta_min + (base - eta_min) * (1 + std::cos(std::numbers::pi * static_cast<double>(e) / static_cast<double>(t_max))) / 2;
      INFO("t_max " << t_max << " base " << base << " eta_min " << eta_min << " epoch " << e);
      // The recursion drifts a little from the closed form (PyTorch's does the same).
      REQUIRE(std::abs(s.lr() - closed) <= 1e-12 * base + 1e-15);
      s.step();
    }
  }
}

TEST_CASE("recursive policies agree with their closed forms over random arguments", "[lr][property]") {
  tk::random_engine rng(7);
  for (int c = 0; c < 300; ++c) {
    const double base = std::exp(-6 * rng.uniform());
    const auto n = static_cast<std::int64_t>(1 + rng.below(40));
    const double g = 0.3 + 0.69 * rng.uniform();
    const double f = 0.05 + 0.95 * rng.uniform();
    const double p = 3 * rng.uniform();
    tk::scheduled_lr step{base, tk::step_lr{{.step_size = n, .gamma = g}}};
    tk::scheduled_lr exp{base, tk::exponential_lr{{.gamma = g}}};
    tk::scheduled_lr lin{base, tk::linear_lr{{.start_factor = f, .end_factor = g, .total_iters = n}}};
    tk::scheduled_lr con{base, tk::constant_lr{{.factor = f, .total_iters = n}}};
    tk::scheduled_lr poly{base, tk::polynomial_lr{{.total_iters = n, .power = p}}};
    for (std::int64_t e = 0; e < 3 * n + 5; ++e) {
      INFO("case " << c << " epoch " << e << " n " << n);
      const double k = static_cast<double>(std::min(e, n));
      REQUIRE(step.lr() == Approx(base * std::pow(g, static_cast<double>(e / n))).epsilon(1e-12));
      REQUIRE(exp.lr() == Approx(base * std::pow(g, static_cast<double>(e))).epsilon(1e-12));
      REQUIRE(lin.lr() == Approx(base * (f + (g - f) * k / static_cast<double>(n))).epsilon(1e-12));
      REQUIRE(con.lr() == Approx(base * (e >= n ? 1.0 : f)).epsilon(1e-12));
      REQUIRE(poly.lr() == Approx(base * std::pow(1 - k / static_cast<double>(n), p)).epsilon(1e-12).margin(1e-300));
      step.step(), exp.step(), lin.step(), con.step(), poly.step();
    }
  }
}

TEST_CASE("chained_lr multiplies recursive factors; sequential_lr restarts at milestones", "[lr][compose]") {
  // Chain: constant 0.5 for 3 epochs, and x0.5 every 2 epochs.
  const auto chained = run(
      1.0, tk::chained_lr{{tk::constant_lr{{.factor = 0.5, .total_iters = 3}}, tk::step_lr{{.step_size = 2, .gamma = 0.5}}}},
      6);
  CHECK(chained == std::vector<double>{0.5, 0.5, 0.25, 0.5, 0.25, 0.25});

  // Sequential: warm-up by linear over 4, then exponential from the base lr.
  const auto seq = run(
      1.0, tk::sequential_lr{{tk::linear_lr{{.start_factor = 0.25, .total_iters = 4}}, tk::exponential_lr{{.gamma = 0.5}}}, {4}},
      7);
  CHECK_THAT(seq, Catch::Approx(std::vector<double>{0.25, 0.4375, 0.625, 0.8125, 1.0, 0.5, 0.25}).epsilon(1e-15));

  // A closed form PyTorch 1.13 cannot evaluate (linear with total_iters = 0 divides
  // by zero) fails at the milestone, as PyTorch does, and leaves the schedule as it was.
  tk::scheduled_lr bad{1.0, tk::sequential_lr{{tk::constant_lr{}, tk::linear_lr{{.start_factor = 0.5, .total_iters = 0}}}, {3}}};
  bad.step();
  bad.step();
  const double before = bad.lr();
  CHECK_THROWS_AS(bad.step(), tk::state_error);
  CHECK(bad.lr() == before);
  CHECK(bad.last_epoch() == 2);

  // Composites cannot restart (PyTorch cannot step them with an epoch).
  tk::lr_group g{.lr = 1.0};
  tk::chained_lr c{{tk::constant_lr{}}};
  c.attach(g);
  CHECK_THROWS_AS(c.restart(g), tk::state_error);

  // any_chainable_lr copies deeply.
  tk::any_chainable_lr a = tk::exponential_lr{{.gamma = 0.5}};
  tk::lr_group g1{.lr = 1.0}, g2{.lr = 1.0};
  a.attach(g1);
  tk::any_chainable_lr b = a;
  a.step(g1);
  b.step(g2);
  b.step(g2);
  CHECK(a.last_epoch() == 1);
  CHECK(b.last_epoch() == 2);
  CHECK(g1.lr == 0.5);
  REQUIRE(b.target<tk::exponential_lr>() != nullptr);
  CHECK(b.target<tk::step_lr>() == nullptr);
}

TEST_CASE("a scheduled_lr per parameter group reproduces per-group arguments", "[lr][groups]") {
  // PyTorch's OneCycleLR(max_lr=[0.5, 0.05]) on two groups = two independent one-cycles.
  std::vector<tk::scheduled_lr<tk::one_cycle_lr>> groups;
  for (double max_lr : {0.5, 0.05}) groups.emplace_back(0.1, tk::one_cycle_lr{{.max_lr = max_lr, .total_steps = 20}});
  for (int i = 0; i < 20; ++i) {
    CHECK(groups[0].lr() == Approx(10 * groups[1].lr()).epsilon(1e-12));
    CHECK(groups[0].momentum() == groups[1].momentum());
    for (auto& g : groups) g.step();
  }
}
