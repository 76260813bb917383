#pragma once

#include <tunekit/mo/constraints.hpp>
#include <tunekit/storage/memory.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tunekit::testing {

/// One trial to add: its state, values, parameters (float "lr", int "layers",
/// categorical "act") and measured resources.
struct fixture_trial {
  trial_state state = trial_state::complete;
  std::vector<double> values = {};
  double lr = 0.01;
  std::int64_t layers = 2;
  std::string act = "relu";
  resource_usage resources = {};
  /// Constraint values (<= 0 satisfied; mo/constraints.hpp); none: unconstrained.
  std::vector<double> constraints = {};
};

inline const distribution& lr_dist() {
  static const distribution d = float_distribution(1e-5, 1.0, {.log = true});
  return d;
}
inline const distribution& layers_dist() {
  static const distribution d = int_distribution(1, 8);
  return d;
}
inline const distribution& act_dist() {
  static const distribution d = categorical_distribution({category("relu"), category("tanh")});
  return d;
}

/// A memory storage with study `name` holding `trials`, in order.
inline memory_storage make_study(const std::string& name, std::vector<direction> dirs,
                                 const std::vector<fixture_trial>& trials) {
  memory_storage s;
  const auto sid = s.create_study(name, dirs);
  for (const auto& t : trials) {
    frozen_trial r;
    r.state = trial_state::running;
    const auto created = s.create_trial(sid, r);
    s.set_param(created.id, "lr", t.lr, lr_dist());
    s.set_param(created.id, "layers", static_cast<double>(t.layers), layers_dist());
    s.set_param(created.id, "act", t.act == "relu" ? 0.0 : 1.0, act_dist());
    if (!t.constraints.empty())
      for (const auto& [key, value] : constraint_attributes(t.constraints)) s.set_system_attr(created.id, key, value);
    if (t.state != trial_state::running)
      s.finish_trial(created.id, t.state, t.state == trial_state::complete ? t.values : std::vector<double>{},
                     t.resources, t.state == trial_state::fail ? "boom" : "");
  }
  return s;
}

}  // namespace tunekit::testing
