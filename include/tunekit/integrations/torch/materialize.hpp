#pragma once

#include "detail/requires_target.hpp"

/// Structured pruning made physical in LibTorch: a chain of `Linear` (or of
/// `Conv2d`) layers rebuilt without the output units (channels) their masks
/// prune whole, and without the matching inputs of the next layer. A mask
/// alone leaves the network as large and as slow as before; the rebuilt one
/// is not.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "../../core/errors.hpp"
#include "../../pruning/mask.hpp"
#include "../../pruning/structured.hpp"
#include "detail/tensor.hpp"

namespace tunekit::torch {

/// Options of `materialize`.
struct materialize_options {
  /// The activation between the layers (ReLU when unset). A dropped unit
  /// whose bias was not pruned with it fed the constant act(bias) into the
  /// next layer; that constant is folded into the next layer's bias, so the
  /// smaller chain computes what the masked one did. Exact for Linear
  /// chains; for Conv2d it is exact where the next layer's kernel lies
  /// inside the input (zero padding at the border sees less of it).
  std::function<float(float)> activation = {};
};

namespace detail {

inline ::torch::Tensor kept_index(const pruning_mask* mask, std::int64_t n, const std::string& name,
                                  const ::torch::Tensor& weight) {
  std::vector<std::int64_t> kept;
  if (mask == nullptr || mask->size() == 0 || mask->dimension() == 0) {
    for (std::int64_t u = 0; u < n; ++u) kept.push_back(u);
  } else {
    const tensor_shape want = shape_of(weight), got(mask->shape().begin(), mask->shape().end());
    if (got != want)
      throw invalid_argument("the mask for '" + name + ".weight' has shape " + tunekit::detail::shape_string(got) +
                             " but the weight has shape " + tunekit::detail::shape_string(want));
    for (const std::size_t u : kept_channels(*mask, 0)) kept.push_back(static_cast<std::int64_t>(u));
  }
  if (kept.empty())
    throw invalid_argument("the mask for '" + name + ".weight' prunes every output unit; the chain would be cut");
  return ::torch::tensor(kept, ::torch::kLong);
}

/// The shared part of both chains: new (weight, bias) per layer.
struct shrunk {
  std::vector<::torch::Tensor> weights, biases;
};

inline shrunk shrink(std::span<const ::torch::Tensor> weights, std::span<const ::torch::Tensor> biases,
                     std::span<const pruning_mask> masks, const materialize_options& options) {
  if (weights.empty()) throw invalid_argument("materialize: the chain is empty");
  if (masks.size() != weights.size())
    throw invalid_argument("materialize: 'masks' holds " + std::to_string(masks.size()) + " masks for a chain of " +
                           std::to_string(weights.size()) + " layers (an empty mask keeps a layer's outputs)");
  ::torch::NoGradGuard no_grad;
  auto act = options.activation ? options.activation : [](float x) { return x > 0 ? x : 0.0f; };
  shrunk out;
  ::torch::Tensor in_index;  // kept inputs of the current layer (undefined: all)
  ::torch::Tensor carry;     // per input unit of the current layer: act(bias) of dropped units, else 0
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const std::string name = "chain[" + std::to_string(i) + "]";
    const ::torch::Tensor& w = weights[i];
    require_float(name + ".weight", w);
    if (i > 0 && w.size(1) != weights[i - 1].size(0))
      throw invalid_argument("materialize: '" + name + ".weight' has " + std::to_string(w.size(1)) +
                             " inputs but the layer before has " + std::to_string(weights[i - 1].size(0)) + " outputs");
    ::torch::Tensor b = biases[i].defined() ? biases[i].detach().clone() : ::torch::Tensor();
    if (carry.defined()) {
      // The constant the dropped inputs contributed: W[:, u] * act(bias_u), summed over the kernel.
      const ::torch::Tensor per_unit = w.dim() > 2 ? w.detach().flatten(2).sum(2) : w.detach();
      ::torch::Tensor extra = per_unit.matmul(carry.to(w.scalar_type()));
      if (!b.defined()) b = ::torch::zeros({w.size(0)}, w.options());
      b += extra;
    }
    const ::torch::Tensor out_index = kept_index(&masks[i], w.size(0), name, w);
    ::torch::Tensor nw = w.detach().index_select(0, out_index);
    if (in_index.defined()) nw = nw.index_select(1, in_index);
    out.weights.push_back(nw.contiguous());
    // What the next layer's dropped inputs carried.
    carry = ::torch::zeros({w.size(0)}, ::torch::kFloat);
    {  // a layer without bias: its dropped units fed act(0)
      const ::torch::Tensor bias =
          b.defined() ? b.to(::torch::kCPU, ::torch::kFloat).contiguous() : ::torch::zeros({w.size(0)}, ::torch::kFloat);
      std::vector<std::uint8_t> kept(static_cast<std::size_t>(w.size(0)), 0);
      for (const std::int64_t u : std::span(out_index.data_ptr<std::int64_t>(), static_cast<std::size_t>(out_index.numel())))
        kept[static_cast<std::size_t>(u)] = 1;
      float* c = carry.data_ptr<float>();
      const float* bv = bias.data_ptr<float>();
      for (std::size_t u = 0; u < kept.size(); ++u)
        if (!kept[u]) c[u] = act(bv[u]);
    }
    out.biases.push_back(b.defined() ? b.index_select(0, out_index).contiguous() : ::torch::Tensor());
    in_index = out_index;
  }
  return out;
}

}  // namespace detail

