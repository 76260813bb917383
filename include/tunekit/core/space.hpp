#pragma once

#include <concepts>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "distribution.hpp"
#include "search_space.hpp"
#include "trial.hpp"

namespace tunekit {

/// One member of a user struct bound to a named distribution. Made by
/// `float_param`, `int_param` and `categorical_param`, which check the
/// member's type at compile time.
template <class T>
struct param_binding {
  std::string name;
  distribution dist;
  std::function<void(T&, double internal)> assign;  ///< writes the member from an internal value
  std::function<category(const T&)> read;          ///< the member as a user-facing value
};

namespace detail {

template <class C>
inline constexpr bool is_string_like_v = std::is_convertible_v<const C&, std::string_view>;

/// Whether a member of type M can hold a choice of type C. Stricter than
/// `is_constructible`: a pointer converts to bool, a string never should, and
/// an integer member would truncate a floating-point choice.
template <class M, class C>
inline constexpr bool choice_fits_v =
    is_string_like_v<C> ? (std::is_constructible_v<M, std::string> && !std::is_arithmetic_v<M>)
                        : (std::is_arithmetic_v<C> && std::is_arithmetic_v<M> &&
                           !(std::is_integral_v<M> && std::is_floating_point_v<C>)) ||
                              (!std::is_arithmetic_v<C> && std::is_constructible_v<M, const C&>);

}  // namespace detail

/// Binds a floating-point member to a float distribution:
/// `float_param("lr", &params::lr, 1e-5, 1.0, {.log = true})`.
template <class T, class M>
param_binding<T> float_param(std::string name, M T::*member, double low, double high, float_options options = {}) {
  static_assert(std::is_floating_point_v<M>,
                "tunekit::float_param: the member must be a floating-point type (float, double, long double)");
  float_distribution d(low, high, options, name);
  return {std::move(name), d, [member](T& t, double x) { t.*member = static_cast<M>(x); },
          [member, d](const T& t) {
            (void)d;  // used only for members narrower than double
            const double x = static_cast<double>(t.*member);
            if constexpr (std::numeric_limits<M>::digits < std::numeric_limits<double>::digits) {
              // A float member holds a valid value rounded (0.1f, or a bound
              // rounded outward): give back the valid value it stands for.
              const double valid = d.from_unit(d.to_unit(x));
              if (static_cast<M>(valid) == t.*member) return category(valid);
            }
            return category(x);
          }};
}

/// Binds an integer member to an int distribution:
/// `int_param("layers", &params::layers, 1, 8)`.
template <class T, class M>
param_binding<T> int_param(std::string name, M T::*member, std::int64_t low, std::int64_t high,
                           int_options options = {}) {
  static_assert(std::is_integral_v<M> && !std::is_same_v<M, bool>,
                "tunekit::int_param: the member must be an integer type (bool is not; use categorical_param)");
  int_distribution d(low, high, options, name);
  return {std::move(name), d, [member](T& t, double x) { t.*member = static_cast<M>(std::llround(x)); },
          [member](const T& t) { return category(static_cast<std::int64_t>(t.*member)); }};
}

/// Binds a member to a choice among values:
/// `categorical_param("activation", &params::activation, {"relu", "tanh"})`.
template <class T, class M, class C>
param_binding<T> categorical_param(std::string name, M T::*member, std::initializer_list<C> choices) {
  static_assert(detail::choice_fits_v<M, C>,
                "tunekit::categorical_param: the member's type cannot hold these choices "
                "(e.g. a numeric member bound to strings, or a string member bound to numbers)");
  std::vector<category> cats;
  std::vector<M> values;
  for (const auto& c : choices) {
    cats.push_back(detail::to_category(c));
    values.push_back(static_cast<M>(c));
  }
  categorical_distribution d(cats, name);
  return {std::move(name), d,
          [values, member](T& t, double index) { t.*member = values.at(static_cast<std::size_t>(index)); },
          // The choice the member holds, as written (a float member holds
          // 0.1f for the choice 0.1, a double member 2.0 for the choice 2).
          [values, cats = std::move(cats), member](const T& t) {
            if constexpr (std::equality_comparable<M>)
              for (std::size_t i = 0; i < values.size(); ++i)
                if (values[i] == t.*member) return cats[i];
            return detail::to_category(t.*member);
          }};
}

/// A typed search space: the members of a user struct T, each bound to a
/// distribution. The objective receives a `const T&`; `tuner::best_params()`
/// returns a T. Lowers to the dynamic `search_space` that samplers see.
template <class T>
class space {
  static_assert(std::is_default_constructible_v<T>, "tunekit::space<T>: T must be default-constructible");

 public:
  using value_type = T;

  space(std::initializer_list<param_binding<T>> bindings) : bindings_(bindings) {
    for (const auto& b : bindings_) dynamic_.add(b.name, b.dist);  // throws on a duplicated name
  }

  /// The dynamic view that samplers work on.
  const search_space& dynamic() const noexcept { return dynamic_; }
  const std::vector<param_binding<T>>& bindings() const noexcept { return bindings_; }

  /// Suggests every parameter in order and fills a T.
  T materialize(trial& t) const {
    T value{};
    for (const auto& b : bindings_) b.assign(value, t.suggest(b.name, b.dist));
    return value;
  }

  /// A T from internal parameter values (e.g. of the best trial).
  T from_params(const param_map& params) const {
    T value{};
    for (const auto& b : bindings_) {
      auto p = params.find(b.name);
      if (p == params.end()) throw invalid_argument("parameter " + detail::quoted(b.name) + " is missing");
      b.assign(value, p->second);
    }
    return value;
  }

  /// The user-facing values of a T, checked against the distributions.
  param_values to_values(const T& value) const {
    param_values out;
    for (const auto& b : bindings_) {
      category c = b.read(value);
      to_internal(b.dist, c, b.name);  // throws when outside the distribution
      out.emplace(b.name, std::move(c));
    }
    return out;
  }

 private:
  std::vector<param_binding<T>> bindings_;
  search_space dynamic_;
};

/// The "space" of a define-by-run tuner: parameters appear as the objective
/// suggests them.
struct define_by_run {};

namespace detail {
template <class S>
struct is_typed_space : std::false_type {};
template <class T>
struct is_typed_space<space<T>> : std::true_type {};
}  // namespace detail

/// Satisfied by `space<T>` and `define_by_run`.
template <class S>
concept search_space_kind = detail::is_typed_space<S>::value || std::is_same_v<S, define_by_run>;

}  // namespace tunekit
