#pragma once

#if !defined(TUNEKIT_HAS_POSTGRES)
#error "tunekit/storage/postgres.hpp (PostgreSQL storage) needs the CMake target tunekit::postgres: target_link_libraries(<your target> PRIVATE tunekit::postgres) (it defines TUNEKIT_HAS_POSTGRES and links the library; without CMake, define TUNEKIT_HAS_POSTGRES and link it yourself)"
#endif

// One libpq connection and how it is (re-)established (internal to
// postgres_connection.hpp, namespace detail::pg): the first connection with
// retries while the server starts, reconnection with exponential back-off
// after a lost one, and messages that name host, port, database, user and
// pooling mode, never the password (libpq's own messages do not contain it,
// the URL is never quoted, and anything that might is scrubbed).

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "../core/errors.hpp"

namespace tunekit::detail {

/// How a `postgres_connection` connects and how hard it tries to reconnect.
struct postgres_connection_options {
  /// Seconds libpq waits for a connection to be established (the URL's own
  /// `connect_timeout` wins). Without it an unreachable host blocks for the
  /// operating system's TCP timeout, minutes.
  int connect_timeout_s = 10;
  /// Attempts of the first connection when the server refuses or does not
  /// answer (it may be starting, as when a fleet and its database start
  /// together), with the same doubling waits as reconnection; the defaults
  /// wait about 6 s in all. A refused login, an unknown database or a bad
  /// URL fail at once: retrying cannot mend them.
  int connect_attempts = 8;
  /// Reconnection attempts after a lost connection before giving up with
  /// `storage_error`; the waits between them double from `reconnect_initial`
  /// up to `reconnect_max`. The defaults ride out a server restart of ~30 s.
  int reconnect_attempts = 12;
  std::chrono::milliseconds reconnect_initial{50};
  std::chrono::milliseconds reconnect_max{4000};
  /// A COMMIT whose answer was lost while its transaction is still "in
  /// progress" on the server (postgres_in_doubt.hpp): how long to let the
  /// old server process finish it before ending it (`pg_terminate_backend`),
  /// and how long to wait after that for the outcome before giving up with
  /// `storage_error` (never re-running a write that may still commit).
  std::chrono::milliseconds in_doubt_grace{1000};
  std::chrono::milliseconds in_doubt_end_wait{10000};
};

namespace pg {

/// A libpq connection (`get()`), the URL it came from, and `where()`.
class link {
 public:
  link() = default;
  link(std::string url, postgres_connection_options options) : url_(std::move(url)), options_(options) {
    describe_from_url();
  }
  link(const link&) = delete;
  link& operator=(const link&) = delete;
  link(link&& other) noexcept { swap(other); }
  link& operator=(link&& other) noexcept {
    if (this != &other) {
      close();
      swap(other);
    }
    return *this;
  }
  ~link() { close(); }

  [[nodiscard]] PGconn* get() const noexcept { return conn_; }
  [[nodiscard]] bool open() const noexcept { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  [[nodiscard]] const postgres_connection_options& options() const noexcept { return options_; }

  /// "PostgreSQL at host 127.0.0.1 port 5432, database tunekit, user alice, mode session": for messages.
  [[nodiscard]] const std::string& where() const noexcept { return where_; }

  /// The pooling mode `where()` names: "session" (server-side prepared
  /// statements) until a pooler shows itself ("transaction-pooled",
  /// "statement-pooled").
  void set_mode(std::string_view mode) {
    mode_ = mode;
    if (const auto m = where_.rfind(", mode "); m != std::string::npos) where_.replace(m, where_.size() - m, ", mode " + mode_);
  }

  /// How many connections were established (a new one has a new server
  /// session: none of the old one's prepared statements).
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }

  /// Round trips to the server so far by every connection of the process.
  static inline std::atomic<std::int64_t> round_trips{0};

  void close() noexcept {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
  }

  /// The first connection, retried while the server is not up yet.
  void connect_or_throw() {
    auto wait = options_.reconnect_initial;
    const auto start = std::chrono::steady_clock::now();
    std::string msg;
    int attempt = 0;
    while (true) {
      ++attempt;
      msg = try_connect();
      if (msg.empty()) return;
      if (attempt >= options_.connect_attempts || !transient(msg)) break;
      std::this_thread::sleep_for(wait);
      wait = std::min(options_.reconnect_max, wait * 2);
    }
    close();
    const auto waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string tries;
    if (attempt > 1) tries = " after " + std::to_string(attempt) + " attempts in " + std::to_string(static_cast<int>(waited * 1000)) + " ms";
    throw storage_error("cannot connect to " + where() + tries + ": " + msg);
  }

  /// Re-establishes the connection with exponential back-off, or throws.
  void reconnect(const std::string& why) {
    auto wait = options_.reconnect_initial;
    std::string last = why;
    for (int attempt = 0; attempt <= options_.reconnect_attempts; ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(wait);
        wait = std::min(options_.reconnect_max, wait * 2);
      }
      last = try_connect();
      if (last.empty()) return;
    }
    close();
    throw storage_error("lost the connection to " + where() + " (" + scrub(why) + ") and could not reconnect in " +
                        std::to_string(options_.reconnect_attempts + 1) + " attempts: " + last);
  }

