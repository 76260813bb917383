#pragma once

// journal_storage: studies in an append-only file of JSON lines in the
// format of Optuna 3.1's JournalFileStorage (docs/storage.md). In three parts:
//   detail/journal_storage_class.hpp  options, the class, its state and public
//                                     operations
//   detail/journal_storage_read.hpp   reading the file: records applied with
//                                     Optuna's replay rules, lookups
//   detail/journal_storage_write.hpp  appending records under the file lock,
//                                     new trials, claims, heartbeats

#include <filesystem>
#include <utility>

#include "../core/concepts.hpp"
#include "../detail/compiled_lib.hpp"
#include "detail/journal_storage_class.hpp"  // IWYU pragma: export
#include "detail/journal_storage_read.hpp"   // IWYU pragma: export
#include "detail/journal_storage_write.hpp"  // IWYU pragma: export

namespace tunekit {

namespace detail {
TUNEKIT_EXTERN_TEMPLATE(class journal_storage_impl<void>);  // compiled mode: instantiated in src/
}  // namespace detail

/// See `detail::journal_storage_impl` (detail/journal_storage_class.hpp) for what it does.
class journal_storage : public detail::journal_storage_impl<> {
 public:
  /// A template only so that a translation unit instantiates the journal's
  /// code (opening, replaying, writing) where it constructs one, not
  /// wherever this header is included (compile cost: a non-template inline
  /// constructor instantiates everything it calls).
  template <class Tag = void>
  explicit journal_storage(const std::filesystem::path& path, journal_storage_options options = {})
      : detail::journal_storage_impl<Tag>(path, std::move(options)) {}
};

static_assert(storage<journal_storage>);

}  // namespace tunekit
