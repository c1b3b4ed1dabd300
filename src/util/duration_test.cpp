#include "util/duration.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

using std::chrono::milliseconds;

TEST(Duration, UnitsAndPlainSeconds) {
  EXPECT_EQ(parse_duration("90").value(), milliseconds(90'000));
  EXPECT_EQ(parse_duration("90s").value(), milliseconds(90'000));
  EXPECT_EQ(parse_duration("500ms").value(), milliseconds(500));
  EXPECT_EQ(parse_duration("15m").value(), milliseconds(900'000));
  EXPECT_EQ(parse_duration("24h").value(), milliseconds(86'400'000));
  EXPECT_EQ(parse_duration("7d").value(), milliseconds(604'800'000));
  EXPECT_EQ(parse_duration("0").value(), milliseconds(0));
}

TEST(Duration, RefusesWhatIsNotOne) {
  for (const char* text : {"", "h", "-5s", "5x", "1.5h", "5 s", "99999999999999999999d"}) {
    EXPECT_FALSE(parse_duration(text).has_value()) << text;
  }
}

TEST(Duration, FormatsTheShortestExactForm) {
  EXPECT_EQ(format_duration(milliseconds(86'400'000)), "1d");
  EXPECT_EQ(format_duration(milliseconds(90'000)), "90s");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(format_duration(milliseconds(0)), "0ms");
}

}  // namespace
}  // namespace berth
