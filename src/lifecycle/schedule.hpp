// LifecycleSchedule: the lifecycle runner inside `berth serve`, every
// `interval` on a thread of its own (never an I/O thread), applying, until
// stopped. Several servers on one store take turns through the runner's
// job lease, so the interval is per process but evaluations do not overlap.
// The first evaluation comes one interval after start.
//
// Thread-safety: start() and stop() from one thread; stop() asks a run in
// progress to stop after its current repository and waits for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "lifecycle/runner.hpp"
#include "util/job_run.hpp"

namespace berth::lifecycle {

class LifecycleSchedule {
 public:
  // `observer`, when set, hears of every run (for GET /metrics).
  LifecycleSchedule(registry::Registry& registry, storage::meta::MetaStore& meta,
                    std::chrono::milliseconds interval, JobObserver observer = {});
  ~LifecycleSchedule();  // stops
  LifecycleSchedule(const LifecycleSchedule&) = delete;
  LifecycleSchedule& operator=(const LifecycleSchedule&) = delete;

  void start();  // does nothing when the interval is 0
  void stop();

 private:
  void loop();

  registry::Registry& registry_;
  storage::meta::MetaStore& meta_;
  std::chrono::milliseconds interval_;
  JobObserver observer_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace berth::lifecycle
