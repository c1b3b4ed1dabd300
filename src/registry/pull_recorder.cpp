#include "registry/pull_recorder.hpp"

#include <vector>

namespace berth::registry {

namespace meta = storage::meta;

PullRecorder::PullRecorder(meta::MetaStore& meta, std::chrono::milliseconds interval)
    : meta_(meta), interval_(interval), worker_([this] { run(); }) {}

PullRecorder::~PullRecorder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  (void)flush();
}

void PullRecorder::note(meta::RepositoryId repo, const oci::Digest& digest, std::int64_t at_ms) {
  std::lock_guard lock(mu_);
  auto& latest = pending_[{repo, digest}];
  latest = std::max(latest, at_ms);
}

Status PullRecorder::flush() {
  std::lock_guard flushing(flush_mu_);
  std::vector<meta::PullRecord> batch;
  {
    std::lock_guard lock(mu_);
    if (pending_.empty()) return ok();
    batch.reserve(pending_.size());
    for (const auto& [key, at] : pending_) batch.push_back({key.first, key.second, at});
    pending_.clear();
  }
  Status written = meta_.record_pulls(batch);
  if (!written) {
    std::lock_guard lock(mu_);
    for (const auto& pull : batch) {
      auto& latest = pending_[{pull.repository, pull.digest}];
      latest = std::max(latest, pull.at_ms);
    }
  }
  return written;
}

void PullRecorder::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)flush();
    lock.lock();
  }
}

}  // namespace berth::registry
