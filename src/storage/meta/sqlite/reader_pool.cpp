#include "storage/meta/sqlite/reader_pool.hpp"

#include <utility>

namespace berth::storage::meta::sqlite {

ReaderPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->release(std::move(conn_));
}

ReaderPool::ReaderPool(std::filesystem::path file, ConnectionOptions options, std::size_t max_idle)
    : file_(std::move(file)),
      options_([&] {
        options.read_only = true;
        return options;
      }()),
      max_idle_(max_idle) {}

Result<ReaderPool::Lease> ReaderPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
  }
  // Opened outside the lock: opening touches the disk.
  auto conn = BERTH_TRY(Connection::open(file_, options_));
  return Lease(this, std::move(conn));
}

void ReaderPool::release(std::unique_ptr<Connection> conn) {
  // A connection left inside a transaction would pin an old snapshot for
  // its next user; drop it instead of reusing it.
  if (conn->in_transaction()) return;
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

}  // namespace berth::storage::meta::sqlite
