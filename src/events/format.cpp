#include "events/format.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "crypto/hasher.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

namespace berth::events {

namespace json = boost::json;
using registry::RegistryEvent;

namespace {

// "<account>:<region>" into its parts (a registry id without ':' is all
// account).
std::pair<std::string, std::string> account_region(const std::string& registry) {
  const auto colon = registry.find(':');
  if (colon == std::string::npos) return {registry, ""};
  return {registry.substr(0, colon), registry.substr(colon + 1)};
}

std::string subject(const RegistryEvent& e) {
  std::string out = e.repository;
  if (!e.tag.empty()) out += ":" + e.tag;
  if (!e.digest.empty()) out += "@" + e.digest;
  return out;
}

// RFC 3339 with milliseconds for CloudEvents; EventBridge uses whole seconds.
std::string time_with_millis(std::int64_t ms) {
  std::string time = format_rfc3339(ms);  // ...:SSZ
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(((ms % 1000) + 1000) % 1000));
  time.replace(time.size() - 1, 1, millis);
  return time;
}

}  // namespace

std::string cloudevent_json(const RegistryEvent& e, const std::string& id,
                            const std::string& source) {
  const auto [account, region] = account_region(e.registry);
  json::object data;
  data["registry"] = e.registry;
  data["account"] = account;
  data["region"] = region;
  data["repository"] = e.repository;
  if (!e.digest.empty()) data["digest"] = e.digest;
  if (!e.tag.empty()) data["tag"] = e.tag;
  if (!e.media_type.empty()) data["mediaType"] = e.media_type;
  if (!e.previous_digest.empty()) data["previousDigest"] = e.previous_digest;
  data["cause"] = e.cause == RegistryEvent::Cause::kLifecycle ? "lifecycle" : "api";
  json::object out;
  out["specversion"] = "1.0";
  out["id"] = id;
  out["source"] = source;
  out["type"] = "io.berth." + std::string(registry::to_string(e.kind));
  out["subject"] = subject(e);
  out["time"] = time_with_millis(e.time_ms);
  out["datacontenttype"] = "application/json";
  out["data"] = std::move(data);
  return json::serialize(out);
}

std::optional<std::string> ecr_event_json(const RegistryEvent& e, const std::string& id) {
  const char* action = nullptr;
  switch (e.kind) {
    case RegistryEvent::Kind::kImagePushed: action = "PUSH"; break;
    case RegistryEvent::Kind::kTagDeleted:
    case RegistryEvent::Kind::kImageDeleted: action = "DELETE"; break;
    // ECR reports a retag as the PUSH it is, which the same push's
    // image.pushed already sent: a second PUSH would count it twice.
    case RegistryEvent::Kind::kTagMoved:
    case RegistryEvent::Kind::kRepositoryCreated:
    case RegistryEvent::Kind::kRepositoryDeleted: return std::nullopt;
  }
  const auto [account, region] = account_region(e.registry);
  json::object detail;
  detail["result"] = "SUCCESS";
  detail["repository-name"] = e.repository;
  if (!e.digest.empty()) detail["image-digest"] = e.digest;
  detail["action-type"] = action;
  if (!e.tag.empty()) detail["image-tag"] = e.tag;
  json::object out;
  out["version"] = "0";
  out["id"] = id;
  out["detail-type"] = "ECR Image Action";
  out["source"] = "aws.ecr";
  out["account"] = account;
  out["time"] = format_rfc3339(e.time_ms);
  out["region"] = region;
  out["resources"] = json::array();
  out["detail"] = std::move(detail);
  return json::serialize(out);
}

std::optional<std::string> event_body(const RegistryEvent& event, BodyFormat format,
                                      const std::string& id, const std::string& source) {
  if (format == BodyFormat::kEcrEventBridge) return ecr_event_json(event, id);
  return cloudevent_json(event, id, source);
}

const char* content_type(BodyFormat format) {
  return format == BodyFormat::kEcrEventBridge ? "application/json"
                                               : "application/cloudevents+json; charset=utf-8";
}

std::string signature(const std::string& secret, const std::string& body) {
  return "sha256=" + to_hex(crypto::hmac_sha256(secret, body));
}

}  // namespace berth::events
