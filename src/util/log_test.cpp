#include "util/log.hpp"

#include <regex>
#include <string>
#include <vector>

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

TEST_F(LogTest, JsonWritesOneObjectPerLineAndMergesOnlyStructuredLines) {
  ASSERT_TRUE(init_logging("info", LogFormat::kJson).has_value());
  ::testing::internal::CaptureStderr();
  log::info("pushed \"{}\"\n\tdone", "x");
  log::info("{}", R"({"msg":"request","status":200})");
  log::warn("{}", "{not json}");
  std::string out = ::testing::internal::GetCapturedStderr();
  std::regex time_level(R"(^\{"time":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z","level":")");
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(out.substr(start, end - start));
  }
  ASSERT_EQ(lines.size(), 3u) << out;
  for (const auto& line : lines) EXPECT_TRUE(std::regex_search(line, time_level)) << line;
  EXPECT_NE(lines[0].find(R"("level":"info","msg":"pushed \"x\"\n\tdone"})"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(R"("level":"info","msg":"request","status":200})"), std::string::npos)
      << lines[1];
  // Text that merely looks like an object is a message, never merged.
  EXPECT_NE(lines[2].find(R"("level":"warning","msg":"{not json}"})"), std::string::npos)
      << lines[2];
}

TEST_F(LogTest, OffSilencesEverything) {
  ASSERT_TRUE(init_logging("off").has_value());
  ::testing::internal::CaptureStderr();
  log::error("should not appear");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace berth
