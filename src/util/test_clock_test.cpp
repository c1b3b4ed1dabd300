#include "util/test_clock.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "util/time.hpp"

namespace berth {
namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// One test: installing is process-wide and cannot be undone, and the unit
// test binary runs every other test in the same process; the clock file is
// removed at the end, which gives the system clock back.
TEST(TestClock, StandsWhereTheFileSaysAndFallsBackToTheSystemClock) {
  EXPECT_FALSE(install_test_clock(""));
  const auto path = std::filesystem::temp_directory_path() /
                    ("berth-test-clock-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  ASSERT_TRUE(install_test_clock(path));

  EXPECT_EQ(test_clock_now_ms(), std::nullopt);  // no file yet: the system clock
  const std::int64_t before = system_now_ms();
  EXPECT_GE(now_ms(), before);

  write(path, "1767225600000\n");
  EXPECT_EQ(now_ms(), 1767225600000);
  EXPECT_EQ(now_ms(), 1767225600000);  // it stands still
  EXPECT_GE(system_now_ms(), before);  // the system clock does not

  write(path, "1767312000000");
  EXPECT_EQ(now_ms(), 1767312000000);
  write(path, "garbage");
  EXPECT_EQ(now_ms(), 1767312000000);  // keeps the last instant read

  write(path, "");
  EXPECT_GE(now_ms(), before);
  std::filesystem::remove(path);
  EXPECT_GE(now_ms(), before);
  EXPECT_EQ(test_clock_now_ms(), std::nullopt);
}

}  // namespace
}  // namespace berth
