#include "app/request_metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace berth::app {
namespace {

http::RequestRecord record(std::string_view operation, unsigned status,
                           std::string_view error_name = {}) {
  http::RequestRecord r;
  r.method = "GET";
  r.operation = operation;
  r.error_name = error_name;
  r.status = status;
  r.duration = std::chrono::milliseconds(2);
  r.bytes_received = 10;
  r.bytes_sent = 100;
  return r;
}

bool has(const std::string& text, std::string_view line) {
  return text.find(std::string(line) + "\n") != std::string::npos;
}

TEST(RequestMetrics, OperationNamesSplitIntoApiAndOperation) {
  using P = std::pair<std::string_view, std::string_view>;
  EXPECT_EQ(RequestMetrics::split_operation("oci:manifest.get", ""), P("oci", "manifest.get"));
  EXPECT_EQ(RequestMetrics::split_operation("ecr:PutImage", ""), P("ecr", "PutImage"));
  EXPECT_EQ(RequestMetrics::split_operation("ecr:?", "MissingAuthenticationTokenException"),
            P("ecr", "unknown"));
  EXPECT_EQ(RequestMetrics::split_operation("ecr:Nonsense", "UnknownOperationException"),
            P("ecr", "unknown"));
  EXPECT_EQ(RequestMetrics::split_operation("", ""), P("other", "none"));
  EXPECT_EQ(RequestMetrics::split_operation("-", ""), P("other", "none"));
}

TEST(RequestMetrics, CountsRequestsDurationsAndBytesPerSeries) {
  metrics::Registry registry;
  RequestMetrics metrics(registry);
  metrics.record(record("oci:manifest.get", 200));
  metrics.record(record("oci:manifest.get", 200));
  metrics.record(record("oci:manifest.get", 404, "MANIFEST_UNKNOWN"));
  metrics.record(record("ecr:PutImage", 200));
  metrics.record(record("", 404));
  const std::string text = registry.render();
  EXPECT_TRUE(has(text, R"(berth_http_requests_total{api="oci",operation="manifest.get",code="200"} 2)"))
      << text;
  EXPECT_TRUE(has(text, R"(berth_http_requests_total{api="oci",operation="manifest.get",code="404"} 1)"));
  EXPECT_TRUE(has(text, R"(berth_http_requests_total{api="ecr",operation="PutImage",code="200"} 1)"));
  EXPECT_TRUE(has(text, R"(berth_http_requests_total{api="other",operation="none",code="404"} 1)"));
  EXPECT_TRUE(has(text, R"(berth_http_request_duration_seconds_count{api="oci",operation="manifest.get"} 3)"));
  EXPECT_TRUE(has(text, R"(berth_http_received_bytes_total{api="oci"} 30)"));
  EXPECT_TRUE(has(text, R"(berth_http_sent_bytes_total{api="oci"} 300)"));
}

TEST(RequestMetrics, ClientChosenNamesCannotGrowTheExposition) {
  metrics::Registry registry;
  RequestMetrics metrics(registry);
  for (int i = 0; i < 50; ++i) {
    metrics.record(record("ecr:Made" + std::to_string(i), 400, "UnknownOperationException"));
  }
  std::string text = registry.render();
  EXPECT_TRUE(has(text, R"(berth_http_requests_total{api="ecr",operation="unknown",code="400"} 50)"))
      << text;
  // Past the bound, new names are "other" (a backstop for front-end bugs).
  for (std::size_t i = 0; i < RequestMetrics::kMaxOperations + 10; ++i) {
    metrics.record(record("oci:op" + std::to_string(i), 200));
  }
  text = registry.render();
  EXPECT_TRUE(has(text, R"(berth_http_requests_total{api="other",operation="other",code="200"} 11)"))
      << text;
}

TEST(RequestMetrics, ThreadsShareSeriesAndInstancesDoNot) {
  metrics::Registry first_registry;
  {
    RequestMetrics first(first_registry);
    first.record(record("oci:blob.get", 200));
  }
  metrics::Registry registry;
  RequestMetrics metrics(registry);  // may reuse the first one's address
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) metrics.record(record("oci:blob.get", 200));
    });
  }
  for (auto& t : threads) t.join();
  metrics.record(record("oci:blob.get", 200));
  EXPECT_TRUE(has(registry.render(),
                  R"(berth_http_requests_total{api="oci",operation="blob.get",code="200"} 4001)"));
}

}  // namespace
}  // namespace berth::app
