// ConnectionPool (see pg_pool.hpp).
// Thread-safety: see pg_pool.hpp (acquire from any thread).
#include "storage/meta/postgres/pg_pool.hpp"

#include <string>

namespace berth::storage::meta::postgres {

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

ConnectionPool::ConnectionPool(ConnInfo info, std::size_t max_connections,
                               std::chrono::milliseconds wait)
    : info_(std::move(info)), max_(max_connections == 0 ? 1 : max_connections), wait_(wait) {}

std::uint64_t ConnectionPool::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

void ConnectionPool::adopt(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mu_);
    ++open_;
    ++opened_;
  }
  release(std::move(conn));
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + wait_;
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->healthy()) return Lease(this, std::move(conn));
      --open_;  // closed by the server meanwhile: drop it (outside the lock)
      lock.unlock();
      conn.reset();
      lock.lock();
    }
    if (open_ < max_) {
      ++open_;
      ++opened_;
      lock.unlock();
      auto raw = connect(info_);
      if (!raw) {
        lock.lock();
        --open_;
        freed_.notify_one();
        return std::unexpected(std::move(raw).error());
      }
      return Lease(this, std::make_unique<Connection>(*raw));
    }
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_) {
      return fail(ErrorCode::kUnavailable,
                  "all " + std::to_string(max_) + " connections to PostgreSQL are busy");
    }
  }
}

void ConnectionPool::release(std::unique_ptr<Connection> conn) {
  if (!conn->reusable()) {
    conn.reset();  // closes it
    std::lock_guard lock(mu_);
    --open_;
  } else {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
  }
  freed_.notify_one();
}

}  // namespace berth::storage::meta::postgres
