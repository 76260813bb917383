#pragma once

// The logic shared by the SQL storages (sqlite_storage, postgres_storage):
// studies and trials in Optuna 3.1's RDB schema over any `sql_connection`.
// Core: no database client is included. In three parts:
//   rdb_storage_class.hpp  options, the class, its public operations and
//                          transactions (values: rdb_values.hpp)
//   rdb_storage_read.hpp   a study's cache synced from the database, trials
//                          and attributes read back
//   rdb_storage_write.hpp  schema creation, coalesced writes, inserts,
//                          claims and heartbeats

#include "rdb_storage_class.hpp"  // IWYU pragma: export
#include "rdb_storage_read.hpp"   // IWYU pragma: export
#include "rdb_storage_write.hpp"  // IWYU pragma: export
