#pragma once

// Create-or-load of a study as one operation, for every storage.
//
// A fleet starts its workers at the same instant (a Kubernetes Indexed Job
// does), and each opens the study by name. Looking the name up and then
// creating it is two steps: two workers can both miss and both create. The
// storages' `create_study` is atomic instead (the check and the insert happen
// under one lock or in one statement) and throws `study_exists` to the
// losers, who then load the winner's study, as Optuna's
// `create_study(load_if_exists=True)` does with its DuplicatedStudyError.

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../detail/format.hpp"

namespace tunekit {

/// Options of `open_study`.
struct open_study_options {
  /// Continue a study of that name if there is one; false makes an existing
  /// name an error.
  bool load_if_exists = true;
};

namespace detail {

inline std::string directions_text(std::span<const direction> dirs) {
  std::string out = "[";
  for (std::size_t k = 0; k < dirs.size(); ++k) {
    if (k > 0) out += ", ";
    out += to_string(dirs[k]);
  }
  return out + "]";
}

template <class S>
study_id check_loaded_study(const S& s, study_id id, std::string_view name, std::span<const direction> wanted,
                            const open_study_options& options) {
  if (!options.load_if_exists)
    throw invalid_argument("study " + quoted(name) +
                           " already exists; set load_if_exists = true (study_config::load_if_exists) to continue it, "
                           "or choose another name");
  const std::vector<direction> stored = s.study_directions(id);
  if (!std::equal(stored.begin(), stored.end(), wanted.begin(), wanted.end()))
    throw invalid_argument("study " + quoted(name) + " exists with directions " + directions_text(stored) +
                           ", but directions " + directions_text(wanted) +
                           " were asked for; use the stored directions or another study name");
  return id;
}

}  // namespace detail

/// The id of study `name` in `s`, creating it with `directions` if it does
/// not exist. Safe when many threads and processes open the same new study at
/// once: exactly one creates it, every other loads it. Loading checks that the
/// stored directions equal `directions` (`invalid_argument` naming both
/// otherwise). Needs a storage whose `create_study` throws `study_exists`
/// atomically (requirement 1 of the `storage` concept).
template <storage S>
study_id open_study(S& s, std::string_view name, std::span<const direction> directions,
                    const open_study_options& options = {}) {
  if (directions.empty()) throw invalid_argument("open_study: directions is empty; give at least one");
  if (name.empty()) throw invalid_argument("open_study: the study name is empty; give one");
  // Normally one pass; another only if the study is deleted between the
  // failed creation and the lookup.
  for (int attempt = 0;; ++attempt) {
    if (auto id = s.find_study(name)) return detail::check_loaded_study(s, *id, name, directions, options);
    try {
      return s.create_study(name, directions);
    } catch (const study_exists&) {
      if (auto id = s.find_study(name)) return detail::check_loaded_study(s, *id, name, directions, options);
      if (attempt >= 3) throw;
    }
  }
}

}  // namespace tunekit
