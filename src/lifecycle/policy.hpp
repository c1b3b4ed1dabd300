// LifecyclePolicy: ECR's lifecycle policy document, parsed and validated the
// way ECR validates PutLifecyclePolicy and StartLifecyclePolicyPreview input.
//
//   {"rules":[{"rulePriority":1, "description":"...",
//     "selection":{"tagStatus":"tagged"|"untagged"|"any",
//                  "tagPatternList":[...] | "tagPrefixList":[...],
//                  "storageClass":"standard"|"archive",
//                  "countType":"imageCountMoreThan"|"sinceImagePushed"|
//                              "sinceImagePulled"|"sinceImageTransitioned",
//                  "countUnit":"days", "countNumber":N},
//     "action":{"type":"expire"|"transition", "targetStorageClass":"archive"}}]}
//
// Validation comes in two passes, as ECR's does: the document's shape (a
// JSON schema: required and allowed members, types, enums, minimums, the
// count type / count unit and action / target pairs), reported in the
// JSON-schema validator's words ECR answers with ("object has missing
// required properties ([\"rules\"])", "instance failed to match exactly one
// schema (matched 0 out of 2)"), then the rules among themselves (unique
// priorities; per storage class: `any` last, one untagged rule, distinct tag
// lists; at most 4 wildcards a pattern; which count types go with which
// storage class and action; archived images kept 90 days), in berth's words
// where ECR's are not known (docs/ecr-operations.md lists them).
//
// The text length limits (100..30,720 characters) belong to the API model
// and are checked there; the 50-rule limit is checked here.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::lifecycle {

using storage::meta::StorageClass;

enum class TagStatus { kTagged, kUntagged, kAny };

enum class CountType {
  kImageCountMoreThan,      // keep the N youngest images the rule selects
  kSinceImagePushed,        // older than N days since push (or restore)
  kSinceImagePulled,        // not pulled for N days (transition only)
  kSinceImageTransitioned,  // archived for more than N days (expire only)
};

enum class ActionType {
  kExpire,      // delete the image (and its referrers)
  kTransition,  // move it to the archive storage class
};

struct Rule {
  std::int64_t priority = 0;
  std::string description;
  TagStatus tag_status = TagStatus::kAny;
  // At most one of the two is non-empty, and only for kTagged.
  std::vector<std::string> tag_prefixes;
  std::vector<std::string> tag_patterns;
  StorageClass storage_class = StorageClass::kStandard;
  CountType count_type = CountType::kImageCountMoreThan;
  std::int64_t count_number = 0;  // images, or days
  ActionType action = ActionType::kExpire;
};

struct LifecyclePolicy {
  std::vector<Rule> rules;  // ascending priority (lower applies first)
};

inline constexpr std::size_t kMaxRules = 50;
inline constexpr std::size_t kMinPolicyChars = 100;
inline constexpr std::size_t kMaxPolicyChars = 30720;
inline constexpr int kMaxWildcardsPerPattern = 4;
// Archived images have a 90-day minimum storage duration: a rule may not
// expire them sooner.
inline constexpr std::int64_t kMinDaysInArchive = 90;
inline constexpr std::int64_t kMaxCountNumber = 2147483647;
inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

// The policy, or kInvalidArgument whose message is ECR's
// "Lifecycle policy validation failure: <reason>".
Result<LifecyclePolicy> parse_lifecycle_policy(std::string_view text);

std::string_view to_string(TagStatus s);
std::string_view to_string(CountType t);
std::string_view to_string(ActionType a);

}  // namespace berth::lifecycle
