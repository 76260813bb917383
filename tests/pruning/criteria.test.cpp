// Each criterion against a brute-force reference over many seeded random
// tensors (with and without ties, with and without an existing mask), plus
// the bad inputs each must reject.
#include <catch2/catch.hpp>

#include <tunekit/pruning.hpp>

#include "support/require_invalid.hpp"

#include <Eigen/Dense>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

namespace {

/// Random tensor; with `ties`, values are multiples of 1/4 in [-2, 2] (many equal magnitudes).
xt::xarray<float> random_tensor(tunekit::random_engine& rng, std::vector<std::size_t> shape, bool ties) {
  xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
  for (auto& v : a) v = ties ? static_cast<float>(static_cast<int>(rng.below(17)) - 8) / 4.0f : static_cast<float>(rng.normal());
  return a;
}

tunekit::pruning_mask random_mask(tunekit::random_engine& rng, const xt::xarray<float>& w, double keep) {
  tunekit::pruning_mask m = tunekit::pruning_mask::from_shape(w.shape());
  for (auto& v : m) v = rng.uniform() < keep ? 1 : 0;
  return m;
}

/// The reference rule: sort survivors by (key, index), prune the first k.
template <class Key>
std::vector<int> brute_force(const xt::xarray<float>& w, const tunekit::pruning_mask* current, std::size_t k, Key key) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (current == nullptr || current->data()[i]) idx.push_back(i);
  // By (key, index): std::sort with the index as tie-break rather than
  // stable_sort, which trips a GCC 12 -Warray-bounds false positive at -O3.
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    const float ka = key(w.data()[a]), kb = key(w.data()[b]);
    return ka != kb ? ka < kb : a < b;
  });
  std::vector<int> out(w.size(), 0);
  for (std::size_t j = k; j < idx.size(); ++j) out[idx[j]] = 1;
  return out;
}

std::vector<int> mask_values(const tunekit::pruning_mask& m) { return {m.begin(), m.end()}; }

float magnitude(float v) { return std::fabs(v); }
float identity(float v) { return v; }

}  // namespace

TEST_CASE("pruning: l1 and score criteria match the sorted reference, ties to the lowest index", "[pruning]") {
  tunekit::random_engine rng(1);
  for (int trial = 0; trial < 300; ++trial) {
    const bool ties = trial % 2 == 0;
    const std::size_t rows = 1 + rng.below(40), cols = 1 + rng.below(40);
    const auto w = random_tensor(rng, {rows, cols}, ties);
    const bool compose = trial % 3 == 0;
    const auto current = random_mask(rng, w, 0.7);
    const std::size_t survivors = compose ? tunekit::stats(current).kept() : w.size();
    const bool as_count = trial % 5 == 0;
    const double f = rng.uniform();
    const std::size_t k = as_count ? rng.below(survivors + 1) : static_cast<std::size_t>(std::nearbyint(f * static_cast<double>(survivors)));
    const auto amount = as_count ? tunekit::count(static_cast<std::int64_t>(k)) : tunekit::fraction(f);
    INFO("trial " << trial << " shape " << rows << "x" << cols << " k " << k);

    const tunekit::l1_unstructured l1{amount};
    const tunekit::score_unstructured score{amount};
    if (compose) {
      CHECK(mask_values(tunekit::compute_mask(l1, w, current)) == brute_force(w, &current, k, magnitude));
      CHECK(mask_values(tunekit::compute_mask(score, w, current)) == brute_force(w, &current, k, identity));
    } else {
      CHECK(mask_values(tunekit::compute_mask(l1, w)) == brute_force(w, nullptr, k, magnitude));
      CHECK(mask_values(tunekit::compute_mask(score, w)) == brute_force(w, nullptr, k, identity));
    }
  }
}

