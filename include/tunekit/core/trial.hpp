#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "distribution.hpp"
#include "errors.hpp"
#include "frozen_trial.hpp"
#include "search_space.hpp"
#include "study_view.hpp"
#include "../mo/constraints.hpp"
#include "../mo/intermediate.hpp"

namespace tunekit {

class trial;

namespace detail {

/// What a live trial needs from the tuner that runs it. The tuner
/// implements this; keeping it virtual keeps `trial` a plain, non-template
/// type that user objectives can take by reference.
class trial_host {
 public:
  virtual ~trial_host() = default;
  /// `view` is the trial's own snapshot of the study for its sampler: empty
  /// at the trial's first independent suggest, when the host fills it; the
  /// trial's later suggests reuse it (as Optuna caches a study's trials for
  /// the length of a trial), so a suggest costs no storage read.
  virtual double sample_independent(const frozen_trial& t, std::optional<study_view>& view, std::string_view name,
                                    const distribution& d) = 0;
  virtual void set_param(std::int64_t trial_id, std::string_view name, double internal, const distribution& d) = 0;
  virtual void report(std::int64_t trial_id, std::int64_t step, double value) = 0;
  virtual bool should_prune(const frozen_trial& t) = 0;
  virtual void set_user_attr(std::int64_t trial_id, std::string_view key, const nlohmann::json& value) = 0;
  /// Checks `values` against the study's constraints and stores them
  /// (`constraint_attributes`); returns the attributes stored.
  virtual attributes set_constraints(std::int64_t trial_id, std::span<const double> values) = 0;
  /// Stores a vector of intermediate values; the host checks its length.
  virtual void report_values(std::int64_t trial_id, std::int64_t step, std::span<const double> values) = 0;
};

/// The category a user-facing choice stands for.
template <class C>
category to_category(const C& c) {
  if constexpr (std::is_same_v<C, bool>) return c;
  else if constexpr (std::is_integral_v<C>) return static_cast<std::int64_t>(c);
  else if constexpr (std::is_floating_point_v<C>) return static_cast<double>(c);
  else if constexpr (std::is_convertible_v<const C&, std::string_view>) return std::string(std::string_view(c));
  else static_assert(sizeof(C) == 0, "categorical choices must be bool, integers, floating point or strings");
}

/// Reads back a category stored as JSON (enqueued parameters travel as JSON).
inline category category_from_json(const nlohmann::json& j) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  throw invalid_argument("a parameter value must be a bool, number or string, got " + j.dump());
}

inline nlohmann::json category_to_json(const category& c) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, c);
}

/// Key of the system attribute that carries enqueued parameters (Optuna's name).
inline constexpr std::string_view fixed_params_key = "fixed_params";

}  // namespace detail

/// A trial while its objective runs: ask it for parameters, report progress,
/// ask whether to stop. Define-by-run: the first `suggest_*` of a name
/// samples it; asking again with the same distribution returns the same
/// value, with a different one is an error.
class trial {
 public:
  /// `sampler_view`: the study as the sampler saw it at the trial's start
  /// (relative sampling), reused by the trial's independent suggests.
  trial(detail::trial_host& host, frozen_trial record, param_map relative = {}, search_space relative_space = {},
        std::optional<study_view> sampler_view = std::nullopt)
      : host_(&host), record_(std::move(record)), relative_(std::move(relative)),
        relative_space_(std::move(relative_space)), sampler_view_(std::move(sampler_view)) {
    if (auto f = record_.system_attrs.find(detail::fixed_params_key); f != record_.system_attrs.end())
      for (const auto& [name, value] : f->second.items()) fixed_.emplace(name, detail::category_from_json(value));
  }

  trial(trial&&) noexcept = default;
  trial& operator=(trial&&) noexcept = default;
  trial(const trial&) = delete;
  trial& operator=(const trial&) = delete;

  /// A float in [low, high]; `{.log = true}` samples on a log scale, `{.step = s}` on a grid.
  double suggest_float(std::string_view name, double low, double high, float_options options = {}) {
    return suggest(name, float_distribution(low, high, options, name));
  }

  /// An integer in [low, high] (both included).
  std::int64_t suggest_int(std::string_view name, std::int64_t low, std::int64_t high, int_options options = {}) {
    return static_cast<std::int64_t>(suggest(name, int_distribution(low, high, options, name)));
  }

  /// One of `choices`, returned as the caller's own type:
  /// `std::string act = t.suggest_categorical("act", {"relu", "tanh"});`
  template <class C>
  C suggest_categorical(std::string_view name, std::initializer_list<C> choices) {
    return pick(name, std::vector<C>(choices));
  }
  template <class C>
  C suggest_categorical(std::string_view name, const std::vector<C>& choices) {
    return pick(name, choices);
  }

