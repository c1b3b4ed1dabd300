// ReaderPool: read-only connections to the metadata database, lent out one
// per call.
//
// In WAL mode each connection reads its own snapshot and never waits for
// the writer, so reads scale with connections rather than queue behind one
// mutex. The pool keeps up to `max_idle` connections for reuse and opens
// more on demand instead of blocking: a walk callback that re-enters the
// store while holding one connection must never deadlock waiting for it.
//
// Thread-safety: acquire() may be called from any thread; a Lease and its
// Connection belong to the thread that acquired it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/meta/sqlite/connection.hpp"
#include "util/result.hpp"

namespace berth::storage::meta::sqlite {

class ReaderPool {
 public:
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  ReaderPool(std::filesystem::path file, ConnectionOptions options, std::size_t max_idle);
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  Result<Lease> acquire();

 private:
  void release(std::unique_ptr<Connection> conn);

  const std::filesystem::path file_;
  const ConnectionOptions options_;
  const std::size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
};

}  // namespace berth::storage::meta::sqlite
