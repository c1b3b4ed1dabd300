#include "http/http_date.hpp"

#include <gtest/gtest.h>

namespace berth::http {
namespace {

TEST(HttpDate, FormatsImfFixdate) {
  char buf[29];
  EXPECT_EQ(format_http_date(784111777, buf), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(0, buf), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(1709251199, buf), "Thu, 29 Feb 2024 23:59:59 GMT");
}

TEST(HttpDate, NowHasFixedShape) {
  const auto now = http_date_now();
  ASSERT_EQ(now.size(), 29u);
  EXPECT_TRUE(now.ends_with(" GMT"));
  EXPECT_EQ(now[3], ',');
}

}  // namespace
}  // namespace berth::http
