// StoreMetrics: the two families every metered store decorator records
// into, and the measuring helper they share; and what a decorator cannot
// see from outside a store, passed into the store as an observer.
//
//   berth_store_call_duration_seconds{store,backend,operation}   histogram
//   berth_store_call_errors_total{store,backend,operation,code}  counter
//   berth_meta_group_commit_batch_size                           histogram:
//       the writes each SQLite group commit carried (1 = no sharing)
//
// "Not found" answers (the blob, manifest, upload, repository is absent)
// are ordinary outcomes and are not counted as errors.
//
// Several store calls serve each request, so a call's series is found
// without a lock once a thread has used it: each thread caches the series
// it resolved, keyed by the addresses of the store and operation names
// (string literals, in the decorators) and checked against all three
// labels' text, so names that are not literals are still counted right.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <type_traits>

#include "metrics/metrics.hpp"
#include "util/result.hpp"

namespace berth::storage::metered {

class StoreMetrics {
 public:
  explicit StoreMetrics(metrics::Registry& registry);

  // Runs `call`, timing it; counts its error (unless a not-found).
  template <class F>
  auto measure(std::string_view store, std::string_view backend, std::string_view operation,
               F&& call) {
    const auto started = std::chrono::steady_clock::now();
    auto result = call();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    duration_series(store, backend, operation).observe(took.count());
    if (!result) count_error(store, backend, operation, result.error().code);
    return result;
  }

  // For SqliteOptions::on_group_commit (through the store factory): records
  // each commit's batch size. Valid while this object lives.
  std::function<void(std::size_t writes)> group_commit_observer();

 private:
  void count_error(std::string_view store, std::string_view backend, std::string_view operation,
                   ErrorCode code);
  metrics::Histogram& duration_series(std::string_view store, std::string_view backend,
                                      std::string_view operation);

  const std::uint64_t id_;  // tells this instance's cached series from another's

  metrics::HistogramFamily& durations_;
  metrics::CounterFamily& errors_;
  metrics::Histogram& group_commit_batch_sizes_;
};

}  // namespace berth::storage::metered