/// The rule, checked in O(n) on large tensors: exactly k pruned, and every
/// pruned entry precedes every kept one in (|w|, index) order.
void check_rule(const xt::xarray<float>& w, const tunekit::pruning_mask& mask, std::size_t k) {
  std::size_t pruned = 0;
  float max_pruned = -1, min_kept = std::numeric_limits<float>::infinity();
  std::size_t max_pruned_at = 0, min_kept_at = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const float a = std::fabs(w.data()[i]);
    if (mask.data()[i] == 0) {
      ++pruned;
      if (a >= max_pruned) max_pruned = a, max_pruned_at = i;  // the last of the largest
    } else if (a < min_kept) {
      min_kept = a, min_kept_at = i;  // the first of the smallest
    }
  }
  CHECK(pruned == k);
  if (pruned > 0 && pruned < w.size())
    CHECK((max_pruned < min_kept || (max_pruned == min_kept && max_pruned_at < min_kept_at)));
}

TEST_CASE("pruning: the sampled band path on large tensors gives the exact mask", "[pruning]") {
  // Above 4M survivors the selection estimates the threshold from a sample;
  // the result must still be the exact rule. Tied and normal values.
  tunekit::random_engine rng(2);
  for (bool ties : {false, true}) {
    const auto w = random_tensor(rng, {4500, 1000}, ties);
    for (double f : {0.01, 0.5, 0.93}) {
      INFO("ties " << ties << " fraction " << f);
      const auto k = static_cast<std::size_t>(std::nearbyint(f * static_cast<double>(w.size())));
      check_rule(w, tunekit::compute_mask(tunekit::l1_unstructured{tunekit::fraction(f)}, w), k);
    }
    // With an existing mask: composition on the sampled path too.
    const auto current = random_mask(rng, w, 0.95);
    const auto mask = tunekit::compute_mask(tunekit::l1_unstructured{tunekit::fraction(0.5)}, w, current);
    xt::xarray<float> survivors_only = w;
    for (std::size_t i = 0; i < w.size(); ++i)
      if (!current.data()[i]) {
        REQUIRE(mask.data()[i] == 0);
        survivors_only.data()[i] = 0;  // ranks first: the pruned entries come before all survivors
      }
    const std::size_t kept = tunekit::stats(current).kept();
    check_rule(survivors_only, mask, w.size() - kept + static_cast<std::size_t>(std::nearbyint(0.5 * static_cast<double>(kept))));
  }
  // Structured values (a strided sample of them) still end exact.
  xt::xarray<float> sorted = xt::xarray<float>::from_shape({5000000});
  for (std::size_t i = 0; i < sorted.size(); ++i) sorted.data()[i] = static_cast<float>(i % 1000 == 0 ? 1e6 : i);
  check_rule(sorted, tunekit::compute_mask(tunekit::l1_unstructured{tunekit::count(2500000)}, sorted), 2500000);
}

TEST_CASE("pruning: global_unstructured is l1 on the concatenation", "[pruning]") {
  tunekit::random_engine rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<xt::xarray<float>> ws;
    std::vector<tunekit::importance_view> views;
    xt::xarray<float> all = xt::xarray<float>::from_shape({0});
    std::vector<float> concat;
    for (int t = 0; t < 1 + static_cast<int>(rng.below(4)); ++t) ws.push_back(random_tensor(rng, {1 + rng.below(10), 1 + rng.below(10)}, trial % 2 == 0));
    for (const auto& w : ws) {
      views.push_back(tunekit::tensor_ref(w));
      concat.insert(concat.end(), w.begin(), w.end());
    }
    const double f = rng.uniform();
    const auto masks = tunekit::global_unstructured(views, {.amount = tunekit::fraction(f)});
    const xt::xarray<float> c = xt::adapt(concat, {concat.size()});
    const auto expected = brute_force(c, nullptr, static_cast<std::size_t>(std::nearbyint(f * static_cast<double>(concat.size()))), magnitude);
    std::vector<int> got;
    for (const auto& m : masks) got.insert(got.end(), m.begin(), m.end());
    CHECK(got == expected);
  }
}

