// EventsConfig: where berth sends webhooks (--events-config FILE), read from
// a JSON document:
//
//   {"endpoints": [
//      {"name": "ci",                        // [a-z0-9_-]{1,64}, unique; the queue's directory
//       "url": "https://ci.example/hook",    // http:// or https://
//       "events": ["image.pushed"],          // default: every kind (registry/events.hpp)
//       "format": "cloudevents",             // or "ecr": EventBridge's "ECR Image Action"
//       "secret": "…",                        // optional: X-Berth-Signature-256 HMAC
//       "headers": {"Authorization": "…"},   // optional, sent as given
//       "timeout_seconds": 10, "max_attempts": 10,
//       "retry_initial_seconds": 1, "retry_max_seconds": 300,
//       "queue_limit": 10000}]}
//
// Unknown keys, kinds and formats are refused with their name, so a typo
// never silently drops events.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "registry/events.hpp"
#include "util/result.hpp"

namespace berth::events {

enum class BodyFormat { kCloudEvents, kEcrEventBridge };

struct Endpoint {
  std::string name;
  std::string url;
  std::set<registry::RegistryEvent::Kind> kinds;  // never empty after parsing
  BodyFormat format = BodyFormat::kCloudEvents;
  std::string secret;  // "" = unsigned
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10'000};
  unsigned max_attempts = 10;
  std::chrono::milliseconds retry_initial{1'000};
  std::chrono::milliseconds retry_max{300'000};
  std::size_t queue_limit = 10'000;
};

struct EventsConfig {
  std::vector<Endpoint> endpoints;
};

// kInvalidArgument naming what is wrong.
Result<EventsConfig> parse_events_config(std::string_view json_text);
Result<EventsConfig> load_events_config(const std::filesystem::path& file);

// The wait before attempt `attempt` + 1 after `attempt` failures (1, 2, ...):
// retry_initial doubled each time, at most retry_max.
std::chrono::milliseconds retry_delay(const Endpoint& endpoint, unsigned failures);

}  // namespace berth::events
