#pragma once

#include "detail/requires_target.hpp"

/// `xgboost::booster`: an XGBoost Booster handle with the calls a tuning
/// loop makes (parameters, one round of training, evaluation, prediction,
/// saving), each failure an `xgboost::error` carrying XGBoost's message.

#include <charconv>
#include <concepts>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <xgboost/c_api.h>

#include "../../core/errors.hpp"
#include "../../detail/format.hpp"
#include "dmatrix.hpp"
#include "error.hpp"
#include "eval_result.hpp"

namespace tunekit::xgboost {

/// A data set to evaluate on and the name its metrics are reported under:
/// `{valid, "validation"}` gives keys like "validation-mlogloss".
struct eval_set {
  std::reference_wrapper<const dmatrix> data;
  std::string name;
};

/// Options of `booster`.
struct booster_options {
  /// Reject a parameter XGBoost does not use (a misspelt name, or one of
  /// another booster type) at the first `update` after it was set. XGBoost
  /// itself accepts any name and at most logs a warning, so a typo would
  /// silently tune nothing. Off: such names are passed on and ignored.
  bool reject_unused_params = true;
};

namespace detail {

/// Shortest text that reads back as the same double: what Python's str()
/// gives XGBoost, so both bindings configure the same model.
inline std::string number_text(double x) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(x);
}

/// Every parameter name the booster's configuration knows: the members of
/// each `*_param` object in its JSON configuration, the global ones, and
/// `eval_metric` (stored apart, as "metrics"). The same notion of "used" as
/// XGBoost's `validate_parameters` warning.
inline void collect_param_names(const nlohmann::json& j, std::set<std::string, std::less<>>& out) {
  if (!j.is_object()) return;
  for (const auto& [key, value] : j.items()) {
    if (key.size() > 6 && key.ends_with("_param") && value.is_object())
      for (const auto& [name, _] : value.items()) out.insert(name);
    else if (value.is_object())
      collect_param_names(value, out);
  }
}

template <class = void>
class booster_impl {
 public:
  /// `cache`: the matrices XGBoost may keep prediction caches for (the
  /// training and evaluation sets, for speed); none is needed.
  explicit booster_impl(std::initializer_list<std::reference_wrapper<const dmatrix>> cache = {},
                        const booster_options& options = {})
      : options_(options) {
    std::vector<DMatrixHandle> handles;
    for (const dmatrix& d : cache) handles.push_back(d.handle());
    check(XGBoosterCreate(handles.data(), static_cast<bst_ulong>(handles.size()), &handle_), "XGBoosterCreate");
  }

  booster_impl(booster_impl&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), options_(other.options_),
        unchecked_(std::move(other.unchecked_)), failed_(std::move(other.failed_)) {}
  booster_impl& operator=(booster_impl&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
      options_ = other.options_;
      unchecked_ = std::move(other.unchecked_);
      failed_ = std::move(other.failed_);
    }
    return *this;
  }
  booster_impl(const booster_impl&) = delete;
  booster_impl& operator=(const booster_impl&) = delete;
  ~booster_impl() { reset(); }

  /// Sets one parameter, as XGBoost's documentation names it:
  /// `set_param("objective", "multi:softprob")`, `set_param("max_depth", 6)`.
  /// A bad value is reported by XGBoost at the next `update`.
  void set_param(std::string_view name, std::string_view value) {
    const std::string n(name), v(value);
    check(XGBoosterSetParam(handle_, n.c_str(), v.c_str()),
          "XGBoosterSetParam(" + tunekit::detail::quoted(name) + ", " + tunekit::detail::quoted(value) + ")");
    unchecked_.push_back(n);
  }
  void set_param(std::string_view name, const char* value) { set_param(name, std::string_view(value)); }
  template <class N>
    requires(std::is_arithmetic_v<N> && !std::is_same_v<N, bool>)
  void set_param(std::string_view name, N value) {
    if constexpr (std::is_integral_v<N>) set_param(name, std::string_view(std::to_string(value)));
    else set_param(name, std::string_view(number_text(static_cast<double>(value))));
  }
  /// Several string parameters at once, in order (XGBoost keeps every
  /// `eval_metric` given, the others' last value).
  void set_params(std::initializer_list<std::pair<std::string_view, std::string_view>> params) {
    for (const auto& [name, value] : params) set_param(name, value);
  }

  /// Boosts one round on `train` (XGBoosterUpdateOneIter; `iteration` counts
  /// from 0). XGBoost reports bad parameter values here.
  void update(int iteration, const dmatrix& train) {
    guarded([&] {
      check(XGBoosterUpdateOneIter(handle_, iteration, train.handle()),
            "XGBoosterUpdateOneIter(round " + std::to_string(iteration) + ")");
    });
    if (!unchecked_.empty()) check_params_used();
  }