TEST_CASE("pruning: ln_structured prunes the channels of smallest norm along the axis", "[pruning]") {
  tunekit::random_engine rng(4);
  for (int trial = 0; trial < 100; ++trial) {
    const std::vector<std::size_t> shape{1 + rng.below(6), 1 + rng.below(6), 1 + rng.below(4)};
    const auto w = random_tensor(rng, shape, trial % 2 == 0);
    const auto axis = static_cast<std::ptrdiff_t>(rng.below(3));
    const double p = trial % 3 == 0 ? 1.0 : trial % 3 == 1 ? 2.0 : std::numeric_limits<double>::infinity();
    const double f = rng.uniform();
    const tunekit::ln_structured crit{.amount = tunekit::fraction(f), .norm = p, .axis = axis};
    const auto mask = tunekit::compute_mask(crit, w);
    // Reference: the norms by brute force, channels sorted by (norm, index).
    const std::size_t channels = shape[static_cast<std::size_t>(axis)];
    std::vector<double> norms(channels, 0.0);
    for (std::size_t i = 0; i < shape[0]; ++i)
      for (std::size_t j = 0; j < shape[1]; ++j)
        for (std::size_t l = 0; l < shape[2]; ++l) {
          const std::size_t ch = axis == 0 ? i : axis == 1 ? j : l;
          const double v = std::fabs(static_cast<double>(w(i, j, l)));
          norms[ch] = std::isinf(p) ? std::max(norms[ch], v) : norms[ch] + std::pow(v, p);
        }
    std::vector<std::size_t> order(channels);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return norms[a] != norms[b] ? norms[a] < norms[b] : a < b; });
    const auto k = static_cast<std::size_t>(std::nearbyint(f * static_cast<double>(channels)));
    std::vector<int> keep(channels, 1);
    for (std::size_t j = 0; j < k; ++j) keep[order[j]] = 0;
    for (std::size_t i = 0; i < shape[0]; ++i)
      for (std::size_t j = 0; j < shape[1]; ++j)
        for (std::size_t l = 0; l < shape[2]; ++l) {
          const std::size_t ch = axis == 0 ? i : axis == 1 ? j : l;
          CHECK(static_cast<int>(mask(i, j, l)) == keep[ch]);
        }
  }
}

TEST_CASE("pruning: ln_structured on top of a mask counts only live channels", "[pruning]") {
  xt::xarray<float> w = {{1, 1}, {2, 2}, {3, 3}, {4, 4}};
  const tunekit::ln_structured half{.amount = tunekit::fraction(0.5), .norm = 1, .axis = 0};
  const auto step1 = tunekit::prune(half, w);  // prunes rows 0 and 1
  CHECK(tunekit::kept_channels(step1) == std::vector<std::size_t>{2, 3});
  const auto step2 = tunekit::prune(half, w, step1);  // half of the 2 live rows: row 2
  CHECK(tunekit::kept_channels(step2) == std::vector<std::size_t>{3});
  CHECK(w(2, 0) == 0.0f);
  CHECK(w(3, 1) == 4.0f);
}

TEST_CASE("pruning: random_unstructured prunes exactly the amount among survivors, seeded", "[pruning]") {
  tunekit::random_engine rng(5);
  const auto w = random_tensor(rng, {30, 30}, false);
  const auto current = random_mask(rng, w, 0.6);
  const tunekit::random_unstructured crit{tunekit::fraction(0.25), 7};
  const auto a = tunekit::compute_mask(crit, w, current);
  const auto b = tunekit::compute_mask(crit, w, current);
  CHECK(mask_values(a) == mask_values(b));
  const std::size_t survivors = tunekit::stats(current).kept();
  CHECK(tunekit::stats(current).pruned + static_cast<std::size_t>(std::nearbyint(0.25 * static_cast<double>(survivors))) ==
        tunekit::stats(a).pruned);
  for (std::size_t i = 0; i < a.size(); ++i)
    if (current.data()[i] == 0) CHECK(a.data()[i] == 0);
  const auto other = tunekit::compute_mask(tunekit::random_unstructured{tunekit::fraction(0.25), 8}, w, current);
  CHECK(mask_values(other) != mask_values(a));
  // Uniform: over many seeds each entry is pruned about a quarter of the time.
  std::vector<int> hits(w.size(), 0);
  for (std::uint64_t seed = 0; seed < 400; ++seed) {
    const auto m = tunekit::compute_mask(tunekit::random_unstructured{tunekit::fraction(0.25), seed}, w);
    for (std::size_t i = 0; i < m.size(); ++i) hits[i] += m.data()[i] == 0;
  }
  for (int h : hits) CHECK((h > 50 && h < 150));  // mean 100, sd 8.7
}

