// Schema migrations of the PostgreSQL metadata store.
//
// The schema evolves only by appending numbered migrations; a migration,
// once released, is never edited. The table berth_schema_migrations records
// each one applied (version, name, when). Opening a database whose newest
// recorded version is beyond this code's means an older binary is pointed
// at a newer schema: it is refused with kUnsupported rather than risking
// writes the newer schema does not expect.
//
// All pending migrations run in one transaction that first takes a
// transaction-level advisory lock (kMigrationLockKey), so processes that
// start together migrate one after the other, each re-reading the version
// under the lock, and a failure or crash half-way leaves nothing: PostgreSQL's
// DDL is transactional.
//
// Tables live in the first schema of the connection's search_path (public
// by default; choose another with ?options=-csearch_path%3Dberth in the URL).
//
// Thread-safety: migrate() runs on one connection before the store serves
// calls; concurrent processes are safe as described above.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "storage/meta/postgres/pg_connection.hpp"
#include "util/result.hpp"

namespace berth::storage::meta::postgres {

struct Migration {
  int version;            // 1, 2, 3, ... with no gaps
  std::string_view name;  // e.g. "0001_initial"
  std::string_view sql;   // one or more statements
};

// Advisory lock keys (pg_advisory_*(bigint)), per database: taken while
// migrating, and by MetaStore::lock_store.
inline constexpr std::int64_t kMigrationLockKey = 0x6265727468'0001;   // "berth" 1
inline constexpr std::int64_t kStoreLockKey = 0x6265727468'0002;       // "berth" 2

std::span<const Migration> migrations();
int latest_schema_version();

struct MigrateOptions {
  // Refuse a database that holds no berth schema yet instead of creating
  // one (fsck must not turn a typo into an empty store).
  bool must_exist = false;
};

// Brings the database up to latest_schema_version(). kUnsupported when the
// schema is newer than the code; kInvalidArgument when must_exist and the
// database holds no berth schema. Returns the version found before.
Result<int> migrate(Connection& conn, const MigrateOptions& options);

}  // namespace berth::storage::meta::postgres
