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

}  // namespace
}  // namespace berth::api::ecr
