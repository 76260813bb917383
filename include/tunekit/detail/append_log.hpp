#pragma once

#include <cstddef>
#include <memory>
#include <mutex>

namespace tunekit::detail {

/// An append-only sequence whose snapshots are O(1) and never change.
///
/// Finished trials never change, so storages keep them here: a reader takes
/// a (block, count) snapshot under the writer's mutex and then reads the
/// first `count` elements without any lock, while writers only ever fill
/// slots at or after `count`. When a block is full it is copied into one of
/// twice the size (amortised O(1) per append); snapshots keep the old block
/// alive through the shared_ptr.
template <class T>
class append_log {
  struct block {
    explicit block(std::size_t capacity)
        : capacity(capacity), items(std::make_unique<std::shared_ptr<const T>[]>(capacity)) {}
    std::size_t capacity;
    std::unique_ptr<std::shared_ptr<const T>[]> items;
  };

 public:
  /// A frozen prefix of the log.
  class snapshot {
   public:
    snapshot() = default;
    snapshot(std::shared_ptr<const block> b, std::size_t n) : block_(std::move(b)), size_(n) {}
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const T& operator[](std::size_t i) const noexcept { return *block_->items[i]; }
    const std::shared_ptr<const T>& pointer(std::size_t i) const noexcept { return block_->items[i]; }

    class iterator {
     public:
      using iterator_category = std::random_access_iterator_tag;
      using value_type = T;
      using difference_type = std::ptrdiff_t;
      using pointer = const T*;
      using reference = const T&;
      iterator() = default;
      iterator(const snapshot* s, std::size_t i) : s_(s), i_(i) {}
      reference operator*() const { return (*s_)[i_]; }
      pointer operator->() const { return &(*s_)[i_]; }
      reference operator[](difference_type k) const { return (*s_)[i_ + static_cast<std::size_t>(k)]; }
      iterator& operator++() { ++i_; return *this; }
      iterator operator++(int) { auto t = *this; ++i_; return t; }
      iterator& operator--() { --i_; return *this; }
      iterator operator--(int) { auto t = *this; --i_; return t; }
      iterator& operator+=(difference_type k) { i_ = static_cast<std::size_t>(static_cast<difference_type>(i_) + k); return *this; }
      iterator& operator-=(difference_type k) { return *this += -k; }
      friend iterator operator+(iterator it, difference_type k) { return it += k; }
      friend iterator operator+(difference_type k, iterator it) { return it += k; }
      friend iterator operator-(iterator it, difference_type k) { return it -= k; }
      friend difference_type operator-(const iterator& a, const iterator& b) {
        return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
      }
      friend bool operator==(const iterator& a, const iterator& b) { return a.i_ == b.i_; }
      friend auto operator<=>(const iterator& a, const iterator& b) { return a.i_ <=> b.i_; }

     private:
      const snapshot* s_ = nullptr;
      std::size_t i_ = 0;
    };
    iterator begin() const noexcept { return {this, 0}; }
    iterator end() const noexcept { return {this, size_}; }

   private:
    std::shared_ptr<const block> block_;
    std::size_t size_ = 0;
  };

  /// Appends under the caller's lock (the same one `take_snapshot` runs under).
  void push_back(std::shared_ptr<const T> value) {
    if (!block_ || size_ == block_->capacity) {
      auto bigger = std::make_shared<block>(block_ ? 2 * block_->capacity : 64);
      for (std::size_t i = 0; i < size_; ++i) bigger->items[i] = block_->items[i];
      block_ = std::move(bigger);
    }
    block_->items[size_++] = std::move(value);
  }

  /// Must be called under the same lock as `push_back`.
  snapshot take_snapshot() const { return {block_, size_}; }
  std::size_t size() const noexcept { return size_; }

 private:
  std::shared_ptr<block> block_;
  std::size_t size_ = 0;
};

}  // namespace tunekit::detail
