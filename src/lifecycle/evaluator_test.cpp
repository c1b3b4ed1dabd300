// The evaluator against the ECR user guide's "Examples of lifecycle
// policies" (each repository and stated outcome as the guide gives them)
// and the evaluation rules' edge cases.
#include "lifecycle/evaluator.hpp"

#include <gtest/gtest.h>

#include <set>

namespace berth::lifecycle {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;
constexpr std::int64_t kHour = 3600 * 1000;

ImageFacts image(std::string name, std::vector<std::string> tags, double days_ago) {
  ImageFacts f;
  f.digest = std::move(name);
  f.tags = std::move(tags);
  f.pushed_at_ms = kNow - static_cast<std::int64_t>(days_ago * kDayMs);
  return f;
}

LifecyclePolicy policy(std::string_view text) {
  auto parsed = parse_lifecycle_policy(text);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : LifecyclePolicy{};
}

// The names of the images acted on with `type`.
std::set<std::string> acted(const LifecyclePolicy& p, const std::vector<ImageFacts>& images,
                            ActionType type = ActionType::kExpire, std::int64_t now = kNow) {
  std::set<std::string> out;
  for (const Action& a : evaluate(p, images, now)) {
    if (a.type == type) out.insert(images[a.image].digest);
  }
  return out;
}

using Names = std::set<std::string>;

// ---- the user guide's examples ----

TEST(UserGuideExamples, FilteringOnImageAge) {
  // Expire images with a tag starting with prod older than 14 days.
  auto p = policy(R"({"rules":[{"rulePriority":1,"description":"Expire images older than 14 days",
    "selection":{"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"sinceImagePushed",
    "countUnit":"days","countNumber":14},"action":{"type":"expire"}}]})");
  std::vector<ImageFacts> images = {image("old-prod", {"prod-1"}, 20), image("new-prod", {"prod-2"}, 3),
                                    image("old-dev", {"dev-1"}, 30), image("old-untagged", {}, 30)};
  EXPECT_EQ(acted(p, images), Names{"old-prod"});
}

TEST(UserGuideExamples, FilteringOnImageCount) {
  // Keep only one untagged image, expire all others.
  auto p = policy(R"({"rules":[{"rulePriority":1,"description":"Keep only one untagged image",
    "selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},
    "action":{"type":"expire"}}]})");
  std::vector<ImageFacts> images = {image("u1", {}, 3), image("u2", {}, 2), image("u3", {}, 1),
                                    image("tagged", {"v1"}, 5)};
  EXPECT_EQ(acted(p, images), (Names{"u1", "u2"}));
}

std::vector<ImageFacts> multiple_rules_repository() {
  return {image("A", {"beta-1", "prod-1"}, 10), image("B", {"beta-2", "prod-2"}, 9),
          image("C", {"beta-3"}, 8)};
}

