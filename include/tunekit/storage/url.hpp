#pragma once

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../core/errors.hpp"
#include "any_storage.hpp"
#include "journal.hpp"
#include "memory.hpp"

namespace tunekit {

namespace detail {

inline double url_number(std::string_view key, std::string_view value) {
  const std::string text(value);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= 0))
    throw invalid_argument("storage URL option " + quoted(key) + " = " + quoted(value) + " is not a number >= 0");
  return v;
}

inline bool url_bool(std::string_view key, std::string_view value) {
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  throw invalid_argument("storage URL option " + quoted(key) + " = " + quoted(value) + " is not true or false");
}

}  // namespace detail

/// Opens a storage from a URL, for run-time choice (command lines, config
/// files):
///   - `memory:`                       a fresh in-process storage
///   - `journal:///abs/path/study.log` a journal file (`journal:relative.log`
///     also works), with options after `?`, joined by `&`:
///     `fsync=true`, `lock=flock|symlink`, `heartbeat=<seconds>`,
///     `grace=<seconds>`, `retries=<n>`.
/// Unknown schemes and options are `invalid_argument` naming them.
inline any_storage open_storage(std::string_view url) {
  if (url == "memory:" || url == "memory://") return memory_storage{};
  constexpr std::string_view journal = "journal:";
  if (url.substr(0, journal.size()) == journal) {
    std::string_view rest = url.substr(journal.size());
    if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) query = rest.substr(q + 1), rest = rest.substr(0, q);
    if (rest.empty()) throw invalid_argument("storage URL " + detail::quoted(url) + " has no file path; e.g. journal:///tmp/study.log");
    journal_storage_options options;
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view item = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      const auto eq = item.find('=');
      const std::string_view key = item.substr(0, eq);
      const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      if (key == "fsync") options.fsync = detail::url_bool(key, value);
      else if (key == "heartbeat") options.heartbeat_interval = std::chrono::duration<double>(detail::url_number(key, value));
      else if (key == "grace") options.grace_period = std::chrono::duration<double>(detail::url_number(key, value));
      else if (key == "retries") options.max_retries = static_cast<int>(detail::url_number(key, value));
      else if (key == "lock") {
        if (value == "flock") options.lock = journal_lock::flock;
        else if (value == "symlink") options.lock = journal_lock::optuna_symlink;
        else throw invalid_argument("storage URL option lock = " + detail::quoted(value) + "; allowed: flock, symlink");
      } else {
        throw invalid_argument("storage URL option " + detail::quoted(key) +
                               " is unknown; journal URLs take fsync, lock, heartbeat, grace, retries");
      }
    }
    return journal_storage(std::string(rest), options);
  }
  const auto colon = url.find(':');
  const std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  throw invalid_argument("storage URL " + detail::quoted(url) + (scheme.empty() ? " has no scheme" : " has scheme " + detail::quoted(scheme) + ", which this build does not support") +
                         "; supported: memory:, journal:///path/to/study.log");
}

}  // namespace tunekit
