// Materialised pruning: the smaller chain computes what the masked chain
// computes, and the CSR product equals the dense masked product.
#include <catch2/catch.hpp>

#include <tunekit/pruning.hpp>

#include "support/require_invalid.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

xt::xarray<float> normal(tunekit::random_engine& rng, std::vector<std::size_t> shape) {
  xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
  for (auto& v : a) v = static_cast<float>(rng.normal());
  return a;
}

/// relu between layers, none after the last; weights [out, in].
std::vector<float> forward(const std::vector<tunekit::layer_weights>& chain, std::vector<float> x) {
  for (std::size_t l = 0; l < chain.size(); ++l) {
    const auto& w = chain[l].weight;
    std::vector<float> y(w.shape()[0]);
    for (std::size_t o = 0; o < y.size(); ++o) {
      float s = chain[l].bias(o);
      for (std::size_t i = 0; i < x.size(); ++i) s += w(o, i) * x[i];
      y[o] = l + 1 < chain.size() ? std::max(s, 0.0f) : s;
    }
    x = std::move(y);
  }
  return x;
}

}  // namespace

TEST_CASE("pruning: materialize drops pruned units and computes the same outputs", "[pruning][materialize]") {
  tunekit::random_engine rng(12);
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t n_in = 5 + rng.below(10), h1 = 4 + rng.below(12), h2 = 4 + rng.below(12), n_out = 3;
    std::vector<tunekit::layer_weights> chain{{normal(rng, {h1, n_in}), normal(rng, {h1})},
                                              {normal(rng, {h2, h1}), normal(rng, {h2})},
                                              {normal(rng, {n_out, h2}), normal(rng, {n_out})}};
    std::vector<tunekit::pruning_mask> masks(3);
    for (std::size_t l = 0; l < 2; ++l) {
      masks[l] = tunekit::prune(tunekit::ln_structured{.amount = tunekit::fraction(0.5), .norm = 2, .axis = 0},
                                chain[l].weight);
      // Prune the biases of the dropped units too, so that the smaller model is exact.
      const auto kept = tunekit::kept_channels(masks[l]);
      for (std::size_t u = 0; u < chain[l].bias.size(); ++u)
        if (std::find(kept.begin(), kept.end(), u) == kept.end()) chain[l].bias(u) = 0;
    }
    const auto small = tunekit::materialize(chain, masks);
    REQUIRE(small.size() == 3);
    CHECK(small[0].weight.shape()[0] == h1 - static_cast<std::size_t>(std::nearbyint(0.5 * static_cast<double>(h1))));
    CHECK(small[1].weight.shape()[1] == small[0].weight.shape()[0]);
    CHECK(small[2].weight.shape()[0] == n_out);
    CHECK(small[2].weight.shape()[1] == small[1].weight.shape()[0]);
    CHECK(tunekit::parameter_count(small) < tunekit::parameter_count(chain));
    for (int k = 0; k < 5; ++k) {
      std::vector<float> x(n_in);
      for (auto& v : x) v = static_cast<float>(rng.normal());
      const auto full = forward(chain, x), reduced = forward(small, x);
      REQUIRE(full.size() == reduced.size());
      for (std::size_t i = 0; i < full.size(); ++i) CHECK(reduced[i] == Approx(full[i]).margin(1e-4));
    }
  }
}

