#include "storage/factory/s3_store_url.hpp"

#include <gtest/gtest.h>

namespace berth::storage::factory {
namespace {

Result<blob::s3::S3Config> config_of(std::string_view text) {
  auto url = parse_store_url(text);
  if (!url) return std::unexpected(url.error());
  return s3_config_from_url(*url);
}

TEST(S3StoreUrl, CustomEndpointPathStyle) {
  auto config = config_of(
      "s3://berth-blobs/team/registry/?endpoint=http://127.0.0.1:7480&region=eu-west-1"
      "&path-style=true&ca-bundle=/etc/ca.pem");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->bucket, "berth-blobs");
  EXPECT_EQ(config->prefix, "team/registry");
  EXPECT_FALSE(config->endpoint.https);
  EXPECT_EQ(config->endpoint.host, "127.0.0.1");
  EXPECT_EQ(config->endpoint.port, 7480);
  EXPECT_EQ(config->region, "eu-west-1");
  EXPECT_TRUE(config->path_style);
  EXPECT_EQ(config->ca_bundle, "/etc/ca.pem");
}

TEST(S3StoreUrl, DefaultsToAwsVirtualHosted) {
  auto config = config_of("s3://my.bucket?region=ap-south-1");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->prefix, "");
  EXPECT_TRUE(config->endpoint.https);
  EXPECT_EQ(config->endpoint.host, "s3.ap-south-1.amazonaws.com");
  EXPECT_FALSE(config->path_style);
  auto plain = config_of("s3://bucket");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->region, "us-east-1");
  EXPECT_EQ(plain->endpoint.host, "s3.us-east-1.amazonaws.com");
}

TEST(S3StoreUrl, RefusesWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"s3://Bad_Bucket", "bucket name"},
      {"s3://ab", "bucket name"},
      {"s3://bucket/a//b", "prefix"},
      {"s3://bucket/../b", "prefix"},
      {"s3://bucket?endpoint=localhost:7480", "endpoint"},
      {"s3://bucket?path-style=yes", "path-style"},
      {"s3://bucket?region=US_EAST", "region"},
      {"s3://bucket?acl=public", "unknown parameter 'acl'"},
  };
  for (const auto& [text, why] : cases) {
    auto config = config_of(text);
    ASSERT_FALSE(config.has_value()) << text;
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument) << text;
    EXPECT_NE(config.error().message.find(why), std::string::npos)
        << text << ": " << config.error().message;
  }
}

}  // namespace
}  // namespace berth::storage::factory
