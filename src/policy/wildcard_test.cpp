#include "policy/wildcard.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::policy {
namespace {

TEST(Wildcard, MatchesIamPatterns) {
  EXPECT_TRUE(wildcard_match("ecr:*", "ecr:BatchGetImage"));
  EXPECT_TRUE(wildcard_match("ecr:Batch*", "ecr:BatchGetImage"));
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_TRUE(wildcard_match("ecr:?etAuthorizationToken", "ecr:GetAuthorizationToken"));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(wildcard_match("a*b*c", "abbbc"));
  EXPECT_FALSE(wildcard_match("ecr:Batch*", "ecr:PutImage"));
  EXPECT_FALSE(wildcard_match("ecr:batch*", "ecr:BatchGetImage"));
  EXPECT_TRUE(wildcard_match("ecr:batch*", "ecr:BatchGetImage", /*ignore_case=*/true));
  EXPECT_FALSE(wildcard_match("a?", "a"));
  EXPECT_FALSE(wildcard_match("abc", "abcd"));
  EXPECT_TRUE(wildcard_match("arn:aws:ecr:*:111122223333:repository/team/*",
                             "arn:aws:ecr:us-east-1:111122223333:repository/team/app"));
}

TEST(Wildcard, HostilePatternStaysLinear) {
  const std::string text(20000, 'a');
  const std::string pattern = std::string(200, '*') + "a*a*a*a*a*b";
  EXPECT_FALSE(wildcard_match(pattern, text));
}

}  // namespace
}  // namespace berth::policy
