#pragma once

// The trials of a study that a SQL storage handle has seen (rdb_storage.hpp's
// study cache): their ids, sorted, each with its finished record once it has
// one. One vector of 16-byte entries; a hash map (id -> record) and a hash
// set of ids took about 100 bytes a trial, and a long-running worker's
// memory grew by that (benchmarks/RESULTS.md, "Memory of a long-running
// worker"). Ids arrive almost in order (PostgreSQL may make a trial visible
// after one with a higher id), so an insertion lands at or near the end.
// Core: no database client is included here.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../core/frozen_trial.hpp"

namespace tunekit::detail::rdb {

class trial_index {
 public:
  /// Adds `id` (not finished); false when it was there already.
  bool insert(std::int64_t id) {
    if (entries_.empty() || entries_.back().id < id) {
      entries_.push_back({id, nullptr});
      return true;
    }
    const auto it = find(id);
    if (it != entries_.end() && it->id == id) return false;
    entries_.insert(it, {id, nullptr});
    return true;
  }

  /// Records trial `id`'s finished record (owned elsewhere, kept alive as
  /// long as this index); nothing when `id` was never inserted.
  void set_finished(std::int64_t id, const frozen_trial* record) {
    const auto it = find(id);
    if (it != entries_.end() && it->id == id) it->finished = record;
  }

  /// The finished record of trial `id`, or null.
  [[nodiscard]] const frozen_trial* finished(std::int64_t id) const {
    const auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                                     [](const entry& e, std::int64_t v) { return e.id < v; });
    return it != entries_.end() && it->id == id ? it->finished : nullptr;
  }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  /// The highest id seen (0: none).
  [[nodiscard]] std::int64_t max_id() const noexcept { return entries_.empty() ? 0 : entries_.back().id; }

 private:
  struct entry {
    std::int64_t id;
    const frozen_trial* finished;
  };
  std::vector<entry>::iterator find(std::int64_t id) {
    return std::lower_bound(entries_.begin(), entries_.end(), id, [](const entry& e, std::int64_t v) { return e.id < v; });
  }
  std::vector<entry> entries_;
};

}  // namespace tunekit::detail::rdb
