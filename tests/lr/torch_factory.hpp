#pragma once

// Builds tunekit policies from PyTorch class names and constructor arguments
// as the reference JSON files store them (tests/data/torch/).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <tunekit/lr.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunekit_test {

inline nlohmann::json load_json(const std::string& file) {
  const std::string path = std::string(TUNEKIT_TEST_DATA_DIR) + "/torch/" + file;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

/// The custom CyclicLR scale functions generate_lr_reference.py names.
inline std::function<double(double)> scale_fn_named(const std::string& name) {
  if (name == "half_pow") return [](double x) { return std::pow(0.5, x); };
  if (name == "inv_sqrt") return [](double x) { return 1.0 / std::sqrt(x + 1.0); };
  throw std::runtime_error("unknown scale_fn " + name);
}

/// The LambdaLR / MultiplicativeLR functions generate_lr_reference.py names.
inline std::function<double(std::int64_t)> lr_lambda_named(const std::string& name) {
  if (name == "warmup_rsqrt")
    return [](std::int64_t e) {
      return std::min(static_cast<double>(e + 1) / 10, std::pow(10 / static_cast<double>(e + 1), 0.5));
    };
  if (name == "times_0_95") return [](std::int64_t) { return 0.95; };
  if (name == "alternate") return [](std::int64_t e) { return e % 2 ? 1.1 : 0.8; };
  throw std::runtime_error("unknown lr_lambda " + name);
}

/// Reads kwargs, failing on any key the test does not consume (so no
/// argument in the reference data is silently ignored).
class kwargs_reader {
 public:
  kwargs_reader(const nlohmann::json& kwargs, std::size_t group) : k_(kwargs), group_(group) {}
  ~kwargs_reader() noexcept(false) {
    for (const auto& [key, value] : k_.items())
      if (!used_.count(key)) throw std::runtime_error("reference kwarg not handled by the test: " + key);
  }
  bool has(const std::string& key) const { return k_.contains(key); }
  /// A number, or the entry of a per-group list.
  double num(const std::string& key, double fallback) {
    if (!k_.contains(key)) return fallback;
    used_.insert(key);
    const auto& v = k_.at(key);
    return v.is_array() ? v.at(group_).get<double>() : v.get<double>();
  }
  std::int64_t integer(const std::string& key, std::int64_t fallback) {
    if (!k_.contains(key)) return fallback;
    used_.insert(key);
    return k_.at(key).get<std::int64_t>();
  }
  std::string str(const std::string& key, const std::string& fallback) {
    if (!k_.contains(key)) return fallback;
    used_.insert(key);
    return k_.at(key).get<std::string>();
  }
  bool flag(const std::string& key, bool fallback) {
    if (!k_.contains(key)) return fallback;
    used_.insert(key);
    return k_.at(key).get<bool>();
  }
  std::vector<std::int64_t> ints(const std::string& key) {
    used_.insert(key);
    return k_.at(key).get<std::vector<std::int64_t>>();
  }

 private:
  const nlohmann::json& k_;
  std::size_t group_;
  std::set<std::string> used_;
};

/// A chainable policy from {class, kwargs} (or a SequentialLR/ChainedScheduler
/// spec with `schedulers` and `milestones`), for parameter group `group`.
inline tunekit::any_chainable_lr make_policy(const std::string& cls, const nlohmann::json& kwargs,
                                             const nlohmann::json& spec, std::size_t group = 0) {
  if (cls == "SequentialLR" || cls == "ChainedScheduler") {
    std::vector<tunekit::any_chainable_lr> subs;
    for (const auto& s : spec.at("schedulers"))
      subs.push_back(make_policy(s.at("class").get<std::string>(), s.value("kwargs", nlohmann::json::object()), s, group));
    if (cls == "ChainedScheduler") return tunekit::chained_lr{std::move(subs)};
    const auto& m = spec.contains("milestones") ? spec.at("milestones") : kwargs.at("milestones");
    return tunekit::sequential_lr{std::move(subs), m.get<std::vector<std::int64_t>>()};
  }
  kwargs_reader k(kwargs, group);
  if (cls == "StepLR")
    return tunekit::step_lr{{.step_size = k.integer("step_size", 0), .gamma = k.num("gamma", 0.1)}};
  if (cls == "MultiStepLR") return tunekit::multi_step_lr{{.milestones = k.ints("milestones"), .gamma = k.num("gamma", 0.1)}};
  if (cls == "LambdaLR") return tunekit::lambda_lr{{.lr_lambda = lr_lambda_named(k.str("lr_lambda", ""))}};
  if (cls == "MultiplicativeLR")
    return tunekit::multiplicative_lr{{.lr_lambda = lr_lambda_named(k.str("lr_lambda", ""))}};
  if (cls == "ExponentialLR") return tunekit::exponential_lr{{.gamma = k.num("gamma", NAN)}};
  if (cls == "CosineAnnealingLR")
    return tunekit::cosine_annealing_lr{{.t_max = k.integer("T_max", 0), .eta_min = k.num("eta_min", 0)}};
  if (cls == "CosineAnnealingWarmRestarts")
    return tunekit::cosine_annealing_warm_restarts_lr{
        {.t_0 = k.integer("T_0", 0), .t_mult = k.integer("T_mult", 1), .eta_min = k.num("eta_min", 0)}};
  if (cls == "LinearLR")
    return tunekit::linear_lr{{.start_factor = k.num("start_factor", 1.0 / 3),
                               .end_factor = k.num("end_factor", 1.0),
                               .total_iters = k.integer("total_iters", 5)}};
  if (cls == "PolynomialLR")
    return tunekit::polynomial_lr{{.total_iters = k.integer("total_iters", 5), .power = k.num("power", 1.0)}};
  if (cls == "ConstantLR")
    return tunekit::constant_lr{{.factor = k.num("factor", 1.0 / 3), .total_iters = k.integer("total_iters", 5)}};
  if (cls == "OneCycleLR") {
    tunekit::one_cycle_lr_options o{.max_lr = k.num("max_lr", NAN)};
    if (k.has("total_steps")) o.total_steps = k.integer("total_steps", 0);
    if (k.has("epochs")) o.epochs = k.integer("epochs", 0);
    if (k.has("steps_per_epoch")) o.steps_per_epoch = k.integer("steps_per_epoch", 0);
    o.pct_start = k.num("pct_start", 0.3);
    o.anneal = k.str("anneal_strategy", "cos") == "cos" ? tunekit::anneal_strategy::cos : tunekit::anneal_strategy::linear;
    o.cycle_momentum = k.flag("cycle_momentum", true);
    o.base_momentum = k.num("base_momentum", 0.85);
    o.max_momentum = k.num("max_momentum", 0.95);
    o.div_factor = k.num("div_factor", 25.);
    o.final_div_factor = k.num("final_div_factor", 1e4);
    o.three_phase = k.flag("three_phase", false);
    return tunekit::one_cycle_lr{o};
  }
  if (cls == "CyclicLR") {
    tunekit::cyclic_lr_options o{.base_lr = k.num("base_lr", NAN), .max_lr = k.num("max_lr", NAN)};
    o.step_size_up = k.integer("step_size_up", 2000);
    if (k.has("step_size_down")) o.step_size_down = k.integer("step_size_down", 0);
    const std::string mode = k.str("mode", "triangular");
    o.mode = mode == "triangular"    ? tunekit::cyclic_mode::triangular
             : mode == "triangular2" ? tunekit::cyclic_mode::triangular2
                                     : tunekit::cyclic_mode::exp_range;
    o.gamma = k.num("gamma", 1.0);
    if (k.has("scale_fn")) o.scale_fn = scale_fn_named(k.str("scale_fn", ""));
    o.scale_mode = k.str("scale_mode", "cycle") == "cycle" ? tunekit::cyclic_scale_mode::cycle
                                                          : tunekit::cyclic_scale_mode::iterations;
    o.cycle_momentum = k.flag("cycle_momentum", true);
    o.base_momentum = k.num("base_momentum", 0.8);
    o.max_momentum = k.num("max_momentum", 0.9);
    return tunekit::cyclic_lr{o};
  }
  throw std::runtime_error("no tunekit policy for " + cls);
}

inline tunekit::reduce_lr_on_plateau make_plateau(double lr, const nlohmann::json& kwargs, std::size_t group = 0) {
  kwargs_reader k(kwargs, group);
  return tunekit::reduce_lr_on_plateau(
      lr, {.mode = k.str("mode", "min") == "min" ? tunekit::plateau_mode::min : tunekit::plateau_mode::max,
           .factor = k.num("factor", 0.1),
           .patience = k.integer("patience", 10),
           .threshold = k.num("threshold", 1e-4),
           .threshold_mode = k.str("threshold_mode", "rel") == "rel" ? tunekit::plateau_threshold_mode::rel
                                                                      : tunekit::plateau_threshold_mode::abs,
           .cooldown = k.integer("cooldown", 0),
           .min_lr = k.num("min_lr", 0),
           .eps = k.num("eps", 1e-8)});
}

/// |actual - expected| <= 1e-12 |expected| (so an expected 0 must be exactly 0).
inline bool close_rel(double actual, double expected) {
  return std::abs(actual - expected) <= 1e-12 * std::abs(expected);
}

}  // namespace tunekit_test
