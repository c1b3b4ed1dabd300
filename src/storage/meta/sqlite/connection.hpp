// Connection and Statement: a thin RAII layer over one sqlite3 handle.
//
// A Connection owns a sqlite3* and a cache of prepared statements keyed by
// their SQL text, so each distinct query is compiled once per connection.
// A Statement borrows a cached sqlite3_stmt and resets it (and clears its
// bindings) when it goes out of scope, which ends any implicit read
// transaction it held: a forgotten reset would pin an old WAL snapshot.
// Transaction is a scope guard that rolls back unless commit() succeeded,
// so an early `return` on error (or an exception) never leaves a half-done
// write open.
//
// Every failure is turned into an Error by from_sqlite(); nothing throws.
//
// Thread-safety: a Connection, its Statements and its Transactions belong to
// one thread at a time (the store hands connections out under a mutex or
// from a pool). Connections are opened with SQLITE_OPEN_NOMUTEX.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::storage::meta::sqlite {

struct ConnectionOptions {
  bool synchronous_full = true;
  int busy_timeout_ms = 5000;
  // Readers set PRAGMA query_only so a bug cannot write through them.
  bool read_only = false;
};

class Connection;

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in the SQL text (?1, ?2, ...). Bind failures
  // are remembered and reported by the next step().
  // Text is copied; blob bytes are not.
  // REQUIRES: bytes passed to bind_blob outlive the last step().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // true when a row is available, false when the statement is done.
  Result<bool> step();
  // Steps a statement that returns no rows (INSERT/UPDATE/DELETE).
  Status run();

  std::int64_t column_int64(int col) const;
  std::string column_text(int col) const;
  std::string column_blob(int col) const;
  bool column_is_null(int col) const;

 private:
  friend class Connection;
  // `in_use` is the cache slot's flag; null for a private (uncached) copy,
  // which is finalized instead of returned.
  Statement(sqlite3_stmt* stmt, bool* in_use) : stmt_(stmt), in_use_(in_use) {}

  sqlite3_stmt* stmt_;
  bool* in_use_;
  int bind_rc_ = 0;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::filesystem::path& file,
                                                  const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return nothing of interest (PRAGMAs,
  // migration scripts, BEGIN/COMMIT).
  Status exec(std::string_view sql);
  // A cached prepared statement for `sql`. A statement already in use on
  // this connection (a nested query of the same text) gets a private copy.
  Result<Statement> prepare(std::string_view sql);
  // Runs a query that yields one integer (PRAGMA user_version, count(*)).
  Result<std::int64_t> query_int64(std::string_view sql);

  // Rows changed by the last INSERT/UPDATE/DELETE (cascades not counted).
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  bool in_transaction() const;

  // An Error for `rc`, with `what` and SQLite's message as context.
  Error error(int rc, std::string_view what) const;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  sqlite3* db_;
  // Node-based map: a Statement keeps a pointer to its slot's flag.
  std::unordered_map<std::string, CachedStatement> cache_;
};

class Transaction {
 public:
  enum class Mode {
    kRead,       // BEGIN (deferred): one consistent snapshot for several reads
    kImmediate,  // BEGIN IMMEDIATE: takes the write lock up front, so a
                 // writer never fails half-way on a lock upgrade
  };
  static Result<Transaction> begin(Connection& conn, Mode mode);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();  // rolls back unless committed

  Status commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once committed or moved from
};

// A SAVEPOINT inside an open transaction: one call's changes, kept with
// release() or undone alone with rollback(), so one failing call among
// several sharing a transaction takes only its own changes back. Savepoints
// nest: each one names the innermost open savepoint.
class Savepoint {
 public:
  static Result<Savepoint> begin(Connection& conn);
  Savepoint(Savepoint&& other) noexcept;
  Savepoint& operator=(Savepoint&&) = delete;
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint();  // rolls back unless released

  Status release();
  // Undoes everything since begin() and ends the savepoint.
  Status rollback();

 private:
  explicit Savepoint(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once ended or moved from
};

}  // namespace berth::storage::meta::sqlite