  /// Suggests from any distribution; returns the internal value. The typed
  /// space and the `suggest_*` functions all come through here.
  double suggest(std::string_view name, const distribution& d) {
    if (auto known = record_.distributions.find(name); known != record_.distributions.end()) {
      if (!(known->second == d))
        throw invalid_argument("parameter " + detail::quoted(name) + " was already suggested in trial " +
                               std::to_string(record_.number) + " as " + describe(known->second) +
                               "; it cannot be suggested again as " + describe(d));
      return record_.params.find(name)->second;
    }
    double value;
    if (auto f = fixed_.find(name); f != fixed_.end()) {
      value = to_internal(d, f->second, name);  // an enqueued value outside the distribution is an error
    } else if (auto r = relative_.find(name); r != relative_.end() && relative_space_.find(name) &&
                                               *relative_space_.find(name) == d) {
      value = r->second;
    } else if (single(d)) {
      value = from_unit(d, 0.5);
    } else {
      value = host_->sample_independent(record_, sampler_view_, name, d);
    }
    host_->set_param(record_.id, name, value, d);
    record_.params.emplace(std::string(name), value);
    record_.distributions.emplace(std::string(name), d);
    return value;
  }

  /// Records an intermediate objective value (e.g. validation loss after an
  /// epoch) for schedulers to judge. Steps may come in any order. A step
  /// already reported keeps its first value: the repeat is ignored and
  /// `report` returns false (as in Optuna), so schedulers can rely on a
  /// reported value never changing. NaN and infinite values are stored as
  /// given; each scheduler documents how it judges them. Reporting after
  /// the trial finished throws `state_error`.
  bool report(std::int64_t step, double value) {
    if (record_.intermediate_values.contains(step)) return false;
    host_->report(record_.id, step, value);
    record_.intermediate_values.emplace(step, value);
    return true;
  }

  /// Multi-objective studies: records the vector of intermediate values at
  /// `step` (one per objective, e.g. validation error and latency after an
  /// epoch) for multi-objective schedulers (`pareto_scheduler`). As with
  /// `report`, a step already reported keeps its first vector and the call
  /// returns false. A vector whose length differs from the study's number
  /// of directions is an `invalid_argument`. Non-finite values are stored
  /// as NaN; schedulers never stop a trial on their account.
  bool report_values(std::int64_t step, std::span<const double> values) {
    const std::string key = detail::intermediate_vector_key(step);
    if (record_.system_attrs.contains(key)) return false;
    host_->report_values(record_.id, step, values);
    record_.system_attrs[key] = detail::intermediate_vector_json(values);
    return true;
  }
  bool report_values(std::int64_t step, std::initializer_list<double> values) {
    return report_values(step, std::span<const double>(values.begin(), values.size()));
  }

  /// Sets the trial's constraint values (Optuna 3.1 semantics): each value
  /// <= 0 means its constraint is satisfied, and the trial is feasible when
  /// all are. `best_trial`, `best_trials` and the constrained samplers put
  /// feasible trials first. A NaN value makes the trial infeasible (see
  /// mo/constraints.hpp for how non-finite values are stored). Every trial
  /// of a study must give the same number of values (`invalid_argument`
  /// otherwise, as for an empty list); calling it again replaces the values.
  /// Needs a storage with `set_system_attr` (all of tunekit's have it).
  void set_constraints(std::span<const double> values) {
    for (auto& [key, value] : host_->set_constraints(record_.id, values)) record_.system_attrs[key] = std::move(value);
  }
  void set_constraints(std::initializer_list<double> values) {
    set_constraints(std::span<const double>(values.begin(), values.size()));
  }

  /// Whether the scheduler says this trial should stop now.
  bool should_prune() { return host_->should_prune(record_); }

  /// Attaches a JSON value to the trial, kept with its record.
  void set_user_attr(std::string_view key, const nlohmann::json& value) {
    host_->set_user_attr(record_.id, key, value);
    record_.user_attrs[std::string(key)] = value;
  }

  std::int64_t number() const noexcept { return record_.number; }
  std::int64_t id() const noexcept { return record_.id; }
  /// The record as it stands: parameters suggested so far, reports, attributes.
  const frozen_trial& frozen() const noexcept { return record_; }
  const param_map& params() const noexcept { return record_.params; }

 private:
  template <class C>
  C pick(std::string_view name, const std::vector<C>& choices) {
    std::vector<category> cats;
    cats.reserve(choices.size());
    for (const auto& c : choices) cats.push_back(detail::to_category(c));
    const double index = suggest(name, categorical_distribution(std::move(cats), name));
    return choices[static_cast<std::size_t>(index)];
  }

  detail::trial_host* host_;
  frozen_trial record_;
  param_map relative_;
  search_space relative_space_;
  std::optional<study_view> sampler_view_;  // taken once per trial, see trial_host::sample_independent
  param_values fixed_;
};

}  // namespace tunekit
