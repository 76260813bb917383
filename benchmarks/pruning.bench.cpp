// Pruning cost (BENCHMARKS.md, "mask computation", and issue 6's must-shows):
//
//   pruning_read_pass/N          one plain read pass over N float32 weights (a
//                                sum): the memory-bandwidth floor of any mask
//   pruning_l1_mask/N            l1_unstructured, amount 0.5, mask only
//   pruning_l1_prune/N           the same, then the weights zeroed in place
//   pruning_global_l1_mask/N     global_unstructured over 10 tensors totalling N
//   pruning_ln_structured        ln_structured (n=2, amount 0.5, axis 0) on [512, 512, 3, 3]
//   pruning_csr_matvec / pruning_dense_matvec
//                                y = W x for a 2048 x 2048 weight at 90 % sparsity:
//                                CSR of the survivors vs the dense masked matrix
//   pruning_mlp_dense / pruning_mlp_materialized
//                                inference of the digits MLP (64 -> 128 -> 10, batch
//                                360 = the validation set) before and after
//                                materialising 50 % structured pruning of the hidden units
//
// Peer: benchmarks/peers/torch_prune.py times torch.nn.utils.prune on the
// same shapes with the same thread count (1). Weights are normal(0, 1) from a
// fixed seed; both sides use fresh weights (no mask yet).
#include <benchmark/benchmark.h>

#include <tunekit/pruning.hpp>

#include <Eigen/Dense>

#include <cstdint>
#include <map>
#include <vector>

#include <xtensor/xarray.hpp>

namespace {

const xt::xarray<float>& normal_weights(std::size_t n) {
  static std::map<std::size_t, xt::xarray<float>> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    tunekit::random_engine rng(12345);
    xt::xarray<float> w = xt::xarray<float>::from_shape({n});
    for (auto& v : w) v = static_cast<float>(rng.normal());
    it = cache.emplace(n, std::move(w)).first;
  }
  return it->second;
}

void set_bytes(benchmark::State& state, std::size_t n) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n * sizeof(float)));
}

void pruning_read_pass(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto& w = normal_weights(n);
  for (auto _ : state) {
    // Eight accumulators: the sum is bound by memory, not by the add latency.
    float acc[8] = {};
    const float* p = w.data();
    for (std::size_t i = 0; i + 8 <= n; i += 8)
      for (int j = 0; j < 8; ++j) acc[j] += p[i + static_cast<std::size_t>(j)];
    float s = 0;
    for (float a : acc) s += a;
    benchmark::DoNotOptimize(s);
  }
  set_bytes(state, n);
}

void pruning_l1_mask(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto& w = normal_weights(n);
  const tunekit::l1_unstructured criterion{tunekit::fraction(0.5)};
  for (auto _ : state) {
    auto mask = tunekit::compute_mask(criterion, w);
    benchmark::DoNotOptimize(mask.data());
  }
  set_bytes(state, n);
}

void pruning_l1_prune(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  xt::xarray<float> w = normal_weights(n);
  const tunekit::l1_unstructured criterion{tunekit::fraction(0.5)};
  for (auto _ : state) {
    state.PauseTiming();
    w = normal_weights(n);  // fresh weights each time, as the peer's
    state.ResumeTiming();
    auto mask = tunekit::prune(criterion, w);
    benchmark::DoNotOptimize(mask.data());
  }
  set_bytes(state, n);
}

void pruning_global_l1_mask(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto& w = normal_weights(n);
  // Ten tensors of unequal sizes (2..11 parts of 65), views of one buffer.
  std::vector<tunekit::importance_view> tensors;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    const std::size_t size = i == 9 ? n - offset : n / 65 * (i + 2);
    tensors.push_back({std::span<const float>(w.data() + offset, size), {size}});
    offset += size;
  }
  for (auto _ : state) {
    auto masks = tunekit::global_unstructured(tensors, {.amount = tunekit::fraction(0.5)});
    benchmark::DoNotOptimize(masks.data());
  }
  set_bytes(state, n);
}

void pruning_ln_structured(benchmark::State& state) {
  const std::size_t n = 512 * 512 * 9;
  xt::xarray<float> w = normal_weights(n);
  w.reshape({512, 512, 3, 3});
  const tunekit::ln_structured criterion{.amount = tunekit::fraction(0.5), .norm = 2, .axis = 0};
  for (auto _ : state) {
    auto mask = tunekit::compute_mask(criterion, w);
    benchmark::DoNotOptimize(mask.data());
  }
  set_bytes(state, n);
}

struct matvec_case {
  xt::xarray<float> dense;
  tunekit::csr_matrix csr;
  std::vector<float> x, y;
};

