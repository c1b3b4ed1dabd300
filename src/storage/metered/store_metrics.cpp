#include "storage/metered/store_metrics.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <unordered_map>

namespace berth::storage::metered {

namespace {

std::atomic<std::uint64_t> next_instance_id{1};

// One thread's resolved duration series. The key is the addresses of the
// store and operation names (string literals); the backend name lives in
// each reader and writer, so it is compared by text only. The slot keeps
// all three texts, so a reused address never lands in another series.
struct SeriesKey {
  std::uint64_t owner;
  const char* store;
  const char* operation;
  bool operator==(const SeriesKey&) const = default;
};
struct SeriesKeyHash {
  std::size_t operator()(const SeriesKey& k) const {
    std::size_t h = std::hash<std::uint64_t>()(k.owner);
    h = h * 1000003u ^ std::hash<const void*>()(k.store);
    return h * 1000003u ^ std::hash<const void*>()(k.operation);
  }
};
struct SeriesSlot {
  std::string store, backend, operation;
  metrics::Histogram* histogram = nullptr;
};
// More would mean names that are not literals: start over rather than grow.
constexpr std::size_t kMaxCachedSeries = 1024;
thread_local std::unordered_map<SeriesKey, SeriesSlot, SeriesKeyHash> cached_series;

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
    : id_(next_instance_id.fetch_add(1)),
      durations_(registry.histogram("berth_store_call_duration_seconds",
                                    "Latency of blob and metadata store calls, seconds.",
                                    {"store", "backend", "operation"},
                                    metrics::latency_buckets())),
      errors_(registry.counter("berth_store_call_errors_total",
                               "Blob and metadata store calls that failed (not-found answers "
                               "excluded), by error.",
                               {"store", "backend", "operation", "code"})),
      // Bounded by the store's largest batch (64 writes).
      group_commit_batch_sizes_(
          registry
              .histogram("berth_meta_group_commit_batch_size",
                         "Writes carried by each SQLite metadata commit (group commit).", {},
                         {1, 2, 4, 8, 16, 32, 64})
              .with({})) {}

std::function<void(std::size_t)> StoreMetrics::group_commit_observer() {
  return [&histogram = group_commit_batch_sizes_](std::size_t writes) {
    histogram.observe(static_cast<double>(writes));
  };
}

metrics::Histogram& StoreMetrics::duration_series(std::string_view store, std::string_view backend,
                                                  std::string_view operation) {
  const SeriesKey key{id_, store.data(), operation.data()};
  if (auto it = cached_series.find(key); it != cached_series.end()) {
    const SeriesSlot& slot = it->second;
    if (slot.store == store && slot.backend == backend && slot.operation == operation) {
      return *slot.histogram;
    }
  }
  metrics::Histogram& histogram = durations_.with({store, backend, operation});
  if (cached_series.size() >= kMaxCachedSeries) cached_series.clear();
  cached_series[key] = SeriesSlot{std::string(store), std::string(backend),
                                  std::string(operation), &histogram};
  return histogram;
}

void StoreMetrics::count_error(std::string_view store, std::string_view backend,
                               std::string_view operation, ErrorCode code) {
  if (is_not_found(code)) return;
  errors_.with({store, backend, operation, to_string(code)}).add();
}

}  // namespace berth::storage::metered
