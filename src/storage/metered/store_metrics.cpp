#include "storage/metered/store_metrics.hpp"

namespace berth::storage::metered {

namespace {

bool is_not_found(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBlobNotFound:
    case ErrorCode::kManifestNotFound:
    case ErrorCode::kRepositoryNotFound:
    case ErrorCode::kUploadNotFound:
      return true;
    default:
      return false;
  }
}

}  // namespace

StoreMetrics::StoreMetrics(metrics::Registry& registry)
    : durations_(registry.histogram("berth_store_call_duration_seconds",
                                    "Latency of blob and metadata store calls, seconds.",
                                    {"store", "backend", "operation"},
                                    metrics::latency_buckets())),
      errors_(registry.counter("berth_store_call_errors_total",
                               "Blob and metadata store calls that failed (not-found answers "
                               "excluded), by error.",
                               {"store", "backend", "operation", "code"})) {}

void StoreMetrics::count_error(std::string_view store, std::string_view backend,
                               std::string_view operation, ErrorCode code) {
  if (is_not_found(code)) return;
  errors_.with({store, backend, operation, to_string(code)}).add();
}

}  // namespace berth::storage::metered
