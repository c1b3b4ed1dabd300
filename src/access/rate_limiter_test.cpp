#include "access/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace berth::access {
namespace {

TEST(RateLimiter, OffByDefault) {
  RateLimiter off{RateLimit{}};
  EXPECT_FALSE(off.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(off.try_take("k", "pull", 0));
}

TEST(RateLimiter, BurstThenRefillPerKeyAndFamily) {
  RateLimiter limiter{RateLimit{2, 3}};
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.try_take("k", "pull", 1000)) << i;
  auto wait = limiter.try_take("k", "pull", 1000);
  ASSERT_TRUE(wait);
  EXPECT_DOUBLE_EQ(*wait, 0.5);
  // Another family and another key have buckets of their own.
  EXPECT_FALSE(limiter.try_take("k", "push", 1000));
  EXPECT_FALSE(limiter.try_take("other", "pull", 1000));
  // Half a second later one token is back.
  EXPECT_FALSE(limiter.try_take("k", "pull", 1500));
  EXPECT_TRUE(limiter.try_take("k", "pull", 1500));
  // Never more than the burst.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.try_take("k", "pull", 100000)) << i;
  EXPECT_TRUE(limiter.try_take("k", "pull", 100000));
}

TEST(RateLimiter, Families) {
  EXPECT_EQ(operation_family("ecr:BatchGetImage"), "pull");
  EXPECT_EQ(operation_family("ecr:DescribeImages"), "pull");
  EXPECT_EQ(operation_family("ecr:UploadLayerPart"), "push");
  EXPECT_EQ(operation_family("ecr:BatchDeleteImage"), "delete");
  EXPECT_EQ(operation_family("ecr:SetRepositoryPolicy"), "other");
}

}  // namespace
}  // namespace berth::access
