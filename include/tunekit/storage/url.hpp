#pragma once

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../core/errors.hpp"
#include "any_storage.hpp"
#include "journal.hpp"
#include "memory.hpp"
// The SQL storages are optional components: their CMake targets
// (tunekit::sqlite, tunekit::postgres) define these macros.
#if defined(TUNEKIT_HAS_SQLITE)
#include "sqlite.hpp"
#endif
#if defined(TUNEKIT_HAS_POSTGRES)
#include "postgres.hpp"
#endif

namespace tunekit {

namespace detail {

// Functions here are `template <class = void>` only so that a translation unit
// that does not open a storage by URL does not compile every storage's code
// (compile cost: benchmarks/RESULTS.md).
template <class = void>
double url_number(std::string_view key, std::string_view value) {
  const std::string text(value);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= 0))
    throw invalid_argument("storage URL option " + quoted(key) + " = " + quoted(value) + " is not a number >= 0");
  return v;
}

template <class = void>
bool url_bool(std::string_view key, std::string_view value) {
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  throw invalid_argument("storage URL option " + quoted(key) + " = " + quoted(value) + " is not true or false");
}

template <class = void>
durability url_durability(std::string_view value) {
  if (value == "none") return durability::none;
  if (value == "trials") return durability::trials;
  if (value == "full") return durability::full;
  throw invalid_argument("storage URL option durability = " + quoted(value) + "; allowed: none, trials, full");
}

/// Splits `a=1&b=2` and calls `f(key, value)` for each item.
template <class F>
void for_each_url_option(std::string_view query, F&& f) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = item.find('=');
    f(item.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
  }
}

template <class = void>
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace detail

/// Opens a storage from a URL, for run-time choice (command lines, config
/// files):
///   - `memory:`                       a fresh in-process storage
///   - `journal:///abs/path/study.log` a journal file (`journal:relative.log`
///     also works), with options after `?`, joined by `&`:
///     `durability=none|trials|full` (`fsync=true|false`: full|none),
///     `lock=flock|symlink`, `heartbeat=<seconds>`,
///     `grace=<seconds>`, `retries=<n>`.
///   - `sqlite:///abs/path/study.db` (`sqlite:relative.db` also works): a
///     SQLite database in Optuna 3.1's RDB schema; options `durability`, `heartbeat`,
///     `grace`, `retries`, `synchronous=normal|full`, `busy_timeout=<ms>`.
///     Needs the CMake target tunekit::sqlite.
///   - `postgresql://user@host:port/db` (or `postgres://`): a PostgreSQL
///     database in the same schema; the URL goes to libpq as it is. Needs
///     the CMake target tunekit::postgres.
/// Unknown schemes and options are `invalid_argument` naming them.
template <class = void>
any_storage open_storage(std::string_view url) {
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
      if (key == "fsync") options.durability = detail::url_bool(key, value) ? durability::full : durability::none;
      else if (key == "durability") options.durability = detail::url_durability(value);
      else if (key == "heartbeat") options.heartbeat_interval = std::chrono::duration<double>(detail::url_number(key, value));
      else if (key == "grace") options.grace_period = std::chrono::duration<double>(detail::url_number(key, value));
      else if (key == "retries") options.max_retries = static_cast<int>(detail::url_number(key, value));
      else if (key == "lock") {
        if (value == "flock") options.lock = journal_lock::flock;
        else if (value == "symlink") options.lock = journal_lock::optuna_symlink;
        else throw invalid_argument("storage URL option lock = " + detail::quoted(value) + "; allowed: flock, symlink");
      } else {
        throw invalid_argument("storage URL option " + detail::quoted(key) +
                               " is unknown; journal URLs take durability, fsync, lock, heartbeat, grace, retries");
      }
    }
    return journal_storage(std::string(rest), options);
  }
  constexpr std::string_view sqlite = "sqlite:";
  if (detail::starts_with(url, sqlite)) {
#if defined(TUNEKIT_HAS_SQLITE)
    std::string_view rest = url.substr(sqlite.size());
    // sqlite:///abs.db is absolute, as for journal URLs; SQLAlchemy's
    // sqlite:////abs.db gives //abs.db, the same file.
    if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) query = rest.substr(q + 1), rest = rest.substr(0, q);
    if (rest.empty() || rest == "/")
      throw invalid_argument("storage URL " + detail::quoted(url) + " has no file path; e.g. sqlite:///tmp/study.db");
    sqlite_storage_options options;
    detail::for_each_url_option(query, [&](std::string_view key, std::string_view value) {
      if (key == "heartbeat") options.heartbeat_interval = std::chrono::duration<double>(detail::url_number(key, value));
      else if (key == "grace") options.grace_period = std::chrono::duration<double>(detail::url_number(key, value));
      else if (key == "retries") options.max_retries = static_cast<int>(detail::url_number(key, value));
      else if (key == "busy_timeout")
        options.busy_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(detail::url_number(key, value)));
      else if (key == "durability") options.durability = detail::url_durability(value);
      else if (key == "synchronous") {
        if (value == "normal" || value == "NORMAL") options.synchronous = sqlite_sync::normal;
        else if (value == "full" || value == "FULL") options.synchronous = sqlite_sync::full;
        else throw invalid_argument("storage URL option synchronous = " + detail::quoted(value) + "; allowed: normal, full");
      } else {
        throw invalid_argument("storage URL option " + detail::quoted(key) +
                               " is unknown; sqlite URLs take durability, heartbeat, grace, retries, synchronous, busy_timeout");
      }
    });
    return sqlite_storage(std::string(rest), options);
#else
    throw invalid_argument("storage URL " + detail::quoted(url) +
                           ": this program was built without SQLite support; link the CMake target tunekit::sqlite");
#endif
  }
  if (detail::starts_with(url, "postgresql:") || detail::starts_with(url, "postgres:")) {
#if defined(TUNEKIT_HAS_POSTGRES)
    return postgres_storage(std::string(url));
#else
    throw invalid_argument("storage URL with scheme " + std::string(url.substr(0, url.find(':'))) +
                           ": this program was built without PostgreSQL support; link the CMake target tunekit::postgres");
#endif
  }
  const auto colon = url.find(':');
  const std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  throw invalid_argument("storage URL " + detail::quoted(url) + (scheme.empty() ? " has no scheme" : " has scheme " + detail::quoted(scheme) + ", which this build does not support") +
                         "; supported: memory:, journal:///path/to/study.log, sqlite:///path/to/study.db, postgresql://user@host/db");
}

}  // namespace tunekit