TEST(UserGuideExamples, MultipleRulesExampleA) {
  // Rule 1 (prod, keep 1) marks A; rule 2 (beta, keep 1) would mark A and
  // B, but both were seen by rule 1. Result: A is expired.
  auto p = policy(R"({"rules":[
    {"rulePriority":1,"description":"Rule 1","selection":{"tagStatus":"tagged","tagPatternList":["prod*"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":2,"description":"Rule 2","selection":{"tagStatus":"tagged","tagPatternList":["beta*"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  EXPECT_EQ(acted(p, multiple_rules_repository()), Names{"A"});
  // The older edition of the guide writes the same example with prefixes.
  auto prefixes = policy(R"({"rules":[
    {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":2,"selection":{"tagStatus":"tagged","tagPrefixList":["beta"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  EXPECT_EQ(acted(prefixes, multiple_rules_repository()), Names{"A"});
}

TEST(UserGuideExamples, MultipleRulesExampleB) {
  // The priorities swapped: rule 1 (beta, keep 1) marks A and B; rule 2
  // (prod) sees nothing new. Result: A and B are expired.
  auto p = policy(R"({"rules":[
    {"rulePriority":1,"description":"Rule 1","selection":{"tagStatus":"tagged","tagPatternList":["beta*"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":2,"description":"Rule 2","selection":{"tagStatus":"tagged","tagPatternList":["prod*"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  EXPECT_EQ(acted(p, multiple_rules_repository()), (Names{"A", "B"}));
}

TEST(UserGuideExamples, MultipleTagsInOneRuleExampleA) {
  // Images must match all the listed patterns: C and F do; older than five
  // days: C. Result: C is expired.
  auto p = policy(R"({"rules":[{"rulePriority":1,"description":"Rule 1",
    "selection":{"tagStatus":"tagged","tagPatternList":["alpha*","beta*"],"countType":"sinceImagePushed",
    "countNumber":5,"countUnit":"days"},"action":{"type":"expire"}}]})");
  std::vector<ImageFacts> images = {image("A", {"alpha-1"}, 12), image("B", {"beta-1"}, 11),
                                    image("C", {"alpha-2", "beta-2"}, 10), image("D", {"alpha-3"}, 4),
                                    image("E", {"beta-3"}, 3), image("F", {"alpha-4", "beta-4"}, 2)};
  EXPECT_EQ(acted(p, images), Names{"C"});
}

TEST(UserGuideExamples, MultipleTagsInOneRuleExampleB) {
  // Tags are not exclusive: all three images carry alpha and beta tags;
  // keep one. Result: A and B are expired.
  auto p = policy(R"({"rules":[{"rulePriority":1,"description":"Rule 1",
    "selection":{"tagStatus":"tagged","tagPatternList":["alpha*","beta*"],"countType":"imageCountMoreThan",
    "countNumber":1},"action":{"type":"expire"}}]})");
  std::vector<ImageFacts> images = {image("A", {"alpha-1", "beta-1", "gamma-1"}, 10),
                                    image("B", {"alpha-2", "beta-2"}, 9),
                                    image("C", {"alpha-3", "beta-3", "gamma-2"}, 8)};
  EXPECT_EQ(acted(p, images), (Names{"A", "B"}));
}

TEST(UserGuideExamples, AllImagesExampleA) {
  // Keep only the newest image of all. Result: A, B and C are expired.
  auto p = policy(R"({"rules":[{"rulePriority":1,"description":"Rule 1",
    "selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},
    "action":{"type":"expire"}}]})");
  std::vector<ImageFacts> images = {image("A", {"alpha-1"}, 4), image("B", {"beta-1"}, 3),
                                    image("C", {}, 2), image("D", {"alpha-2"}, 1)};
  EXPECT_EQ(acted(p, images), (Names{"A", "B", "C"}));
}

TEST(UserGuideExamples, AllImagesExampleB) {
  // Rule 1 (alpha, keep 1) marks A; rule 2 (untagged older than a day)
  // marks B, not E; rule 3 (any, keep 1) keeps E and may only mark D, the
  // one image no earlier rule selected. Result: A, B and D are expired.
  auto p = policy(R"({"rules":[
    {"rulePriority":1,"description":"Rule 1","selection":{"tagStatus":"tagged","tagPatternList":["alpha*"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":2,"description":"Rule 2","selection":{"tagStatus":"untagged","countType":"sinceImagePushed",
     "countUnit":"days","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":3,"description":"Rule 3","selection":{"tagStatus":"any","countType":"imageCountMoreThan",
     "countNumber":1},"action":{"type":"expire"}}]})");
  // D and E were both pushed "1 day ago", E last.
  std::vector<ImageFacts> images = {image("A", {"alpha-1", "beta-1"}, 4), image("B", {}, 3),
                                    image("C", {"alpha-2"}, 2), image("D", {"git hash"}, 1.01),
                                    image("E", {}, 1)};
  EXPECT_EQ(acted(p, images), (Names{"A", "B", "D"}));
}

TEST(UserGuideExamples, ArchiveUnpulledThenExpireFromTheArchive) {
  // Archive images not pulled in 90 days; expire archived images after
  // 365 days in the archive.
  auto p = policy(R"({"rules":[
    {"rulePriority":1,"description":"Archive images not pulled in 90 days","selection":{"tagStatus":"any",
     "countType":"sinceImagePulled","countUnit":"days","countNumber":90},
     "action":{"type":"transition","targetStorageClass":"archive"}},
    {"rulePriority":2,"description":"Expire archived images after 365 days","selection":{"tagStatus":"any",
     "storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":365},
     "action":{"type":"expire"}}]})");
  ImageFacts pulled_lately = image("pulled-lately", {"v1"}, 400);
  pulled_lately.last_pulled_at_ms = kNow - 10 * kDayMs;
  ImageFacts pulled_long_ago = image("pulled-long-ago", {"v2"}, 400);
  pulled_long_ago.last_pulled_at_ms = kNow - 100 * kDayMs;
  ImageFacts never_pulled_old = image("never-pulled-old", {}, 91);
  ImageFacts never_pulled_new = image("never-pulled-new", {}, 89);
  ImageFacts archived_long = image("archived-long", {"v0"}, 900);
  archived_long.storage_class = StorageClass::kArchive;
  archived_long.last_archived_at_ms = kNow - 366 * kDayMs;
  ImageFacts archived_lately = image("archived-lately", {"v00"}, 900);
  archived_lately.storage_class = StorageClass::kArchive;
  archived_lately.last_archived_at_ms = kNow - 100 * kDayMs;
  std::vector<ImageFacts> images = {pulled_lately, pulled_long_ago, never_pulled_old,
                                    never_pulled_new, archived_long, archived_lately};
  EXPECT_EQ(acted(p, images, ActionType::kTransition),
            (Names{"pulled-long-ago", "never-pulled-old"}));
  EXPECT_EQ(acted(p, images, ActionType::kExpire), Names{"archived-long"});
}

