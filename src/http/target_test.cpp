#include "http/target.hpp"

#include <gtest/gtest.h>

#include "http/message.hpp"
#include "http/request_id.hpp"

namespace berth::http {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

TEST(Target, SplitsPathAndDecodesQueryAsForm) {
  auto parsed = parse_target("/v2/_catalog?n=10&last=a%2Fb&x=a+b");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->path, "/v2/_catalog");
  EXPECT_EQ(parsed->query, (Query{{"n", "10"}, {"last", "a/b"}, {"x", "a b"}}));
}

TEST(Target, PathKeepsPlusButDecodesEscapes) {
  auto parsed = parse_target("/v2/my%20repo/a+b/c%2Fd");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->path, "/v2/my repo/a+b/c/d");
  EXPECT_TRUE(parsed->query.empty());
}

TEST(Target, QueryEdgeCases) {
  auto parsed = parse_target("/p?&a&b=&=c&d=1=2&&");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->query, (Query{{"a", ""}, {"b", ""}, {"", "c"}, {"d", "1=2"}}));
  EXPECT_EQ(parse_target("/p?")->query.size(), 0u);
}

TEST(Target, AbsoluteAndAsteriskForms) {
  EXPECT_EQ(parse_target("http://example.com:5000/v2/?a=1")->path, "/v2/");
  EXPECT_EQ(parse_target("http://example.com")->path, "/");
  EXPECT_EQ(parse_target("*")->path, "*");
}

TEST(Target, RejectsMalformedTargets) {
  for (const char* bad : {"/a%zz", "/a%2", "/a%", "/a%00b", "relative/path", "/p?x=%g1"}) {
    auto parsed = parse_target(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(PercentDecode, PlusHandlingDependsOnMode) {
  EXPECT_EQ(percent_decode("a+b%2B", true).value(), "a b+");
  EXPECT_EQ(percent_decode("a+b%2B", false).value(), "a+b+");
  EXPECT_EQ(percent_decode("%e2%82%AC", false).value(), "\xe2\x82\xac");
}

TEST(Request, QueryParamAndHeaderLookups) {
  Request req;
  req.query = {{"n", "1"}, {"n", "2"}, {"last", ""}};
  req.headers.set("Content-Type", "application/json");
  EXPECT_EQ(req.query_param("n"), "1");
  EXPECT_EQ(req.query_param("last"), "");
  EXPECT_FALSE(req.query_param("missing").has_value());
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("X-Absent"), "");
}

TEST(RequestId, SixteenHexCharsAndDistinct) {
  const auto a = new_request_id();
  const auto b = new_request_id();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace berth::http
