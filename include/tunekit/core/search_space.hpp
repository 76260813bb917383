#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../detail/format.hpp"
#include "../detail/small_map.hpp"
#include "distribution.hpp"
#include "errors.hpp"

namespace tunekit {

/// Parameter values by name, in their internal representation (see `distribution`).
using param_map = detail::small_map<double>;

/// Parameter values by name as the user sees them, e.g. for `tuner::enqueue`.
using param_values = std::map<std::string, category, std::less<>>;

/// The dynamic search space: named distributions in a fixed order. Typed
/// spaces (`space<T>`) lower to this; samplers only ever see this.
class search_space {
 public:
  using entry = std::pair<std::string, distribution>;

  search_space() = default;
  search_space(std::initializer_list<entry> entries) {
    for (const auto& [name, d] : entries) add(name, d);
  }

  /// Adds a parameter; a name may appear only once.
  void add(std::string name, distribution d) {
    if (name.empty()) throw invalid_argument("parameter names must not be empty");
    if (find(name)) throw invalid_argument("parameter " + detail::quoted(name) + " is defined twice; names must be unique");
    entries_.emplace_back(std::move(name), std::move(d));
  }

  /// The distribution of `name`, or nullptr. Linear: spaces are small, and
  /// a vector keeps the order samplers rely on.
  const distribution* find(std::string_view name) const noexcept {
    for (const auto& [n, d] : entries_)
      if (n == name) return &d;
    return nullptr;
  }

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  const entry& operator[](std::size_t i) const { return entries_[i]; }
  auto begin() const noexcept { return entries_.begin(); }
  auto end() const noexcept { return entries_.end(); }

  bool operator==(const search_space&) const = default;

 private:
  std::vector<entry> entries_;
};

}  // namespace tunekit