matvec_case& matvec_setup() {
  static matvec_case c = [] {
    constexpr std::size_t rows = 2048, cols = 2048;
    matvec_case m;
    m.dense = normal_weights(rows * cols);
    m.dense.reshape({rows, cols});
    const auto mask = tunekit::prune(tunekit::l1_unstructured{tunekit::fraction(0.9)}, m.dense);
    m.csr = tunekit::to_csr(m.dense, mask);
    m.x.assign(cols, 0.5f);
    m.y.assign(rows, 0.0f);
    return m;
  }();
  return c;
}

void pruning_dense_matvec(benchmark::State& state) {
  auto& m = matvec_setup();
  Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> a(
      m.dense.data(), static_cast<Eigen::Index>(m.csr.rows), static_cast<Eigen::Index>(m.csr.cols));
  Eigen::Map<const Eigen::VectorXf> x(m.x.data(), static_cast<Eigen::Index>(m.x.size()));
  Eigen::Map<Eigen::VectorXf> y(m.y.data(), static_cast<Eigen::Index>(m.y.size()));
  for (auto _ : state) {
    y.noalias() = a * x;
    benchmark::DoNotOptimize(m.y.data());
  }
  state.counters["bytes_of_weights"] = static_cast<double>(m.dense.size() * sizeof(float));
}

void pruning_csr_matvec(benchmark::State& state) {
  auto& m = matvec_setup();
  for (auto _ : state) {
    m.csr.multiply(m.x, m.y);
    benchmark::DoNotOptimize(m.y.data());
  }
  state.counters["bytes_of_weights"] = static_cast<double>(m.csr.bytes());
}

// The digits MLP: x [batch, 64] -> relu(x W1^T + b1) -> W2 (10 outputs).
using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct mlp {
  row_matrix w1, w2;  // [out, in], PyTorch's layout
  Eigen::RowVectorXf b1, b2;
  explicit mlp(const std::vector<tunekit::layer_weights>& chain) {
    auto to_eigen = [](const xt::xarray<float>& w) {
      return row_matrix(Eigen::Map<const row_matrix>(w.data(), static_cast<Eigen::Index>(w.shape()[0]),
                                                     static_cast<Eigen::Index>(w.shape()[1])));
    };
    auto to_row = [](const xt::xarray<float>& b) {
      return Eigen::RowVectorXf(Eigen::Map<const Eigen::RowVectorXf>(b.data(), static_cast<Eigen::Index>(b.size())));
    };
    w1 = to_eigen(chain[0].weight);
    w2 = to_eigen(chain[1].weight);
    b1 = to_row(chain[0].bias);
    b2 = to_row(chain[1].bias);
  }
  row_matrix forward(const row_matrix& x) const {
    row_matrix h = ((x * w1.transpose()).rowwise() + b1).cwiseMax(0.0f);
    return (h * w2.transpose()).rowwise() + b2;
  }
};

std::vector<tunekit::layer_weights> digits_chain() {
  tunekit::random_engine rng(7);
  auto fill = [&](std::vector<std::size_t> shape) {
    xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
    for (auto& v : a) v = static_cast<float>(0.1 * rng.normal());
    return a;
  };
  return {{fill({128, 64}), fill({128})}, {fill({10, 128}), fill({10})}};
}

const row_matrix& digits_batch() {
  static const row_matrix x = [] {
    tunekit::random_engine rng(3);
    row_matrix m(360, 64);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.uniform());
    return m;
  }();
  return x;
}

void run_mlp(benchmark::State& state, const std::vector<tunekit::layer_weights>& chain) {
  const mlp model(chain);
  const row_matrix& x = digits_batch();
  for (auto _ : state) {
    row_matrix y = model.forward(x);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["parameters"] = static_cast<double>(tunekit::parameter_count(chain));
}

void pruning_mlp_dense(benchmark::State& state) { run_mlp(state, digits_chain()); }

void pruning_mlp_materialized(benchmark::State& state) {
  auto chain = digits_chain();
  const auto mask = tunekit::prune(tunekit::ln_structured{.amount = tunekit::fraction(0.5), .norm = 2, .axis = 0},
                                   chain[0].weight);
  const auto small = tunekit::materialize(chain, std::vector<tunekit::pruning_mask>{mask, {}});
  run_mlp(state, small);
}

constexpr std::int64_t M = 1 << 20;

}  // namespace

BENCHMARK(pruning_read_pass)->Arg(16 * M)->Arg(64 * M)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(pruning_l1_mask)->Arg(16 * M)->Arg(64 * M)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(pruning_l1_prune)->Arg(64 * M)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(pruning_global_l1_mask)->Arg(64 * M)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(pruning_ln_structured)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(pruning_dense_matvec)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(pruning_csr_matvec)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(pruning_mlp_dense)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(pruning_mlp_materialized)->Unit(benchmark::kMicrosecond)->UseRealTime();