// ---- edge cases of the evaluation rules ----

TEST(EvaluationRules, PrioritiesNeedNotBeContiguousAndOrderNotTheDocument) {
  auto p = policy(R"({"rules":[
    {"rulePriority":70,"selection":{"tagStatus":"tagged","tagPrefixList":["beta"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":5,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  EXPECT_EQ(acted(p, multiple_rules_repository()), Names{"A"});  // example A's outcome
  auto actions = evaluate(p, multiple_rules_repository(), kNow);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].rule_priority, 5);
}

TEST(EvaluationRules, ASelectedImageIsProtectedFromLaterRulesEvenWhenKept) {
  // "Keep everything tagged release": a huge count acts on nothing but
  // shields those images from the catch-all.
  auto p = policy(R"({"rules":[
    {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["release-*"],
     "countType":"imageCountMoreThan","countNumber":9999},"action":{"type":"expire"}},
    {"rulePriority":2,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days",
     "countNumber":1},"action":{"type":"expire"}}]})");
  std::vector<ImageFacts> images = {image("rel", {"release-1", "sha-1"}, 50), image("dev", {"sha-2"}, 50),
                                    image("fresh", {"sha-3"}, 0.5)};
  EXPECT_EQ(acted(p, images), Names{"dev"});
}

TEST(EvaluationRules, PrefixesMatchTheStartOfATagAndPatternsTheWholeTag) {
  Rule prefix;
  prefix.tag_status = TagStatus::kTagged;
  prefix.tag_prefixes = {"prod"};
  EXPECT_TRUE(tags_selected(prefix, {"production"}));
  EXPECT_TRUE(tags_selected(prefix, {"dev", "prod"}));
  EXPECT_FALSE(tags_selected(prefix, {"my-prod"}));
  EXPECT_FALSE(tags_selected(prefix, {"PROD"}));  // case matters
  EXPECT_FALSE(tags_selected(prefix, {}));
  Rule pattern;
  pattern.tag_status = TagStatus::kTagged;
  pattern.tag_patterns = {"*prod*"};
  EXPECT_TRUE(tags_selected(pattern, {"repo-production"}));
  EXPECT_TRUE(tags_selected(pattern, {"prod"}));
  pattern.tag_patterns = {"v*.*.*-rc*"};
  EXPECT_TRUE(tags_selected(pattern, {"v1.2.3-rc4"}));
  EXPECT_FALSE(tags_selected(pattern, {"v1.2.3"}));
  pattern.tag_patterns = {"latest"};  // no wildcard: the whole tag
  EXPECT_TRUE(tags_selected(pattern, {"latest"}));
  EXPECT_FALSE(tags_selected(pattern, {"latest-1"}));
}