  /// Is this failure a lost connection (rather than an error in the statement)?
  [[nodiscard]] bool connection_lost(const PGresult* res) const {
    if (!open()) return true;
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (state == nullptr) return res == nullptr;
    const std::string_view s = state;
    // 08xxx connection exceptions; 57P01/02/03 admin or crash shutdown, cannot connect now.
    return s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03";
  }

  /// The error of `res` (or of the connection) on one line, with its SQLSTATE, scrubbed.
  [[nodiscard]] std::string message_of(const PGresult* res) const {
    std::string msg;
    if (res != nullptr) {
      if (const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) msg = primary;
    }
    if (msg.empty() && conn_ != nullptr) msg = PQerrorMessage(conn_);
    if (msg.empty() && res != nullptr) msg = PQresultErrorMessage(res);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    if (res != nullptr) {
      if (const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) msg.append(" [SQLSTATE ").append(state).append("]");
    }
    return scrub(msg);
  }

  /// `msg` with the password replaced by "***".
  [[nodiscard]] std::string scrub(std::string msg) const {
    if (password_.size() >= 1) {
      for (auto pos = msg.find(password_); pos != std::string::npos; pos = msg.find(password_, pos + 3)) {
        msg.replace(pos, password_.size(), "***");
      }
    }
    return msg;
  }

 private:
  void swap(link& o) noexcept {
    std::swap(url_, o.url_);
    std::swap(options_, o.options_);
    std::swap(where_, o.where_);
    std::swap(mode_, o.mode_);
    std::swap(password_, o.password_);
    std::swap(conn_, o.conn_);
    std::swap(generation_, o.generation_);
  }

  // Host, port, database and user for messages, from the URL as libpq parses
  // it (environment defaults fill in after connecting). The password is kept
  // only to scrub it from any message that might quote it.
  void describe_from_url() {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(url_.c_str(), &err);
    if (opts == nullptr) {
      std::string msg = err ? err : "out of memory";
      if (err) PQfreemem(err);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      password_ = password_in(url_);
      throw storage_error("postgres storage URL is not a valid PostgreSQL connection string (" + scrub(msg) +
                          "); expected postgresql://user[:password]@host[:port]/database");
    }
    std::string host, port, db, user;
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val == nullptr) continue;
      const std::string_view k = o->keyword;
      if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
      if (k == "port") port = o->val;
      if (k == "dbname") db = o->val;
      if (k == "user") user = o->val;
      if (k == "password") password_ = o->val;
    }
    PQconninfoFree(opts);
    set_where(host, port, db, user);
  }

  void set_where(std::string_view host, std::string_view port, std::string_view db, std::string_view user) {
    where_ = "PostgreSQL at host ";
    where_.append(host.empty() ? "(default)" : host);
    if (!port.empty()) where_.append(" port ").append(port);
    where_.append(", database ").append(db.empty() ? "(default)" : db);
    if (!user.empty()) where_.append(", user ").append(user);
    where_.append(", mode ").append(mode_);
  }

  // The text between "://user:" and "@" of a URL, for scrubbing only.
  static std::string password_in(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    const auto at = url.find('@', scheme + 3);
    if (at == std::string_view::npos) return {};
    const auto colon = url.find(':', scheme + 3);
    if (colon == std::string_view::npos || colon > at) return {};
    return std::string(url.substr(colon + 1, at - colon - 1));
  }

  // A new connection; on failure `conn_` is left bad and the message returned.
  std::string try_connect() {
    close();
    const std::string timeout = std::to_string(options_.connect_timeout_s);
    // Earlier keywords are overridden by what the URL (expanded from dbname,
    // processed last) says.
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* vals[] = {timeout.c_str(), "tunekit", url_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, vals, 1);
    if (conn_ == nullptr) return "out of memory";
    if (PQstatus(conn_) != CONNECTION_OK) return message_of(nullptr);
    ++generation_;
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
    const char* host = PQhost(conn_);
    set_where(host ? host : "", PQport(conn_) ? PQport(conn_) : "", PQdb(conn_) ? PQdb(conn_) : "",
              PQuser(conn_) ? PQuser(conn_) : "");
    return {};
  }

  // Failures of the first connection that waiting may mend: the server is
  // not up yet (refused, timed out, starting up, too many clients).
  static bool transient(std::string_view msg) {
    for (std::string_view permanent : {"password authentication failed", "does not exist", "no pg_hba.conf entry",
                                       "authentication", "invalid connection option", "invalid URI", "invalid integer",
                                       "could not translate host name", "permission denied"})
      if (msg.find(permanent) != std::string_view::npos) return false;
    return true;
  }

  std::string url_;
  postgres_connection_options options_;
  std::string where_;
  std::string mode_ = "session";
  std::string password_;
  PGconn* conn_ = nullptr;
  std::uint64_t generation_ = 0;
};

}  // namespace pg
}  // namespace tunekit::detail
