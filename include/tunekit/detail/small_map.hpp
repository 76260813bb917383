#pragma once

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "format.hpp"

namespace tunekit::detail {

/// A map from names to values kept as one sorted vector.
///
/// Trials hold a handful of parameters; a node-based std::map spent most of
/// an ask in the allocator. This keeps std::map's interface (the parts we
/// use) and its sorted iteration order, with one allocation per map and
/// binary search by `std::string_view`.
template <class V>
class small_map {
 public:
  using key_type = std::string;
  using mapped_type = V;
  using value_type = std::pair<std::string, V>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  small_map() = default;
  small_map(std::initializer_list<value_type> items) {
    for (const auto& [k, v] : items) insert_or_assign(k, v);
  }

  iterator begin() noexcept { return items_.begin(); }
  iterator end() noexcept { return items_.end(); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  void reserve(std::size_t n) { items_.reserve(n); }
  void clear() noexcept { items_.clear(); }

  iterator find(std::string_view key) noexcept {
    auto it = lower(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  const_iterator find(std::string_view key) const noexcept {
    auto it = lower(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  bool contains(std::string_view key) const noexcept { return find(key) != end(); }
  std::size_t count(std::string_view key) const noexcept { return contains(key) ? 1 : 0; }

  V& at(std::string_view key) {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("small_map::at: no key " + quoted(key));
    return it->second;
  }
  const V& at(std::string_view key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("small_map::at: no key " + quoted(key));
    return it->second;
  }

  template <class... Args>
  std::pair<iterator, bool> try_emplace(std::string_view key, Args&&... args) {
    auto it = lower(key);
    if (it != items_.end() && it->first == key) return {it, false};
    if (items_.capacity() == 0) {  // most trials have a few parameters: skip the 1, 2, 4 regrowths
      items_.reserve(8);
      it = lower(key);
    }
    it = items_.emplace(it, std::piecewise_construct, std::forward_as_tuple(key),
                        std::forward_as_tuple(std::forward<Args>(args)...));
    return {it, true};
  }
  template <class K, class... Args>
  std::pair<iterator, bool> emplace(K&& key, Args&&... args) {
    return try_emplace(std::string_view(key), std::forward<Args>(args)...);
  }
  std::pair<iterator, bool> insert(const value_type& item) { return try_emplace(item.first, item.second); }
  template <class M>
  std::pair<iterator, bool> insert_or_assign(std::string_view key, M&& value) {
    auto [it, inserted] = try_emplace(key, std::forward<M>(value));
    if (!inserted) it->second = std::forward<M>(value);
    return {it, inserted};
  }
  V& operator[](std::string_view key) { return try_emplace(key).first->second; }

  std::size_t erase(std::string_view key) {
    auto it = find(key);
    if (it == end()) return 0;
    items_.erase(it);
    return 1;
  }

  bool operator==(const small_map&) const = default;

 private:
  iterator lower(std::string_view key) noexcept {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& a, std::string_view k) { return std::string_view(a.first) < k; });
  }
  const_iterator lower(std::string_view key) const noexcept {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& a, std::string_view k) { return std::string_view(a.first) < k; });
  }

  std::vector<value_type> items_;
};

}  // namespace tunekit::detail