TEST(EvaluationRules, ExactlyNDaysOldIsNotOlderThanNDays) {
  auto p = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",
    "countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]})");
  std::vector<ImageFacts> images = {image("exactly", {}, 14), image("over", {"x"}, 14.001)};
  EXPECT_EQ(acted(p, images), Names{"over"});
}

TEST(EvaluationRules, StandardRulesNeverSeeArchivedImages) {
  auto p = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",
    "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  ImageFacts archived = image("archived", {"v1"}, 1);  // the youngest, but not counted
  archived.storage_class = StorageClass::kArchive;
  archived.last_archived_at_ms = kNow - kHour;
  std::vector<ImageFacts> images = {image("a", {"v2"}, 5), image("b", {"v3"}, 4), archived};
  EXPECT_EQ(acted(p, images), Names{"a"});
}

TEST(EvaluationRules, PullAgeFallsBackToPushThenCountsFromARestore) {
  auto p = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",
    "countType":"sinceImagePulled","countUnit":"days","countNumber":30},
    "action":{"type":"transition","targetStorageClass":"archive"}}]})");
  ImageFacts restored = image("restored-not-pulled", {"a"}, 200);
  restored.last_pulled_at_ms = kNow - 150 * kDayMs;
  restored.last_archived_at_ms = kNow - 120 * kDayMs;
  restored.last_activated_at_ms = kNow - 10 * kDayMs;
  ImageFacts restored_long_ago = restored;
  restored_long_ago.digest = "restored-long-ago";
  restored_long_ago.last_activated_at_ms = kNow - 40 * kDayMs;
  ImageFacts pulled_after_restore = restored;
  pulled_after_restore.digest = "pulled-after-restore";
  pulled_after_restore.last_activated_at_ms = kNow - 60 * kDayMs;
  pulled_after_restore.last_pulled_at_ms = kNow - 5 * kDayMs;
  std::vector<ImageFacts> images = {restored, restored_long_ago, pulled_after_restore,
                                    image("never-pulled", {"b"}, 31)};
  EXPECT_EQ(acted(p, images, ActionType::kTransition),
            (Names{"restored-long-ago", "never-pulled"}));
}

TEST(EvaluationRules, ARestoreCountsAsThePushForAgeAndOrder) {
  auto age = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",
    "countType":"sinceImagePushed","countUnit":"days","countNumber":30},"action":{"type":"expire"}}]})");
  ImageFacts restored = image("restored", {"a"}, 100);
  restored.last_archived_at_ms = kNow - 50 * kDayMs;
  restored.last_activated_at_ms = kNow - 2 * kDayMs;
  std::vector<ImageFacts> images = {restored, image("old", {"b"}, 40)};
  EXPECT_EQ(acted(age, images), Names{"old"});
  auto count = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",
    "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  images.push_back(image("newer", {"c"}, 5));
  EXPECT_EQ(acted(count, images), (Names{"old", "newer"}));  // "restored" is the youngest
}

