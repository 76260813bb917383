#pragma once

#include "detail/requires_target.hpp"

/// Pruning masks on a `torch::nn::Module`'s parameters, kept through
/// training: the counterpart of `torch.nn.utils.prune`. tunekit::pruning
/// computes the masks (any `mask_criterion`, global magnitude pruning, a
/// gradual `sparsity_schedule`); `parameter_masks` stores one per parameter
/// and keeps the pruned entries at zero.
///
/// PyTorch reparametrises (`weight = weight_orig * weight_mask` in a forward
/// pre-hook). We keep the parameter itself and zero it instead: the gradient
/// is masked before the optimizer step (so momentum and Adam's moments never
/// grow on pruned entries) and the weights are masked again after it (so
/// weight decay or stale optimizer state cannot revive them). The forward
/// pass costs nothing extra, and the module stays an ordinary module that
/// saves, loads and materialises as it is.

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "../../core/errors.hpp"
#include "../../pruning/concepts.hpp"
#include "../../pruning/mask.hpp"
#include "../../pruning/schedule.hpp"
#include "../../pruning/unstructured.hpp"
#include "detail/tensor.hpp"

namespace tunekit::torch {

namespace detail {

/// A parameter as tunekit::pruning reads it: float32, on the CPU, contiguous
/// (the parameter's own memory when it already is, else a copy).
struct float_weights {
  ::torch::Tensor cpu;
  importance_view view;
};

inline float_weights weights_of(const std::string& name, const ::torch::Tensor& p) {
  require_float(name, p);
  float_weights w;
  w.cpu = p.detach().to(::torch::kCPU).contiguous();
  w.view = {std::span<const float>(w.cpu.data_ptr<float>(), static_cast<std::size_t>(w.cpu.numel())), shape_of(p)};
  return w;
}

/// The mask as a tensor of the parameter's dtype and device (1 keeps, 0 prunes).
inline ::torch::Tensor multiplier_of(const pruning_mask& mask, const ::torch::Tensor& p) {
  std::vector<std::int64_t> sizes(mask.shape().begin(), mask.shape().end());
  auto bytes = ::torch::from_blob(const_cast<std::uint8_t*>(mask.data()), sizes, ::torch::kUInt8);
  return bytes.to(p.device(), p.scalar_type());  // a copy: the mask's memory is not shared
}

}  // namespace detail

/// Options of `parameter_masks::prune_on_schedule`.
struct gradual_options {
  /// true: one magnitude threshold over all the named parameters together
  /// (PyTorch's `global_unstructured`), so layers end up with different
  /// sparsities; false: each parameter pruned to the target on its own
  /// (`l1_unstructured` per parameter).
  bool global = true;
};

/// One mask per pruned parameter of a module, kept applied through training.
///
/// \code
/// tunekit::torch::parameter_masks masks(*net);
/// masks.prune("fc1.weight", tunekit::l1_unstructured{tunekit::fraction(0.5)});
/// for (...) {                       // the training loop
///   optimizer.zero_grad();
///   loss.backward();
///   masks.step(optimizer);          // mask the gradients, step, mask the weights
/// }
/// \endcode
///
/// Parameters are named as `module.named_parameters()` names them
/// ("fc1.weight", "features.0.weight"). Pruning a parameter again composes
/// with its mask, as PyTorch's PruningContainer does: new pruning happens
/// only among the survivors. Holds a reference to the module (which must
/// outlive it) and handles to the pruned parameters; replacing a parameter
/// tensor (not its values) leaves the handle on the old one.
class parameter_masks {
 public:
  explicit parameter_masks(::torch::nn::Module& module) : module_(&module) {}

  /// Prunes parameter `name` with `criterion` (on top of its current mask,
  /// if any), zeroes the pruned entries and returns the new mask.
  template <mask_criterion C>
  const pruning_mask& prune(std::string_view name, const C& criterion) {
    const std::string key(name);
    ::torch::Tensor p = parameter(key);
    const detail::float_weights w = detail::weights_of(key, p);
    auto it = masks_.find(key);
    pruning_mask mask = it == masks_.end() ? criterion.compute_mask(w.view, full_mask(w.view.shape))
                                           : criterion.compute_mask(w.view, it->second.mask);
    return install(key, std::move(p), std::move(mask));
  }

  /// Installs a mask computed elsewhere for parameter `name` (replacing its
  /// current one) and zeroes the pruned entries. `invalid_argument` naming
  /// the parameter when the mask's shape is not the parameter's.
  const pruning_mask& set_mask(std::string_view name, pruning_mask mask) {
    const std::string key(name);
    ::torch::Tensor p = parameter(key);
    detail::require_float(key, p);
    const tensor_shape want = detail::shape_of(p), got(mask.shape().begin(), mask.shape().end());
    if (got != want)
      throw invalid_argument("the mask for parameter '" + key + "' has shape " + tunekit::detail::shape_string(got) +
                             " but the parameter has shape " + tunekit::detail::shape_string(want));
    return install(key, std::move(p), std::move(mask));
  }

