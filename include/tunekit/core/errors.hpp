#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tunekit {

/// Root of every exception tunekit throws on purpose. Messages start with a
/// stable id in brackets (`[tunekit.invalid_argument] ...`) so logs can be
/// searched without depending on the wording that follows.
class error : public std::runtime_error {
 public:
  error(std::string_view id, const std::string& what) : std::runtime_error(compose(id, what)) {}

 private:
  static std::string compose(std::string_view id, const std::string& what) {
    std::string out = "[tunekit.";
    out.append(id).append("] ").append(what);
    return out;
  }
};

/// Bad configuration or input: names the parameter, the bad value and what
/// is allowed. Thrown at construction, before any trial runs.
class invalid_argument : public error {
 public:
  explicit invalid_argument(const std::string& what) : error("invalid_argument", what) {}
};

/// `create_study` found the name taken. Storages check and insert in one
/// atomic step, so of several processes creating the same study at once
/// exactly one succeeds and the others get this; `open_study` (what the tuner
/// uses) then loads the winner's study. An `invalid_argument`, so code that
/// caught duplicate names before still does.
class study_exists : public invalid_argument {
 public:
  explicit study_exists(const std::string& what) : invalid_argument(what) {}
};

/// An operation that is valid in general but not in the current state,
/// e.g. `tell()` on a trial that is already finished.
class state_error : public error {
 public:
  explicit state_error(const std::string& what) : error("state_error", what) {}
};

/// A storage could not read or write a study.
class storage_error : public error {
 public:
  explicit storage_error(const std::string& what) : error("storage_error", what) {}
};

/// A sampler has handed out every point it has (e.g. an exhausted grid).
/// `optimize()` treats this as the natural end of the study.
class search_space_exhausted : public error {
 public:
  explicit search_space_exhausted(const std::string& what) : error("search_space_exhausted", what) {}
};

/// Thrown from deep inside a training loop to stop the current trial as
/// pruned; equivalent to returning `tunekit::pruned` from the objective.
/// Deliberately not a `tunekit::error`: it is control flow, not a failure.
struct trial_pruned {};

}  // namespace tunekit
