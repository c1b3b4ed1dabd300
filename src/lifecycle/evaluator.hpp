// The lifecycle policy evaluator: which images of one repository a policy
// expires or archives at a given time. Pure: it takes the images' facts and
// returns the actions; applying them is the runner's (runner.hpp).
//
// ECR's evaluation rules (user guide, "Lifecycle policy evaluation rules"),
// as implemented here:
//   - every rule selects, among the images of its storage class, those
//     matching its tag criteria: tagged (some tag; every tagPrefixList entry
//     a prefix of one of the image's tags, or every tagPatternList entry a
//     '*' wildcard match of one), untagged (no tag) or any;
//   - all rules are evaluated against the whole repository at once, then
//     applied in rulePriority order (lowest first): a rule never acts on an
//     image that a higher-priority rule selected, whether or not that rule
//     acted on it, but still counts it ("identifies it as if it had not
//     been expired"); so each image is acted on by at most one rule;
//   - imageCountMoreThan N: the selected images sorted youngest first by
//     push time, all after the N-th; sinceImagePushed N: pushed more than
//     N days before now (exactly N days is not "more than"); for an image
//     restored from the archive, its restore time stands for its push time
//     in both;
//   - sinceImagePulled N (transition only): last pulled more than N days
//     ago, or pushed then if never pulled, or restored then if not pulled
//     since its restore;
//   - sinceImageTransitioned N (archive class, expire only): archived more
//     than N days ago.
// berth's choices where ECR's documentation is silent (docs/ecr-operations.md):
//   - an image an index in the repository lists is counted but never
//     expired, nor archived while an index of the standard class lists it
//     (ECR: "cannot be expired or archived without the manifest list being
//     deleted or archived first"); the next evaluation takes it;
//   - a referrer (signature, SBOM) whose subject is in the repository is
//     neither selected nor counted: it goes with its subject, which takes
//     it along when it is expired or archived;
//   - an image whose restore is under way (ACTIVATING) is counted but not
//     acted on;
//   - images pushed at the same instant are ordered by digest (the greater
//     digest counts as younger).
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lifecycle/policy.hpp"

namespace berth::lifecycle {

// What the evaluator needs to know of an image (a manifest of the
// repository); times in milliseconds since the epoch, 0 = never.
struct ImageFacts {
  std::string digest;
  std::vector<std::string> tags;
  std::int64_t pushed_at_ms = 0;
  std::int64_t last_pulled_at_ms = 0;
  std::int64_t last_archived_at_ms = 0;
  std::int64_t last_activated_at_ms = 0;  // after now while a restore is under way
  StorageClass storage_class = StorageClass::kStandard;
  bool listed_by_index = false;           // an index in the repository lists it
  bool listed_by_standard_index = false;  // ... one of the standard class
  bool follows_subject = false;           // a referrer whose subject is in the repository
};

struct Action {
  std::size_t image = 0;  // index into the images evaluated
  ActionType type = ActionType::kExpire;
  std::int64_t rule_priority = 0;
};

// The actions `policy` takes on `images` at `now_ms`, oldest image first
// (by push time, as ECR expires older images before newer ones).
std::vector<Action> evaluate(const LifecyclePolicy& policy, std::span<const ImageFacts> images,
                             std::int64_t now_ms);

// Whether the rule's tag criteria select an image with these tags.
bool tags_selected(const Rule& rule, const std::vector<std::string>& tags);

// The time an image counts as pushed: its restore time when it was restored
// from the archive after its push.
std::int64_t effective_push_time(const ImageFacts& image);

}  // namespace berth::lifecycle
