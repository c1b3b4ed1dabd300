// Observability: everything `berth serve` measures, in one place, so
// serve.cpp only wires it: the metrics registry behind GET /metrics (with
// the process metrics and berth_build_info), the store decorators'
// families, the request families, the GC and lifecycle job families and the
// uploads-in-progress gauge. The full list of names is in README.md
// ("Running in production") and in each family's header.
//
// Also the readiness question /readyz asks both stores.
//
// Thread-safety: build once, before serving; the members are safe for
// concurrent use afterwards.
#pragma once

#include <string_view>

#include "app/job_metrics.hpp"
#include "app/request_metrics.hpp"
#include "http/concurrency_limit.hpp"
#include "metrics/metrics.hpp"
#include "storage/blob/blob_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "storage/metered/store_metrics.hpp"

namespace berth::app {

struct Observability {
  explicit Observability(std::string_view version);
  Observability(const Observability&) = delete;
  Observability& operator=(const Observability&) = delete;

  // berth_uploads_in_progress, read from the shared upload limit at scrape
  // time; `limit` must outlive this.
  void watch_uploads(const http::ConcurrencyLimit& limit);

  metrics::Registry registry;  // first: the families below live in it
  storage::metered::StoreMetrics stores;
  RequestMetrics requests;
  JobMetrics gc;
  JobMetrics lifecycle;
};

// The backend label of a store URL's scheme: file -> fs, postgresql ->
// postgres, others as written.
std::string_view store_backend_name(std::string_view scheme);

// Readiness: each store answers one cheap call. A not-found is an answer;
// any other error names the store ("metadata store", "blob store").
Status check_stores(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta);

}  // namespace berth::app