  /// Evaluates the model on `sets` after round `iteration` (XGBoosterEvalOneIter).
  eval_result evaluate(int iteration, const std::vector<eval_set>& sets) {
    std::vector<DMatrixHandle> handles;
    std::vector<const char*> names;
    for (const auto& s : sets) {
      handles.push_back(s.data.get().handle());
      names.push_back(s.name.c_str());
    }
    const char* line = nullptr;
    guarded([&] {
      check(XGBoosterEvalOneIter(handle_, iteration, handles.data(), names.data(),
                                 static_cast<bst_ulong>(sets.size()), &line),
            "XGBoosterEvalOneIter(round " + std::to_string(iteration) + ")");
    });
    return eval_result::parse(line ? line : "");
  }

  /// Predictions for every row of `data`, row-major: one per row, or one per
  /// class for "multi:softprob" (XGBoosterPredict, all trees).
  std::vector<float> predict(const dmatrix& data) const {
    refuse_if_failed();
    bst_ulong length = 0;
    const float* out = nullptr;
    check(XGBoosterPredict(handle_, data.handle(), /*option_mask=*/0, /*ntree_limit=*/0, /*training=*/0, &length, &out),
          "XGBoosterPredict");
    return std::vector<float>(out, out + length);
  }

  /// Rounds boosted so far.
  int boosted_rounds() const {
    int n = 0;
    check(XGBoosterBoostedRounds(handle_, &n), "XGBoosterBoostedRounds");
    return n;
  }

  /// Saves the model (JSON when the name ends in ".json", UBJSON for ".ubj").
  void save_model(const std::filesystem::path& path) const {
    check(XGBoosterSaveModel(handle_, path.string().c_str()), "XGBoosterSaveModel(" + tunekit::detail::quoted(path.string()) + ")");
  }
  void load_model(const std::filesystem::path& path) {
    check(XGBoosterLoadModel(handle_, path.string().c_str()), "XGBoosterLoadModel(" + tunekit::detail::quoted(path.string()) + ")");
  }

  /// The C API handle, for calls this wrapper does not cover. Still owned here.
  BoosterHandle handle() const noexcept { return handle_; }

 private:
  // XGBoost 1.7 can crash (SIGSEGV in GBTree::BoostNewTrees) when a booster
  // whose update failed, e.g. on max_depth = "abc", is updated again, even
  // with the parameter fixed. So a failed update or evaluation retires the
  // booster: later calls throw instead of reaching XGBoost.
  template <class F>
  void guarded(F&& call) {
    refuse_if_failed();
    try {
      call();
    } catch (const error& e) {
      failed_ = e.what();
      throw;
    }
  }
  void refuse_if_failed() const {
    if (!failed_.empty())
      throw state_error("xgboost::booster: an earlier call failed (" + failed_ +
                        "); XGBoost can crash when such a booster is used again, so create a new booster");
  }

  void check_params_used() {
    auto names = std::move(unchecked_);
    unchecked_.clear();
    if (!options_.reject_unused_params) return;
    bst_ulong length = 0;
    const char* config = nullptr;
    check(XGBoosterSaveJsonConfig(handle_, &length, &config), "XGBoosterSaveJsonConfig");
    std::set<std::string, std::less<>> known{"eval_metric"};
    collect_param_names(nlohmann::json::parse(config, config + length), known);
    const char* global = nullptr;
    check(XGBGetGlobalConfig(&global), "XGBGetGlobalConfig");
    const auto global_config = nlohmann::json::parse(global);  // named: items() refers into it
    for (const auto& [name, _] : global_config.items()) known.insert(name);
    for (const auto& name : names)
      if (!known.contains(name))
        throw invalid_argument("xgboost::booster: parameter " + tunekit::detail::quoted(name) +
                               " is not used by this XGBoost model (XGBoost accepts any name and would ignore it): "
                               "check its spelling against XGBoost's parameter list, or set "
                               "booster_options::reject_unused_params = false to pass it on anyway");
  }
  void reset() noexcept {
    if (handle_) XGBoosterFree(handle_);  // cannot fail for a live handle; nothing to report from a destructor
    handle_ = nullptr;
  }

  BoosterHandle handle_ = nullptr;
  booster_options options_;
  std::vector<std::string> unchecked_;  // names set since the last check
  std::string failed_;                  // what retired this booster, if anything
};

}  // namespace detail

/// An XGBoost model being trained. Move-only; the handle is freed with the
/// object. Not thread-safe: one booster per trial.
///
///     xgboost::booster b{{train, valid}};
///     b.set_params({{"objective", "multi:softprob"}, {"num_class", "10"}});
///     b.update(0, train);
class booster : public detail::booster_impl<> {
 public:
  using detail::booster_impl<>::booster_impl;
};

}  // namespace tunekit::xgboost
