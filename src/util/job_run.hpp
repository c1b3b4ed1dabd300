// JobRun: what one run of a background job (garbage collection, lifecycle
// evaluation) reports to whoever watches it (GET /metrics), so the jobs do
// not depend on the metrics library.
//
// Thread-safety: a plain value; an observer is called on the job's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace berth {

struct JobRun {
  enum class Outcome {
    kSuccess,  // ran, nothing failed
    kPartial,  // ran, some items failed (retried next run)
    kFailure,  // the run itself failed
    kSkipped,  // another process held the job's lease
  };
  Outcome outcome = Outcome::kSuccess;
  std::chrono::steady_clock::duration took{};
  std::uint64_t items = 0;  // gc: blobs and uploads deleted; lifecycle: images expired or archived
  std::uint64_t bytes = 0;  // gc: bytes reclaimed; lifecycle: 0
};

using JobObserver = std::function<void(const JobRun&)>;

inline const char* to_string(JobRun::Outcome outcome) {
  switch (outcome) {
    case JobRun::Outcome::kSuccess: return "success";
    case JobRun::Outcome::kPartial: return "partial";
    case JobRun::Outcome::kFailure: return "failure";
    case JobRun::Outcome::kSkipped: return "skipped";
  }
  return "failure";
}

}  // namespace berth
