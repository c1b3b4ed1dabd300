// ConnectionPool: a bounded set of connections to one PostgreSQL database,
// lent out one per call.
//
// At most `max_connections` exist at once (PostgreSQL's max_connections is
// shared by every berth process); a caller that finds them all lent out
// waits up to `wait` for one and then gets kUnavailable. Connections are
// opened on demand and kept while they stay usable: one that broke, or came
// back inside a transaction, is closed instead of reused, and an idle one
// the server has closed meanwhile (a restart, pg_terminate_backend) is
// noticed before it is lent (Connection::healthy) and replaced.
//
// Thread-safety: acquire() may be called from any thread; a Lease and its
// Connection belong to the thread that acquired it. The pool must outlive
// its leases.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/meta/postgres/pg_connection.hpp"
#include "storage/meta/postgres/pg_conninfo.hpp"
#include "util/result.hpp"

namespace berth::storage::meta::postgres {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  ConnectionPool(ConnInfo info, std::size_t max_connections, std::chrono::milliseconds wait);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  Result<Lease> acquire();

  // Hands an already open connection to the pool (the one that migrated the
  // schema at open), counted against max_connections.
  void adopt(std::unique_ptr<Connection> conn);

  const ConnInfo& info() const { return info_; }
  // Connections opened so far (for tests).
  std::uint64_t opened() const;

 private:
  void release(std::unique_ptr<Connection> conn);

  const ConnInfo info_;
  const std::size_t max_;
  const std::chrono::milliseconds wait_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  std::size_t open_ = 0;                           // guarded by mu_: idle + lent + connecting
  std::uint64_t opened_ = 0;                       // guarded by mu_
};

}  // namespace berth::storage::meta::postgres