TEST(EvaluationRules, ChildrenOfIndexesAreCountedButNotActedOn) {
  auto p = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged",
    "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  ImageFacts child_old = image("child-old", {}, 10);
  child_old.listed_by_index = child_old.listed_by_standard_index = true;
  ImageFacts child_new = image("child-new", {}, 1);
  child_new.listed_by_index = child_new.listed_by_standard_index = true;
  std::vector<ImageFacts> images = {child_old, image("orphan", {}, 5), child_new};
  EXPECT_EQ(acted(p, images), Names{"orphan"});

  // An archived index no longer holds its children back from the archive,
  // but still from expiry.
  auto archive = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged",
    "countType":"sinceImagePushed","countUnit":"days","countNumber":3},
    "action":{"type":"transition","targetStorageClass":"archive"}}]})");
  child_old.listed_by_standard_index = false;
  EXPECT_EQ(acted(archive, {child_old, child_new}, ActionType::kTransition), Names{"child-old"});
}

TEST(EvaluationRules, ReferrersGoWithTheirSubjectAndAreNeverSelected) {
  auto p = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged",
    "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  ImageFacts signature = image("signature", {}, 20);
  signature.follows_subject = true;
  std::vector<ImageFacts> images = {signature, image("u1", {}, 3), image("u2", {}, 2)};
  EXPECT_EQ(acted(p, images), Names{"u1"});  // the signature neither goes nor counts
}

TEST(EvaluationRules, AnImageBeingRestoredIsLeftAlone) {
  auto p = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",
    "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  ImageFacts first = image("restored-first", {"a"}, 50);
  first.last_archived_at_ms = kNow - 10 * kDayMs;
  first.last_activated_at_ms = kNow + 60'000;  // the restore ends in a minute
  ImageFacts second = first;
  second.digest = "restored-second";
  second.last_activated_at_ms = kNow + 30'000;
  // Both count as the youngest (restored last); the second is past the
  // count, but a restore under way is not interrupted.
  std::vector<ImageFacts> images = {image("old", {"b"}, 40), second, first};
  EXPECT_EQ(acted(p, images), Names{"old"});
  // Once over, it is an ordinary image again.
  EXPECT_EQ(acted(p, images, ActionType::kExpire, kNow + 90'000),
            (Names{"old", "restored-second"}));
}

TEST(EvaluationRules, SameInstantPushesAreOrderedByDigest) {
  auto p = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",
    "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  std::vector<ImageFacts> images = {image("sha256:b", {}, 1), image("sha256:a", {}, 1)};
  EXPECT_EQ(acted(p, images), Names{"sha256:a"});
}

TEST(EvaluationRules, ActionsComeOldestFirstAndCarryTheirRule) {
  auto p = policy(R"({"rules":[
    {"rulePriority":3,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],
     "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":9,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed",
     "countUnit":"days","countNumber":1},"action":{"type":"transition","targetStorageClass":"archive"}}]})");
  std::vector<ImageFacts> images = {image("v-new", {"v2"}, 2), image("u-old", {}, 9),
                                    image("v-old", {"v1"}, 5)};
  auto actions = evaluate(p, images, kNow);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(images[actions[0].image].digest, "u-old");
  EXPECT_EQ(actions[0].type, ActionType::kTransition);
  EXPECT_EQ(actions[0].rule_priority, 9);
  EXPECT_EQ(images[actions[1].image].digest, "v-old");
  EXPECT_EQ(actions[1].type, ActionType::kExpire);
  EXPECT_EQ(actions[1].rule_priority, 3);
}

TEST(EvaluationRules, NothingToDoOnAnEmptyRepositoryOrHugeCounts) {
  auto p = policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",
    "countType":"sinceImagePushed","countUnit":"days","countNumber":2147483647},"action":{"type":"expire"}}]})");
  EXPECT_TRUE(evaluate(p, {}, kNow).empty());
  EXPECT_TRUE(acted(p, {image("ancient", {}, 20000)}).empty());
}

}  // namespace
}  // namespace berth::lifecycle
