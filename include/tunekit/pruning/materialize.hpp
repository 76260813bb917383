#pragma once

#include "detail/requires_target.hpp"

/// Structured pruning made physical: the smaller tensors of a chain of dense
/// or convolutional layers, without the pruned units. A mask alone leaves
/// the model as large and as slow as before; these tensors are not.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "../core/errors.hpp"
#include "mask.hpp"
#include "structured.hpp"

namespace tunekit {

/// One layer of a chain: `weight` is [out, in] (dense) or [out, in, kh, kw]
/// (conv), PyTorch's layout; `bias` is [out] or empty.
struct layer_weights {
  xt::xarray<float> weight;
  xt::xarray<float> bias;

  [[nodiscard]] std::size_t parameter_count() const noexcept {
    return weight.size() + (bias.dimension() == 0 ? 0 : bias.size());
  }
};

/// Parameters of a whole chain.
inline std::size_t parameter_count(std::span<const layer_weights> chain) {
  std::size_t n = 0;
  for (const auto& l : chain) n += l.parameter_count();
  return n;
}

/// The physically smaller chain. `masks[i]` is the mask of layer i's weight
/// (from `ln_structured` with axis 0) or empty (an xarray of size 0: keep all
/// outputs). Output unit u of layer i is dropped when its mask keeps no entry
/// of it; then its bias entry and input u of layer i+1 are dropped too.
/// Unstructured zeros inside kept units stay (use `to_csr` for those).
///
/// Exact when the dropped units' biases were pruned with them (apply the
/// unit mask to the bias too): otherwise a dropped unit would have fed
/// act(bias) into the next layer, and the smaller model differs by that.
inline std::vector<layer_weights> materialize(std::span<const layer_weights> chain,
                                              std::span<const pruning_mask> masks) {
  if (masks.size() != chain.size())
    throw invalid_argument("'masks' holds " + std::to_string(masks.size()) + " masks for a chain of " +
                           std::to_string(chain.size()) + " layers");
  std::vector<layer_weights> out;
  std::vector<std::size_t> kept_inputs;  // of the current layer; empty before the first
  bool first = true;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const auto& l = chain[i];
    const std::string name = "chain[" + std::to_string(i) + "]";
    if (l.weight.dimension() < 2)
      throw invalid_argument("'" + name + ".weight' must have rank >= 2 ([out, in, ...]), got rank " +
                             std::to_string(l.weight.dimension()));
    const std::size_t n_out = l.weight.shape()[0], n_in = l.weight.shape()[1];
    if (l.bias.dimension() != 0 && (l.bias.dimension() != 1 || l.bias.shape()[0] != n_out))
      throw invalid_argument("'" + name + ".bias' must have shape [" + std::to_string(n_out) + "]");
    if (!first && chain[i - 1].weight.shape()[0] != n_in)
      throw invalid_argument("'" + name + ".weight' has " + std::to_string(n_in) + " inputs but layer " +
                             std::to_string(i - 1) + " has " + std::to_string(chain[i - 1].weight.shape()[0]) +
                             " outputs");
    std::vector<std::size_t> kept_outputs;
    if (masks[i].size() == 0 || masks[i].dimension() == 0) {
      for (std::size_t u = 0; u < n_out; ++u) kept_outputs.push_back(u);
    } else {
      if (detail::shape_of(masks[i]) != detail::shape_of(l.weight))
        throw invalid_argument("'masks[" + std::to_string(i) + "]' has shape " +
                               detail::shape_string(detail::shape_of(masks[i])) + " but the weight has shape " +
                               detail::shape_string(detail::shape_of(l.weight)));
      kept_outputs = kept_channels(masks[i], 0);
    }
    if (first) {
      for (std::size_t u = 0; u < n_in; ++u) kept_inputs.push_back(u);
      first = false;
    }

    std::size_t inner = 1;  // kh * kw for a conv, 1 for a dense layer
    for (std::size_t d = 2; d < l.weight.dimension(); ++d) inner *= l.weight.shape()[d];
    tensor_shape shape = detail::shape_of(l.weight);
    shape[0] = kept_outputs.size();
    shape[1] = kept_inputs.size();
    layer_weights small;
    small.weight = xt::xarray<float>::from_shape(shape);
    float* dst = small.weight.data();
    const float* src = l.weight.data();
    for (std::size_t o : kept_outputs)
      for (std::size_t in : kept_inputs) {
        const float* from = src + (o * n_in + in) * inner;
        dst = std::copy(from, from + inner, dst);
      }
    if (l.bias.dimension() != 0) {
      small.bias = xt::xarray<float>::from_shape({kept_outputs.size()});
      for (std::size_t j = 0; j < kept_outputs.size(); ++j) small.bias(j) = l.bias(kept_outputs[j]);
    }
    out.push_back(std::move(small));
    kept_inputs = std::move(kept_outputs);
  }
  return out;
}

}  // namespace tunekit
