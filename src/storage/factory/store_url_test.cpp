#include "storage/factory/store_url.hpp"

#include <gtest/gtest.h>

namespace berth::storage::factory {
namespace {

TEST(StoreUrl, SchemesLocationsAndParameters) {
  auto s3 = parse_store_url(
      "s3://bucket/some/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A7480&region=us-east-1&path-style=true");
  ASSERT_TRUE(s3.has_value()) << s3.error().message;
  EXPECT_EQ(s3->scheme, "s3");
  EXPECT_EQ(s3->location, "bucket/some/prefix");
  EXPECT_EQ(s3->params.at("endpoint"), "http://127.0.0.1:7480");
  EXPECT_EQ(s3->params.at("path-style"), "true");

  auto file = parse_store_url("file:///srv/berth");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->location, "/srv/berth");
  auto relative = parse_store_url("FILE://./data");
  ASSERT_TRUE(relative.has_value());
  EXPECT_EQ(relative->scheme, "file");
  EXPECT_EQ(relative->location, "./data");
}

TEST(StoreUrl, MalformedUrlsAreRefusedWithAReason) {
  for (const char* text : {"/srv/berth", "://x", "file://", "s3://b?x=1&x=2", "s3://b?=v",
                           "s3://b?endpoint=%zz"}) {
    auto url = parse_store_url(text);
    ASSERT_FALSE(url.has_value()) << text;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument) << text;
    EXPECT_FALSE(url.error().message.empty()) << text;
  }
}

TEST(StoreUrl, PasswordsNeverReachMessages) {
  EXPECT_EQ(redact_url("postgresql://berth:s3cret@db:5432/berth"),
            "postgresql://berth:***@db:5432/berth");
  EXPECT_EQ(redact_url("postgresql://berth@db/berth"), "postgresql://berth@db/berth");
  EXPECT_EQ(redact_url("sqlite:///a:b@c"), "sqlite:///a:b@c");  // a path, not a user
  auto bad = parse_store_url("postgresql://u:s3cret@");
  ASSERT_TRUE(bad.has_value());  // a location is there; libpq judges the rest
  auto none = parse_store_url("s3cret");
  ASSERT_FALSE(none.has_value());
}

}  // namespace
}  // namespace berth::storage::factory
