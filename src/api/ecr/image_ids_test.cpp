#include "api/ecr/image_ids.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace berth::api::ecr {
namespace {

namespace json = boost::json;

const std::string kDigest = "sha256:" + std::string(64, 'a');

ImageId id_of(std::optional<std::string> digest, std::optional<std::string> tag) {
  return ImageId{std::move(digest), std::move(tag)};
}

TEST(ImageIdsTest, ReadsMembersAsSent) {
  ImageId id = read_image_id(json::parse(R"({"imageTag":"v1"})"));
  EXPECT_FALSE(id.digest.has_value());
  EXPECT_EQ(id.tag, "v1");
  id = read_image_id(json::parse(R"({})"));
  EXPECT_FALSE(id.digest || id.tag);
}

TEST(ImageIdsTest, DuplicatesCollapseInOrder) {
  json::value list = json::parse(R"([{"imageTag":"b"},{"imageTag":"a"},{"imageTag":"b"},
      {"imageTag":"b","imageDigest":"sha256:00"},{"imageTag":"a"}])");
  std::vector<ImageId> ids = read_image_ids(&list);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0].tag, "b");
  EXPECT_EQ(ids[1].tag, "a");
  EXPECT_EQ(ids[2].digest, "sha256:00");
  EXPECT_TRUE(read_image_ids(nullptr).empty());
}

TEST(ImageIdsTest, MissingDigestAndTag) {
  auto r = check_image_id(id_of(std::nullopt, std::nullopt));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kMissingDigestAndTag);
  EXPECT_EQ(r.error().reason, "Invalid request parameters: both tag and digest cannot be null");
}

TEST(ImageIdsTest, InvalidDigests) {
  for (const std::string& bad : std::vector<std::string>{"", "sha256", "sha256:", ":abc", "sha256:xyz", "sha 256:ab",
                          "sha256:abc",  // ECR's pattern, but no sha256 is 3 hex long
                          "md5:" + std::string(32, 'a'), "sha256:" + std::string(64, 'A')}) {
    auto r = check_image_id(id_of(bad, std::nullopt));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, kInvalidImageDigest) << bad;
    EXPECT_EQ(r.error().id.digest, bad);  // echoed as sent
  }
}

TEST(ImageIdsTest, EcrDigestPattern) {
  EXPECT_TRUE(matches_ecr_digest_pattern("sha256:ABCdef0"));
  EXPECT_TRUE(matches_ecr_digest_pattern("a-b_c+d.e:0"));
  EXPECT_FALSE(matches_ecr_digest_pattern("sha256:g"));
  EXPECT_FALSE(matches_ecr_digest_pattern("sha/256:0"));
  EXPECT_FALSE(matches_ecr_digest_pattern("sha256:0:1"));
}

TEST(ImageIdsTest, InvalidTags) {
  for (const std::string& bad : std::vector<std::string>{".lead", "-lead", "has space", "a/b", std::string(129, 'a')}) {
    auto r = check_image_id(id_of(std::nullopt, bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, kInvalidImageTag) << bad;
  }
}

TEST(ImageIdsTest, DigestIsCheckedBeforeTag) {
  auto r = check_image_id(id_of("nope", ".bad"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kInvalidImageDigest);
}

TEST(ImageIdsTest, ValidIdentifiers) {
  auto by_tag = check_image_id(id_of(std::nullopt, "v1.0_rc-1"));
  ASSERT_TRUE(by_tag);
  EXPECT_EQ(by_tag->tag, "v1.0_rc-1");
  EXPECT_FALSE(by_tag->digest);

  auto both = check_image_id(id_of(kDigest, "latest"));
  ASSERT_TRUE(both);
  EXPECT_EQ(both->digest->str(), kDigest);
  EXPECT_EQ(both->tag, "latest");
}

TEST(ImageIdsTest, FailureJson) {
  ImageFailure f = image_failure(id_of(std::nullopt, "x"), kImageNotFound, kImageNotFoundReason);
  json::object o = image_failure_json(f);
  EXPECT_EQ(json::serialize(o),
            R"({"imageId":{"imageTag":"x"},"failureCode":"ImageNotFound",)"
            R"("failureReason":"Requested image not found"})");
  EXPECT_EQ(json::serialize(image_failure_json(
                image_failure(ImageId{}, kMissingDigestAndTag, kMissingDigestAndTagReason))),
            R"({"imageId":{},"failureCode":"MissingDigestAndTag",)"
            R"("failureReason":"Invalid request parameters: both tag and digest cannot be null"})");
}

TEST(ImageIdsTest, ImageIdJsonFromDigest) {
  auto d = *oci::Digest::parse(kDigest);
  EXPECT_EQ(json::serialize(image_id_json(d)), R"({"imageDigest":")" + kDigest + R"("})");
  EXPECT_EQ(json::serialize(image_id_json(d, "t")),
            R"({"imageDigest":")" + kDigest + R"(","imageTag":"t"})");
}

TEST(ImageIdsTest, DescribeImageIdAsEcrPrintsIt) {
  EXPECT_EQ(describe_image_id(id_of(std::nullopt, "latest")),
            "{imageDigest:'null', imageTag:'latest'}");
  EXPECT_EQ(describe_image_id(id_of("sha256:ab", std::nullopt)),
            "{imageDigest:'sha256:ab', imageTag:'null'}");
}

TEST(ImageIdsTest, StringMember) {
  json::object o = json::parse(R"({"a":"x","b":1})").as_object();
  EXPECT_EQ(string_member(o, "a"), "x");
  EXPECT_FALSE(string_member(o, "b"));
  EXPECT_FALSE(string_member(o, "c"));
}

}  // namespace
}  // namespace berth::api::ecr
