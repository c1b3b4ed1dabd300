// GroupCommitter: many writers, one transaction, one sync.
//
// With synchronous=FULL every COMMIT waits for the WAL to reach the disk,
// and that wait (0.1–8 ms on the machines we measured) is most of a small
// write's cost. Writers that arrive while a commit is in flight queue up;
// the next one to find no commit running becomes the leader, runs every
// queued body in one BEGIN IMMEDIATE transaction, each inside its own
// SAVEPOINT, and commits once. Nobody is answered before the COMMIT that
// holds their change has returned, so an acknowledged write is as durable
// as before; it just shares its sync with its neighbours.
//
// Each body is still atomic on its own: a body that fails is rolled back to
// its savepoint and only its caller sees the error. If SQLite abandons the
// whole transaction (a full disk, an I/O error), or the COMMIT fails, every
// caller of the batch gets that error: none of their changes were kept.
//
// Bodies run in arrival order, each seeing the effects of those before it,
// exactly as if they had run one by one.
//
// A body may be lazy: its caller does not need it on disk before the answer
// (an upload that has not received a byte, pull times). A batch of only lazy
// bodies commits with synchronous=OFF, without a sync; in WAL mode the next
// durable commit's sync carries its frames to the disk with its own. A crash
// before that loses lazy changes whole, never part of one.
//
// How well the batching works shows in the batch sizes: an observer, if
// given, is told each batch's size (the callers' writes one transaction
// carried, whether it committed or failed) as the batch ends. The store
// passes it on from its options; metrics live above this layer.
//
// Thread-safety: run() may be called from any number of threads. Bodies run
// on whichever caller's thread is leading, one at a time, with the writer
// connection to themselves; so does the observer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "storage/meta/sqlite/connection.hpp"
#include "util/result.hpp"

namespace berth::storage::meta::sqlite {

class GroupCommitter {
 public:
  using Body = std::function<Status(Connection&)>;
  // Told each batch's size; must be quick (the writer waits for it).
  using BatchObserver = std::function<void(std::size_t writes)>;
  enum class Durability { kDurable, kLazy };

  // `writer` must outlive this object; nothing else may use it meanwhile.
  // `durable_synchronous` is the PRAGMA synchronous value durable batches
  // commit with ("FULL" or "NORMAL"); the connection is set to it here.
  GroupCommitter(Connection& writer, std::size_t max_batch, std::string durable_synchronous,
                 BatchObserver observe_batch = {});
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs `body` in a write transaction and returns once that transaction
  // has committed (ok) or failed (the body's own error, or the batch's).
  Status run(const Body& body, Durability durability = Durability::kDurable);

  // Transactions committed or attempted so far (each batch is one).
  std::uint64_t transactions() const { return transactions_.load(std::memory_order_relaxed); }

 private:
  struct Request {
    const Body* body;
    Durability durability;
    Status result;
    bool done = false;
  };

  void run_batch(std::deque<Request*>& batch);
  Status use_synchronous(bool durable);
  void run_alone(Request& request);
  void run_together(std::deque<Request*>& batch);

  Connection& writer_;
  const std::size_t max_batch_;
  const std::string durable_synchronous_;
  const BatchObserver observe_batch_;
  // What the connection is set to now; the constructor makes it durable.
  bool synchronous_durable_ = false;
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::deque<Request*> queue_;  // guarded by mu_
  bool leading_ = false;        // guarded by mu_: a batch is running
  std::atomic<std::uint64_t> transactions_{0};
};

}  // namespace berth::storage::meta::sqlite