TEST_CASE("pruning: n_m_sparsity keeps the n largest of every m along the axis", "[pruning]") {
  tunekit::random_engine rng(6);
  for (int trial = 0; trial < 100; ++trial) {
    const std::size_t m = 1 + rng.below(6), n = rng.below(m + 1);
    const std::size_t rows = 1 + rng.below(5), cols = m * (1 + rng.below(4));
    const auto w = random_tensor(rng, {rows, cols}, trial % 2 == 0);
    const auto mask = tunekit::compute_mask(tunekit::n_m_sparsity{n, m, -1}, w);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t g = 0; g < cols; g += m) {
        std::vector<std::size_t> idx(m);
        std::iota(idx.begin(), idx.end(), g);
        std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
          const float fa = std::fabs(w(r, a)), fb = std::fabs(w(r, b));
          return fa != fb ? fa < fb : a < b;
        });
        for (std::size_t j = 0; j < m; ++j) CHECK(static_cast<std::size_t>(mask(r, idx[j])) == (j >= m - n ? 1u : 0u));
      }
  }
  // 2:4 along axis 0 of a [4, 2] weight.
  xt::xarray<float> w = {{1, -8}, {4, 7}, {-3, 6}, {2, 5}};
  const auto mask = tunekit::compute_mask(tunekit::n_m_sparsity{2, 4, 0}, w);
  CHECK(mask_values(mask) == std::vector<int>{0, 1, 1, 1, 1, 0, 0, 0});
}

TEST_CASE("pruning: an Eigen matrix is pruned in place through xt::adapt", "[pruning]") {
  Eigen::Matrix<float, 4, 3, Eigen::RowMajor> m;
  m << 0.1f, -5, 3, 2, -0.2f, 7, -1, 4, 0.3f, 6, -9, 8;
  auto view = xt::adapt(m.data(), static_cast<std::size_t>(m.size()), xt::no_ownership(), std::vector<std::size_t>{4, 3});
  const auto mask = tunekit::prune(tunekit::l1_unstructured{tunekit::count(4)}, view);
  CHECK(tunekit::stats(mask).pruned == 4);
  CHECK(m(0, 0) == 0.0f);
  CHECK(m(1, 1) == 0.0f);
  CHECK(m(2, 2) == 0.0f);
  CHECK(m(2, 0) == 0.0f);  // |-1|: the 4th smallest
  CHECK(m(3, 1) == -9.0f);
  // A column-major Eigen matrix is adapted with its own layout; the mask is then
  // in (row, col) order all the same.
  Eigen::Matrix<float, 2, 2> cm;
  cm << 1, 2, 3, 4;
  auto cview = xt::adapt<xt::layout_type::column_major>(cm.data(), 4, xt::no_ownership(), std::vector<std::size_t>{2, 2});
  const auto cmask = tunekit::prune(tunekit::l1_unstructured{tunekit::count(1)}, cview);
  CHECK(cm(0, 0) == 0.0f);
  CHECK(cmask(0, 0) == 0);
  CHECK(cm(1, 0) == 3.0f);
}

