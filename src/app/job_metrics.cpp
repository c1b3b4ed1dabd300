#include "app/job_metrics.hpp"

#include <chrono>

namespace berth::app {

namespace {

// A collection or an evaluation takes from milliseconds (an empty queue) to
// an hour (a large store's first run).
std::vector<double> job_duration_buckets() {
  return {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600};
}

std::string name(const JobMetricNames& names, std::string_view suffix) {
  return "berth_" + names.job + "_" + std::string(suffix);
}

}  // namespace

JobMetrics::JobMetrics(metrics::Registry& registry, const JobMetricNames& names)
    : runs_(registry.counter(name(names, "runs_total"),
                             "Scheduled " + names.job + " runs in this process, by outcome.",
                             {"outcome"})),
      duration_(registry
                    .histogram(name(names, "run_duration_seconds"),
                               "Duration of the " + names.job + " runs that held the lease, seconds.",
                               {}, job_duration_buckets())
                    .with(metrics::Labels{})),
      last_success_(registry
                        .gauge(name(names, "last_success_timestamp_seconds"),
                               "When the last " + names.job +
                                   " run with no error ended, seconds since the Unix epoch (0: "
                                   "none yet).",
                               {})
                        .with(metrics::Labels{})),
      items_(registry.counter(names.items_name, names.items_help, {}).with(metrics::Labels{})) {
  if (!names.bytes_name.empty()) {
    bytes_ = &registry.counter(names.bytes_name, names.bytes_help, {}).with(metrics::Labels{});
  }
  for (auto outcome : {JobRun::Outcome::kSuccess, JobRun::Outcome::kPartial,
                       JobRun::Outcome::kFailure, JobRun::Outcome::kSkipped}) {
    runs_.with({to_string(outcome)});
  }
}

void JobMetrics::record(const JobRun& run) {
  runs_.with({to_string(run.outcome)}).add();
  if (run.outcome == JobRun::Outcome::kSkipped) return;
  duration_.observe(std::chrono::duration<double>(run.took).count());
  items_.add(static_cast<double>(run.items));
  if (bytes_) bytes_->add(static_cast<double>(run.bytes));
  if (run.outcome == JobRun::Outcome::kSuccess) {
    last_success_.set(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  }
}

}  // namespace berth::app
