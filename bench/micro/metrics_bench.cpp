// What GET /metrics costs the hot path: RequestMetrics::record (once per
// request, on the I/O thread) and the metered decorator around a metadata
// lookup (several per manifest GET), beside the same lookup undecorated on
// the memory store, where the decorator's share is largest.
#include <benchmark/benchmark.h>

#include <chrono>

#include "app/request_metrics.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"
#include "storage/metered/metered_meta_store.hpp"

namespace berth::bench {
namespace {

constexpr std::string_view kRegistry = "123456789012:us-east-1";
constexpr std::string_view kRepository = "team/app";

void BM_RequestMetricsRecord(benchmark::State& state) {
  metrics::Registry registry;
  app::RequestMetrics metrics(registry);
  http::RequestRecord record;
  record.method = "GET";
  record.operation = "oci:manifest.get";
  record.status = 200;
  record.duration = std::chrono::microseconds(180);
  record.bytes_sent = 1234;
  for (auto _ : state) metrics.record(record);
}
BENCHMARK(BM_RequestMetricsRecord)->ThreadRange(1, 2);

void get_repository(benchmark::State& state, storage::meta::MetaStore& store) {
  if (!store.ensure_repository(kRegistry, kRepository, 1).has_value()) {
    state.SkipWithError("ensure_repository failed");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(store.get_repository(kRegistry, kRepository));
}

void BM_GetRepositoryMemory(benchmark::State& state) {
  auto store = storage::meta::memory::make_memory_meta_store();
  get_repository(state, *store);
}
BENCHMARK(BM_GetRepositoryMemory);

void BM_GetRepositoryMemoryMetered(benchmark::State& state) {
  metrics::Registry registry;
  storage::metered::StoreMetrics metrics(registry);
  storage::metered::MeteredMetaStore store(storage::meta::memory::make_memory_meta_store(),
                                           "memory", metrics);
  get_repository(state, store);
}
BENCHMARK(BM_GetRepositoryMemoryMetered);

}  // namespace
}  // namespace berth::bench