  /// Global magnitude pruning (PyTorch: `global_unstructured` with
  /// L1Unstructured) over the named parameters: `options.amount` of all
  /// their surviving entries together, smallest |w| first.
  void prune_global(std::span<const std::string> names, const global_options& options) {
    if (names.empty()) throw invalid_argument("prune_global: 'names' is empty; name the parameters to prune together");
    std::vector<::torch::Tensor> params;
    std::vector<detail::float_weights> weights;
    std::vector<importance_view> views;
    std::vector<pruning_mask> current;
    bool any_mask = false;
    for (const auto& n : names) {
      params.push_back(parameter(n));
      weights.push_back(detail::weights_of(n, params.back()));
      views.push_back(weights.back().view);
      auto it = masks_.find(n);
      any_mask |= it != masks_.end();
      current.push_back(it == masks_.end() ? full_mask(views.back().shape) : it->second.mask);
    }
    std::vector<pruning_mask> out =
        global_unstructured(views, options, any_mask ? std::span<const pruning_mask>(current) : std::span<const pruning_mask>{});
    for (std::size_t i = 0; i < names.size(); ++i) install(names[i], std::move(params[i]), std::move(out[i]));
  }

  /// Gradual pruning: at the update steps of `schedule` (e.g. a
  /// `polynomial_schedule`, Zhu & Gupta 2017), prunes the named parameters by
  /// magnitude up to `schedule.target_sparsity(step)`, on top of their masks.
  /// Returns whether it pruned. Between update steps the masks stay as they are.
  template <sparsity_schedule S>
  bool prune_on_schedule(std::int64_t step, const S& schedule, std::span<const std::string> names,
                         const gradual_options& options = {}) {
    if (!schedule.is_update_step(step)) return false;
    const double target = schedule.target_sparsity(step);
    if (options.global) {
      sparsity_stats total;
      for (const auto& n : names) total += current_stats(n);
      prune_global(names, {.amount = amount_to_reach(target, total)});
    } else {
      for (const auto& n : names) prune(n, l1_unstructured{amount_to_reach(target, current_stats(n))});
    }
    return true;
  }

  /// Forgets the mask of `name` (PyTorch: `prune.remove`): the zeros stay,
  /// but training may now change them.
  void remove(std::string_view name) {
    if (masks_.erase(std::string(name)) == 0)
      throw invalid_argument("parameter '" + std::string(name) + "' has no mask to remove");
  }

  [[nodiscard]] bool contains(std::string_view name) const { return masks_.contains(std::string(name)); }

  /// The mask of `name`; `invalid_argument` when it has none.
  [[nodiscard]] const pruning_mask& mask(std::string_view name) const { return entry(name).mask; }

  /// The mask of `name` as a float tensor of the parameter's shape, dtype and
  /// device (what PyTorch stores as `<name>_mask`).
  [[nodiscard]] ::torch::Tensor mask_tensor(std::string_view name) const { return entry(name).multiplier; }

  /// The names of the masked parameters, sorted.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [n, e] : masks_) out.push_back(n);
    return out;
  }

  /// Zeroes the pruned entries of every masked parameter (after an optimizer step).
  void apply() const {
    ::torch::NoGradGuard no_grad;
    for (const auto& [n, e] : masks_) e.parameter.mul_(e.multiplier);
  }

  /// Zeroes the gradients of the pruned entries (after backward, before the step).
  void mask_gradients() const {
    for (const auto& [n, e] : masks_) {
      ::torch::Tensor g = e.parameter.mutable_grad();
      if (g.defined()) g.mul_(e.multiplier);
    }
  }

  /// `mask_gradients()`, `optimizer.step()`, `apply()`: the masked step.
  void step(::torch::optim::Optimizer& optimizer) const {
    mask_gradients();
    optimizer.step();
    apply();
  }

  /// Sparsity of the masked parameters together.
  [[nodiscard]] sparsity_stats stats() const {
    sparsity_stats s;
    for (const auto& [n, e] : masks_) s += tunekit::stats(e.mask);
    return s;
  }
  /// Sparsity of one parameter (0 pruned when it has no mask).
  [[nodiscard]] sparsity_stats stats(std::string_view name) const { return current_stats(std::string(name)); }

 private:
  struct entry_t {
    ::torch::Tensor parameter;
    pruning_mask mask;
    ::torch::Tensor multiplier;
  };

  ::torch::Tensor parameter(const std::string& name) const {
    const auto params = module_->named_parameters(/*recurse=*/true);
    if (const ::torch::Tensor* p = params.find(name)) return *p;
    std::string known;
    for (const auto& item : params) known += (known.empty() ? "" : ", ") + item.key();
    throw invalid_argument("the module has no parameter '" + name + "' (it has: " + known + ")");
  }

  const entry_t& entry(std::string_view name) const {
    auto it = masks_.find(std::string(name));
    if (it == masks_.end()) throw invalid_argument("parameter '" + std::string(name) + "' has no mask");
    return it->second;
  }

  sparsity_stats current_stats(const std::string& name) const {
    if (auto it = masks_.find(name); it != masks_.end()) return tunekit::stats(it->second.mask);
    const ::torch::Tensor p = parameter(name);
    return {static_cast<std::size_t>(p.numel()), 0};
  }

  const pruning_mask& install(const std::string& name, ::torch::Tensor p, pruning_mask mask) {
    entry_t e{std::move(p), std::move(mask), {}};
    e.multiplier = detail::multiplier_of(e.mask, e.parameter);
    {
      ::torch::NoGradGuard no_grad;
      e.parameter.mul_(e.multiplier);
    }
    auto& slot = masks_[name] = std::move(e);
    return slot.mask;
  }

  ::torch::nn::Module* module_;
  std::map<std::string, entry_t> masks_;
};

}  // namespace tunekit::torch
