#pragma once

#include <array>
#include <cstddef>
#include <type_traits>
#include <variant>
#include <vector>

namespace tunekit {

/// Tag type of `tunekit::pruned`.
struct pruned_t {
  explicit constexpr pruned_t() = default;
};

/// Returned by an objective to end its trial as pruned:
/// `if (trial.should_prune()) return tunekit::pruned;`
inline constexpr pruned_t pruned{};

/// What an objective produced: its values (one per direction) or "pruned".
/// Use `-> tunekit::result` on a lambda that returns both a number and
/// `tunekit::pruned`.
class result {
 public:
  result(pruned_t) noexcept : pruned_(true) {}
  template <class Number>
    requires std::is_arithmetic_v<Number>
  result(Number value) : values_{static_cast<double>(value)} {}
  result(std::vector<double> values) : values_(std::move(values)) {}
  result(std::initializer_list<double> values) : values_(values) {}
  template <std::size_t N>
  result(const std::array<double, N>& values) : values_(values.begin(), values.end()) {}

  bool is_pruned() const noexcept { return pruned_; }
  const std::vector<double>& values() const noexcept { return values_; }

 private:
  std::vector<double> values_;
  bool pruned_ = false;
};

namespace detail {

/// What an objective may return; checked by `objective_for`.
template <class R>
concept objective_result = std::is_arithmetic_v<std::remove_cvref_t<R>> ||
                           std::is_convertible_v<R, result> ||
                           std::is_same_v<std::remove_cvref_t<R>, pruned_t>;

}  // namespace detail
}  // namespace tunekit
