// RequestMetrics: what GET /metrics says about the requests served, fed
// once per response from the server's on_request hook:
//
//   berth_http_requests_total{api,operation,code}           counter
//   berth_http_request_duration_seconds{api,operation}      histogram
//   berth_http_received_bytes_total{api}                    counter (request bodies)
//   berth_http_sent_bytes_total{api}                        counter (response bodies)
//
// `api` and `operation` come from the front end's operation name
// ("oci:manifest.get" -> oci, manifest.get; "ecr:PutImage" -> ecr,
// PutImage); a request no front end claimed is api="other",
// operation="none". Label values are bounded: an ECR operation the model
// does not know is "unknown", and past kMaxOperations distinct names every
// new one is "other", so a client cannot grow the exposition without bound.
//
// The hot path takes no lock and allocates nothing once a thread has seen
// an (operation, code) pair: each I/O thread keeps its own table of the
// resolved series, and the series themselves are atomics.
//
// Thread-safety: record() may run concurrently on any threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "http/server.hpp"
#include "metrics/metrics.hpp"

namespace berth::app {

class RequestMetrics {
 public:
  static constexpr std::size_t kMaxOperations = 200;

  explicit RequestMetrics(metrics::Registry& registry);
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  void record(const http::RequestRecord& record);

  // The (api, operation) labels of a front end's operation name, before the
  // cardinality bound. Pure; public for tests.
  static std::pair<std::string_view, std::string_view> split_operation(
      std::string_view operation, std::string_view error_name);

  // The series one operation name resolves to; per thread, cached.
  struct Resolved;

 private:
  Resolved resolve(std::string_view operation, std::string_view error_name);
  metrics::Counter& requests(const Resolved& resolved, unsigned code);

  const std::uint64_t id_;  // tells this instance's cached series from another's
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& durations_;
  metrics::CounterFamily& received_;
  metrics::CounterFamily& sent_;
  std::mutex mu_;
  std::set<std::pair<std::string, std::string>> operations_;  // guarded by mu_
};

struct RequestMetrics::Resolved {
  std::string api;
  std::string operation;
  metrics::Histogram* duration = nullptr;
  metrics::Counter* received = nullptr;
  metrics::Counter* sent = nullptr;
};

}  // namespace berth::app