TEST_CASE("pruning: materialize handles conv chains and halves the digits MLP", "[pruning][materialize]") {
  tunekit::random_engine rng(13);
  // conv [8, 3, 3, 3] -> conv [4, 8, 3, 3]: dropping 4 filters of the first
  // drops 4 input channels of the second.
  std::vector<tunekit::layer_weights> convs{{normal(rng, {8, 3, 3, 3}), normal(rng, {8})},
                                            {normal(rng, {4, 8, 3, 3}), normal(rng, {4})}};
  const auto m0 = tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::fraction(0.5)}, convs[0].weight);
  const auto small = tunekit::materialize(convs, std::vector<tunekit::pruning_mask>{m0, {}});
  CHECK(small[0].weight.shape() == std::vector<std::size_t>{4, 3, 3, 3});
  CHECK(small[1].weight.shape() == std::vector<std::size_t>{4, 4, 3, 3});
  const auto kept = tunekit::kept_channels(m0);
  for (std::size_t j = 0; j < 4; ++j) CHECK(small[1].weight(2, j, 1, 2) == convs[1].weight(2, kept[j], 1, 2));

  // The digits MLP (64 -> 64 -> 10): 50 % of the hidden units gone halves the parameters.
  std::vector<tunekit::layer_weights> mlp{{normal(rng, {64, 64}), normal(rng, {64})},
                                          {normal(rng, {10, 64}), normal(rng, {10})}};
  const auto mh = tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::fraction(0.5)}, mlp[0].weight);
  const auto half = tunekit::materialize(mlp, std::vector<tunekit::pruning_mask>{mh, {}});
  CHECK(tunekit::parameter_count(mlp) == 64 * 64 + 64 + 10 * 64 + 10);
  CHECK(tunekit::parameter_count(half) == 32 * 64 + 32 + 10 * 32 + 10);
  CHECK(static_cast<double>(tunekit::parameter_count(half)) / static_cast<double>(tunekit::parameter_count(mlp)) ==
        Approx(0.5).margin(0.01));
}

TEST_CASE("pruning: materialize rejects chains that do not fit together", "[pruning][materialize]") {
  using Catch::Contains;
  tunekit::random_engine rng(14);
  std::vector<tunekit::layer_weights> bad{{normal(rng, {6, 4}), normal(rng, {6})}, {normal(rng, {3, 5}), normal(rng, {3})}};
  REQUIRE_INVALID(tunekit::materialize(bad, std::vector<tunekit::pruning_mask>(2)), Contains("'chain[1].weight'"));
  bad[1].weight = normal(rng, {3, 6});
  REQUIRE_INVALID(tunekit::materialize(bad, std::vector<tunekit::pruning_mask>(1)), Contains("'masks'"));
  REQUIRE_INVALID(tunekit::materialize(bad, std::vector<tunekit::pruning_mask>{tunekit::full_mask({6, 5}), {}}),
                  Contains("'masks[0]'"));
  bad[0].bias = normal(rng, {5});
  REQUIRE_INVALID(tunekit::materialize(bad, std::vector<tunekit::pruning_mask>(2)), Contains("'chain[0].bias'"));
}

TEST_CASE("pruning: CSR keeps the survivors and multiplies like the dense masked matrix", "[pruning][csr]") {
  tunekit::random_engine rng(15);
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t rows = 1 + rng.below(30), cols = 1 + rng.below(30);
    auto w = normal(rng, {rows, cols});
    const double f = rng.uniform();
    const auto mask = tunekit::prune(tunekit::l1_unstructured{tunekit::fraction(f)}, w);
    const auto csr = tunekit::to_csr(w, mask);
    CHECK(csr.nonzeros() == tunekit::stats(mask).kept());
    std::vector<float> x(cols), y(rows);
    for (auto& v : x) v = static_cast<float>(rng.normal());
    csr.multiply(x, y);
    for (std::size_t r = 0; r < rows; ++r) {
      float s = 0;
      for (std::size_t c = 0; c < cols; ++c) s += w(r, c) * x[c];
      CHECK(y[r] == Approx(s).margin(1e-4));
    }
  }
  // At 90 % sparsity the CSR form is well under half the dense bytes.
  auto w = normal(rng, {256, 256});
  const auto mask = tunekit::prune(tunekit::l1_unstructured{tunekit::fraction(0.9)}, w);
  const auto csr = tunekit::to_csr(w, mask);
  CHECK(static_cast<double>(csr.bytes()) < 0.25 * static_cast<double>(w.size() * sizeof(float)));
  using Catch::Contains;
  std::vector<float> x(255), y(256);
  REQUIRE_INVALID(csr.multiply(x, y), Contains("'x'"));
  REQUIRE_INVALID(tunekit::to_csr(xt::xarray<float>::from_shape({2, 2, 2}), tunekit::full_mask({2, 2, 2})), Contains("'weights'"));
  REQUIRE_INVALID(tunekit::to_csr(w, tunekit::full_mask({2, 2})), Contains("'mask'"));
}
