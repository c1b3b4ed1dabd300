#include "api/ecr/lifecycle_preview.hpp"

#include <boost/json.hpp>

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

std::string text_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t int_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->get_int64() : 0;
}

std::string_view action_name(lifecycle::ActionType a) {
  return a == lifecycle::ActionType::kExpire ? "EXPIRE" : "TRANSITION";
}

std::string_view class_name(lifecycle::StorageClass c) {
  return c == lifecycle::StorageClass::kArchive ? "ARCHIVE" : "STANDARD";
}

double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

std::optional<Preview> Preview::from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const json::object& o = doc.get_object();
  Preview p;
  p.id = text_member(o, "id");
  p.status = text_member(o, "status");
  if (p.id.empty() || p.status.empty()) return std::nullopt;
  p.policy_text = text_member(o, "lifecyclePolicyText");
  p.started_at_ms = int_member(o, "startedAt");
  p.evaluated_at_ms = int_member(o, "evaluatedAt");
  p.failure = text_member(o, "failure");
  if (const json::value* results = o.if_contains("results"); results && results->is_array()) {
    for (const json::value& r : results->get_array()) {
      if (!r.is_object()) continue;
      const json::object& e = r.get_object();
      PreviewResult result;
      result.digest = text_member(e, "digest");
      if (const json::value* tags = e.if_contains("tags"); tags && tags->is_array()) {
        for (const json::value& t : tags->get_array()) {
          if (t.is_string()) result.tags.emplace_back(t.get_string());
        }
      }
      result.pushed_at_ms = int_member(e, "pushedAt");
      result.action = text_member(e, "action") == "TRANSITION" ? lifecycle::ActionType::kTransition
                                                               : lifecycle::ActionType::kExpire;
      result.rule_priority = int_member(e, "priority");
      result.storage_class = text_member(e, "storageClass") == "ARCHIVE"
                                 ? lifecycle::StorageClass::kArchive
                                 : lifecycle::StorageClass::kStandard;
      p.results.push_back(std::move(result));
    }
  }
  return p;
}

std::string Preview::to_json() const {
  json::object o;
  o["id"] = id;
  o["status"] = status;
  o["lifecyclePolicyText"] = policy_text;
  o["startedAt"] = started_at_ms;
  o["evaluatedAt"] = evaluated_at_ms;
  if (!failure.empty()) o["failure"] = failure;
  json::array list;
  for (const PreviewResult& r : results) {
    json::array tags;
    for (const std::string& t : r.tags) tags.emplace_back(t);
    list.push_back(json::object{{"digest", r.digest},
                                {"tags", std::move(tags)},
                                {"pushedAt", r.pushed_at_ms},
                                {"action", action_name(r.action)},
                                {"priority", r.rule_priority},
                                {"storageClass", class_name(r.storage_class)}});
  }
  o["results"] = std::move(list);
  return json::serialize(o);
}

std::string_view Preview::reported_status(std::int64_t now_ms) const {
  if (status == kPreviewInProgress && now_ms - started_at_ms > kPreviewTimeoutMs) {
    return kPreviewFailed;
  }
  return status;
}

json::object preview_result_json(const PreviewResult& result) {
  json::object out;
  if (!result.tags.empty()) {
    json::array tags;
    for (const std::string& t : result.tags) tags.emplace_back(t);
    out["imageTags"] = std::move(tags);
  }
  out["imageDigest"] = result.digest;
  out["imagePushedAt"] = seconds(result.pushed_at_ms);
  json::object action{{"type", action_name(result.action)}};
  if (result.action == lifecycle::ActionType::kTransition) action["targetStorageClass"] = "ARCHIVE";
  out["action"] = std::move(action);
  out["appliedRulePriority"] = result.rule_priority;
  out["storageClass"] = class_name(result.storage_class);
  return out;
}

json::object preview_summary_json(const std::vector<PreviewResult>& results) {
  std::int64_t expiring = 0;
  std::int64_t transitioning = 0;
  for (const PreviewResult& r : results) {
    (r.action == lifecycle::ActionType::kExpire ? expiring : transitioning) += 1;
  }
  json::object summary{{"expiringImageTotalCount", expiring}};
  // "only present if at least one image will be transitioned"
  if (transitioning > 0) {
    summary["transitioningImageTotalCounts"] = json::array{
        json::object{{"targetStorageClass", "ARCHIVE"}, {"imageTotalCount", transitioning}}};
  }
  return summary;
}

}  // namespace berth::api::ecr
