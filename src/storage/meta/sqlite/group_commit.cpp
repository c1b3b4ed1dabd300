#include "storage/meta/sqlite/group_commit.hpp"

#include <utility>

namespace berth::storage::meta::sqlite {

GroupCommitter::GroupCommitter(Connection& writer, std::size_t max_batch)
    : writer_(writer), max_batch_(max_batch == 0 ? 1 : max_batch) {}

Status GroupCommitter::run(const Body& body) {
  Request request{&body, ok()};
  std::unique_lock lock(mu_);
  queue_.push_back(&request);
  while (!request.done) {
    if (leading_) {
      done_cv_.wait(lock);
      continue;
    }
    // Lead one batch: the oldest requests, which may not include our own
    // when more than max_batch_ were waiting; then look again.
    leading_ = true;
    std::deque<Request*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    run_batch(batch);
    lock.lock();
    for (Request* r : batch) r->done = true;
    leading_ = false;
    done_cv_.notify_all();
  }
  return std::move(request.result);
}

void GroupCommitter::run_batch(std::deque<Request*>& batch) {
  transactions_.fetch_add(1, std::memory_order_relaxed);
  if (batch.size() == 1) {
    run_alone(*batch.front());
  } else {
    run_together(batch);
  }
}

// One writer: no savepoint needed, the transaction is the body's own.
void GroupCommitter::run_alone(Request& request) {
  auto txn = Transaction::begin(writer_, Transaction::Mode::kImmediate);
  if (!txn) {
    request.result = std::unexpected(std::move(txn).error());
    return;
  }
  request.result = (*request.body)(writer_);
  if (!request.result) return;  // txn's destructor rolls back
  request.result = txn->commit();
}

void GroupCommitter::run_together(std::deque<Request*>& batch) {
  // Members that failed on their own keep their own error.
  auto fail_all = [&](const Error& error) {
    for (Request* r : batch) {
      if (r->result) r->result = std::unexpected(error);
    }
  };
  auto txn = Transaction::begin(writer_, Transaction::Mode::kImmediate);
  if (!txn) {
    fail_all(txn.error());
    return;
  }
  for (Request* r : batch) {
    if (auto s = writer_.exec("SAVEPOINT group_member"); !s) {
      fail_all(s.error());
      return;
    }
    r->result = (*r->body)(writer_);
    Status closed = r->result ? writer_.exec("RELEASE group_member")
                              : writer_.exec("ROLLBACK TO group_member; RELEASE group_member");
    // SQLite ends the whole transaction by itself on some errors (SQLITE_FULL,
    // SQLITE_IOERR, SQLITE_NOMEM): the earlier members' work is gone too.
    if (!closed || !writer_.in_transaction()) {
      Error cause = r->result ? (closed ? Error{ErrorCode::kInternal,
                                                "write transaction ended unexpectedly", ""}
                                        : closed.error())
                              : r->result.error();
      fail_all(cause);
      return;
    }
  }
  if (auto committed = txn->commit(); !committed) fail_all(committed.error());
}

}  // namespace berth::storage::meta::sqlite
