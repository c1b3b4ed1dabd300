// JobMetrics: what GET /metrics says about a background job of `berth
// serve` (garbage collection, lifecycle evaluation), fed by the job's
// schedule after each run (util/job_run.hpp). For job "gc":
//
//   berth_gc_runs_total{outcome="success"|"partial"|"failure"|"skipped"}
//   berth_gc_run_duration_seconds                     histogram
//   berth_gc_last_success_timestamp_seconds           gauge (0: never)
//   <items_name>, <bytes_name>                        counters of what runs removed
//
// "skipped" runs found another process holding the job's lease; their
// duration is not observed. The outcomes' series exist from the start at 0,
// so rate() and alerts on them work before the first run.
//
// Thread-safety: record() from any thread.
#pragma once

#include <string>

#include "metrics/metrics.hpp"
#include "util/job_run.hpp"

namespace berth::app {

struct JobMetricNames {
  std::string job;         // "gc": the metric names' middle part
  std::string items_name;  // e.g. berth_gc_deleted_items_total
  std::string items_help;
  std::string bytes_name;  // "" when the job frees no bytes it can count
  std::string bytes_help;
};

class JobMetrics {
 public:
  JobMetrics(metrics::Registry& registry, const JobMetricNames& names);
  JobMetrics(const JobMetrics&) = delete;
  JobMetrics& operator=(const JobMetrics&) = delete;

  void record(const JobRun& run);
  // record() as a schedule's observer; this must outlive the schedule.
  JobObserver observer() {
    return [this](const JobRun& run) { record(run); };
  }

 private:
  metrics::CounterFamily& runs_;
  metrics::Histogram& duration_;
  metrics::Gauge& last_success_;
  metrics::Counter& items_;
  metrics::Counter* bytes_ = nullptr;
};

}  // namespace berth::app
