// Sparsity schedules, iterative magnitude pruning with rewinding, and
// gradient masking through training.
#include <catch2/catch.hpp>

#include <tunekit/pruning.hpp>

#include "support/require_invalid.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

TEST_CASE("pruning: polynomial_schedule follows Zhu and Gupta's cubic", "[pruning][schedule]") {
  const tunekit::polynomial_schedule s{.initial_sparsity = 0.1, .final_sparsity = 0.9, .begin_step = 100,
                                       .end_step = 1100, .frequency = 100, .exponent = 3};
  CHECK(s.target_sparsity(0) == 0.0);
  CHECK(s.target_sparsity(99) == 0.0);
  CHECK(s.target_sparsity(100) == Approx(0.1));
  for (std::int64_t t = 100; t <= 1100; t += 100) {
    const double progress = static_cast<double>(t - 100) / 1000.0;
    CHECK(s.target_sparsity(t) == Approx(0.9 + (0.1 - 0.9) * std::pow(1 - progress, 3)));
    CHECK(s.is_update_step(t));
    CHECK_FALSE(s.is_update_step(t + 1));
    if (t < 1100) CHECK(s.target_sparsity(t + 99) == s.target_sparsity(t));  // holds between updates
  }
  CHECK(s.target_sparsity(1100) == Approx(0.9));
  CHECK(s.target_sparsity(5000) == 0.9);
  CHECK_FALSE(s.is_update_step(1200));
  // Monotone, fast early and slow late.
  CHECK(s.target_sparsity(200) - s.target_sparsity(100) > s.target_sparsity(1100) - s.target_sparsity(1000));
  // end_step not on the frequency grid is still an update step.
  const tunekit::polynomial_schedule odd{.final_sparsity = 0.5, .begin_step = 0, .end_step = 250, .frequency = 100};
  CHECK(odd.is_update_step(250));
  CHECK(odd.target_sparsity(250) == 0.5);
}

TEST_CASE("pruning: one-shot and constant schedules", "[pruning][schedule]") {
  const tunekit::one_shot_schedule once{.sparsity = 0.7, .step = 10};
  CHECK(once.target_sparsity(9) == 0.0);
  CHECK(once.target_sparsity(10) == 0.7);
  CHECK(once.is_update_step(10));
  CHECK_FALSE(once.is_update_step(11));
  const tunekit::constant_schedule held{.sparsity = 0.5, .begin_step = 5, .end_step = 25, .frequency = 10};
  CHECK(held.target_sparsity(4) == 0.0);
  CHECK(held.target_sparsity(100) == 0.5);
  CHECK(held.is_update_step(5));
  CHECK(held.is_update_step(15));
  CHECK(held.is_update_step(25));
  CHECK_FALSE(held.is_update_step(35));
  CHECK_FALSE(held.is_update_step(6));
}

TEST_CASE("pruning: schedules reject bad configuration, naming the field", "[pruning][schedule]") {
  using Catch::Contains;
  REQUIRE_INVALID((tunekit::polynomial_schedule{.final_sparsity = 1.5, .end_step = 10}.target_sparsity(0)), Contains("'final_sparsity'"));
  REQUIRE_INVALID((tunekit::polynomial_schedule{.initial_sparsity = 0.6, .final_sparsity = 0.5, .end_step = 10}.target_sparsity(0)), Contains("'initial_sparsity'"));
  REQUIRE_INVALID((tunekit::polynomial_schedule{.final_sparsity = 0.5, .begin_step = 10, .end_step = 10}.target_sparsity(0)), Contains("'end_step'"));
  REQUIRE_INVALID((tunekit::polynomial_schedule{.final_sparsity = 0.5, .end_step = 10, .frequency = 0}.is_update_step(0)), Contains("'frequency'"));
  REQUIRE_INVALID((tunekit::polynomial_schedule{.final_sparsity = 0.5, .end_step = 10, .exponent = 0}.is_update_step(0)), Contains("'exponent'"));
  REQUIRE_INVALID((tunekit::one_shot_schedule{.sparsity = -0.1}.target_sparsity(0)), Contains("'sparsity'"));
  REQUIRE_INVALID((tunekit::constant_schedule{.sparsity = 0.5, .frequency = 0}.is_update_step(0)), Contains("'frequency'"));
  REQUIRE_INVALID((tunekit::constant_schedule{.sparsity = 0.5, .begin_step = 5, .end_step = 2}.is_update_step(0)), Contains("'end_step'"));
  REQUIRE_INVALID((tunekit::iterative_magnitude_schedule{.rounds = 0}.sparsity_after(1)), Contains("'rounds'"));
  REQUIRE_INVALID((tunekit::iterative_magnitude_schedule{.amount_per_round = 2}.round_criterion()), Contains("'amount_per_round'"));
  REQUIRE_INVALID(tunekit::amount_to_reach(1.2, {}), Contains("'target'"));
}

