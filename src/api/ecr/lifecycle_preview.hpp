// A lifecycle policy preview (StartLifecyclePolicyPreview /
// GetLifecyclePolicyPreview) as it is kept: one repository document
// (MetaStore::get_repository_document) named kPreviewDocument, so that any
// process behind a load balancer can answer for a preview another started,
// and starting one is a single check-and-set transaction.
//
//   {"id": "<uuid>", "status": "IN_PROGRESS"|"COMPLETE"|"FAILED",
//    "lifecyclePolicyText": "...", "startedAt": ms, "evaluatedAt": ms,
//    "failure": "...",
//    "results": [{"digest", "tags": [...], "pushedAt": ms,
//                 "action": "EXPIRE"|"TRANSITION", "priority": n,
//                 "storageClass": "STANDARD"|"ARCHIVE"}, ...]}
//
// A preview is IN_PROGRESS until the process that started it has
// evaluated the policy and stored the results (COMPLETE) or the failure
// (FAILED). One still IN_PROGRESS after kPreviewTimeout lost its process
// and reads as FAILED, and a new one may start.
//
// Pure. Thread-safety: plain values and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lifecycle/policy.hpp"

namespace berth::api::ecr {

inline constexpr std::string_view kPreviewDocument = "ecr.lifecyclePolicyPreview";
inline constexpr std::int64_t kPreviewTimeoutMs = 10 * 60 * 1000;
// GetLifecyclePolicyPreview's page without maxResults (the model's maximum).
inline constexpr std::size_t kDefaultPreviewPage = 100;

inline constexpr std::string_view kPreviewInProgress = "IN_PROGRESS";
inline constexpr std::string_view kPreviewComplete = "COMPLETE";
inline constexpr std::string_view kPreviewFailed = "FAILED";

struct PreviewResult {
  std::string digest;
  std::vector<std::string> tags;
  std::int64_t pushed_at_ms = 0;
  lifecycle::ActionType action = lifecycle::ActionType::kExpire;
  std::int64_t rule_priority = 0;
  lifecycle::StorageClass storage_class = lifecycle::StorageClass::kStandard;
};

struct Preview {
  std::string id;
  std::string status;
  std::string policy_text;
  std::int64_t started_at_ms = 0;
  std::int64_t evaluated_at_ms = 0;
  std::string failure;
  std::vector<PreviewResult> results;  // oldest image first

  // nullopt for text that is not a preview document.
  static std::optional<Preview> from_json(std::string_view text);
  std::string to_json() const;
  // The status to report at `now_ms` (a stale IN_PROGRESS reads FAILED).
  std::string_view reported_status(std::int64_t now_ms) const;
  bool in_progress(std::int64_t now_ms) const { return reported_status(now_ms) == kPreviewInProgress; }
};

// One LifecyclePolicyPreviewResult of the model.
boost::json::object preview_result_json(const PreviewResult& result);
// LifecyclePolicyPreviewSummary over all the results.
boost::json::object preview_summary_json(const std::vector<PreviewResult>& results);

}  // namespace berth::api::ecr
