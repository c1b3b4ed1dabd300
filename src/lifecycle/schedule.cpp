#include "lifecycle/schedule.hpp"

#include "util/log.hpp"

namespace berth::lifecycle {

namespace {

JobRun run_of(const Result<LifecycleReport>& report, std::chrono::steady_clock::duration took) {
  JobRun run;
  run.took = took;
  if (!report) {
    run.outcome = JobRun::Outcome::kFailure;
  } else if (!report->ran) {
    run.outcome = JobRun::Outcome::kSkipped;
  } else {
    run.outcome = report->errors > 0 ? JobRun::Outcome::kPartial : JobRun::Outcome::kSuccess;
    run.items = report->expired + report->transitioned;
  }
  return run;
}

}  // namespace

LifecycleSchedule::LifecycleSchedule(registry::Registry& registry, storage::meta::MetaStore& meta,
                                     std::chrono::milliseconds interval,
                                     JobObserver observer)
    : registry_(registry), meta_(meta), interval_(interval), observer_(std::move(observer)) {}

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
    const auto started = std::chrono::steady_clock::now();
    auto report = LifecycleRunner(registry_, meta_, options).run();
    if (observer_) observer_(run_of(report, std::chrono::steady_clock::now() - started));
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