TEST_CASE("pruning: following a schedule with amount_to_reach hits each target exactly", "[pruning][schedule]") {
  tunekit::random_engine rng(9);
  xt::xarray<float> w = xt::xarray<float>::from_shape({50, 40});
  for (auto& v : w) v = static_cast<float>(rng.normal());
  const tunekit::polynomial_schedule s{.final_sparsity = 0.8, .begin_step = 0, .end_step = 1000, .frequency = 100};
  tunekit::pruning_mask mask = tunekit::full_mask({50, 40});
  double last = 0;
  for (std::int64_t step = 0; step <= 1000; ++step) {
    if (!s.is_update_step(step)) continue;
    const double target = s.target_sparsity(step);
    mask = tunekit::prune(tunekit::l1_unstructured{tunekit::amount_to_reach(target, tunekit::stats(mask))}, w, mask);
    CHECK(tunekit::stats(mask).pruned == static_cast<std::size_t>(std::nearbyint(target * 2000)));
    CHECK(target >= last);
    last = target;
  }
  CHECK(tunekit::stats(mask).sparsity() == Approx(0.8));
}

TEST_CASE("pruning: iterative magnitude pruning rewinds survivors to their saved values", "[pruning][schedule]") {
  tunekit::random_engine rng(10);
  xt::xarray<float> w = xt::xarray<float>::from_shape({20, 10});
  for (auto& v : w) v = static_cast<float>(rng.normal());
  const tunekit::iterative_magnitude_schedule imp{.rounds = 3, .amount_per_round = 0.2, .rewind_step = 0};
  const tunekit::weight_snapshot initial(w);
  tunekit::pruning_mask mask = tunekit::full_mask({20, 10});
  for (int round = 1; round <= imp.rounds; ++round) {
    // "Training": move every weight, so magnitudes after training differ from the initial ones.
    for (auto& v : w) v = v * 1.5f + static_cast<float>(rng.normal());
    tunekit::apply_mask(w, mask);
    mask = tunekit::prune(imp.round_criterion(), w, mask);
    initial.rewind(w, mask);
    CHECK(tunekit::stats(mask).sparsity() == Approx(imp.sparsity_after(round)).margin(0.01));
    for (std::size_t i = 0; i < w.size(); ++i)
      CHECK(w.data()[i] == (mask.data()[i] ? initial.weights().data()[i] : 0.0f));
  }
  CHECK(imp.sparsity_after(3) == Approx(1 - 0.8 * 0.8 * 0.8));
  CHECK_THROWS_AS(tunekit::weight_snapshot{}.rewind(w, mask), tunekit::state_error);
}

TEST_CASE("pruning: masked gradients keep pruned weights at zero through training", "[pruning]") {
  // Least squares y = W x with a fixed target, trained by SGD for a few
  // steps; half of W pruned at the start. Without gradient masking the pruned
  // weights would regrow; with it they stay exactly zero and the loss falls.
  tunekit::random_engine rng(11);
  const std::size_t n_out = 8, n_in = 16, batch = 32;
  xt::xarray<float> w = xt::xarray<float>::from_shape({n_out, n_in});
  xt::xarray<float> target = xt::xarray<float>::from_shape({n_out, n_in});
  xt::xarray<float> x = xt::xarray<float>::from_shape({batch, n_in});
  for (auto& v : w) v = static_cast<float>(rng.normal());
  for (auto& v : target) v = static_cast<float>(rng.normal());
  for (auto& v : x) v = static_cast<float>(rng.normal());
  const auto mask = tunekit::prune(tunekit::l1_unstructured{tunekit::fraction(0.5)}, w);
  auto loss_and_grad = [&](xt::xarray<float>& grad) {
    grad = xt::zeros<float>({n_out, n_in});
    double loss = 0;
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t o = 0; o < n_out; ++o) {
        float err = 0;
        for (std::size_t i = 0; i < n_in; ++i) err += (w(o, i) - target(o, i)) * x(b, i);
        loss += 0.5 * err * err;
        for (std::size_t i = 0; i < n_in; ++i) grad(o, i) += err * x(b, i) / static_cast<float>(batch);
      }
    return loss / batch;
  };
  xt::xarray<float> grad;
  const double first = loss_and_grad(grad);
  double last = first;
  for (int step = 0; step < 20; ++step) {
    last = loss_and_grad(grad);
    tunekit::apply_mask(grad, mask);  // before the optimizer step
    for (std::size_t i = 0; i < grad.size(); ++i) CHECK((mask.data()[i] || grad.data()[i] == 0.0f));
    w -= 0.02f * grad;
    for (std::size_t i = 0; i < w.size(); ++i)
      if (!mask.data()[i]) REQUIRE(w.data()[i] == 0.0f);
  }
  CHECK(last < 0.7 * first);
  CHECK(tunekit::stats(mask).sparsity() == 0.5);
}
