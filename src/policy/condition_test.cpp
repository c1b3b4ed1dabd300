#include "policy/condition.hpp"

#include <gtest/gtest.h>

namespace berth::policy {
namespace {

class ConditionTest : public ::testing::Test {
 protected:
  ConditionTest() {
    r.principal_arn = "arn:aws:iam::111122223333:user/alice";
    r.principal_account = "111122223333";
    r.username = "alice";
    r.action = "ecr:BatchGetImage";
    r.resource = "arn:aws:ecr:us-east-1:111122223333:repository/app";
    r.source_ip = "10.1.2.3";
    r.secure_transport = false;
    r.current_time_ms = *parse_date_ms("2026-06-01T12:00:00Z");
    r.resource_tags = &resource_tags;
    r.request_tags = &request_tags;
  }

  bool holds(std::string_view op, std::string key, std::vector<std::string> values) {
    ConditionClause c = parse_condition_operator(op);
    c.key = std::move(key);
    c.values = std::move(values);
    return condition_holds(c, r);
  }

  Tags resource_tags{{"team", "blue"}, {"env", "prod"}};
  Tags request_tags{{"team", "red"}, {"cost", "42"}};
  RequestContext r;
};

TEST_F(ConditionTest, StringOperators) {
  EXPECT_TRUE(holds("StringEquals", "aws:username", {"bob", "alice"}));
  EXPECT_FALSE(holds("StringEquals", "aws:username", {"Alice"}));
  EXPECT_TRUE(holds("StringEqualsIgnoreCase", "aws:username", {"ALICE"}));
  EXPECT_TRUE(holds("StringNotEquals", "aws:username", {"bob"}));
  EXPECT_FALSE(holds("StringNotEquals", "aws:username", {"bob", "alice"}));
  EXPECT_TRUE(holds("StringNotEqualsIgnoreCase", "aws:username", {"BOB"}));
  EXPECT_TRUE(holds("StringLike", "aws:PrincipalArn", {"arn:aws:iam::*:user/a*"}));
  EXPECT_TRUE(holds("StringNotLike", "aws:PrincipalArn", {"*:role/*"}));
  EXPECT_TRUE(holds("StringEquals", "AWS:PRINCIPALACCOUNT", {"111122223333"}));  // keys fold
}

TEST_F(ConditionTest, ArnOperators) {
  EXPECT_TRUE(holds("ArnEquals", "aws:PrincipalArn", {"arn:aws:iam::111122223333:user/alice"}));
  EXPECT_TRUE(holds("ArnLike", "aws:PrincipalArn", {"arn:aws:iam::111122223333:*"}));
  EXPECT_FALSE(holds("ArnLike", "aws:PrincipalArn", {"arn:aws:iam::444455556666:*"}));
  EXPECT_TRUE(holds("ArnNotLike", "aws:PrincipalArn", {"arn:aws:iam::444455556666:*"}));
}

TEST_F(ConditionTest, BoolIpDateNumeric) {
  EXPECT_TRUE(holds("Bool", "aws:SecureTransport", {"false"}));
  EXPECT_FALSE(holds("Bool", "aws:SecureTransport", {"true"}));
  EXPECT_TRUE(holds("IpAddress", "aws:SourceIp", {"10.0.0.0/8"}));
  EXPECT_FALSE(holds("IpAddress", "aws:SourceIp", {"192.168.0.0/16"}));
  EXPECT_TRUE(holds("NotIpAddress", "aws:SourceIp", {"192.168.0.0/16", "172.16.0.0/12"}));
  EXPECT_FALSE(holds("NotIpAddress", "aws:SourceIp", {"10.1.2.3"}));
  EXPECT_TRUE(holds("DateGreaterThan", "aws:CurrentTime", {"2026-01-01T00:00:00Z"}));
  EXPECT_TRUE(holds("DateLessThan", "aws:CurrentTime", {"2027-01-01"}));
  EXPECT_FALSE(holds("DateLessThanEquals", "aws:CurrentTime", {"2026-06-01T11:59:59Z"}));
  EXPECT_TRUE(holds("DateEquals", "aws:CurrentTime", {"2026-06-01T14:00:00+02:00"}));
  EXPECT_TRUE(holds("NumericGreaterThan", "aws:EpochTime", {"1700000000"}));
  EXPECT_FALSE(holds("NumericLessThan", "aws:EpochTime", {"1700000000"}));
  EXPECT_FALSE(holds("NumericEquals", "aws:EpochTime", {"not a number"}));
}

TEST_F(ConditionTest, TagsAndSets) {
  EXPECT_TRUE(holds("StringEquals", "aws:ResourceTag/team", {"blue"}));
  EXPECT_TRUE(holds("StringEquals", "aws:ResourceTag/TEAM", {"blue"}));
  EXPECT_FALSE(holds("StringEquals", "aws:ResourceTag/owner", {"x"}));
  EXPECT_TRUE(holds("StringEquals", "aws:RequestTag/team", {"red"}));
  EXPECT_TRUE(holds("ForAnyValue:StringEquals", "aws:TagKeys", {"cost"}));
  EXPECT_FALSE(holds("ForAnyValue:StringEquals", "aws:TagKeys", {"owner"}));
  EXPECT_TRUE(holds("ForAllValues:StringEquals", "aws:TagKeys", {"team", "cost", "env"}));
  EXPECT_FALSE(holds("ForAllValues:StringEquals", "aws:TagKeys", {"team"}));
  EXPECT_TRUE(holds("ForAllValues:StringNotEquals", "aws:TagKeys", {"owner"}));
  // Empty sets: ForAllValues holds vacuously, ForAnyValue never.
  r.request_tags = nullptr;
  EXPECT_TRUE(holds("ForAllValues:StringEquals", "aws:TagKeys", {"team"}));
  EXPECT_FALSE(holds("ForAnyValue:StringEquals", "aws:TagKeys", {"team"}));
}

TEST_F(ConditionTest, AbsentKnownKeys) {
  r.username = "";
  r.source_ip = "";
  EXPECT_FALSE(holds("StringEquals", "aws:username", {"alice"}));
  EXPECT_TRUE(holds("StringNotEquals", "aws:username", {"alice"}));
  EXPECT_TRUE(holds("StringEqualsIfExists", "aws:username", {"alice"}));
  EXPECT_FALSE(holds("IpAddress", "aws:SourceIp", {"10.0.0.0/8"}));
  EXPECT_TRUE(holds("IpAddressIfExists", "aws:SourceIp", {"10.0.0.0/8"}));
  EXPECT_TRUE(holds("Null", "aws:username", {"true"}));
  EXPECT_FALSE(holds("Null", "aws:username", {"false"}));
  EXPECT_TRUE(holds("Null", "aws:PrincipalAccount", {"false"}));
  EXPECT_TRUE(holds("Null", "aws:ResourceTag/owner", {"true"}));
}

TEST_F(ConditionTest, UnknownKeysAndOperatorsNeverHold) {
  EXPECT_FALSE(holds("StringEquals", "aws:SourceVpce", {"vpce-1"}));
  EXPECT_FALSE(holds("StringNotEquals", "aws:SourceVpce", {"vpce-1"}));
  EXPECT_FALSE(holds("StringEqualsIfExists", "ecr:ResourceTag/x", {"y"}));
  EXPECT_FALSE(holds("Null", "aws:SourceVpce", {"true"}));
  EXPECT_FALSE(holds("StringMaybe", "aws:username", {"alice"}));
}

TEST(ConditionHelpers, Dates) {
  EXPECT_EQ(parse_date_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_date_ms("1970-01-02"), 86400000);
  EXPECT_EQ(parse_date_ms("86400"), 86400000);
  EXPECT_EQ(parse_date_ms("2000-03-01T00:00:00.250Z"), 951868800250);
  EXPECT_FALSE(parse_date_ms("yesterday"));
  EXPECT_FALSE(parse_date_ms("2026-13-01"));
  EXPECT_FALSE(parse_date_ms("2026-01-01T25:00:00Z"));
}

TEST(ConditionHelpers, Cidr) {
  EXPECT_TRUE(ip_in_cidr("127.0.0.1", "127.0.0.0/8"));
  EXPECT_TRUE(ip_in_cidr("::ffff:127.0.0.1", "127.0.0.1/32"));
  EXPECT_TRUE(ip_in_cidr("2001:db8::1", "2001:db8::/32"));
  EXPECT_FALSE(ip_in_cidr("2001:db9::1", "2001:db8::/32"));
  EXPECT_FALSE(ip_in_cidr("10.0.0.1", "2001:db8::/32"));
  EXPECT_FALSE(ip_in_cidr("10.0.0.1", "10.0.0.0/33"));
  EXPECT_TRUE(ip_in_cidr("10.0.0.1", "0.0.0.0/0"));
  EXPECT_FALSE(ip_in_cidr("garbage", "0.0.0.0/0"));
}

}  // namespace
}  // namespace berth::policy
