// Schema migrations of the SQLite metadata store.
//
// The schema evolves only by appending numbered migrations; a migration,
// once released, is never edited. The database records the number of the
// last one applied in PRAGMA user_version (0 for a fresh file). Opening a
// file whose user_version is newer than this code knows means an older
// binary is pointed at a newer database: it is refused with kUnsupported
// rather than risking writes the newer schema does not expect.
//
// Thread-safety: migrate() must run on the writer connection before the
// store serves calls. Concurrent processes are safe: each migration runs in
// a BEGIN IMMEDIATE transaction and rechecks the version inside it.
#pragma once

#include <span>
#include <string_view>

#include "storage/meta/sqlite/connection.hpp"
#include "util/result.hpp"

namespace berth::storage::meta::sqlite {

struct Migration {
  int version;            // 1, 2, 3, ... with no gaps
  std::string_view name;  // e.g. "0001_initial"
  std::string_view sql;   // one or more statements
};

// All migrations, in order.
std::span<const Migration> migrations();

// The schema version this code writes (the last migration's number).
int latest_schema_version();

// Brings the database up to latest_schema_version(). kUnsupported when the
// file is newer than the code.
Status migrate(Connection& conn);

}  // namespace berth::storage::meta::sqlite
