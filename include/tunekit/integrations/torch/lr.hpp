#pragma once

#include "detail/requires_target.hpp"

/// tunekit's learning-rate schedules (tunekit/lr, PyTorch 1.13's numbers)
/// driving the parameter groups of a `torch::optim` optimizer: what
/// `torch.optim.lr_scheduler` does in Python, for the C++ front end, which
/// has only StepLR.

#include <cstddef>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/optimizer.h>
#include <torch/optim/sgd.h>

#include "../../core/errors.hpp"
#include "../../lr/concepts.hpp"

namespace tunekit::torch {

namespace detail {

/// Writes a momentum into an optimizer's group options: SGD's `momentum`,
/// Adam's and AdamW's beta1 (what PyTorch's cycling schedules change).
inline void set_momentum(::torch::optim::OptimizerOptions& options, double momentum, std::size_t group) {
  if (auto* sgd = dynamic_cast<::torch::optim::SGDOptions*>(&options)) {
    sgd->momentum(momentum);
  } else if (auto* adam = dynamic_cast<::torch::optim::AdamOptions*>(&options)) {
    adam->betas(std::make_tuple(momentum, std::get<1>(adam->betas())));
  } else if (auto* adamw = dynamic_cast<::torch::optim::AdamWOptions*>(&options)) {
    adamw->betas(std::make_tuple(momentum, std::get<1>(adamw->betas())));
  } else {
    throw invalid_argument("optimizer_lr: the schedule cycles the momentum, but parameter group " +
                           std::to_string(group) +
                           " belongs to an optimizer without one tunekit knows (SGD, Adam, AdamW); "
                           "turn the schedule's cycle_momentum off");
  }
}

}  // namespace detail

/// One `lr_schedule` per parameter group of `optimizer`, written into the
/// groups at construction (the lr of the first step) and after each `step()`.
///
/// \code
/// torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
/// tunekit::torch::optimizer_lr lr(opt, tunekit::scheduled_lr{0.1, tunekit::cosine_annealing_lr{{.t_max = 30}}});
/// for (int epoch = 0; epoch < 30; ++epoch) {
///   train_one_epoch(opt);
///   lr.step();                      // after the optimizer's steps, as in PyTorch >= 1.1
/// }
/// \endcode
///
/// The schedule's own lr is what the group gets: build it with the lr you
/// gave the optimizer. Schedules that cycle the momentum (`one_cycle_lr`,
/// `cyclic_lr`) also set SGD's momentum or Adam's beta1. Holds a reference
/// to the optimizer, which must outlive it.
template <lr_schedule S>
class optimizer_lr {
 public:
  /// The same schedule (copied) for every parameter group.
  optimizer_lr(::torch::optim::Optimizer& optimizer, const S& schedule)
      : optimizer_lr(optimizer, std::vector<S>(optimizer.param_groups().size(), schedule)) {}

  /// `schedules[i]` drives parameter group i.
  optimizer_lr(::torch::optim::Optimizer& optimizer, std::vector<S> schedules)
      : optimizer_(&optimizer), schedules_(std::move(schedules)) {
    if (schedules_.size() != optimizer.param_groups().size())
      throw invalid_argument("optimizer_lr: " + std::to_string(schedules_.size()) + " schedules for an optimizer with " +
                             std::to_string(optimizer.param_groups().size()) + " parameter groups; give one per group");
    write();
  }

  /// Advances every group's schedule by one epoch (or batch) and writes the new lr.
  void step()
    requires requires(S& s) { s.step(); }
  {
    for (auto& s : schedules_) s.step();
    write();
  }

  /// The same, for schedules driven by a metric (`reduce_lr_on_plateau`).
  void step(double metric)
    requires requires(S& s, double m) { s.step(m); }
  {
    for (auto& s : schedules_) s.step(metric);
    write();
  }

  /// The learning rate group `group` uses for its next step.
  [[nodiscard]] double lr(std::size_t group = 0) const { return schedules_.at(group).lr(); }
  [[nodiscard]] const S& schedule(std::size_t group = 0) const { return schedules_.at(group); }

 private:
  void write() {
    auto& groups = optimizer_->param_groups();
    for (std::size_t g = 0; g < groups.size(); ++g) {
      auto& options = groups[g].options();
      options.set_lr(static_cast<double>(schedules_[g].lr()));
      if constexpr (requires(const S& s) { { s.momentum() } -> std::convertible_to<std::optional<double>>; }) {
        if (const std::optional<double> m = schedules_[g].momentum()) detail::set_momentum(options, *m, g);
      }
    }
  }

  ::torch::optim::Optimizer* optimizer_;
  std::vector<S> schedules_;
};

}  // namespace tunekit::torch
