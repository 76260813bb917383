#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "group.hpp"
#include "policy_base.hpp"

namespace tunekit {

/// Options of `lambda_lr` (PyTorch's LambdaLR).
struct lambda_lr_options {
  /// Factor of the base lr at each epoch (epochs count from 0); required.
  std::function<double(std::int64_t epoch)> lr_lambda = {};
};

/// lr = base lr * lr_lambda(epoch): PyTorch's LambdaLR, for any schedule
/// written as a formula (e.g. a transformer's warm-up then inverse square root).
/// It sets the lr from the base lr, so earlier policies in a chain are overwritten.
class lambda_lr : public detail::standard_lr_policy<lambda_lr> {
 public:
  explicit lambda_lr(lambda_lr_options options = {}) : o_(std::move(options)) {
    if (!o_.lr_lambda) throw invalid_argument("lambda_lr: option 'lr_lambda' must be set");
  }
  double get_lr(const lr_group&, std::int64_t e) const { return base_lr_ * o_.lr_lambda(e); }
  const lambda_lr_options& options() const noexcept { return o_; }

 private:
  lambda_lr_options o_;
};

/// Options of `multiplicative_lr` (PyTorch's MultiplicativeLR).
struct multiplicative_lr_options {
  /// Factor by which epoch e (>= 1) multiplies the current lr; required.
  std::function<double(std::int64_t epoch)> lr_lambda = {};
};

/// lr[e] = lr[e-1] * lr_lambda(e): PyTorch's MultiplicativeLR (recursive, so
/// it composes with other policies in a chain).
class multiplicative_lr : public detail::standard_lr_policy<multiplicative_lr> {
 public:
  explicit multiplicative_lr(multiplicative_lr_options options = {}) : o_(std::move(options)) {
    if (!o_.lr_lambda) throw invalid_argument("multiplicative_lr: option 'lr_lambda' must be set");
  }
  double get_lr(const lr_group& g, std::int64_t e) const { return e > 0 ? g.lr * o_.lr_lambda(e) : g.lr; }
  const multiplicative_lr_options& options() const noexcept { return o_; }

 private:
  multiplicative_lr_options o_;
};

}  // namespace tunekit
