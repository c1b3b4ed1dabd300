#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "events/config.hpp"
#include "events/dispatcher.hpp"
#include "events/format.hpp"
#include "events/queue.hpp"

namespace berth::events {
namespace {

namespace json = boost::json;
using registry::RegistryEvent;

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            ("berth-events-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The string at `path` in a parsed body ("" when absent or not a string).
std::string str(const json::value& root, std::initializer_list<const char*> path) {
  const json::value* v = &root;
  for (const char* key : path) {
    if (!v->is_object() || !v->as_object().contains(key)) return "";
    v = &v->as_object().at(key);
  }
  return v->is_string() ? std::string(v->as_string()) : "";
}

RegistryEvent pushed(std::string tag = "v1") {
  return {RegistryEvent::Kind::kImagePushed, RegistryEvent::Cause::kApi,
          "123456789012:us-east-1", "team/app", "sha256:" + std::string(64, 'a'), std::move(tag),
          "application/vnd.oci.image.manifest.v1+json", 1764921600123};
}

TEST(EventsConfig, ParsesEndpointsWithDefaults) {
  auto config = parse_events_config(R"({"endpoints":[
      {"name":"ci","url":"http://127.0.0.1:9/hook"},
      {"name":"audit","url":"https://audit.example/x?y=1","events":["image.deleted"],
       "format":"ecr","secret":"s","headers":{"Authorization":"Bearer t"},
       "timeout_seconds":2.5,"max_attempts":3,"retry_initial_seconds":0.1,
       "retry_max_seconds":1,"queue_limit":5}]})");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  ASSERT_EQ(config->endpoints.size(), 2u);
  const Endpoint& ci = config->endpoints[0];
  EXPECT_EQ(ci.kinds.size(), 6u);
  EXPECT_EQ(ci.format, BodyFormat::kCloudEvents);
  EXPECT_EQ(ci.max_attempts, 10u);
  const Endpoint& audit = config->endpoints[1];
  EXPECT_EQ(audit.kinds, std::set{RegistryEvent::Kind::kImageDeleted});
  EXPECT_EQ(audit.format, BodyFormat::kEcrEventBridge);
  EXPECT_EQ(audit.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(audit.queue_limit, 5u);
  EXPECT_EQ(audit.headers.size(), 1u);
  EXPECT_EQ(retry_delay(audit, 1), std::chrono::milliseconds(100));
  EXPECT_EQ(retry_delay(audit, 2), std::chrono::milliseconds(200));
  EXPECT_EQ(retry_delay(audit, 9), std::chrono::milliseconds(1000));
}

TEST(EventsConfig, RefusesWhatWouldSilentlyLoseEvents) {
  for (const char* bad : {
           R"([])",
           R"({"hooks":[]})",
           R"({"endpoints":[{"url":"http://x/"}]})",
           R"({"endpoints":[{"name":"a"}]})",
           R"({"endpoints":[{"name":"A b","url":"http://x/"}]})",
           R"({"endpoints":[{"name":"a","url":"ftp://x/"}]})",
           R"({"endpoints":[{"name":"a","url":"http://x/","events":["image.pulled"]}]})",
           R"({"endpoints":[{"name":"a","url":"http://x/","format":"xml"}]})",
           R"({"endpoints":[{"name":"a","url":"http://x/","retries":3}]})",
           R"({"endpoints":[{"name":"a","url":"http://x/","max_attempts":0}]})",
           R"({"endpoints":[{"name":"a","url":"http://x/"},{"name":"a","url":"http://y/"}]})",
           "not json"}) {
    auto config = parse_events_config(bad);
    EXPECT_FALSE(config.has_value()) << bad;
    if (!config) {
      EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(EventsFormat, CloudEventsStructuredMode) {
  const auto body = json::parse(cloudevent_json(pushed(), "id-1", "https://registry.example"));
  EXPECT_EQ(str(body, {"specversion"}), "1.0");
  EXPECT_EQ(str(body, {"id"}), "id-1");
  EXPECT_EQ(str(body, {"source"}), "https://registry.example");
  EXPECT_EQ(str(body, {"type"}), "io.berth.image.pushed");
  EXPECT_EQ(str(body, {"time"}), "2025-12-05T08:00:00.123Z");
  EXPECT_EQ(str(body, {"subject"}), "team/app:v1@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(str(body, {"datacontenttype"}), "application/json");
  EXPECT_EQ(str(body, {"data", "account"}), "123456789012");
  EXPECT_EQ(str(body, {"data", "region"}), "us-east-1");
  EXPECT_EQ(str(body, {"data", "repository"}), "team/app");
  EXPECT_EQ(str(body, {"data", "tag"}), "v1");
  EXPECT_EQ(str(body, {"data", "cause"}), "api");
}

TEST(EventsFormat, ATagMovedSaysWhereTheTagPointedBefore) {
  RegistryEvent moved = pushed("latest");
  moved.kind = RegistryEvent::Kind::kTagMoved;
  moved.previous_digest = "sha256:" + std::string(64, 'b');
  const auto body = json::parse(cloudevent_json(moved, "id-3", "https://registry.example"));
  EXPECT_EQ(str(body, {"type"}), "io.berth.tag.moved");
  EXPECT_EQ(str(body, {"subject"}), "team/app:latest@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(str(body, {"data", "digest"}), "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(str(body, {"data", "previousDigest"}), "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(str(body, {"data", "tag"}), "latest");
  // Other kinds carry no previousDigest at all.
  const auto push = json::parse(cloudevent_json(pushed(), "id-4", "https://registry.example"));
  EXPECT_FALSE(push.as_object().at("data").as_object().contains("previousDigest"));
  // ECR sends its PUSH for a retag; the push's own image.pushed is that one.
  EXPECT_FALSE(ecr_event_json(moved, "x").has_value());
  // Endpoints can ask for it by name.
  auto config = parse_events_config(
      R"({"endpoints":[{"name":"a","url":"http://x/","events":["tag.moved"]}]})");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->endpoints[0].kinds, std::set{RegistryEvent::Kind::kTagMoved});
}

TEST(EventsFormat, EcrImageActionForPushesAndDeletesOnly) {
  const auto body = json::parse(*ecr_event_json(pushed(), "id-2"));
  EXPECT_EQ(str(body, {"detail-type"}), "ECR Image Action");
  EXPECT_EQ(str(body, {"source"}), "aws.ecr");
  EXPECT_EQ(str(body, {"account"}), "123456789012");
  EXPECT_EQ(str(body, {"region"}), "us-east-1");
  EXPECT_EQ(str(body, {"time"}), "2025-12-05T08:00:00Z");
  EXPECT_EQ(str(body, {"detail", "action-type"}), "PUSH");
  EXPECT_EQ(str(body, {"detail", "result"}), "SUCCESS");
  EXPECT_EQ(str(body, {"detail", "repository-name"}), "team/app");
  EXPECT_EQ(str(body, {"detail", "image-tag"}), "v1");
  RegistryEvent deleted = pushed("");
  deleted.kind = RegistryEvent::Kind::kImageDeleted;
  EXPECT_EQ(str(json::parse(*ecr_event_json(deleted, "x")), {"detail", "action-type"}), "DELETE");
  RegistryEvent repo = pushed("");
  repo.kind = RegistryEvent::Kind::kRepositoryCreated;
  EXPECT_FALSE(ecr_event_json(repo, "x").has_value());
}

TEST(EventsFormat, SignatureIsHexHmacSha256OfTheBody) {
  // RFC 4231, test case 2.
  EXPECT_EQ(signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(DeliveryQueue, KeepsOrderAndLimitAndSurvivesReopening) {
  TempDir dir;
  {
    auto queue = DeliveryQueue::open(dir.path(), 2);
    ASSERT_TRUE(queue.has_value());
    ASSERT_TRUE((*queue)->push("one").has_value());
    ASSERT_TRUE((*queue)->push("two").has_value());
    auto full = (*queue)->push("three");
    ASSERT_FALSE(full.has_value());
    EXPECT_EQ(full.error().code, ErrorCode::kLimitExceeded);
    auto front = (*queue)->front();
    ASSERT_TRUE(front.has_value());
    EXPECT_EQ(front->body, "one");
    ASSERT_TRUE((*queue)->pop(front->seq).has_value());
  }
  auto queue = DeliveryQueue::open(dir.path(), 2);
  ASSERT_TRUE(queue.has_value());
  EXPECT_EQ((*queue)->size(), 1u);
  ASSERT_TRUE((*queue)->push("four").has_value());
  EXPECT_EQ((*queue)->front()->body, "two");
  ASSERT_TRUE((*queue)->pop((*queue)->front()->seq).has_value());
  EXPECT_EQ((*queue)->front()->body, "four");  // numbering continues after a reopen
}

struct Received {
  std::mutex mu;
  std::vector<std::pair<HeaderList, std::string>> bodies;
  std::atomic<int> calls{0};
  int fail_first = 0;  // answer 503 this many times
};

Result<std::unique_ptr<EventDispatcher>> dispatcher(const TempDir& dir, const char* config_json,
                                                    Received& received,
                                                    metrics::Registry& metrics) {
  DispatcherOptions options;
  options.queue_dir = dir.path();
  options.source = "http://registry.test";
  options.sender = [&received](const Endpoint&, const HeaderList& headers,
                               const std::string& body) -> Result<unsigned> {
    if (received.calls.fetch_add(1) < received.fail_first) return 503u;
    std::lock_guard lock(received.mu);
    received.bodies.emplace_back(headers, body);
    return 204u;
  };
  return EventDispatcher::open(*parse_events_config(config_json), options, metrics);
}

void wait_for(const std::function<bool()>& done) {
  while (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

std::string header(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(EventDispatcher, RetriesInOrderSignsAndCounts) {
  TempDir dir;
  Received received;
  received.fail_first = 2;
  metrics::Registry metrics;
  auto d = dispatcher(dir, R"({"endpoints":[{"name":"ci","url":"http://x/","secret":"k",
                                "retry_initial_seconds":0.001,"events":["image.pushed"]}]})",
                      received, metrics);
  ASSERT_TRUE(d.has_value());
  (*d)->publish(pushed("a"));
  RegistryEvent ignored = pushed("");
  ignored.kind = RegistryEvent::Kind::kRepositoryDeleted;  // not subscribed
  (*d)->publish(ignored);
  (*d)->publish(pushed("b"));
  (*d)->start();
  wait_for([&] {
    std::lock_guard lock(received.mu);
    return received.bodies.size() == 2;
  });
  (*d)->stop();
  std::lock_guard lock(received.mu);
  EXPECT_NE(received.bodies[0].second.find("\"tag\":\"a\""), std::string::npos);
  EXPECT_NE(received.bodies[1].second.find("\"tag\":\"b\""), std::string::npos);
  EXPECT_EQ(header(received.bodies[0].first, "X-Berth-Delivery-Attempt"), "3");
  EXPECT_EQ(header(received.bodies[0].first, "X-Berth-Signature-256"),
            signature("k", received.bodies[0].second));
  EXPECT_EQ(header(received.bodies[0].first, "Content-Type"),
            "application/cloudevents+json; charset=utf-8");
  const std::string text = metrics.render();
  EXPECT_NE(text.find("berth_events_delivered_total{endpoint=\"ci\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_events_delivery_failures_total{endpoint=\"ci\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("berth_events_queued{endpoint=\"ci\"} 0\n"), std::string::npos);
}

TEST(EventDispatcher, GivesUpAfterMaxAttemptsAndKeepsPendingEventsAcrossRestarts) {
  TempDir dir;
  Received received;
  received.fail_first = 1000;
  {
    metrics::Registry metrics;
    auto d = dispatcher(dir, R"({"endpoints":[{"name":"ci","url":"http://x/","max_attempts":2,
                                  "retry_initial_seconds":0.001}]})",
                        received, metrics);
    ASSERT_TRUE(d.has_value());
    (*d)->publish(pushed("lost"));
    (*d)->start();
    wait_for([&] { return metrics.render().find("berth_events_failed_total{endpoint=\"ci\"} 1\n") !=
                          std::string::npos; });
    (*d)->stop();
    (*d)->publish(pushed("kept"));  // queued while stopped: stays on disk
  }
  received.fail_first = 0;
  received.calls = 0;
  metrics::Registry metrics;
  auto d = dispatcher(dir, R"({"endpoints":[{"name":"ci","url":"http://x/"}]})", received, metrics);
  ASSERT_TRUE(d.has_value());
  (*d)->start();
  wait_for([&] {
    std::lock_guard lock(received.mu);
    return received.bodies.size() == 1;
  });
  (*d)->stop();
  EXPECT_NE(received.bodies[0].second.find("\"tag\":\"kept\""), std::string::npos);
}

TEST(EventDispatcher, DropsAndCountsWhenTheQueueIsFull) {
  TempDir dir;
  Received received;
  metrics::Registry metrics;
  auto d = dispatcher(dir, R"({"endpoints":[{"name":"ci","url":"http://x/","queue_limit":1}]})",
                      received, metrics);
  ASSERT_TRUE(d.has_value());
  (*d)->publish(pushed("a"));
  (*d)->publish(pushed("b"));
  EXPECT_NE(metrics.render().find("berth_events_dropped_total{endpoint=\"ci\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace berth::events
