#include "gc/schedule.hpp"

#include "util/log.hpp"

namespace berth::gc {

namespace {

JobRun run_of(const Result<GcReport>& report, std::chrono::steady_clock::duration took) {
  JobRun run;
  run.took = took;
  if (!report) {
    run.outcome = JobRun::Outcome::kFailure;
  } else if (!report->ran) {
    run.outcome = JobRun::Outcome::kSkipped;
  } else {
    run.outcome = report->errors > 0 ? JobRun::Outcome::kPartial : JobRun::Outcome::kSuccess;
    run.items = report->blobs.blobs + report->uploads.blobs;
    run.bytes = report->blobs.bytes + report->uploads.bytes;
  }
  return run;
}

}  // namespace

GcSchedule::GcSchedule(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta,
                       GcOptions options, std::chrono::milliseconds interval,
                       JobObserver observer)
    : blobs_(blobs),
      meta_(meta),
      options_(std::move(options)),
      interval_(interval),
      observer_(std::move(observer)) {
  options_.apply = true;
  options_.should_stop = [this] {
    std::lock_guard lock(mu_);
    return stopping_;
  };
}

GcSchedule::~GcSchedule() { stop(); }

void GcSchedule::start() {
  if (thread_.joinable() || interval_.count() <= 0) return;
  thread_ = std::thread([this] { loop(); });
}

void GcSchedule::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GcSchedule::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
    const auto started = std::chrono::steady_clock::now();
    auto report = Collector(blobs_, meta_, options_).run();
    if (observer_) observer_(run_of(report, std::chrono::steady_clock::now() - started));
    if (!report) {
      log::warn("gc: run failed: {} {}", report.error().message, report.error().detail);
    } else if (report->ran && (report->blobs.blobs > 0 || report->uploads.blobs > 0 ||
                               report->errors > 0)) {
      log::info("gc: deleted {} blobs ({} bytes), cancelled {} expired uploads, {} errors{}{}",
                report->blobs.blobs, report->blobs.bytes, report->uploads.blobs, report->errors,
                report->errors > 0 ? "; first: " : "", report->first_error);
    }
  }
}

}  // namespace berth::gc
