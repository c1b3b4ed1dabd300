// GcSchedule: the collector inside `berth serve`, every `interval` on a
// thread of its own (never an I/O thread), applying, until stopped. Several
// servers on one store take turns through the collector's job lease, so the
// interval is per process but collections do not overlap.
//
// Thread-safety: start() and stop() from one thread; stop() asks a run in
// progress to stop after its current item and waits for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gc/collector.hpp"
#include "util/job_run.hpp"

namespace berth::gc {

class GcSchedule {
 public:
  // `observer`, when set, hears of every run (for GET /metrics).
  GcSchedule(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta, GcOptions options,
             std::chrono::milliseconds interval, JobObserver observer = {});
  ~GcSchedule();  // stops
  GcSchedule(const GcSchedule&) = delete;
  GcSchedule& operator=(const GcSchedule&) = delete;

  void start();
  void stop();

 private:
  void loop();

  storage::blob::BlobStore& blobs_;
  storage::meta::MetaStore& meta_;
  GcOptions options_;
  std::chrono::milliseconds interval_;
  JobObserver observer_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace berth::gc
