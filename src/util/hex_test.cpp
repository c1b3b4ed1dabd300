#include "util/hex.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Hex, EncodesLowercase) {
  EXPECT_EQ(to_hex(""), "");
  EXPECT_EQ(to_hex("abc"), "616263");
  EXPECT_EQ(to_hex(std::string("\x00\x0f\xab\xff", 4)), "000fabff");
}

TEST(Hex, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto hex = to_hex(all);
  ASSERT_EQ(hex.size(), 512u);
  auto back = from_hex(hex);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, all);
}

TEST(Hex, DecodesEitherCase) {
  auto lower = from_hex("deadbeef");
  auto upper = from_hex("DEADBEEF");
  ASSERT_TRUE(lower.has_value());
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(*lower, std::string("\xde\xad\xbe\xef", 4));
  EXPECT_EQ(*upper, *lower);
  auto empty = from_hex("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
}

TEST(Hex, RejectsOddLength) {
  auto r = from_hex("abc");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Hex, RejectsNonHexCharacters) {
  using namespace std::string_view_literals;
  for (std::string_view bad : {"zz"sv, "0g"sv, "g0"sv, "12 4"sv, "0x"sv, "--"sv, "\0\0"sv}) {
    auto r = from_hex(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  auto r = from_hex("00ag");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("offset 3"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace berth
