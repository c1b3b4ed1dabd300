// PullRecorder: notes manifest pulls in memory and writes them to the
// MetaStore in batches, so a pull costs no write transaction (and no fsync)
// on the request path. A background thread flushes every `interval`; reads
// of pull times call flush() first, so they never see stale values from
// this process. A crash loses at most one interval of pull times, never
// anything else.
//
// Thread-safety: note() and flush() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "storage/meta/meta_store.hpp"

namespace berth::registry {

class PullRecorder {
 public:
  PullRecorder(storage::meta::MetaStore& meta, std::chrono::milliseconds interval);
  ~PullRecorder();  // flushes what is pending
  PullRecorder(const PullRecorder&) = delete;
  PullRecorder& operator=(const PullRecorder&) = delete;

  void note(storage::meta::RepositoryId repo, const oci::Digest& digest, std::int64_t at_ms);
  // Writes every pending pull now; errors are reported and the batch kept
  // for the next attempt.
  Status flush();

 private:
  void run();

  storage::meta::MetaStore& meta_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::mutex flush_mu_;  // one flush at a time, so batches apply in order
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  // (repository, digest) -> latest pull; guarded by mu_
  std::map<std::pair<storage::meta::RepositoryId, oci::Digest>, std::int64_t> pending_;
  std::thread worker_;
};

}  // namespace berth::registry
