// The PostgreSQL backend of MetaStore: the metadata of any number of berth
// processes, on one or many machines, in one PostgreSQL database (15 or
// newer).
//
// open_postgres_meta_store() connects, migrates the schema (see
// pg_migrations.hpp) and returns a store whose calls each borrow a
// connection from a bounded pool. Every mutating call is one transaction
// that holds across processes (row locks, foreign keys and unique indexes
// do the arbitration; deadlocks and serialization failures are retried a
// bounded number of times); in_one_commit() is one SERIALIZABLE transaction
// and in_one_snapshot() one REPEATABLE READ snapshot, each on a connection
// bound to the calling thread. lock_store() takes a session-level advisory
// lock on a dedicated connection. The isolation decisions are explained in
// pg_meta_store_impl.hpp.
//
// Thread-safety: the returned store is safe for concurrent use. Calls block
// on the network: make them on a blocking pool, never on an I/O thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::storage::meta::postgres {

struct PostgresOptions {
  // Refuse a database without a berth schema instead of creating one.
  bool must_exist = false;
  // Connections per store (per process). berth's blocking pool has 8
  // threads by default; a walk that calls back into the store holds two.
  std::size_t max_connections = 16;
  // How long a call waits for a free connection before kUnavailable.
  std::chrono::milliseconds connection_wait{10000};
  // How long lock_store(kShared) waits out an exclusive hold before
  // kUnavailable: a starting server holds the store exclusively for a
  // moment (to clear stale upload leases), and a server starting beside it
  // must not fail for that. fsck --repair holds it far longer.
  std::chrono::milliseconds shared_lock_wait{3000};
};

// Opens the database named by a postgresql:// (or postgres://) URL.
// Errors (one line, the password never shown): kInvalidArgument for a
// malformed URL, a missing database, or (must_exist) a database without a
// berth schema; kDenied for refused credentials; kUnavailable when the
// server cannot be reached; kUnsupported when the schema is newer than this
// code. Nothing is created unless the open succeeds.
Result<std::unique_ptr<MetaStore>> open_postgres_meta_store(std::string_view url,
                                                            const PostgresOptions& options = {});

}  // namespace berth::storage::meta::postgres