TEST_CASE("pruning: bad input is rejected with invalid_argument naming the argument", "[pruning]") {
  const xt::xarray<float> w = {{1, 2, 3, 4}, {5, 6, 7, 8}};
  using Catch::Contains;
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::fraction(1.5)}, w), Contains("'amount'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::fraction(-0.1)}, w), Contains("'amount'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::fraction(std::nan(""))}, w), Contains("'amount'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::count(9)}, w), Contains("'amount'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::count(-1)}, w), Contains("'amount'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::fraction(0.5), .axis = 2}, w), Contains("'axis'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::fraction(0.5), .axis = -3}, w), Contains("'axis'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::fraction(0.5), .norm = 0}, w), Contains("'norm'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::count(3)}, w), Contains("'amount'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::n_m_sparsity{5, 4}, w), Contains("'n'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::n_m_sparsity{2, 3}, w), Contains("'m'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::n_m_sparsity{2, 4, 2}, w), Contains("'axis'"));
  const tunekit::pruning_mask wrong = tunekit::full_mask({4, 2});
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::fraction(0.5)}, w, wrong), Contains("'current'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::fraction(0.5)}, w, wrong), Contains("'current'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::random_unstructured{tunekit::fraction(0.5)}, w, wrong), Contains("'current'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::n_m_sparsity{2, 4}, w, wrong), Contains("'current'"));
  xt::xarray<float> mutable_w = w;
  REQUIRE_INVALID(tunekit::apply_mask(mutable_w, wrong), Contains("'mask'"));

  const xt::xarray<float> empty = xt::xarray<float>::from_shape({0, 4});
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::fraction(0.5)}, empty), Contains("'weights'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::fraction(0.5)}, empty), Contains("'weights'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::random_unstructured{tunekit::fraction(0.5)}, empty), Contains("'weights'"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::n_m_sparsity{2, 4}, empty), Contains("'weights'"));
  REQUIRE_INVALID(tunekit::global_unstructured({}, {.amount = tunekit::fraction(0.5)}), Contains("'tensors'"));

  // NaN weights are rejected (decision: a NaN means training diverged), and
  // the weights are left untouched.
  xt::xarray<float> with_nan = w;
  with_nan(1, 2) = std::nanf("");
  REQUIRE_INVALID(tunekit::prune(tunekit::l1_unstructured{tunekit::fraction(0.5)}, with_nan), Contains("NaN"));
  CHECK(with_nan(0, 0) == 1.0f);
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::score_unstructured{tunekit::fraction(0.5)}, with_nan), Contains("NaN"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::ln_structured{.amount = tunekit::fraction(0.5)}, with_nan), Contains("NaN"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::n_m_sparsity{2, 4}, with_nan), Contains("NaN"));
  xt::xarray<float> big_nan = xt::xarray<float>::from_shape({5000000});
  std::fill(big_nan.begin(), big_nan.end(), 1.0f);
  big_nan(4999999) = -std::nanf("");
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::fraction(0.5)}, big_nan), Contains("NaN"));
  REQUIRE_INVALID(tunekit::compute_mask(tunekit::score_unstructured{tunekit::fraction(0.5)}, big_nan), Contains("NaN"));
  // ...but a NaN in an entry already pruned does not matter.
  tunekit::pruning_mask keep_all_but_nan = tunekit::full_mask({2, 4});
  keep_all_but_nan(1, 2) = 0;
  CHECK(tunekit::stats(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::count(2)}, with_nan, keep_all_but_nan)).pruned == 3);
  // Infinity ranks as most important.
  xt::xarray<float> with_inf = w;
  with_inf(0, 0) = -std::numeric_limits<float>::infinity();
  CHECK(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::count(7)}, with_inf)(0, 0) == 1);
}

TEST_CASE("pruning: a user criterion satisfying mask_criterion works with the library's entry points", "[pruning]") {
  struct negative_scores {
    tunekit::pruning_mask compute_mask(const tunekit::importance_view& s, const tunekit::pruning_mask& current) const {
      tunekit::pruning_mask m = current;
      for (std::size_t i = 0; i < s.size(); ++i)
        if (s.values[i] < 0) m.data()[i] = 0;
      return m;
    }
  };
  static_assert(tunekit::mask_criterion<negative_scores>);
  static_assert(!tunekit::mask_criterion<int>);
  xt::xarray<float> w = {1, -2, 3, -4};
  const auto mask = tunekit::prune(negative_scores{}, w);
  CHECK(mask_values(mask) == std::vector<int>{1, 0, 1, 0});
  CHECK(w(1) == 0.0f);
  // Non-contiguous expressions (a strided view, a double tensor) are evaluated first.
  const xt::xarray<double> d = {{4, 1}, {2, 3}};
  CHECK(mask_values(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::count(1)}, d)) == std::vector<int>{1, 0, 1, 1});
  CHECK(mask_values(tunekit::compute_mask(tunekit::l1_unstructured{tunekit::count(1)}, xt::transpose(d))) == std::vector<int>{1, 1, 0, 1});
}
