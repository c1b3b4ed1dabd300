#include "policy/document.hpp"

#include <gtest/gtest.h>

namespace berth::policy {
namespace {

TEST(PolicyDocument, ParsesTheUserGuideCrossAccountExample) {
  auto doc = parse_document(R"({
    "Version": "2012-10-17",
    "Statement": [{
      "Sid": "AllowCrossAccountPull",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    }]})");
  ASSERT_TRUE(doc) << doc.error().message;
  ASSERT_EQ(doc->statements.size(), 1u);
  const Statement& s = doc->statements[0];
  EXPECT_EQ(s.sid, "AllowCrossAccountPull");
  EXPECT_EQ(s.effect, Effect::kAllow);
  ASSERT_TRUE(s.principal);
  EXPECT_FALSE(s.principal->any);
  EXPECT_EQ(s.principal->aws, std::vector<std::string>{"arn:aws:iam::111122223333:root"});
  EXPECT_EQ(s.actions.size(), 2u);
  EXPECT_FALSE(s.has_resource);
}

TEST(PolicyDocument, StatementObjectNotPrincipalNotActionNotResource) {
  auto doc = parse_document(R"({"Statement": {"Effect": "Deny",
    "NotPrincipal": {"AWS": ["123456789012", "arn:aws:iam::123456789012:user/alice"]},
    "NotAction": "ecr:Describe*", "NotResource": ["arn:aws:ecr:*:*:repository/open/*"]}})");
  ASSERT_TRUE(doc) << doc.error().message;
  const Statement& s = doc->statements.at(0);
  EXPECT_TRUE(s.not_principal);
  EXPECT_TRUE(s.not_action);
  EXPECT_TRUE(s.not_resource);
  EXPECT_TRUE(s.has_resource);
  EXPECT_EQ(s.principal->aws.size(), 2u);
}

TEST(PolicyDocument, ConditionOperatorsAreSplitIntoTheirParts) {
  auto doc = parse_document(R"({"Statement": [{"Effect": "Allow", "Principal": "*",
    "Action": "ecr:*", "Condition": {
      "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["team*", "env"]},
      "Bool": {"aws:SecureTransport": true},
      "NumericLessThan": {"aws:EpochTime": 2000000000},
      "MadeUpOperator": {"aws:username": "x"}}}]})");
  ASSERT_TRUE(doc) << doc.error().message;
  const auto& conditions = doc->statements.at(0).conditions;
  ASSERT_EQ(conditions.size(), 4u);
  int seen = 0;
  for (const auto& c : conditions) {
    if (c.key == "aws:TagKeys") {
      EXPECT_EQ(c.op, ConditionOperator::kStringLike);
      EXPECT_EQ(c.qualifier, SetQualifier::kForAnyValue);
      EXPECT_TRUE(c.if_exists);
      EXPECT_EQ(c.values.size(), 2u);
      ++seen;
    } else if (c.key == "aws:SecureTransport") {
      EXPECT_EQ(c.op, ConditionOperator::kBool);
      EXPECT_EQ(c.values, std::vector<std::string>{"true"});
      ++seen;
    } else if (c.key == "aws:EpochTime") {
      EXPECT_EQ(c.values, std::vector<std::string>{"2000000000"});
      ++seen;
    } else {
      EXPECT_EQ(c.op, ConditionOperator::kUnknown);
      ++seen;
    }
  }
  EXPECT_EQ(seen, 4);
}

TEST(PolicyDocument, RefusesMalformedDocumentsWithAReason) {
  const char* bad[] = {
      "",
      "[]",
      "{}",
      R"({"Version": "2020-01-01", "Statement": []})",
      R"({"Statement": []})",
      R"({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "ecr:*"}]})",
      R"({"Statement": [{"Effect": "Allow", "Principal": "*"}]})",
      R"({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": []}]})",
      R"({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": [1]}]})",
      R"({"Statement": [{"Effect": "Allow", "Principal": "alice", "Action": "ecr:*"}]})",
      R"({"Statement": [{"Effect": "Allow", "Principal": {"Bogus": "x"}, "Action": "ecr:*"}]})",
      R"({"Statement": [{"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "ecr:*"}]})",
      R"({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Condition": []}]})",
      R"({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Condition": {"StringEquals": {"k": {}}}}]})",
  };
  for (const char* text : bad) {
    auto doc = parse_document(text);
    ASSERT_FALSE(doc) << text;
    EXPECT_EQ(doc.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(doc.error().message.starts_with("Invalid policy: ")) << doc.error().message;
  }
}

TEST(PolicyDocument, DeepNestingIsRefused) {
  std::string text = R"({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "X": )";
  for (int i = 0; i < 100; ++i) text += "[";
  for (int i = 0; i < 100; ++i) text += "]";
  text += "}}";
  EXPECT_FALSE(parse_document(text));
}

TEST(PolicyDocument, OperatorParsing) {
  EXPECT_EQ(parse_condition_operator("StringEquals").op, ConditionOperator::kStringEquals);
  EXPECT_EQ(parse_condition_operator("ForAllValues:StringEquals").qualifier,
            SetQualifier::kForAllValues);
  EXPECT_EQ(parse_condition_operator("IpAddressIfExists").op, ConditionOperator::kIpAddress);
  EXPECT_TRUE(parse_condition_operator("IpAddressIfExists").if_exists);
  EXPECT_EQ(parse_condition_operator("NullIfExists").op, ConditionOperator::kUnknown);
  EXPECT_EQ(parse_condition_operator("IfExists").op, ConditionOperator::kUnknown);
  EXPECT_EQ(parse_condition_operator("stringequals").op, ConditionOperator::kUnknown);
}

}  // namespace
}  // namespace berth::policy
