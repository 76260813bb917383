// Masks against PyTorch 1.13's torch.nn.utils.prune on every case of
// tests/data/torch/prune_reference.json (see README.md there).
//
// Where the data has no tie at the pruning boundary, the masks must be
// identical. Where it has one, PyTorch's choice among the tied entries comes
// from libstdc++'s introselect/heap-select internals; we check what is
// determined (every entry below the k-th value pruned, every one above kept,
// the same number pruned among the ties) and that our own rule holds (the
// lowest indices among the ties are pruned first).
#include <catch2/catch.hpp>

#include <tunekit/pruning.hpp>

#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#ifndef TUNEKIT_TEST_DATA_DIR
#error "TUNEKIT_TEST_DATA_DIR must name tests/data"
#endif

namespace {

using json = nlohmann::json;

const json& reference() {
  static const json j = [] {
    std::ifstream in(std::string(TUNEKIT_TEST_DATA_DIR) + "/torch/prune_reference.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return j;
}

xt::xarray<float> weights(const std::string& name) {
  const json& w = reference()["weights"][name];
  std::vector<std::size_t> shape = w["shape"].get<std::vector<std::size_t>>();
  xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
  std::size_t i = 0;
  for (const auto& b : w["bits"]) a.data()[i++] = std::bit_cast<float>(static_cast<std::uint32_t>(std::stoul(b.get<std::string>(), nullptr, 16)));
  REQUIRE(i == a.size());
  return a;
}

std::vector<int> flat_mask(const tunekit::pruning_mask& m) { return {m.begin(), m.end()}; }

tunekit::prune_amount amount_of(const json& c, const char* key = "amount") {
  const json& a = c[key];
  if (c.contains("amount_type") && c["amount_type"] == "int") return tunekit::count(a.get<std::int64_t>());
  if (a.is_number_integer()) return tunekit::count(a.get<std::int64_t>());
  return tunekit::fraction(a.get<double>());
}

/// The determined part of a magnitude mask: below the k-th |w| pruned, above
/// kept, equal: the same count pruned; and our tie rule among the equal ones.
void check_boundary(const xt::xarray<float>& w, const std::vector<int>& ours, const std::vector<int>& torch,
                    const json& boundary) {
  const auto kth = static_cast<float>(boundary["kth_smallest_abs"].get<double>());
  std::size_t ours_tied_pruned = 0, torch_tied_pruned = 0;
  std::vector<std::size_t> tied, ours_pruned_tied;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const float a = std::fabs(w.data()[i]);
    INFO("flat index " << i << ", |w| = " << a);
    if (a < kth) {
      CHECK(ours[i] == 0);
      CHECK(torch[i] == 0);
    } else if (a > kth) {
      CHECK(ours[i] == 1);
      CHECK(torch[i] == 1);
    } else {
      tied.push_back(i);
      ours_tied_pruned += ours[i] == 0;
      torch_tied_pruned += torch[i] == 0;
      if (ours[i] == 0) ours_pruned_tied.push_back(i);
    }
  }
  CHECK(tied.size() == boundary["n_equal_to_kth"].get<std::size_t>());
  CHECK(ours_tied_pruned == torch_tied_pruned);
  // Our rule: the lowest indices among the ties go first.
  CHECK(ours_pruned_tied == std::vector<std::size_t>(tied.begin(), tied.begin() + static_cast<std::ptrdiff_t>(ours_tied_pruned)));
}

const json& case_where(const std::string& op, const std::string& tensor, const std::string& call_part) {
  for (const auto& c : reference()["cases"])
    if (c["op"] == op && c.value("tensor", "") == tensor && c["call"].get<std::string>().find(call_part) != std::string::npos)
      return c;
  FAIL("no case " << op << " " << tensor << " " << call_part);
  throw;
}

}  // namespace

TEST_CASE("pruning: l1_unstructured equals PyTorch 1.13 on every reference case", "[pruning][torch]") {
  std::size_t n_cases = 0, n_ties = 0;
  for (const auto& c : reference()["cases"]) {
    if (c["op"] != "l1_unstructured") continue;
    ++n_cases;
    INFO(c["call"].get<std::string>() << " on " << c["tensor"].get<std::string>());
    const auto w = weights(c["tensor"]);
    const auto mask = tunekit::compute_mask(tunekit::l1_unstructured{amount_of(c)}, w);
    const auto ours = flat_mask(mask);
    const auto torch = c["mask"].get<std::vector<int>>();
    CHECK(tunekit::stats(mask).pruned == c["n_pruned"].get<std::size_t>());
    if (c["boundary"]["tie_at_boundary"].get<bool>()) {
      ++n_ties;
      check_boundary(w, ours, torch, c["boundary"]);
    } else {
      CHECK(ours == torch);
    }
  }
  CHECK(n_cases == 11);
  CHECK(n_ties == 3);
}

TEST_CASE("pruning: ln_structured equals PyTorch 1.13 on every reference case", "[pruning][torch]") {
  std::size_t n_cases = 0;
  for (const auto& c : reference()["cases"]) {
    if (c["op"] != "ln_structured") continue;
    ++n_cases;
    INFO(c["call"].get<std::string>() << " on " << c["tensor"].get<std::string>());
    const auto w = weights(c["tensor"]);
    const tunekit::ln_structured criterion{.amount = tunekit::fraction(c["amount"].get<double>()),
                                           .norm = c["n_norm"].get<double>(),
                                           .axis = c["dim"].get<std::ptrdiff_t>()};
    // The norms agree with torch.norm's float32 values to float precision.
    const auto norms = criterion.channel_norms(tunekit::tensor_ref(w));
    const auto torch_norms = c["channel_norms"].get<std::vector<double>>();
    REQUIRE(norms.size() == torch_norms.size());
    for (std::size_t i = 0; i < norms.size(); ++i) CHECK(norms[i] == Approx(torch_norms[i]).epsilon(1e-6));

    const auto mask = tunekit::compute_mask(criterion, w);
    const auto kept = tunekit::kept_channels(mask, static_cast<std::size_t>(criterion.axis));
    const auto torch_kept = c["kept_channels"].get<std::vector<std::size_t>>();
    CHECK(kept.size() == torch_kept.size());
    if (c["boundary_tie"].get<bool>()) {
      const auto& tie = c["boundary_tie_detail"];
      const double tied_norm = tie["tied_norm"].get<double>();
      const auto tied = tie["tied_channels"].get<std::vector<std::size_t>>();
      const auto n_tied_kept = tie["tied_channels_kept"].size();
      std::size_t ours_tied_kept = 0;
      for (std::size_t ch = 0; ch < norms.size(); ++ch) {
        const bool is_kept = std::find(kept.begin(), kept.end(), ch) != kept.end();
        if (std::find(tied.begin(), tied.end(), ch) != tied.end()) {
          ours_tied_kept += is_kept;
        } else {
          CHECK(is_kept == (torch_norms[ch] > tied_norm));
        }
      }
      CHECK(ours_tied_kept == n_tied_kept);
      // Our rule prunes the lower channel indices first: the last tied ones survive.
      std::vector<std::size_t> tied_kept;
      for (std::size_t ch : kept)
        if (std::find(tied.begin(), tied.end(), ch) != tied.end()) tied_kept.push_back(ch);
      CHECK(tied_kept == std::vector<std::size_t>(tied.end() - static_cast<std::ptrdiff_t>(n_tied_kept), tied.end()));
    } else {
      CHECK(kept == torch_kept);
      CHECK(flat_mask(mask) == c["mask"].get<std::vector<int>>());
    }
  }
  CHECK(n_cases == 10);
}

TEST_CASE("pruning: global_unstructured equals PyTorch 1.13", "[pruning][torch]") {
  const json& c = case_where("global_unstructured", "", "global_unstructured");
  const auto names = c["tensors"].get<std::vector<std::string>>();
  std::vector<xt::xarray<float>> ws;
  for (const auto& n : names) ws.push_back(weights(n));
  std::vector<tunekit::importance_view> views;
  for (const auto& w : ws) views.push_back(tunekit::tensor_ref(w));
  const auto masks = tunekit::global_unstructured(views, {.amount = tunekit::fraction(c["amount"].get<double>())});
  REQUIRE(masks.size() == 3);
  const auto per_tensor = c["n_pruned_per_tensor"].get<std::vector<std::size_t>>();
  for (std::size_t i = 0; i < 3; ++i) {
    INFO(names[i]);
    CHECK(tunekit::stats(masks[i]).pruned == per_tensor[i]);
    CHECK(flat_mask(masks[i]) == c["masks"][i].get<std::vector<int>>());
  }
  CHECK(tunekit::stats(masks).pruned == c["n_pruned_total"].get<std::size_t>());
}

TEST_CASE("pruning: iterative l1 pruning composes as PyTorch's PruningContainer", "[pruning][torch]") {
  std::size_t n_cases = 0;
  for (const auto& c : reference()["cases"]) {
    if (c["op"] != "iterative_l1_unstructured") continue;
    ++n_cases;
    INFO(c["tensor"].get<std::string>());
    auto w = weights(c["tensor"]);
    const xt::xarray<float> original = w;
    const tunekit::l1_unstructured half{tunekit::fraction(0.5)};
    // In place, as a training program would: the second call sees the masked weights.
    const auto step1 = tunekit::prune(half, w);
    const auto step2 = tunekit::prune(half, w, step1);
    CHECK(tunekit::stats(step1).pruned == c["n_pruned_step1"].get<std::size_t>());
    CHECK(tunekit::stats(step2).pruned == c["n_pruned_total"].get<std::size_t>());
    // New pruning only among survivors.
    for (std::size_t i = 0; i < step1.size(); ++i)
      if (step1.data()[i] == 0) CHECK(step2.data()[i] == 0);
    const auto& b1 = c["boundary_step1"];
    const auto& b2 = c["boundary_step2"];
    if (b1["tie_at_boundary"].get<bool>()) check_boundary(original, flat_mask(step1), c["mask_step1"].get<std::vector<int>>(), b1);
    else CHECK(flat_mask(step1) == c["mask_step1"].get<std::vector<int>>());
    if (b1["tie_at_boundary"].get<bool>() || b2["tie_at_boundary"].get<bool>())
      check_boundary(original, flat_mask(step2), c["mask_step2"].get<std::vector<int>>(), b2);
    else CHECK(flat_mask(step2) == c["mask_step2"].get<std::vector<int>>());
    // The pruned weights are zero, the others untouched.
    for (std::size_t i = 0; i < w.size(); ++i)
      CHECK(w.data()[i] == (step2.data()[i] ? original.data()[i] : 0.0f));
  }
  CHECK(n_cases == 5);
}
