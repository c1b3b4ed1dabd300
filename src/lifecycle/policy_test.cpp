#include "lifecycle/policy.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace berth::lifecycle {
namespace {

namespace json = boost::json;

// A one-rule policy with the given selection and action (JSON objects).
std::string one_rule(std::string_view selection, std::string_view action = R"({"type":"expire"})",
                     std::string_view extra = "") {
  return std::string(R"({"rules":[{"rulePriority":1,"selection":)") + std::string(selection) +
         R"(,"action":)" + std::string(action) + std::string(extra) + "}]}";
}

// The reason parse_lifecycle_policy gives, without ECR's prefix; "" if it
// accepts the text.
std::string reason(std::string_view text) {
  auto parsed = parse_lifecycle_policy(text);
  if (parsed) return "";
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  const std::string prefix = "Lifecycle policy validation failure: ";
  EXPECT_TRUE(parsed.error().message.starts_with(prefix)) << parsed.error().message;
  return parsed.error().message.substr(prefix.size());
}

constexpr std::string_view kUntagged =
    R"({"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1})";

TEST(LifecyclePolicyGrammar, ParsesEveryMember) {
  auto parsed = parse_lifecycle_policy(R"({"rules":[
    {"rulePriority":20,"description":"archive","selection":{"tagStatus":"tagged","tagPatternList":["prod*","*-rc"],
     "countType":"sinceImagePulled","countUnit":"days","countNumber":30},
     "action":{"type":"transition","targetStorageClass":"archive"}},
    {"rulePriority":3,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"storageClass":"standard",
     "countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}},
    {"rulePriority":7,"selection":{"tagStatus":"any","storageClass":"archive",
     "countType":"sinceImageTransitioned","countUnit":"days","countNumber":90},"action":{"type":"expire"}}]})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->rules.size(), 3u);
  const Rule& first = parsed->rules[0];  // sorted by priority
  EXPECT_EQ(first.priority, 3);
  EXPECT_EQ(first.tag_status, TagStatus::kTagged);
  EXPECT_EQ(first.tag_prefixes, std::vector<std::string>{"v"});
  EXPECT_EQ(first.count_type, CountType::kImageCountMoreThan);
  EXPECT_EQ(first.count_number, 10);
  EXPECT_EQ(first.action, ActionType::kExpire);
  const Rule& second = parsed->rules[1];
  EXPECT_EQ(second.priority, 7);
  EXPECT_EQ(second.storage_class, StorageClass::kArchive);
  EXPECT_EQ(second.count_type, CountType::kSinceImageTransitioned);
  const Rule& third = parsed->rules[2];
  EXPECT_EQ(third.description, "archive");
  EXPECT_EQ(third.tag_patterns, (std::vector<std::string>{"prod*", "*-rc"}));
  EXPECT_EQ(third.count_type, CountType::kSinceImagePulled);
  EXPECT_EQ(third.action, ActionType::kTransition);
  EXPECT_EQ(third.storage_class, StorageClass::kStandard);
}

