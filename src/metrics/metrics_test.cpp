#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "metrics/process_metrics.hpp"

namespace berth::metrics {
namespace {

TEST(Metrics, RendersTheTextFormatWithLabelsHistogramsAndCallbacks) {
  Registry registry;
  auto& requests = registry.counter("berth_requests_total", "Requests served.", {"api", "code"});
  requests.with({"oci", "200"}).add();
  requests.with({"oci", "200"}).add(2);
  requests.with({"ecr", "400"}).add();
  auto& latency = registry.histogram("berth_request_duration_seconds", "Latency.", {"api"},
                                     {0.1, 1});
  latency.with({"oci"}).observe(0.05);
  latency.with({"oci"}).observe(0.5);
  latency.with({"oci"}).observe(5);
  registry.callback_gauge("berth_uploads_in_progress", "Uploads.", [] { return 3.0; });
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE berth_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_requests_total{api=\"ecr\",code=\"400\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("berth_requests_total{api=\"oci\",code=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("berth_request_duration_seconds_bucket{api=\"oci\",le=\"0.1\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("berth_request_duration_seconds_bucket{api=\"oci\",le=\"1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("berth_request_duration_seconds_bucket{api=\"oci\",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("berth_request_duration_seconds_sum{api=\"oci\"} 5.55\n"), std::string::npos);
  EXPECT_NE(text.find("berth_request_duration_seconds_count{api=\"oci\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("berth_uploads_in_progress 3\n"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Registry registry;
  registry.counter("x_total", "X.", {"v"}).with({"q\"uote"}).add();
  EXPECT_NE(registry.render().find("x_total{v=\"q\\\"uote\"} 1"), std::string::npos);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  auto& family = registry.counter("c_total", "C.", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) family.with({"same"}).add();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(family.with({"same"}).value(), 40000);
}

TEST(Metrics, ProcessMetricsReadThisProcess) {
  Registry registry;
  register_process_metrics(registry);
  const std::string text = registry.render();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_open_fds", "process_start_time_seconds"}) {
    EXPECT_NE(text.find(std::string("\n") + name + " "), std::string::npos) << name << text;
  }
  EXPECT_EQ(text.find("process_resident_memory_bytes 0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace berth::metrics
