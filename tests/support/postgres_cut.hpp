#pragma once

// A network failure between this process and the PostgreSQL test server,
// for the tests of a COMMIT whose answer was lost: this process's end of one
// connection is shut down, while the server process behind it (waiting for
// a lock) does not notice.

#include <tunekit/storage/postgres_connection.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace tunekit::testing {

/// Shuts down this process's socket of the connection served by server
/// process `pid` (found by its client port in pg_stat_activity, asked
/// through `admin`). Returns how many sockets were cut (1 expected).
inline int cut_client_side(::tunekit::detail::postgres_connection& admin, std::int64_t pid) {
  const auto rows = admin.query("SELECT client_port FROM pg_stat_activity WHERE pid = ?::int", std::vector<::tunekit::detail::sql_value>{pid});
  if (rows.size() != 1) return 0;
  const auto port = std::get<std::int64_t>(rows[0][0]);
  int cut = 0;
  for (int fd = 3; fd < 4096; ++fd) {
    sockaddr_storage a{};
    socklen_t n = sizeof a;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0) continue;
    int local = -1;
    if (a.ss_family == AF_INET) local = ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
    if (a.ss_family == AF_INET6) local = ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
    if (local == port && shutdown(fd, SHUT_RDWR) == 0) ++cut;
  }
  return cut;
}

/// A server process of this database that waits for a lock of the kind
/// `wait_event` (e.g. "advisory"): process `pid` if not 0, else any; waited
/// for at most ~10 s. 0 if none.
inline std::int64_t process_waiting_for(::tunekit::detail::postgres_connection& admin, const std::string& wait_event, std::int64_t pid = 0) {
  for (int i = 0; i < 500; ++i) {
    const auto rows = admin.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                                  "wait_event_type = 'Lock' AND wait_event = ? AND (? = 0 OR pid = ?) ORDER BY pid LIMIT 1",
                                  std::vector<::tunekit::detail::sql_value>{wait_event, pid, pid});
    if (!rows.empty()) return std::get<std::int64_t>(rows[0][0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

/// Waits (at most ~10 s) until server process `pid` has exited.
inline bool process_gone(::tunekit::detail::postgres_connection& admin, std::int64_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = ?::int", std::vector<::tunekit::detail::sql_value>{pid}).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace tunekit::testing
