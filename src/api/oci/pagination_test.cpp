#include "api/oci/pagination.hpp"

#include <gtest/gtest.h>

namespace berth::api::oci {
namespace {

TEST(PaginationTest, Defaults) {
  Result<PageRequest> p = parse_page_request(std::nullopt, std::nullopt, 100);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->n, 100u);
  EXPECT_EQ(p->last, "");
}

TEST(PaginationTest, ExplicitAndCapped) {
  EXPECT_EQ(parse_page_request("5", "b", 100)->n, 5u);
  EXPECT_EQ(parse_page_request("5", "b", 100)->last, "b");
  EXPECT_EQ(parse_page_request("0", std::nullopt, 100)->n, 0u);
  EXPECT_EQ(parse_page_request("1000", std::nullopt, 100)->n, 100u);
  EXPECT_EQ(parse_page_request("999999999999999999999999", std::nullopt, 100)->n, 100u);
}

TEST(PaginationTest, Invalid) {
  for (const char* n : {"", "-1", "abc", "1.5", " 3"}) {
    Result<PageRequest> p = parse_page_request(n, std::nullopt, 100);
    ASSERT_FALSE(p.has_value()) << n;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(PaginationTest, PercentEncoding) {
  EXPECT_EQ(percent_encode_query_value("v1.0_rc-1~x"), "v1.0_rc-1~x");
  EXPECT_EQ(percent_encode_query_value("a/b c&d=e"), "a%2Fb%20c%26d%3De");
  EXPECT_EQ(percent_encode_query_value(std::string_view("\xff\x00", 2)), "%FF%00");
}

TEST(PaginationTest, Link) {
  EXPECT_EQ(next_page_link("/v2/a/b/tags/list", 2, "v2"),
            "</v2/a/b/tags/list?n=2&last=v2>; rel=\"next\"");
  EXPECT_EQ(next_page_link("/v2/_catalog", 10, "lib/alpine"),
            "</v2/_catalog?n=10&last=lib%2Falpine>; rel=\"next\"");
}

}  // namespace
}  // namespace berth::api::oci
