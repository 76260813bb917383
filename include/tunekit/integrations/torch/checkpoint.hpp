#pragma once

#include "detail/requires_target.hpp"

/// Module and optimizer state as a value: the bytes `torch::save` writes,
/// held in memory. What `pbt_scheduler::save` hands from one trial to the
/// next (exploit copies a better member's checkpoint), and what a file on
/// disk holds when written out.

#include <cstddef>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "../../pruning/mask.hpp"
#include "masks.hpp"

namespace tunekit::torch {

/// A training state: the module's parameters and buffers, the optimizer's
/// state (momentum buffers, Adam's moments, each group's options, among
/// them the lr) and the pruning masks, as bytes of LibTorch's archive format
/// (`torch::load` reads `module` and `optimizer` back). Copyable; PBT
/// shares it between members by `shared_ptr`.
struct checkpoint {
  std::string module;
  std::string optimizer;  ///< empty when no optimizer was saved
  std::map<std::string, pruning_mask> masks;
};

namespace detail {
template <class T>
std::string archive_bytes(const T& value) {
  ::torch::serialize::OutputArchive archive;
  value.save(archive);  // what torch::save(value, stream) does
  std::ostringstream out;
  archive.save_to(out);
  return std::move(out).str();
}
template <class T>
void load_bytes(T& value, const std::string& bytes) {
  ::torch::serialize::InputArchive archive;
  std::istringstream in(bytes);
  archive.load_from(in);
  value.load(archive);
}
}  // namespace detail

/// Saves `module` and, when given, `optimizer` and `masks`.
inline checkpoint save_checkpoint(const ::torch::nn::Module& module, const ::torch::optim::Optimizer* optimizer = nullptr,
                                  const parameter_masks* masks = nullptr) {
  checkpoint c;
  c.module = detail::archive_bytes(module);
  if (optimizer != nullptr) c.optimizer = detail::archive_bytes(*optimizer);
  if (masks != nullptr)
    for (const auto& name : masks->names()) c.masks.emplace(name, masks->mask(name));
  return c;
}

/// Options of `load_checkpoint`.
struct load_options {
  /// true: the optimizer keeps its groups' options (lr, momentum, weight
  /// decay: the hyperparameters the current trial chose, which PBT's explore
  /// step may have changed) and takes only the per-parameter state
  /// (momentum buffers, Adam's moments) from the checkpoint. false: the
  /// options come from the checkpoint too, as `torch::load` does.
  bool keep_hyperparameters = true;
};

/// Loads `c` into `module` (same architecture: names and shapes must match,
/// else LibTorch's error), into `optimizer` when given (built on `module`'s
/// parameters, same kind and groups), and installs its masks into `masks`
/// when given (replacing the masks of those parameters).
inline void load_checkpoint(const checkpoint& c, ::torch::nn::Module& module, ::torch::optim::Optimizer* optimizer = nullptr,
                            parameter_masks* masks = nullptr, const load_options& options = {}) {
  detail::load_bytes(module, c.module);
  if (optimizer != nullptr) {
    if (c.optimizer.empty())
      throw invalid_argument("load_checkpoint: an optimizer was given but the checkpoint holds no optimizer state");
    std::vector<std::unique_ptr<::torch::optim::OptimizerOptions>> kept;
    for (auto& g : optimizer->param_groups()) kept.push_back(g.options().clone());
    detail::load_bytes(*optimizer, c.optimizer);
    if (options.keep_hyperparameters)
      for (std::size_t i = 0; i < kept.size() && i < optimizer->param_groups().size(); ++i)
        optimizer->param_groups()[i].set_options(std::move(kept[i]));
  }
  if (masks != nullptr)
    for (const auto& [name, m] : c.masks) masks->set_mask(name, m);
}

}  // namespace tunekit::torch
