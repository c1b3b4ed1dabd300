#include "app/config_file.hpp"

#include <gtest/gtest.h>

namespace berth::app {
namespace {

TEST(ConfigFile, ReadsTopLevelKeysSectionsAndValueKinds) {
  auto entries = parse_config_text(
      "# berth.toml\n"
      "listen = \"0.0.0.0:5000\"   # where\n"
      "data_dir = './data'\n"
      "max-concurrent-uploads = 512\n"
      "\n"
      "[serve]\n"
      "access-log = false\n"
      "log-level = debug ; INI style\n");
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 5u);
  EXPECT_EQ((*entries)[0].section, "");
  EXPECT_EQ((*entries)[0].key, "listen");
  EXPECT_EQ((*entries)[0].value, "0.0.0.0:5000");
  EXPECT_EQ((*entries)[0].line, 2);
  EXPECT_EQ((*entries)[1].key, "data-dir");  // '_' and '-' are one key
  EXPECT_EQ((*entries)[1].value, "./data");
  EXPECT_EQ((*entries)[2].value, "512");
  EXPECT_EQ((*entries)[3].section, "serve");
  EXPECT_EQ((*entries)[3].value, "false");
  EXPECT_EQ((*entries)[4].value, "debug");
}

TEST(ConfigFile, DecodesEscapesInBasicStrings) {
  auto entries = parse_config_text("public-url = \"http://a\\\\b \\\"q\\\"\"\n");
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  EXPECT_EQ((*entries)[0].value, "http://a\\b \"q\"");
}

TEST(ConfigFile, RefusesWhatIsNotASettingNamingTheLine) {
  for (const char* text : {"listen\n", "[serve\n", "x = [1, 2]\n", "x = {a = 1}\n",
                           "x = \"open\n", "x = \"a\" trailing\n", "bad key = 1\n",
                           "x = \"\"\"multi\n", "a = 1\na = 2\n", "[[array]]\n"}) {
    auto entries = parse_config_text(std::string("# first\n") + text);
    ASSERT_FALSE(entries.has_value()) << text;
    EXPECT_NE(entries.error().message.find("line "), std::string::npos) << text;
  }
}

TEST(ConfigFile, SameKeyInTwoSectionsIsFine) {
  auto entries = parse_config_text("data-dir = a\n[fsck]\ndata-dir = b\n");
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  EXPECT_EQ(entries->size(), 2u);
}

TEST(ConfigFile, MissingFileIsNamed) {
  auto entries = read_config_file("/nonexistent/berth.toml");
  ASSERT_FALSE(entries.has_value());
  EXPECT_NE(entries.error().message.find("/nonexistent/berth.toml"), std::string::npos);
}

}  // namespace
}  // namespace berth::app