/// The smaller chain of dense layers. `masks[i]` is the mask of
/// `chain[i]->weight` (from `ln_structured` on axis 0, or any mask: an
/// output unit is dropped when its mask keeps none of its weights), or empty
/// (keep all of layer i's outputs; usual for the last layer). Input u of
/// layer i+1 is dropped with output u of layer i. Unstructured zeros inside
/// kept units stay. The new layers are on the CPU.
inline std::vector<::torch::nn::Linear> materialize(std::span<const ::torch::nn::Linear> chain,
                                                    std::span<const pruning_mask> masks,
                                                    const materialize_options& options = {}) {
  std::vector<::torch::Tensor> w, b;
  for (const auto& l : chain) {
    w.push_back(l->weight.to(::torch::kCPU));
    b.push_back(l->options.bias() ? l->bias.to(::torch::kCPU) : ::torch::Tensor());
  }
  const detail::shrunk s = detail::shrink(w, b, masks, options);
  std::vector<::torch::nn::Linear> out;
  ::torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    // A layer without bias gets one when dropped units' constants were folded into it.
    const bool bias = s.biases[i].defined();
    ::torch::nn::Linear l(::torch::nn::LinearOptions(s.weights[i].size(1), s.weights[i].size(0)).bias(bias));
    l->weight.copy_(s.weights[i]);
    if (bias) l->bias.copy_(s.biases[i]);
    out.push_back(l);
  }
  return out;
}

/// The smaller chain of convolutions: output channels (filters) whose mask
/// keeps nothing are dropped, with the matching input channels of the next
/// convolution. Kernel size, stride, padding, dilation and padding mode are
/// kept; grouped convolutions (groups > 1) are rejected.
inline std::vector<::torch::nn::Conv2d> materialize(std::span<const ::torch::nn::Conv2d> chain,
                                                    std::span<const pruning_mask> masks,
                                                    const materialize_options& options = {}) {
  std::vector<::torch::Tensor> w, b;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const auto& c = chain[i];
    if (c->options.groups() != 1)
      throw invalid_argument("materialize: chain[" + std::to_string(i) + "] is a grouped convolution (groups = " +
                             std::to_string(c->options.groups()) + "), which cannot be shrunk channel by channel");
    w.push_back(c->weight.to(::torch::kCPU));
    b.push_back(c->options.bias() ? c->bias.to(::torch::kCPU) : ::torch::Tensor());
  }
  const detail::shrunk s = detail::shrink(w, b, masks, options);
  std::vector<::torch::nn::Conv2d> out;
  ::torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const auto& from = chain[i]->options;
    ::torch::nn::Conv2dOptions o(s.weights[i].size(1), s.weights[i].size(0), from.kernel_size());
    o.stride(from.stride()).padding(from.padding()).dilation(from.dilation()).padding_mode(from.padding_mode());
    o.bias(s.biases[i].defined());
    ::torch::nn::Conv2d c(o);
    c->weight.copy_(s.weights[i]);
    if (o.bias()) c->bias.copy_(s.biases[i]);
    out.push_back(c);
  }
  return out;
}

/// Parameters of a module: the size a materialised network is judged by.
inline std::int64_t parameter_count(const ::torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace tunekit::torch
