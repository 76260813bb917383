#pragma once

#include "detail/requires_target.hpp"

/// The search-space fragment for XGBoost's tree booster: eight parameters
/// with the usual ranges and scales, a struct to hold them, and the call that
/// puts them on a `booster`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../core/errors.hpp"
#include "../../core/space.hpp"
#include "../../core/trial.hpp"
#include "../../detail/format.hpp"
#include "booster.hpp"

namespace tunekit::xgboost {

/// XGBoost's tree-booster parameters that are usually tuned. The defaults
/// are XGBoost's own, so an untuned member leaves XGBoost's behaviour as is.
struct booster_params {
  double eta = 0.3;               ///< learning rate (shrinkage of each tree)
  int max_depth = 6;              ///< depth of each tree
  double min_child_weight = 1.0;  ///< least hessian sum in a leaf
  double subsample = 1.0;         ///< fraction of rows each tree sees
  double colsample_bytree = 1.0;  ///< fraction of columns each tree sees
  double lambda = 1.0;            ///< L2 penalty on leaf weights
  double alpha = 0.0;             ///< L1 penalty on leaf weights
  double gamma = 0.0;             ///< least loss reduction to split (min_split_loss)
};

/// A closed range [low, high] of a float parameter (its scale is fixed by the parameter).
struct float_range {
  double low;
  double high;
};
/// A closed range [low, high] of an integer parameter.
struct int_range {
  std::int64_t low;
  std::int64_t high;
};

/// Which parameters are searched, and over what. `std::nullopt` leaves a
/// parameter out (it keeps `booster_params`' default, XGBoost's). Override a
/// range with `param_ranges{.eta = xgboost::float_range{0.01, 0.3}, .gamma = std::nullopt}`.
/// The scales are fixed: log for eta, min_child_weight, lambda and alpha,
/// whose useful values span decades; linear for the rest.
struct param_ranges {
  std::optional<float_range> eta = float_range{1e-3, 0.5};               // log
  std::optional<int_range> max_depth = int_range{2, 10};
  std::optional<float_range> min_child_weight = float_range{0.1, 20.0};  // log
  std::optional<float_range> subsample = float_range{0.5, 1.0};
  std::optional<float_range> colsample_bytree = float_range{0.5, 1.0};
  std::optional<float_range> lambda = float_range{1e-8, 10.0};           // log
  std::optional<float_range> alpha = float_range{1e-8, 10.0};            // log
  std::optional<float_range> gamma = float_range{0.0, 2.0};
};

namespace detail {

/// `space<T>` is built from an initializer_list only; this builds one from
/// however many bindings (K = b.size(), at most N) are left after leaving
/// some out, by trying K = 0, 1, ... N in turn.
template <class T, std::size_t... I>
space<T> space_of(const std::vector<param_binding<T>>& b, std::index_sequence<I...>) {
  return space<T>{b[I]...};
}
template <class T, std::size_t N, std::size_t K = 0>
space<T> space_from_bindings(const std::vector<param_binding<T>>& b) {
  if constexpr (K < N)
    if (b.size() != K) return space_from_bindings<T, N, K + 1>(b);
  return space_of(b, std::make_index_sequence<K>{});  // b.size() == K (the caller adds at most N)
}

/// Checks a range against what XGBoost allows for the parameter; the message
/// names the option, the bad range and the allowed one.
inline void check_range(const char* name, const std::optional<float_range>& r, double min, bool min_open, double max) {
  if (!r) return;
  const bool ok = r->low <= r->high && (min_open ? r->low > min : r->low >= min) && r->high <= max;
  if (!ok)
    throw invalid_argument(std::string("xgboost::param_ranges::") + name + " = [" + tunekit::detail::format_number(r->low) +
                           ", " + tunekit::detail::format_number(r->high) + "] is not allowed; use low <= high inside " +
                           (min_open ? "(" : "[") + tunekit::detail::format_number(min) + ", " +
                           tunekit::detail::format_number(max) + "]" + (max == 1.0 ? " (it is a fraction)" : "") +
                           ", or std::nullopt to leave " + name + " at XGBoost's default");
}

}  // namespace detail

/// The typed search space of `booster_params` over `ranges`: give it to a
/// tuner (`tuner{xgboost::param_space(), ...}`) or to `deploy::load_config`
/// to read an exported best configuration back. Parameters are named as
/// XGBoost names them. Throws `invalid_argument` naming a bad range.
inline space<booster_params> param_space(const param_ranges& ranges = {}) {
  constexpr double inf = 1e300;
  detail::check_range("eta", ranges.eta, 0, true, inf);
  detail::check_range("min_child_weight", ranges.min_child_weight, 0, true, inf);
  detail::check_range("subsample", ranges.subsample, 0, true, 1);
  detail::check_range("colsample_bytree", ranges.colsample_bytree, 0, true, 1);
  detail::check_range("lambda", ranges.lambda, 0, true, inf);
  detail::check_range("alpha", ranges.alpha, 0, true, inf);
  detail::check_range("gamma", ranges.gamma, 0, false, inf);
  if (const auto& d = ranges.max_depth; d && !(d->low >= 1 && d->low <= d->high))
    throw invalid_argument("xgboost::param_ranges::max_depth = [" + std::to_string(d->low) + ", " +
                           std::to_string(d->high) + "] is not allowed; use 1 <= low <= high, or std::nullopt "
                           "to leave max_depth at XGBoost's default");

  using p = booster_params;
  std::vector<param_binding<p>> b;
  if (const auto& r = ranges.eta) b.push_back(float_param("eta", &p::eta, r->low, r->high, {.log = true}));
  if (const auto& r = ranges.max_depth) b.push_back(int_param("max_depth", &p::max_depth, r->low, r->high));
  if (const auto& r = ranges.min_child_weight)
    b.push_back(float_param("min_child_weight", &p::min_child_weight, r->low, r->high, {.log = true}));
  if (const auto& r = ranges.subsample) b.push_back(float_param("subsample", &p::subsample, r->low, r->high));
  if (const auto& r = ranges.colsample_bytree)
    b.push_back(float_param("colsample_bytree", &p::colsample_bytree, r->low, r->high));
  if (const auto& r = ranges.lambda) b.push_back(float_param("lambda", &p::lambda, r->low, r->high, {.log = true}));
  if (const auto& r = ranges.alpha) b.push_back(float_param("alpha", &p::alpha, r->low, r->high, {.log = true}));
  if (const auto& r = ranges.gamma) b.push_back(float_param("gamma", &p::gamma, r->low, r->high));
  return detail::space_from_bindings<p, 8>(b);
}

/// Define-by-run: suggests the parameters of `ranges` in `t` and returns
/// them (the others at their defaults), so an objective can add its own
/// suggestions beside them.
inline booster_params suggest_params(trial& t, const param_ranges& ranges = {}) {
  return param_space(ranges).materialize(t);
}

/// Sets all eight parameters on `b` (untuned ones at their `booster_params`
/// value, XGBoost's default unless changed).
inline void set_params(booster& b, const booster_params& p) {
  b.set_param("eta", p.eta);
  b.set_param("max_depth", p.max_depth);
  b.set_param("min_child_weight", p.min_child_weight);
  b.set_param("subsample", p.subsample);
  b.set_param("colsample_bytree", p.colsample_bytree);
  b.set_param("lambda", p.lambda);
  b.set_param("alpha", p.alpha);
  b.set_param("gamma", p.gamma);
}

}  // namespace tunekit::xgboost
