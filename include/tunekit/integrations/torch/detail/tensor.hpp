#pragma once

#include "requires_target.hpp"

// What the integration's headers check and read of a LibTorch tensor.

#include <cstddef>
#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "../../../core/errors.hpp"
#include "../../../pruning/mask.hpp"

namespace tunekit::torch::detail {

inline std::string dtype_name(const at::Tensor& t) { return std::string(c10::toString(t.scalar_type())); }

/// Rejects what tunekit::pruning cannot rank: anything but float32.
inline void require_float(const std::string& name, const at::Tensor& p) {
  if (p.scalar_type() != at::kFloat)
    throw invalid_argument("parameter '" + name + "' is a " + dtype_name(p) +
                           " tensor; tunekit::torch prunes float32 parameters only "
                           "(convert the module first: module->to(torch::kFloat))");
  if (p.numel() == 0) throw invalid_argument("parameter '" + name + "' is empty: there is nothing to prune");
}

inline tensor_shape shape_of(const at::Tensor& t) {
  tensor_shape s;
  for (const std::int64_t d : t.sizes()) s.push_back(static_cast<std::size_t>(d));
  return s;
}

}  // namespace tunekit::torch::detail
