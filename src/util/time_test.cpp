#include "util/time.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace berth {
namespace {

// 2026-11-28T06:57:00Z, a Saturday.
constexpr std::int64_t kSample = 1795849020000;

TEST(Time, FormatsRfc3339) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(kSample), "2026-11-28T06:57:00Z");
  EXPECT_EQ(format_rfc3339(kSample + 999), "2026-11-28T06:57:00Z");  // truncates
  EXPECT_EQ(format_rfc3339(951782400000), "2000-02-29T00:00:00Z");   // leap day
  EXPECT_EQ(format_rfc3339(1704067199000), "2023-12-31T23:59:59Z");
}

TEST(Time, FormatsHttpDate) {
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(kSample), "Sat, 28 Nov 2026 06:57:00 GMT");
  // RFC 9110's own example.
  EXPECT_EQ(format_http_date(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(951782400000), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(Time, BeforeEpochFloorsToTheEarlierSecond) {
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST(Time, ClampsToFourDigitYears) {
  EXPECT_EQ(format_rfc3339(INT64_MAX), "9999-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(INT64_MIN), "0000-01-01T00:00:00Z");
}

TEST(Time, NowIsCloseToSystemClock) {
  using namespace std::chrono;
  auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto now = now_ms();
  auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
  EXPECT_GT(now, kSample - 365LL * 24 * 3600 * 1000 * 2);  // sanity: after 2024
}

}  // namespace
}  // namespace berth
