#include "http/concurrency_limit.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace berth::http {
namespace {

TEST(ConcurrencyLimit, HandsOutAtMostMaxPermits) {
  ConcurrencyLimit limit(2);
  auto a = limit.try_acquire();
  auto b = limit.try_acquire();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(limit.try_acquire());
  EXPECT_EQ(limit.in_use(), 2u);
  a.reset();
  EXPECT_EQ(limit.in_use(), 1u);
  auto c = limit.try_acquire();
  EXPECT_TRUE(c);
}

TEST(ConcurrencyLimit, MovedPermitReleasesOnce) {
  ConcurrencyLimit limit(1);
  {
    auto a = limit.try_acquire();
    ASSERT_TRUE(a);
    ConcurrencyLimit::Permit moved = std::move(*a);
    a.reset();
    EXPECT_EQ(limit.in_use(), 1u);
  }
  EXPECT_EQ(limit.in_use(), 0u);
  ConcurrencyLimit::Permit empty;  // holds nothing
  EXPECT_EQ(limit.in_use(), 0u);
}

TEST(ConcurrencyLimit, ConcurrentAcquireNeverExceedsMax) {
  ConcurrencyLimit limit(3);
  std::atomic<int> peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (auto p = limit.try_acquire()) {
          const int now = static_cast<int>(limit.in_use());
          int seen = peak.load();
          while (now > seen && !peak.compare_exchange_weak(seen, now)) {
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 3);
  EXPECT_EQ(limit.in_use(), 0u);
}

}  // namespace
}  // namespace berth::http
