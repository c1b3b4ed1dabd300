// The SQLite backend of MetaStore: one database file, for a single berth
// process on one machine (several processes on the same host also work, as
// SQLite locks the file, but PostgreSQL is the backend for scaling out).
//
// The file is opened in WAL mode with foreign keys on, and migrated to the
// schema this code knows (see migrations.hpp). Writes go through one writer
// connection under a mutex, each in a BEGIN IMMEDIATE transaction; reads use
// a small pool of connections that never wait for the writer.
//
// Thread-safety: the returned store is safe for concurrent use.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>

#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::storage::meta::sqlite {

struct SqliteOptions {
  // PRAGMA synchronous=FULL (true) or NORMAL (false). NORMAL in WAL mode
  // stays consistent after a power loss but may lose the last commits.
  bool synchronous_full = true;
  // How long a call waits for a lock held by another process before failing
  // with kUnavailable.
  int busy_timeout_ms = 5000;
  // Told how many writes each group commit carried (group_commit.hpp), for
  // GET /metrics; called on the writing thread, so it must be quick.
  // Unset: nobody listens.
  std::function<void(std::size_t writes)> on_group_commit;
};

// Opens (creating if absent) and migrates the database at `db_file`.
// kUnsupported when the file's schema is newer than this code;
// kCorruption when it is not a SQLite database; kInternal or kUnavailable
// for other open failures.
Result<std::unique_ptr<MetaStore>> open_sqlite_meta_store(const std::filesystem::path& db_file,
                                                          SqliteOptions options = {});

}  // namespace berth::storage::meta::sqlite
