#include "app/request_metrics.hpp"

#include <atomic>
#include <charconv>
#include <functional>
#include <unordered_map>
#include <vector>

namespace berth::app {

namespace {

std::atomic<std::uint64_t> next_instance_id{1};

// An ECR operation name the model does not know is the client's text: it
// must not become a label value.
constexpr std::string_view kUnknownOperationError = "UnknownOperationException";

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// One I/O thread's resolved series. Filled on a thread's first sight of an
// operation (or of a status code for it); read without a lock afterwards.
struct ThreadCache {
  struct Entry {
    RequestMetrics::Resolved resolved;
    std::vector<std::pair<unsigned, metrics::Counter*>> codes;
  };
  std::uint64_t owner = 0;
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries;
};

thread_local ThreadCache thread_cache;

std::string code_text(unsigned code) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, code);
  return std::string(buf, end);
}

}  // namespace

RequestMetrics::RequestMetrics(metrics::Registry& registry)
    : id_(next_instance_id.fetch_add(1)),
      requests_(registry.counter("berth_http_requests_total",
                                 "HTTP requests answered, by API, operation and status code.",
                                 {"api", "operation", "code"})),
      durations_(registry.histogram(
          "berth_http_request_duration_seconds",
          "Time from reading a request head to the last byte of its response, seconds.",
          {"api", "operation"}, metrics::latency_buckets())),
      received_(registry.counter("berth_http_received_bytes_total",
                                 "Request body bytes read by the handlers, by API.", {"api"})),
      sent_(registry.counter("berth_http_sent_bytes_total", "Response body bytes written, by API.",
                             {"api"})) {}

std::pair<std::string_view, std::string_view> RequestMetrics::split_operation(
    std::string_view operation, std::string_view error_name) {
  const auto colon = operation.find(':');
  if (operation.empty() || colon == std::string_view::npos || colon == 0) {
    return {"other", "none"};
  }
  const std::string_view api = operation.substr(0, colon);
  std::string_view name = operation.substr(colon + 1);
  if (name.empty() || name == "?" || error_name == kUnknownOperationError) name = "unknown";
  return {api, name};
}

RequestMetrics::Resolved RequestMetrics::resolve(std::string_view operation,
                                                 std::string_view error_name) {
  auto [api, name] = split_operation(operation, error_name);
  Resolved out;
  out.api = std::string(api);
  out.operation = std::string(name);
  {
    std::lock_guard lock(mu_);
    std::pair<std::string, std::string> key{out.api, out.operation};
    if (!operations_.contains(key)) {
      if (operations_.size() >= kMaxOperations) {
        out.api = "other";
        out.operation = "other";
      } else {
        operations_.insert(std::move(key));
      }
    }
  }
  out.duration = &durations_.with({out.api, out.operation});
  out.received = &received_.with({out.api});
  out.sent = &sent_.with({out.api});
  return out;
}

metrics::Counter& RequestMetrics::requests(const Resolved& resolved, unsigned code) {
  return requests_.with({resolved.api, resolved.operation, code_text(code)});
}

void RequestMetrics::record(const http::RequestRecord& record) {
  ThreadCache& cache = thread_cache;
  if (cache.owner != id_) {
    cache.entries.clear();
    cache.owner = id_;
  }
  // Unknown ECR operations share one key, so that garbage names never
  // reach the cache.
  const std::string_view key =
      record.error_name == kUnknownOperationError ? std::string_view("ecr:?") : record.operation;
  ThreadCache::Entry* entry = nullptr;
  ThreadCache::Entry overflow;  // past the bound: resolved each time, never cached
  if (auto it = cache.entries.find(key); it != cache.entries.end()) {
    entry = &it->second;
  } else {
    Resolved resolved = resolve(record.operation, record.error_name);
    if (resolved.operation == "other" && resolved.api == "other") {
      overflow.resolved = std::move(resolved);
      entry = &overflow;
    } else {
      entry = &cache.entries.emplace(std::string(key), ThreadCache::Entry{std::move(resolved), {}})
                   .first->second;
    }
  }
  metrics::Counter* counter = nullptr;
  for (const auto& [code, series] : entry->codes) {
    if (code == record.status) {
      counter = series;
      break;
    }
  }
  if (!counter) {
    counter = &requests(entry->resolved, record.status);
    entry->codes.emplace_back(record.status, counter);
  }
  counter->add();
  entry->resolved.duration->observe(std::chrono::duration<double>(record.duration).count());
  if (record.bytes_received) entry->resolved.received->add(static_cast<double>(record.bytes_received));
  if (record.bytes_sent) entry->resolved.sent->add(static_cast<double>(record.bytes_sent));
}

}  // namespace berth::app
