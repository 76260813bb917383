#pragma once

// A COMMIT whose answer was lost: did it take effect? (internal to
// postgres_connection.hpp, namespace detail::pg; docs/storage.md, "A COMMIT
// whose answer was lost").
//
// Every transaction reads, with its BEGIN and in the same statement, its id
// (`txid_current()`), the server's start time and the server process that
// runs it (`pg_backend_pid()`: the real server process, also behind
// PgBouncer, which keeps that process assigned to the transaction until it
// ends). After the connection is lost during its COMMIT, `committed()` asks
// the server on a new connection:
//  - `committed`, same server start: it took effect (re-running it would,
//    e.g., create a second trial). After a restart: `sql_in_doubt` (a crash
//    may have lost the commit and handed its id to another transaction; the
//    shared layer then checks the transaction's rows).
//  - `aborted`, an id not handed out (yet) after a crash, or `in progress`
//    after a restart (another transaction's now): it did not.
//  - `in progress` (no restart): the old server process has not finished
//    it (a lock it waits for, a slow flush, a network cut the server has
//    not noticed). Re-running now would write twice if it commits later, so
//    after `in_doubt_grace` the old process is ended (`pg_terminate_backend`,
//    only if it still runs that very transaction), and the outcome is asked
//    again until it is known (at most `in_doubt_end_wait`). If the process
//    cannot be ended (a role may end only its own role's processes, or be a
//    member of `pg_signal_backend`) or the outcome stays unknown:
//    `storage_error`, never a re-run.

#include <libpq-fe.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "../core/errors.hpp"
#include "detail/sql.hpp"
#include "postgres_link.hpp"

namespace tunekit::detail::pg {

/// What identifies a transaction once its connection is gone.
struct transaction_ref {
  std::string id;       ///< txid_current()
  std::string started;  ///< pg_postmaster_start_time()::text when it began
  std::string pid;      ///< pg_backend_pid(): the server process running it
};

/// Read with BEGIN (same round trip), in `transaction_ref`'s order.
inline constexpr const char* transaction_sql = "SELECT txid_current(), pg_postmaster_start_time()::text, pg_backend_pid()";

namespace in_doubt {

using result = std::unique_ptr<PGresult, void (*)(PGresult*)>;

inline result exec(link& l, const char* sql, std::initializer_list<const char*> values) {
  ++link::round_trips;
  return {PQexecParams(l.get(), sql, static_cast<int>(values.size()), nullptr, values.begin(), nullptr, nullptr, 0), &PQclear};
}

inline std::string head(const link& l, const transaction_ref& t) {
  return l.where() + ": the connection was lost during a COMMIT, and transaction " + t.id;
}

inline const char* not_rerun() {
  return ": whether the write took effect is unknown, so it is not re-run (re-running could write it twice)";
}

// txid_status's answer ("committed", "aborted", "in progress", or "future":
// an id not handed out since a crash) and whether the server restarted
// since the transaction began. A lost connection is re-established and the
// question asked again; any other failure is a `storage_error`.
inline std::pair<std::string, bool> status(link& l, const transaction_ref& t) {
  for (int lost = 0;; ++lost) {
    const result res = exec(l, "SELECT txid_status($1::bigint), pg_postmaster_start_time()::text", {t.id.c_str()});
    if (PQresultStatus(res.get()) == PGRES_TUPLES_OK && PQntuples(res.get()) == 1) {
      if (PQgetisnull(res.get(), 0, 0))
        throw storage_error(head(l, t) + " is too old for the server to know its outcome (txid_status is NULL)" + not_rerun());
      return {PQgetvalue(res.get(), 0, 0), t.started.empty() || t.started != PQgetvalue(res.get(), 0, 1)};
    }
    const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
    if (state != nullptr && std::string_view(state) == "22023") return {"future", true};  // "... is in the future"
    if (l.connection_lost(res.get()) && lost < 3) {
      l.reconnect(l.message_of(res.get()));
      continue;
    }
    throw storage_error(head(l, t) + ": asking the server whether it committed failed (" + l.message_of(res.get()) + ")" +
                        not_rerun());
  }
}

// Ends the server process `t.pid` if it still runs transaction `t` (both
// checked in the statement that ends it, so a process that has moved on,
// or a pid the system gave again, is left alone). False: no process runs it.
inline bool end_process(link& l, const transaction_ref& t, std::chrono::milliseconds waited) {
  if (t.pid.empty()) return false;
  const result res = exec(l,
                          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $2::int AND pid <> "
                          "pg_backend_pid() AND backend_xid = ($1::bigint % 4294967296)::text::xid",
                          {t.id.c_str(), t.pid.c_str()});
  if (PQresultStatus(res.get()) == PGRES_TUPLES_OK) return PQntuples(res.get()) == 1;
  if (l.connection_lost(res.get())) {
    l.reconnect(l.message_of(res.get()));
    return true;  // asked again after the usual wait
  }
  throw storage_error(head(l, t) + " is still in progress in server process " + t.pid + " after " +
                      std::to_string(waited.count()) + " ms; ending that process failed (" + l.message_of(res.get()) +
                      ")" + not_rerun() +
                      ". A role may end only its own role's processes unless it is a member of pg_signal_backend; "
                      "once that process has ended, check whether the write is there");
}

}  // namespace in_doubt

/// Did transaction `t` commit? (see top). Asked on a new connection after
/// its COMMIT's answer was lost; throws `sql_in_doubt` when only its rows
/// can tell, `storage_error` when nothing can tell yet.
inline bool committed(link& l, const transaction_ref& t) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto grace = l.options().in_doubt_grace;
  const auto end_wait = l.options().in_doubt_end_wait;
  std::optional<clock::time_point> ended;  // when its server process was ended
  int not_running = 0;
  while (true) {
    const auto [s, restarted] = in_doubt::status(l, t);
    if (s == "committed" && restarted)
      throw sql_in_doubt(in_doubt::head(l, t) + " is reported committed, but the server restarted since it began: its "
                                                "id may have been given to another transaction");
    if (s == "committed") return true;
    if (s != "in progress" || restarted) return false;  // aborted, not handed out, or another transaction's
    const auto now = clock::now();
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
    if (!ended && waited >= grace) {
      if (in_doubt::end_process(l, t, waited)) {
        ended = now;
      } else if (++not_running >= 2) {
        throw storage_error(in_doubt::head(l, t) + " is in progress, but no server process runs it (process " +
                            (t.pid.empty() ? "unknown" : t.pid) + "; a prepared transaction?)" + in_doubt::not_rerun());
      } else {
        continue;  // it may have ended just now: ask again
      }
    } else if (ended && now - *ended >= end_wait) {
      throw storage_error(in_doubt::head(l, t) + " is still in progress " + std::to_string(end_wait.count()) +
                          " ms after its server process " + t.pid + " was ended" + in_doubt::not_rerun());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace tunekit::detail::pg