TEST(LifecyclePolicyGrammar, ShapeErrorsInTheSchemaValidatorsWords) {
  EXPECT_EQ(reason("not json"), "Could not map policyString into LifecyclePolicy.");
  EXPECT_EQ(reason("[]"),
            R"(instance type (array) does not match any allowed primitive type (allowed: ["object"]))");
  EXPECT_EQ(reason(R"({"rulez":[]})"), R"(object has missing required properties (["rules"]))");
  EXPECT_EQ(reason(R"({"rules":[],"extra":1})"),
            R"(object instance has properties which are not allowed by the schema: (["extra"]))");
  EXPECT_EQ(reason(R"({"rules":{}})"),
            R"(instance type (object) does not match any allowed primitive type (allowed: ["array"]))");
  EXPECT_EQ(reason(R"({"rules":[]})"),
            "array is too short: must have at least 1 elements but instance has 0 elements");
  EXPECT_EQ(reason(R"({"rules":[{"rulePriority":1}]})"),
            R"(object has missing required properties (["action","selection"]))");
  EXPECT_EQ(reason(one_rule(kUntagged, R"({"type":"expire"})", R"(,"priority":2)")),
            R"(object instance has properties which are not allowed by the schema: (["priority"]))");
  EXPECT_EQ(reason(R"({"rules":[{"rulePriority":0,"selection":)" + std::string(kUntagged) +
                   R"(,"action":{"type":"expire"}}]})"),
            "numeric instance is lower than the required minimum (minimum: 1, found: 0)");
  EXPECT_EQ(reason(R"({"rules":[{"rulePriority":"1","selection":)" + std::string(kUntagged) +
                   R"(,"action":{"type":"expire"}}]})"),
            R"(instance type (string) does not match any allowed primitive type (allowed: ["integer"]))");
  EXPECT_EQ(reason(R"({"rules":[{"rulePriority":1.5,"selection":)" + std::string(kUntagged) +
                   R"(,"action":{"type":"expire"}}]})"),
            R"(instance type (number) does not match any allowed primitive type (allowed: ["integer"]))");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"sometimes","countType":"imageCountMoreThan","countNumber":1})")),
            R"(instance value ("sometimes") not found in enum (possible values: ["tagged","untagged","any"]))");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"untagged","countType":"sinceForever","countNumber":1})")),
            R"(instance value ("sinceForever") not found in enum (possible values: ["imageCountMoreThan","sinceImagePushed","sinceImagePulled","sinceImageTransitioned"]))");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":0})")),
            "numeric instance is lower than the required minimum (minimum: 1, found: 0)");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":2147483648})")),
            "numeric instance is greater than the required maximum (maximum: 2147483647, found: 2147483648)");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"untagged","countType":"imageCountMoreThan"})")),
            R"(object has missing required properties (["countNumber"]))");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"weeks","countNumber":1})")),
            R"(instance value ("weeks") not found in enum (possible values: ["days"]))");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"untagged","storageClass":"glacier","countType":"imageCountMoreThan","countNumber":1})")),
            R"(instance value ("glacier") not found in enum (possible values: ["standard","archive"]))");
  EXPECT_EQ(reason(one_rule(kUntagged, R"({"type":"delete"})")),
            R"(instance value ("delete") not found in enum (possible values: ["expire","transition"]))");
  EXPECT_EQ(reason(one_rule(kUntagged, R"({"type":"transition","targetStorageClass":"glacier"})")),
            R"(instance value ("glacier") not found in enum (possible values: ["archive"]))");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"tagged","tagPrefixList":[],"countType":"imageCountMoreThan","countNumber":1})")),
            "array is too short: must have at least 1 elements but instance has 0 elements");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"tagged","tagPrefixList":[""],"countType":"imageCountMoreThan","countNumber":1})")),
            R"(string "" is too short (length: 0, required minimum: 1))");
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"tagged","tagPrefixList":[7],"countType":"imageCountMoreThan","countNumber":1})")),
            R"(instance type (integer) does not match any allowed primitive type (allowed: ["string"]))");
}

TEST(LifecyclePolicyGrammar, UnitAndTargetGoWithTheirCountTypeAndAction) {
  constexpr std::string_view kOneOf = "instance failed to match exactly one schema (matched 0 out of 2)";
  // countUnit only with the age-based count types, and required there.
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"untagged","countType":"imageCountMoreThan","countUnit":"days","countNumber":1})")), kOneOf);
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":3})")), kOneOf);
  // targetStorageClass only with transition (even as null), and required there.
  EXPECT_EQ(reason(one_rule(kUntagged, R"({"type":"expire","targetStorageClass":null})")), kOneOf);
  EXPECT_EQ(reason(one_rule(kUntagged, R"({"type":"transition"})")), kOneOf);
  EXPECT_EQ(reason(one_rule(kUntagged, R"({"type":"transition","targetStorageClass":"archive"})")), "");
}

TEST(LifecyclePolicyGrammar, TagListsFollowTheTagStatus) {
  EXPECT_NE(reason(one_rule(R"({"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1})"))
                .find("tagPrefixList or tagPatternList is required"),
            std::string::npos);
  EXPECT_NE(reason(one_rule(R"({"tagStatus":"untagged","tagPrefixList":["x"],"countType":"imageCountMoreThan","countNumber":1})"))
                .find("only be used when tagStatus is tagged"),
            std::string::npos);
  EXPECT_NE(reason(one_rule(R"({"tagStatus":"any","tagPatternList":["x*"],"countType":"imageCountMoreThan","countNumber":1})"))
                .find("only be used when tagStatus is tagged"),
            std::string::npos);
  EXPECT_NE(reason(one_rule(R"({"tagStatus":"tagged","tagPrefixList":["a"],"tagPatternList":["b*"],"countType":"imageCountMoreThan","countNumber":1})"))
                .find("either tagPatternList or tagPrefixList, but not both"),
            std::string::npos);
}

TEST(LifecyclePolicyGrammar, AtMostFourWildcardsAPattern) {
  // The guide's own examples: ["*test*1*2*3", "test*1*2*3*"] is valid,
  // ["test*1*2*3*4*5*6"] is not.
  EXPECT_EQ(reason(one_rule(R"({"tagStatus":"tagged","tagPatternList":["*test*1*2*3","test*1*2*3*"],"countType":"imageCountMoreThan","countNumber":1})")), "");
  EXPECT_NE(reason(one_rule(R"({"tagStatus":"tagged","tagPatternList":["test*1*2*3*4*5*6"],"countType":"imageCountMoreThan","countNumber":1})"))
                .find("at most 4 wildcards"),
            std::string::npos);
}

