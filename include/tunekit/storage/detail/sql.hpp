#pragma once

// The seam between the SQL storages' shared logic (Optuna 3.1's RDB schema,
// trial numbering, heartbeats; storage/detail/rdb_*.hpp) and a database
// client (SQLite, libpq). It depends on neither client, so it is core.

#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../../core/errors.hpp"

namespace tunekit::detail {

/// One SQL value: NULL, integer, real or text (UTF-8, never NUL).
using sql_value = std::variant<std::monostate, std::int64_t, double, std::string>;
using sql_row = std::vector<sql_value>;

/// Which SQL the shared layer writes: the two differ in upserts, locking and
/// how the newest row id is returned.
enum class sql_dialect { sqlite, postgres };

/// Thrown by a connection when retrying the whole transaction is the right
/// answer: SQLite busy/locked, PostgreSQL serialization failure or deadlock,
/// a connection that dropped (the connection has reconnected, with back-off,
/// before this is thrown, or gives up with `storage_error`). A transaction
/// that threw this was rolled back, so nothing of it is half-written.
struct sql_retry : storage_error {
  using storage_error::storage_error;
};

/// Thrown by `commit()` when the COMMIT's answer was lost and the
/// connection cannot tell whether it took effect (PostgreSQL: the server
/// restarted meanwhile, so the transaction's id may belong to another
/// transaction now). The shared layer then asks the database whether the
/// transaction's rows are there, or re-runs it if it has no such check.
struct sql_in_doubt : storage_error {
  using storage_error::storage_error;
};

/// `sql_connection<C>`: what the shared RDB layer needs of a client.
///
///   1. `C::dialect` names the SQL dialect.
///   2. `c.query(sql, params)` runs one statement and returns its rows, every
///      column converted to `sql_value` (integers as `int64_t`, floating
///      point as `double`, text as `std::string`, NULL as `monostate`).
///   3. `c.execute(sql, params)` runs one statement and returns the number of
///      rows it changed.
///   4. Statements use `?` placeholders, bound left to right from `params`;
///      a client whose library numbers them (`$1` in libpq) translates.
///      Values are always bound, never spliced into the text.
///   5. `c.begin()` starts a write transaction that excludes other writers
///      early enough to never deadlock on upgrade (`BEGIN IMMEDIATE` in
///      SQLite; `BEGIN` in PostgreSQL, where the shared layer locks rows);
///      `c.commit()` and `c.rollback()` end it.
///   6. Optional, for fewer round trips: `c.defer(sql, params)` (a write
///      whose row count is not needed, sent later in the same transaction)
///      and `c.defer(sql, params, on_rows)` (a query whose rows are handed
///      to `on_rows` when they arrive); see postgres_connection.hpp.
///   7. Errors: `sql_retry` and `sql_in_doubt` as above; anything else is `storage_error` whose
///      message names the host/file and database but never a password.
template <class C>
concept sql_connection = requires(C& c, std::string_view sql, std::span<const sql_value> params) {
  { C::dialect } -> std::convertible_to<sql_dialect>;
  { c.query(sql, params) } -> std::same_as<std::vector<sql_row>>;
  { c.execute(sql, params) } -> std::same_as<std::int64_t>;
  c.begin();
  c.commit();
  c.rollback();
};

}  // namespace tunekit::detail
