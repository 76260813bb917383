#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../detail/format.hpp"
#include "errors.hpp"

namespace tunekit {

/// A categorical choice: strings, integers, doubles or bools (Optuna's set,
/// less None). `category{"relu"}` holds a string, `category{3}` an integer.
using category = std::variant<bool, std::int64_t, double, std::string>;

/// Options of a float parameter. `log` and `step` are mutually exclusive.
struct float_options {
  bool log = false;
  std::optional<double> step = std::nullopt;
};

/// Options of an integer parameter. `log` requires `step == 1`.
struct int_options {
  bool log = false;
  std::int64_t step = 1;
};

namespace detail {

inline std::string param_prefix(std::string_view name) {
  return name.empty() ? std::string("distribution: ") : "parameter " + quoted(name) + ": ";
}

[[noreturn]] inline void bad_distribution(std::string_view name, const std::string& what) {
  throw invalid_argument(param_prefix(name) + what);
}

/// Index of the grid point nearest to the unit coordinate `u` among `n` equally weighted points.
/// `u` outside [0, 1] (or NaN) is clamped before the cast: converting an
/// out-of-range double to an integer is undefined behaviour.
inline std::int64_t unit_to_index(double u, std::int64_t n) {
  if (!(u > 0.0)) return 0;
  if (u >= 1.0) return n - 1;
  return std::min<std::int64_t>(static_cast<std::int64_t>(u * static_cast<double>(n)), n - 1);
}

inline double index_to_unit(double k, std::int64_t n) { return (k + 0.5) / static_cast<double>(n); }

/// Relative tolerance when checking that a float lies on a step grid.
inline constexpr double grid_tolerance = 1e-9;

/// 2^53: the largest magnitude up to which every integer is a double, so the
/// limit of int bounds and of the number of points on a float grid.
inline constexpr double max_exact_integer = 9007199254740992.0;

}  // namespace detail

/// A real-valued parameter in [low, high], optionally on a log scale or on a
/// grid of `step`. Internal representation: the value itself.
class float_distribution {
 public:
  float_distribution(double low, double high, float_options options = {}, std::string_view name = {})
      : low_(low), high_(high), log_(options.log), step_(options.step) {
    if (!std::isfinite(low) || !std::isfinite(high))
      detail::bad_distribution(name, "bounds must be finite, got low = " + detail::format_number(low) +
                                         ", high = " + detail::format_number(high));
    if (low > high)
      detail::bad_distribution(name, "low = " + detail::format_number(low) + " is greater than high = " +
                                         detail::format_number(high) + "; low must be <= high");
    if (log_ && step_)
      detail::bad_distribution(name, "log = true and step = " + detail::format_number(*step_) +
                                         " cannot be combined; use one of them");
    if (log_ && low <= 0)
      detail::bad_distribution(name, "log scale needs low > 0, got low = " + detail::format_number(low));
    if (step_) {
      const double s = *step_;
      if (!(s > 0) || !std::isfinite(s))
        detail::bad_distribution(name, "step = " + detail::format_number(s) + " must be positive and finite");
      const double r = (high - low) / s;
      if (!(r <= detail::max_exact_integer))
        detail::bad_distribution(name, "step = " + detail::format_number(s) + " makes more than 2^53 grid points on [" +
                                           detail::format_number(low) + ", " + detail::format_number(high) +
                                           "]; use a larger step, or none");
      if (std::abs(r - std::round(r)) > detail::grid_tolerance * std::max(1.0, r))
        detail::bad_distribution(name, "step = " + detail::format_number(s) + " does not divide the range [" +
                                           detail::format_number(low) + ", " + detail::format_number(high) +
                                           "]; (high - low) must be a multiple of step");
      n_points_ = static_cast<std::int64_t>(std::llround(r)) + 1;
    }
  }

  double low() const noexcept { return low_; }
  double high() const noexcept { return high_; }
  bool log() const noexcept { return log_; }
  std::optional<double> step() const noexcept { return step_; }
  /// Number of grid points when stepped, 0 when continuous.
  std::int64_t size() const noexcept { return n_points_; }
  bool single() const noexcept { return low_ == high_; }

  double to_unit(double x) const noexcept {
    if (single()) return 0.5;
    if (step_) return detail::index_to_unit(std::round((x - low_) / *step_), n_points_);
    if (log_) return (std::log(x) - std::log(low_)) / (std::log(high_) - std::log(low_));
    if (const double w = high_ - low_; std::isfinite(w)) return (x - low_) / w;
    return (0.5 * x - 0.5 * low_) / (0.5 * high_ - 0.5 * low_);  // high - low overflows
  }

