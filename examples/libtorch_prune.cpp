// examples/libtorch_prune.cpp — prune a libtorch tensor in place.
//
// The weight of a torch::nn::Linear is adapted as an xtensor view of its own
// buffer (CPU, float32, contiguous): tunekit computes the L1 mask and zeroes
// the pruned weights in that memory, then masks the gradient after
// backward() so that training keeps them at zero.
//
// Optional: built only with -DTUNEKIT_EXAMPLES_LIBTORCH=ON and libtorch
// installed (Debian: libtorch-dev; CI does not install it). By hand:
//   g++ -std=c++20 -I include -I /usr/include/torch/csrc/api/include
//       examples/libtorch_prune.cpp -ltorch -ltorch_cpu -lc10   (one line)
#include <tunekit/pruning.hpp>
#include <torch/torch.h>
#include <xtensor/xadapt.hpp>
#include <cstdint>
#include <cstdio>

int main() {
  torch::nn::Linear fc(512, 256);
  torch::Tensor w = fc->weight;                       // [256, 512] float32, contiguous, CPU
  std::vector<std::size_t> shape(w.sizes().begin(), w.sizes().end());
  auto view = xt::adapt(w.data_ptr<float>(), static_cast<std::size_t>(w.numel()), xt::no_ownership(), shape);

  torch::NoGradGuard no_grad;                         // we write into a leaf that requires grad
  const tunekit::pruning_mask mask = tunekit::prune(tunekit::l1_unstructured{tunekit::fraction(0.7)}, view);

  // Keep pruned weights at zero through training: mask the gradient after backward().
  auto x = torch::randn({8, 512});
  {
    torch::AutoGradMode enable(true);
    fc->forward(x).sum().backward();
  }
  torch::Tensor g = fc->weight.grad();
  auto gview = xt::adapt(g.data_ptr<float>(), static_cast<std::size_t>(g.numel()), xt::no_ownership(), shape);
  tunekit::apply_mask(gview, mask);
  const auto zero_w = (w == 0).sum().item<std::int64_t>(), zero_g = (g == 0).sum().item<std::int64_t>();
  std::printf("zeros in weight: %lld of %lld, zeros in grad: %lld\n", static_cast<long long>(zero_w),
              static_cast<long long>(w.numel()), static_cast<long long>(zero_g));
  return zero_w == 91750 && zero_g >= zero_w ? 0 : 1;  // round(0.7 * 131072)
}
