#include "api/ecr/policy_validation.hpp"

#include <gtest/gtest.h>

namespace berth::api::ecr {
namespace {

TEST(IamPolicy, AcceptsAReadOnlyPolicy) {
  EXPECT_EQ(iam_policy_problem(R"({"Version":"2012-10-17","Statement":[{"Sid":"pull",
      "Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]})"),
            "");
}

TEST(IamPolicy, RefusesMalformedDocuments) {
  EXPECT_NE(iam_policy_problem("not json"), "");
  EXPECT_NE(iam_policy_problem(R"({"Version":"2012-10-17"})"), "");
  EXPECT_NE(iam_policy_problem(R"({"Version":"1999-01-01","Statement":[]})"), "");
  EXPECT_NE(iam_policy_problem(R"({"Statement":[{"Effect":"Maybe","Principal":"*","Action":"ecr:*"}]})"), "");
  EXPECT_NE(iam_policy_problem(R"({"Statement":[{"Effect":"Allow","Action":"ecr:*"}]})"), "");
  EXPECT_NE(iam_policy_problem(R"({"Statement":[{"Effect":"Allow","Principal":"*"}]})"), "");
}

constexpr const char* kKeepTen = R"({"rules":[{"rulePriority":1,"description":"keep 10",
    "selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":10},
    "action":{"type":"expire"}}]})";

TEST(LifecyclePolicy, AcceptsTheDocumentedExamples) {
  EXPECT_EQ(lifecycle_policy_problem(kKeepTen), "");
  EXPECT_EQ(lifecycle_policy_problem(R"({"rules":[{"rulePriority":1,
      "selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},
      "action":{"type":"expire"}},{"rulePriority":9,
      "selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":100},
      "action":{"type":"expire"}}]})"),
            "");
}

TEST(LifecyclePolicy, RefusesBrokenRules) {
  EXPECT_NE(lifecycle_policy_problem(R"({"rulez":[]})").find("missing required properties"),
            std::string::npos);
  // duplicate priority
  EXPECT_NE(lifecycle_policy_problem(R"({"rules":[
      {"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
      {"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})"),
            "");
  // tagged without prefixes
  EXPECT_NE(lifecycle_policy_problem(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged",
      "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})"),
            "");
  // zero count
  EXPECT_NE(lifecycle_policy_problem(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged",
      "countType":"imageCountMoreThan","countNumber":0},"action":{"type":"expire"}}]})"),
            "");
  // age-based without days
  EXPECT_NE(lifecycle_policy_problem(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged",
      "countType":"sinceImagePushed","countNumber":3},"action":{"type":"expire"}}]})"),
            "");
  // "any" not the highest priority
  EXPECT_NE(lifecycle_policy_problem(R"({"rules":[
      {"rulePriority":5,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
      {"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})"),
            "");
}

}  // namespace
}  // namespace berth::api::ecr
