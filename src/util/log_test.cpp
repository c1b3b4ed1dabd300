#include "util/log.hpp"

#include <regex>

#include <gtest/gtest.h>

namespace berth {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { ASSERT_TRUE(init_logging("info").has_value()); }
};

TEST_F(LogTest, AcceptsTheDocumentedLevels) {
  struct Case {
    std::string_view name;
    spdlog::level::level_enum level;
  };
  for (auto c : {Case{"trace", spdlog::level::trace}, Case{"debug", spdlog::level::debug},
                 Case{"info", spdlog::level::info}, Case{"warn", spdlog::level::warn},
                 Case{"error", spdlog::level::err}, Case{"off", spdlog::level::off}}) {
    ASSERT_TRUE(init_logging(c.name).has_value()) << c.name;
    EXPECT_EQ(spdlog::default_logger()->level(), c.level) << c.name;
  }
}

TEST_F(LogTest, RejectsUnknownLevelsAndKeepsTheCurrentOne) {
  ASSERT_TRUE(init_logging("debug").has_value());
  for (std::string_view bad : {"", "INFO", "warning", "err", "critical", "verbose", "info "}) {
    auto s = init_logging(bad);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
}

TEST_F(LogTest, WritesTimestampedLinesToStderrAboveTheLevel) {
  ASSERT_TRUE(init_logging("info").has_value());
  ::testing::internal::CaptureStderr();
  log::debug("hidden {}", 1);
  log::info("pushed {} to {}", "sha256:abc", "library/busybox");
  log::warn("slow request {}", 42);
  std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("hidden"), std::string::npos) << out;
  std::regex info_line(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \[info\] pushed sha256:abc to library/busybox\n)");
  EXPECT_TRUE(std::regex_search(out, info_line)) << out;
  EXPECT_NE(out.find("[warning] slow request 42"), std::string::npos) << out;
}

TEST_F(LogTest, OffSilencesEverything) {
  ASSERT_TRUE(init_logging("off").has_value());
  ::testing::internal::CaptureStderr();
  log::error("should not appear");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace berth
