#pragma once

// Optuna 3.1's RDB schema (optuna/storages/_rdb/models.py, alembic head
// "v3.0.0.d", version_info.schema_version 12), written out for SQLite and
// PostgreSQL as SQLAlchemy 1.4 creates it, so Optuna 3.1 opens what tunekit
// creates and the other way round. Core: no database client is included.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sql.hpp"

namespace tunekit::detail::rdb {

/// The alembic revision of Optuna 3.0/3.1's schema (table alembic_version).
inline constexpr std::string_view alembic_revision = "v3.0.0.d";
/// `version_info.schema_version` that Optuna 3.0/3.1 write.
inline constexpr int schema_version = 12;
/// `version_info.library_version` tunekit writes when it creates a database
/// (Optuna only reads it for messages).
inline constexpr std::string_view library_version = "3.1.0";

/// Table names, in creation order (parents first).
inline constexpr std::array<std::string_view, 13> tables = {
    "studies",           "version_info",           "study_directions",        "study_user_attributes",
    "study_system_attributes", "trials",           "trial_user_attributes",   "trial_system_attributes",
    "trial_params",      "trial_values",           "trial_intermediate_values", "trial_heartbeats",
    "alembic_version"};

/// The DDL, one statement per element. `IF NOT EXISTS` so two processes
/// creating a fresh database at once do not fail (the shared layer also
/// serialises creation). Column types and constraints are those SQLAlchemy
/// emits for Optuna's models: SQLite stores enums as VARCHAR of the longest
/// name, PostgreSQL as native ENUM types named after the Python enums.
inline std::vector<std::string> schema_ddl(sql_dialect dialect) {
  const bool pg = dialect == sql_dialect::postgres;
  // SQLAlchemy: Integer primary key -> "INTEGER NOT NULL" + PRIMARY KEY in
  // SQLite (an alias of the rowid), SERIAL in PostgreSQL.
  const std::string id = pg ? "SERIAL NOT NULL" : "INTEGER NOT NULL";
  const std::string dt = pg ? "TIMESTAMP WITHOUT TIME ZONE" : "DATETIME";
  const std::string dir = pg ? "studydirection" : "VARCHAR(8)";
  const std::string state = pg ? "trialstate" : "VARCHAR(8)";
  const std::string vtype = pg ? "trialvaluetype" : "VARCHAR(7)";
  const std::string ivtype = pg ? "trialintermediatevaluetype" : "VARCHAR(7)";
  std::vector<std::string> out;
  if (pg) {
    // CREATE TYPE has no IF NOT EXISTS; a DO block checks pg_type first.
    auto enum_type = [&](std::string_view name, std::string_view labels) {
      out.push_back("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE t.typname = '" + std::string(name) + "' AND n.nspname = current_schema()) THEN CREATE TYPE " +
                    std::string(name) + " AS ENUM (" + std::string(labels) + "); END IF; END $$");
    };
    enum_type("studydirection", "'NOT_SET', 'MINIMIZE', 'MAXIMIZE'");
    enum_type("trialstate", "'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'");
    enum_type("trialvaluetype", "'FINITE', 'INF_POS', 'INF_NEG'");
    enum_type("trialintermediatevaluetype", "'FINITE', 'INF_POS', 'INF_NEG', 'NAN'");
  }
  const std::string flt = "FLOAT";  // double precision in PostgreSQL too
  out.push_back("CREATE TABLE IF NOT EXISTS studies (\n\tstudy_id " + id +
                ", \n\tstudy_name VARCHAR(512) NOT NULL, \n\tPRIMARY KEY (study_id)\n)");
  out.push_back("CREATE UNIQUE INDEX IF NOT EXISTS ix_studies_study_name ON studies (study_name)");
  out.push_back("CREATE TABLE IF NOT EXISTS version_info (\n\tversion_info_id INTEGER NOT NULL, \n\tschema_version INTEGER, "
                "\n\tlibrary_version VARCHAR(256), \n\tPRIMARY KEY (version_info_id), \n\tCHECK (version_info_id=1)\n)");
  out.push_back("CREATE TABLE IF NOT EXISTS study_directions (\n\tstudy_direction_id " + id + ", \n\tdirection " + dir +
                " NOT NULL, \n\tstudy_id INTEGER NOT NULL, \n\tobjective INTEGER NOT NULL, \n\tPRIMARY KEY "
                "(study_direction_id), \n\tUNIQUE (study_id, objective), \n\tFOREIGN KEY(study_id) REFERENCES studies "
                "(study_id)\n)");
  for (const char* owner : {"study", "trial"}) {
    const std::string o(owner);
    for (const char* kind : {"user", "system"}) {
      const std::string k(kind);
      out.push_back("CREATE TABLE IF NOT EXISTS " + o + "_" + k + "_attributes (\n\t" + o + "_" + k + "_attribute_id " + id +
                    ", \n\t" + o + "_id INTEGER, \n\t\"key\" VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (" + o + "_" +
                    k + "_attribute_id), \n\tUNIQUE (" + o + "_id, \"key\"), \n\tFOREIGN KEY(" + o + "_id) REFERENCES " + (o == "study" ? std::string("studies") : o + "s") + " (" + o + "_id)\n)");
    }
    if (o == "study")
      out.push_back("CREATE TABLE IF NOT EXISTS trials (\n\ttrial_id " + id +
                    ", \n\tnumber INTEGER, \n\tstudy_id INTEGER, \n\tstate " + state + " NOT NULL, \n\tdatetime_start " +
                    dt + ", \n\tdatetime_complete " + dt +
                    ", \n\tPRIMARY KEY (trial_id), \n\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n)");
  }
  out.push_back("CREATE TABLE IF NOT EXISTS trial_params (\n\tparam_id " + id +
                ", \n\ttrial_id INTEGER, \n\tparam_name VARCHAR(512), \n\tparam_value " + flt +
                ", \n\tdistribution_json TEXT, \n\tPRIMARY KEY (param_id), \n\tUNIQUE (trial_id, param_name), \n\tFOREIGN "
                "KEY(trial_id) REFERENCES trials (trial_id)\n)");
  out.push_back("CREATE TABLE IF NOT EXISTS trial_values (\n\ttrial_value_id " + id +
                ", \n\ttrial_id INTEGER NOT NULL, \n\tobjective INTEGER NOT NULL, \n\tvalue " + flt + ", \n\tvalue_type " +
                vtype +
                " NOT NULL, \n\tPRIMARY KEY (trial_value_id), \n\tUNIQUE (trial_id, objective), \n\tFOREIGN KEY(trial_id) "
                "REFERENCES trials (trial_id)\n)");
  out.push_back("CREATE TABLE IF NOT EXISTS trial_intermediate_values (\n\ttrial_intermediate_value_id " + id +
                ", \n\ttrial_id INTEGER NOT NULL, \n\tstep INTEGER NOT NULL, \n\tintermediate_value " + flt +
                ", \n\tintermediate_value_type " + ivtype +
                " NOT NULL, \n\tPRIMARY KEY (trial_intermediate_value_id), \n\tUNIQUE (trial_id, step), \n\tFOREIGN "
                "KEY(trial_id) REFERENCES trials (trial_id)\n)");
  out.push_back("CREATE TABLE IF NOT EXISTS trial_heartbeats (\n\ttrial_heartbeat_id " + id +
                ", \n\ttrial_id INTEGER NOT NULL, \n\theartbeat " + dt +
                " NOT NULL, \n\tPRIMARY KEY (trial_heartbeat_id), \n\tUNIQUE (trial_id), \n\tFOREIGN KEY(trial_id) "
                "REFERENCES trials (trial_id)\n)");
  out.push_back("CREATE TABLE IF NOT EXISTS alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT "
                "alembic_version_pkc PRIMARY KEY (version_num)\n)");
  return out;
}

/// Whether a table exists (parameter: the table name).
inline std::string_view table_exists_sql(sql_dialect dialect) {
  return dialect == sql_dialect::sqlite
             ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
             : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?";
}

// --- dialect fragments ------------------------------------------------------
// Everything the two dialects write differently is here; the storage logic
// (rdb_storage.hpp) composes statements from these.

/// A bound timestamp parameter. libpq may send text parameters typed as
/// text, which PostgreSQL does not assign to a timestamp column implicitly.
inline std::string_view ts_param(sql_dialect d) { return d == sql_dialect::sqlite ? "?" : "CAST(? AS TIMESTAMP)"; }

/// The database's current time as a naive timestamp, as Optuna's
/// `sqlalchemy.func.now()` stores heartbeats: UTC in SQLite (with
/// microseconds, which SQLAlchemy reads), the session's local time in
/// PostgreSQL.
inline std::string_view now_sql(sql_dialect d) {
  return d == sql_dialect::sqlite ? "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')" : "LOCALTIMESTAMP";
}

/// Seconds since the timestamp column `col`, measured by the database clock
/// (so workers on machines with skewed clocks agree).
inline std::string age_seconds_sql(sql_dialect d, std::string_view col) {
  if (d == sql_dialect::sqlite) return "((julianday('now') - julianday(" + std::string(col) + ")) * 86400.0)";
  return "EXTRACT(EPOCH FROM (LOCALTIMESTAMP - " + std::string(col) + "))";
}

/// Suffix of a SELECT that reads a row the transaction will then change.
/// SQLite's BEGIN IMMEDIATE already excludes other writers.
inline std::string_view for_update(sql_dialect d) { return d == sql_dialect::sqlite ? "" : " FOR UPDATE"; }

/// The statement run first in every transaction that creates, starts or
/// fails trials of a study, or deletes it: it locks the study's row and
/// returns it (no row: the study is gone).
///
/// Trial numbers are Optuna's: a trial's number is the count of the study's
/// trials with a smaller trial_id (`TrialModel.count_past_trials`). For that
/// to be dense and unique, no trial of the study may be inserted, nor commit,
/// between our count and our commit. SQLite: BEGIN IMMEDIATE holds the
/// database's single write lock, so the plain SELECT is enough. PostgreSQL:
/// Optuna 3.1's `_create_new_trial` first locks the study row
/// (`StudyModel.find_or_raise_by_id(..., for_update=True)`), then inserts,
/// then counts. We take the same lock first, so every creator of a trial in
/// the study, ours or Optuna's, waits for the previous one to commit before
/// it draws a trial_id from the sequence; under READ COMMITTED our next
/// statement's snapshot then contains that trial. The order matters too: an
/// earlier version locked the trials table first and then, through the
/// foreign-key check of its INSERT, the study row, while Optuna holds the
/// study row and waits on the table: a lock-order deadlock that killed
/// Optuna workers. One order everywhere (study row, then trial rows) has no
/// cycle. Other studies' writers and all readers are not blocked.
///
/// `columns`: more columns to select (`no_flush_column`).
inline std::string lock_study_sql(sql_dialect d, std::string_view columns = {}) {
  return "SELECT study_id" + std::string(columns) +
         (d == sql_dialect::sqlite ? " FROM studies WHERE study_id = ?" : " FROM studies WHERE study_id = ? FOR UPDATE");
}

/// A column for the lock statements that turns `synchronous_commit` off for
/// the rest of the transaction (PostgreSQL; `set_config(..., true)` is
/// `SET LOCAL`): the commit returns without waiting for its WAL flush, at no
/// extra round trip. Used for the creation of a RUNNING trial only
/// (rdb_options::async_creation).
inline constexpr std::string_view no_flush_column = ", set_config('synchronous_commit', 'off', true)";

/// The next trial number of a study, as a scalar expression (parameters:
/// the study id twice); run under the study lock. One more than that of its
/// newest trial (equal to Optuna's count of earlier trials when numbers are
/// dense), read backwards along the primary key; a newest trial without a
/// number (not written by Optuna or tunekit) falls back to the count.
inline std::string_view next_number_sql() {
  return "COALESCE((SELECT number + 1 FROM trials WHERE study_id = ? ORDER BY trial_id DESC LIMIT 1), "
         "(SELECT COUNT(*) FROM trials WHERE study_id = ?))";
}

/// The advisory-lock variant of `lock_study_sql` (PostgreSQL; parameters:
/// the study id twice): a lock in the server's memory keyed by (a constant,
/// the study id) instead of a row lock, which writes to the studies table
/// on every trial creation. Creators that take it exclude each other as
/// the row lock does, and a snapshot taken after it sees the previous
/// creator's trial (locks are released after the commit is visible). Optuna
/// workers take the row lock and do not see this one: a fleet mixing them
/// would number trials twice. Hence opt-in (`creation_lock`).
inline std::string advisory_lock_study_sql(std::string_view columns = {}) {
  return "SELECT s.study_id" + std::string(columns) + " FROM (SELECT pg_advisory_xact_lock(74150204, CAST(? AS integer))) AS l, studies s "
         "WHERE s.study_id = ?";
}

/// Statement run first in the transaction that creates the schema, so two
/// processes opening a fresh PostgreSQL database do not race on CREATE TYPE.
inline std::vector<std::string_view> schema_creation_locks(sql_dialect d) {
  if (d == sql_dialect::sqlite) return {};
  return {"SELECT 1 FROM (SELECT pg_advisory_xact_lock(7415020311)) AS l"};
}

}  // namespace tunekit::detail::rdb