TEST(LifecyclePolicyGrammar, StorageClassCountTypeAndActionAgree) {
  auto r = [](std::string_view selection, std::string_view action = R"({"type":"expire"})") {
    return reason(one_rule(selection, action));
  };
  EXPECT_NE(r(R"({"tagStatus":"any","countType":"sinceImageTransitioned","countUnit":"days","countNumber":100})")
                .find("requires storageClass archive"),
            std::string::npos);
  EXPECT_NE(r(R"({"tagStatus":"any","storageClass":"archive","countType":"sinceImagePushed","countUnit":"days","countNumber":100})")
                .find("storageClass archive can only be used with countType sinceImageTransitioned"),
            std::string::npos);
  EXPECT_NE(r(R"({"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":100})",
              R"({"type":"transition","targetStorageClass":"archive"})")
                .find("sinceImageTransitioned can only be used with action type expire"),
            std::string::npos);
  EXPECT_NE(r(R"({"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":30})")
                .find("sinceImagePulled can only be used with action type transition"),
            std::string::npos);
  EXPECT_NE(r(R"({"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":89})")
                .find("less than 90 days"),
            std::string::npos);
  EXPECT_EQ(r(R"({"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90})"), "");
  EXPECT_EQ(r(R"({"tagStatus":"any","storageClass":"standard","countType":"sinceImagePushed","countUnit":"days","countNumber":1})",
              R"({"type":"transition","targetStorageClass":"archive"})"),
            "");
}

std::string rule_json(int priority, std::string_view selection) {
  return R"({"rulePriority":)" + std::to_string(priority) + R"(,"selection":)" +
         std::string(selection) + R"(,"action":{"type":"expire"}})";
}

TEST(LifecyclePolicyGrammar, RulesAgreeAmongThemselvesPerStorageClass) {
  auto two = [](std::string a, std::string b) { return reason(R"({"rules":[)" + a + "," + b + "]}"); };
  constexpr std::string_view kAny = R"({"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5})";
  constexpr std::string_view kProd =
      R"({"tagStatus":"tagged","tagPrefixList":["prod","x"],"countType":"imageCountMoreThan","countNumber":5})";
  constexpr std::string_view kArchived =
      R"({"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90})";
  constexpr std::string_view kArchivedUntagged =
      R"({"tagStatus":"untagged","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90})";

  EXPECT_NE(two(rule_json(1, kUntagged), rule_json(1, kProd)).find("rulePriority 1 is used by more than one rule"),
            std::string::npos);
  EXPECT_NE(two(rule_json(1, kAny), rule_json(2, kProd)).find("tagStatus any must have the highest rulePriority"),
            std::string::npos);
  EXPECT_EQ(two(rule_json(2, kAny), rule_json(1, kProd)), "");
  EXPECT_NE(two(rule_json(1, kUntagged), rule_json(2, kUntagged)).find("only one rule selecting storageClass standard may select untagged images"),
            std::string::npos);
  // The same prefixes twice (in any order, repeated or not).
  EXPECT_NE(two(rule_json(1, kProd),
                rule_json(2, R"({"tagStatus":"tagged","tagPrefixList":["x","prod","x"],"countType":"sinceImagePushed","countUnit":"days","countNumber":5})"))
                .find("must each select a unique set of tags"),
            std::string::npos);
  // Each storage class is its own group: an `any` rule for each, an
  // untagged rule for each, the same tags for each.
  EXPECT_EQ(two(rule_json(1, kAny), rule_json(2, kArchived)), "");
  EXPECT_EQ(two(rule_json(3, kAny), rule_json(2, kArchived)), "");
  EXPECT_EQ(two(rule_json(1, kUntagged), rule_json(2, kArchivedUntagged)), "");
}

TEST(LifecyclePolicyGrammar, FiftyRulesAtMost) {
  auto rules = [](int n) {
    std::string text = R"({"rules":[)";
    for (int i = 1; i <= n; ++i) {
      if (i > 1) text += ",";
      text += rule_json(i, R"({"tagStatus":"tagged","tagPrefixList":["t)" + std::to_string(i) +
                               R"("],"countType":"imageCountMoreThan","countNumber":5})");
    }
    return text + "]}";
  };
  EXPECT_EQ(reason(rules(50)), "");
  EXPECT_EQ(reason(rules(51)),
            "array is too long: must have at most 50 elements but instance has 51 elements");
}

}  // namespace
}  // namespace berth::lifecycle