  double from_unit(double u) const noexcept {
    if (single()) return low_;
    if (step_) return std::min(high_, low_ + static_cast<double>(detail::unit_to_index(u, n_points_)) * *step_);
    u = std::clamp(std::isfinite(u) ? u : 0.5, 0.0, 1.0);
    const double x = log_ ? std::exp(std::log(low_) + u * (std::log(high_) - std::log(low_)))
                          : std::isfinite(high_ - low_) ? low_ + u * (high_ - low_)
                                                        : std::lerp(low_, high_, u);  // lerp: no overflow
    return std::clamp(x, low_, high_);
  }

  bool contains(double x) const noexcept {
    if (!(x >= low_ && x <= high_)) return false;
    if (!step_) return true;
    const double r = (x - low_) / *step_;
    return std::abs(r - std::round(r)) <= detail::grid_tolerance * std::max(1.0, r);
  }

  bool operator==(const float_distribution&) const = default;

 private:
  double low_, high_;
  bool log_;
  std::optional<double> step_;
  std::int64_t n_points_ = 0;
};

/// An integer parameter in [low, high], optionally on a log scale or on a
/// grid of `step`. Internal representation: the value as a double.
class int_distribution {
 public:
  int_distribution(std::int64_t low, std::int64_t high, int_options options = {}, std::string_view name = {})
      : low_(low), high_(high), log_(options.log), step_(options.step) {
    if (low > high)
      detail::bad_distribution(name, "low = " + std::to_string(low) + " is greater than high = " +
                                         std::to_string(high) + "; low must be <= high");
    if (constexpr std::int64_t limit = std::int64_t{1} << 53; low < -limit || high > limit)
      detail::bad_distribution(name, "low = " + std::to_string(low) + ", high = " + std::to_string(high) +
                                         ": bounds must lie in [-9007199254740992, 9007199254740992] (2^53), "
                                         "where the internal double holds every integer");
    if (step_ < 1) detail::bad_distribution(name, "step = " + std::to_string(step_) + " must be >= 1");
    if (log_ && step_ != 1)
      detail::bad_distribution(name, "log = true needs step = 1, got step = " + std::to_string(step_));
    if (log_ && low < 1)
      detail::bad_distribution(name, "log scale needs low >= 1, got low = " + std::to_string(low));
    if ((high - low) % step_ != 0)
      detail::bad_distribution(name, "step = " + std::to_string(step_) + " does not divide the range [" +
                                         std::to_string(low) + ", " + std::to_string(high) +
                                         "]; (high - low) must be a multiple of step");
  }

  std::int64_t low() const noexcept { return low_; }
  std::int64_t high() const noexcept { return high_; }
  bool log() const noexcept { return log_; }
  std::int64_t step() const noexcept { return step_; }
  /// Number of values the parameter can take.
  std::int64_t size() const noexcept { return (high_ - low_) / step_ + 1; }
  bool single() const noexcept { return low_ == high_; }

  // Each integer owns an equal slice of the unit interval (on a log scale:
  // of [log(low - 0.5), log(high + 0.5)]), so uniform sampling in u is
  // uniform over the values and rounding is unbiased.
  double to_unit(double x) const noexcept {
    if (single()) return 0.5;
    if (log_) {
      const double a = std::log(static_cast<double>(low_) - 0.5), b = std::log(static_cast<double>(high_) + 0.5);
      return (std::log(x) - a) / (b - a);
    }
    return detail::index_to_unit((x - static_cast<double>(low_)) / static_cast<double>(step_), size());
  }

  double from_unit(double u) const noexcept {
    if (single()) return static_cast<double>(low_);
    if (log_) {
      u = std::clamp(std::isfinite(u) ? u : 0.5, 0.0, 1.0);
      const double a = std::log(static_cast<double>(low_) - 0.5), b = std::log(static_cast<double>(high_) + 0.5);
      return std::clamp(std::round(std::exp(a + u * (b - a))), static_cast<double>(low_), static_cast<double>(high_));
    }
    return static_cast<double>(low_ + detail::unit_to_index(u, size()) * step_);
  }

  bool contains(double x) const noexcept {
    if (!(x >= static_cast<double>(low_) && x <= static_cast<double>(high_)) || x != std::round(x)) return false;
    return (static_cast<std::int64_t>(x) - low_) % step_ == 0;
  }

  bool operator==(const int_distribution&) const = default;

