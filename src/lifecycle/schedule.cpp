#include "lifecycle/schedule.hpp"

#include "util/log.hpp"

namespace berth::lifecycle {

LifecycleSchedule::LifecycleSchedule(registry::Registry& registry, storage::meta::MetaStore& meta,
                                     std::chrono::milliseconds interval)
    : registry_(registry), meta_(meta), interval_(interval) {}

LifecycleSchedule::~LifecycleSchedule() { stop(); }

void LifecycleSchedule::start() {
  if (thread_.joinable() || interval_.count() <= 0) return;
  thread_ = std::thread([this] { loop(); });
}

void LifecycleSchedule::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LifecycleSchedule::loop() {
  LifecycleOptions options;
  options.apply = true;
  options.should_stop = [this] {
    std::lock_guard lock(mu_);
    return stopping_;
  };
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
    auto report = LifecycleRunner(registry_, meta_, options).run();
    if (!report) {
      log::warn("lifecycle: run failed: {} {}", report.error().message, report.error().detail);
    } else if (report->ran && (report->expired > 0 || report->transitioned > 0 ||
                               report->errors > 0)) {
      log::info("lifecycle: {} repositories evaluated: {} images expired, {} archived, {} skipped, "
                "{} errors{}{}",
                report->repositories, report->expired, report->transitioned, report->skipped,
                report->errors, report->errors > 0 ? "; first: " : "", report->first_error);
    }
  }
}

}  // namespace berth::lifecycle
