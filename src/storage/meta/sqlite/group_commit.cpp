#include "storage/meta/sqlite/group_commit.hpp"

#include <utility>

namespace berth::storage::meta::sqlite {

GroupCommitter::GroupCommitter(Connection& writer, std::size_t max_batch,
                               std::string durable_synchronous, BatchObserver observe_batch)
    : writer_(writer),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      durable_synchronous_(std::move(durable_synchronous)),
      observe_batch_(std::move(observe_batch)) {
  (void)use_synchronous(true);  // a failure shows again at the first batch
}

GroupCommitter::~GroupCommitter() {
  // Closing the connection may checkpoint; do it with syncs.
  (void)use_synchronous(true);
}

// Lazy batches also turn automatic checkpoints off. A checkpoint run by an
// unsynced commit would copy durable frames into the database file without
// syncing it, and let the next commit overwrite those frames in the WAL: a
// crash could then lose writes that were acknowledged as durable.
Status GroupCommitter::use_synchronous(bool durable) {
  if (durable == synchronous_durable_) return ok();
  BERTH_TRY_STATUS(writer_.exec(durable ? "PRAGMA synchronous=" + durable_synchronous_ +
                                              "; PRAGMA wal_autocheckpoint=1000"
                                        : std::string("PRAGMA wal_autocheckpoint=0; "
                                                      "PRAGMA synchronous=OFF")));
  synchronous_durable_ = durable;
  return ok();
}

Status GroupCommitter::run(const Body& body, Durability durability) {
  Request request{&body, durability, ok()};
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
    if (observe_batch_) observe_batch_(batch.size());
    lock.lock();
    for (Request* r : batch) r->done = true;
    leading_ = false;
    done_cv_.notify_all();
  }
  return std::move(request.result);
}

void GroupCommitter::run_batch(std::deque<Request*>& batch) {
  transactions_.fetch_add(1, std::memory_order_relaxed);
  bool durable = false;
  for (const Request* r : batch) durable = durable || r->durability == Durability::kDurable;
  if (auto set = use_synchronous(durable); !set) {
    for (Request* r : batch) r->result = std::unexpected(set.error());
    return;
  }
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
    auto member = Savepoint::begin(writer_);
    if (!member) {
      fail_all(member.error());
      return;
    }
    r->result = (*r->body)(writer_);
    Status closed = r->result ? member->release() : member->rollback();
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
