#include "api/ecr/repository_settings.hpp"

#include <gtest/gtest.h>

namespace berth::api::ecr {
namespace {

TEST(RepositorySettings, RoundTripsThroughJson) {
  RepositorySettings s;
  s.image_tag_mutability = "IMMUTABLE_WITH_EXCLUSION";
  s.tag_mutability_exclusion_filters.push_back(
      boost::json::object{{"filterType", "WILDCARD"}, {"filter", "latest*"}});
  s.scan_on_push = true;
  s.encryption_type = "KMS";
  s.kms_key = "arn:aws:kms:us-east-1:123456789012:key/abc";
  s.repository_policy = "{}";
  s.tags = {{"team", "a"}, {"env", "ci"}};
  auto back = RepositorySettings::from_json(s.to_json());
  EXPECT_EQ(back.image_tag_mutability, "IMMUTABLE_WITH_EXCLUSION");
  EXPECT_EQ(back.tag_mutability_exclusion_filters.size(), 1u);
  EXPECT_TRUE(back.scan_on_push);
  EXPECT_EQ(back.kms_key, s.kms_key);
  EXPECT_EQ(back.repository_policy, "{}");
  EXPECT_FALSE(back.lifecycle_policy.has_value());
  EXPECT_EQ(back.tags, s.tags);
}

TEST(RepositorySettings, DefaultsForEmptySettings) {
  auto s = RepositorySettings::from_json("{}");
  EXPECT_EQ(s.image_tag_mutability, "MUTABLE");
  EXPECT_EQ(s.encryption_type, "AES256");
  EXPECT_FALSE(s.scan_on_push);
}

TEST(RepositoryNaming, ArnAndUriFollowTheTemplate) {
  EXPECT_EQ(repository_arn("123456789012:eu-west-1", "team/app"),
            "arn:aws:ecr:eu-west-1:123456789012:repository/team/app");
  EcrSettings settings;
  settings.public_url = "http://127.0.0.1:5000";
  EXPECT_EQ(repository_uri(settings, "123456789012:eu-west-1", "app"), "127.0.0.1:5000/app");
  settings.repository_uri_template = "{account}.dkr.ecr.{region}.amazonaws.com";
  EXPECT_EQ(repository_uri(settings, "123456789012:eu-west-1", "app"),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app");
}

TEST(RepositoryNaming, ParsesRepositoryArns) {
  auto ref = parse_repository_arn("arn:aws:ecr:us-east-1:123456789012:repository/team/app");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->registry, "123456789012:us-east-1");
  EXPECT_EQ(ref->name, "team/app");
  for (const char* bad : {"arn:aws:s3:::bucket", "arn:aws:ecr:us-east-1:12345:repository/x",
                          "arn:aws:ecr:us-east-1:123456789012:image/x", "garbage"}) {
    auto r = parse_repository_arn(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().type, "InvalidParameterException");
  }
}

}  // namespace
}  // namespace berth::api::ecr
