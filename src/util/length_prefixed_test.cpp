#include "util/length_prefixed.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(LengthPrefixed, FieldsRoundTripWhateverBytesTheyHold) {
  std::string encoded;
  append_field(encoded, "a:b");
  append_field(encoded, "");
  append_field(encoded, std::string("\0\n", 2));
  EXPECT_EQ(encoded, std::string("3:a:b0:2:\0\n", 11));
  std::string_view in = encoded, field;
  ASSERT_TRUE(take_field(in, field));
  EXPECT_EQ(field, "a:b");
  ASSERT_TRUE(take_field(in, field));
  EXPECT_EQ(field, "");
  ASSERT_TRUE(take_field(in, field));
  EXPECT_EQ(field, std::string_view("\0\n", 2));
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(take_field(in, field));
}

TEST(LengthPrefixed, MalformedFrontsAreRefusedAndLeaveTheInputAlone) {
  for (std::string_view bad : {"", ":abc", "x:abc", "5:abc", "123456:a", "-1:a", "3abc"}) {
    std::string_view in = bad, field;
    EXPECT_FALSE(take_field(in, field)) << bad;
    EXPECT_EQ(in, bad);
  }
}

}  // namespace
}  // namespace berth