 private:
  std::int64_t low_, high_;
  bool log_;
  std::int64_t step_;
};

/// A choice among distinct values. Internal representation: the index.
class categorical_distribution {
 public:
  categorical_distribution(std::vector<category> choices, std::string_view name = {}) : choices_(std::move(choices)) {
    if (choices_.empty()) detail::bad_distribution(name, "categorical needs at least one choice, got none");
    for (const auto& c : choices_)
      if (auto d = std::get_if<double>(&c); d && std::isnan(*d))  // NaN never equals itself: unselectable
        detail::bad_distribution(name, "a choice is NaN; choices must be comparable values");
    for (std::size_t i = 0; i < choices_.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (choices_[i] == choices_[j])
          detail::bad_distribution(name, "choice " + to_string(choices_[i]) + " appears twice (positions " +
                                             std::to_string(j) + " and " + std::to_string(i) +
                                             "); choices must be distinct");
  }
  categorical_distribution(std::initializer_list<category> choices, std::string_view name = {})
      : categorical_distribution(std::vector<category>(choices), name) {}

  const std::vector<category>& choices() const noexcept { return choices_; }
  std::int64_t size() const noexcept { return static_cast<std::int64_t>(choices_.size()); }
  bool single() const noexcept { return choices_.size() == 1; }

  double to_unit(double index) const noexcept { return detail::index_to_unit(index, size()); }
  double from_unit(double u) const noexcept { return static_cast<double>(detail::unit_to_index(u, size())); }
  bool contains(double index) const noexcept {
    return index >= 0 && index < static_cast<double>(size()) && index == std::round(index);
  }

  /// Index of a choice, or -1.
  std::int64_t index_of(const category& c) const noexcept {
    for (std::size_t i = 0; i < choices_.size(); ++i)
      if (choices_[i] == c) return static_cast<std::int64_t>(i);
    return -1;
  }

  bool operator==(const categorical_distribution&) const = default;

  /// Text of a choice for messages and tables: strings quoted, numbers shortest.
  static std::string to_string(const category& c) {
    return std::visit(
        [](const auto& v) -> std::string {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
          else if constexpr (std::is_same_v<V, std::int64_t>) return std::to_string(v);
          else if constexpr (std::is_same_v<V, double>) return detail::format_number(v);
          else return "\"" + v + "\"";
        },
        c);
  }

 private:
  std::vector<category> choices_;
};

/// Any of the three kinds; what samplers and storages see.
using distribution = std::variant<float_distribution, int_distribution, categorical_distribution>;

/// Maps an internal value to [0, 1], where samplers work.
inline double to_unit(const distribution& d, double internal) {
  return std::visit([&](const auto& x) { return x.to_unit(internal); }, d);
}
/// Maps a unit coordinate back to a valid internal value (rounded to the grid).
inline double from_unit(const distribution& d, double u) {
  return std::visit([&](const auto& x) { return x.from_unit(u); }, d);
}
inline bool contains(const distribution& d, double internal) {
  return std::visit([&](const auto& x) { return x.contains(internal); }, d);
}
inline bool single(const distribution& d) {
  return std::visit([](const auto& x) { return x.single(); }, d);
}
/// True for int, stepped float and categorical: the parameter has finitely many values.
inline bool is_discrete(const distribution& d) {
  if (auto f = std::get_if<float_distribution>(&d)) return f->step().has_value() || f->single();
  return true;
}

/// The value a user sees for an internal value: double, int64 or the choice.
inline category to_external(const distribution& d, double internal) {
  if (auto c = std::get_if<categorical_distribution>(&d))
    return c->choices().at(static_cast<std::size_t>(detail::unit_to_index(c->to_unit(internal), c->size())));
  if (std::holds_alternative<int_distribution>(d)) return static_cast<std::int64_t>(std::llround(internal));
  return internal;
}

/// Text describing a distribution, for messages.
inline std::string describe(const distribution& d) {
  using detail::format_number;
  if (auto f = std::get_if<float_distribution>(&d)) {
    std::string s = "float in [" + format_number(f->low()) + ", " + format_number(f->high()) + "]";
    if (f->log()) s += " (log)";
    if (f->step()) s += " step " + format_number(*f->step());
    return s;
  }
  if (auto i = std::get_if<int_distribution>(&d)) {
    std::string s = "int in [" + std::to_string(i->low()) + ", " + std::to_string(i->high()) + "]";
    if (i->log()) s += " (log)";
    if (i->step() != 1) s += " step " + std::to_string(i->step());
    return s;
  }
  std::string s = "one of {";
  const auto& choices = std::get<categorical_distribution>(d).choices();
  for (std::size_t k = 0; k < choices.size(); ++k) s += (k ? ", " : "") + categorical_distribution::to_string(choices[k]);
  return s + "}";
}

/// The internal value of a user-facing value; throws `invalid_argument`
/// naming the parameter when the value is outside the distribution.
inline double to_internal(const distribution& d, const category& value, std::string_view name = {}) {
  auto outside = [&](const std::string& shown) -> double {
    throw invalid_argument(detail::param_prefix(name) + "value " + shown + " is outside the distribution; allowed: " +
                           describe(d));
  };
  if (auto c = std::get_if<categorical_distribution>(&d)) {
    const auto k = c->index_of(value);
    return k >= 0 ? static_cast<double>(k) : outside(categorical_distribution::to_string(value));
  }
  double x;
  if (auto i = std::get_if<std::int64_t>(&value)) x = static_cast<double>(*i);
  else if (auto f = std::get_if<double>(&value)) x = *f;
  else return outside(categorical_distribution::to_string(value));
  if (!contains(d, x)) return outside(detail::format_number(x));
  return x;
}

}  // namespace tunekit
