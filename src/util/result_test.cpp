#include "util/result.hpp"

#include <set>

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(ErrorCode, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (ErrorCode code : kAllErrorCodes) {
    auto name = to_string(code);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

Result<int> half(int x) {
  if (x % 2 != 0) return fail(ErrorCode::kInvalidArgument, "odd", std::to_string(x));
  return x / 2;
}

Result<int> quarter(int x) {
  int h = BERTH_TRY(half(x));
  return BERTH_TRY(half(h));
}

TEST(Result, TryPropagatesTheFirstError) {
  auto ok_value = quarter(8);
  ASSERT_TRUE(ok_value.has_value());
  EXPECT_EQ(*ok_value, 2);
  auto err = quarter(6);
  ASSERT_FALSE(err.has_value());
  EXPECT_EQ(err.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(err.error().detail, "3");
}

}  // namespace
}  // namespace berth
