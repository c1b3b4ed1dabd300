#include "api/ecr/pagination.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "util/base64.hpp"

namespace berth::api::ecr {
namespace {

PageCursor sample() {
  return PageCursor{"ListImages", "123456789012:us-east-1/team/app",
                    "sha256:" + std::string(64, 'c'), "v1.2"};
}

TEST(EcrPaginationTest, RoundTrip) {
  const std::string token = encode_next_token(sample());
  // base64url without padding: safe in JSON and URLs alike.
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos);
  auto cursor = decode_next_token(token, "ListImages", sample().scope);
  ASSERT_TRUE(cursor) << cursor.error().message;
  EXPECT_EQ(cursor->operation, "ListImages");
  EXPECT_EQ(cursor->scope, sample().scope);
  EXPECT_EQ(cursor->after, sample().after);
  EXPECT_EQ(cursor->after_tag, "v1.2");
}

TEST(EcrPaginationTest, EmptyFieldsRoundTrip) {
  PageCursor c{"DescribeImages", "s", "", ""};
  auto cursor = decode_next_token(encode_next_token(c), "DescribeImages", "s");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->after, "");
  EXPECT_EQ(cursor->after_tag, "");
}

TEST(EcrPaginationTest, TokensAreBoundToOperationAndScope) {
  const std::string token = encode_next_token(sample());
  auto other_op = decode_next_token(token, "DescribeImages", sample().scope);
  ASSERT_FALSE(other_op);
  EXPECT_EQ(other_op.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(decode_next_token(token, "ListImages", "123456789012:us-east-1/other"));
}

TEST(EcrPaginationTest, EveryAlteredByteIsRejected) {
  const std::string token = encode_next_token(sample());
  const std::string raw = *base64url_decode(token);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string altered = raw;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    auto r = decode_next_token(base64url_encode(altered), "ListImages", sample().scope);
    ASSERT_FALSE(r) << "byte " << i;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("nextToken"), std::string::npos);
  }
}

TEST(EcrPaginationTest, GarbageIsRejected) {
  const std::string token = encode_next_token(sample());
  for (std::string bad : {std::string(""), std::string("!!!"), std::string("AAAA"),
                          token.substr(0, token.size() - 3), token + "AA",
                          std::string(5000, 'A')}) {
    auto r = decode_next_token(bad, "ListImages", sample().scope);
    EXPECT_FALSE(r) << bad.substr(0, 40);
  }
  // Another version byte.
  std::string raw = *base64url_decode(token);
  raw[0] = 2;
  EXPECT_FALSE(decode_next_token(base64url_encode(raw), "ListImages", sample().scope));
}

TEST(EcrPaginationTest, MaxResults) {
  EXPECT_EQ(max_results(boost::json::object{}), 100u);
  EXPECT_EQ(max_results(boost::json::parse(R"({"maxResults":7})").as_object()), 7u);
  EXPECT_EQ(max_results(boost::json::parse(R"({"maxResults":1000})").as_object()), 1000u);
  EXPECT_EQ(max_results(boost::json::parse(R"({"maxResults":5000})").as_object()), 1000u);
}

}  // namespace
}  // namespace berth::api::ecr
