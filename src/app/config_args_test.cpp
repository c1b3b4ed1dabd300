#include "app/config_args.hpp"

#include <gtest/gtest.h>

#include <map>

namespace berth::app {
namespace {

std::vector<CommandOptions> commands() {
  CommandOptions serve{"serve",
                       {{"listen", "BERTH_LISTEN"},
                        {"data-dir", "BERTH_DATA_DIR"},
                        {"access-log", "BERTH_ACCESS_LOG"},
                        {"no-access-log", ""}},
                       {{"listen", false}, {"data-dir", false}, {"access-log", true},
                        {"no-access-log", true}}};
  CommandOptions fsck{"fsck", {{"data-dir", "BERTH_DATA_DIR"}, {"repair", ""}},
                      {{"data-dir", false}, {"repair", true}}};
  return {serve, fsck};
}

std::function<const char*(const char*)> env(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

Result<std::vector<std::string>> apply(std::vector<std::string> args, std::string_view text,
                                       std::map<std::string, std::string> vars = {}) {
  auto entries = parse_config_text(text);
  if (!entries) return std::unexpected(entries.error());
  return apply_config(args, *entries, "berth.toml", command_word(args), commands(), env(vars));
}

TEST(ConfigArgs, TakesConfigBeforeOrAfterTheCommand) {
  auto before = take_config_option({"--config", "f.toml", "serve", "--listen", "x"});
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->config, "f.toml");
  EXPECT_EQ(before->args, (std::vector<std::string>{"serve", "--listen", "x"}));
  auto after = take_config_option({"serve", "--config=f.toml"});
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->config, "f.toml");
  EXPECT_EQ(after->args, (std::vector<std::string>{"serve"}));
  EXPECT_FALSE(take_config_option({"serve", "--config"}).has_value());
  EXPECT_FALSE(take_config_option({"--config=a", "serve", "--config", "b"}).has_value());
}

TEST(ConfigArgs, TopLevelAndSectionKeysBecomeArgumentsOfTheCommand) {
  auto args = apply({"serve", "--log-level", "info"},
                    "listen = \"0.0.0.0:1\"\n[serve]\naccess-log = false\n[fsck]\nrepair = true\n");
  ASSERT_TRUE(args.has_value()) << args.error().message;
  EXPECT_EQ(*args, (std::vector<std::string>{"serve", "--listen=0.0.0.0:1", "--access-log=false",
                                              "--log-level", "info"}));
}

TEST(ConfigArgs, FlagsAndEnvironmentWinOverTheFile) {
  auto args = apply({"serve", "--listen=127.0.0.1:2", "--no-access-log"},
                    "listen = a\naccess-log = true\ndata-dir = d\n", {{"BERTH_DATA_DIR", "/env"}});
  ASSERT_TRUE(args.has_value()) << args.error().message;
  EXPECT_EQ(*args, (std::vector<std::string>{"serve", "--listen=127.0.0.1:2", "--no-access-log"}));
}

TEST(ConfigArgs, KeysOfOtherCommandsAreIgnoredNotRefused) {
  // One berth.toml for serve and fsck: `listen` means nothing to fsck.
  auto args = apply({"fsck"}, "listen = a\ndata-dir = d\n");
  ASSERT_TRUE(args.has_value()) << args.error().message;
  EXPECT_EQ(*args, (std::vector<std::string>{"fsck", "--data-dir=d"}));
}

TEST(ConfigArgs, UnknownKeysAndSectionsAreRefusedByName) {
  auto typo = apply({"serve"}, "# x\nlisen = a\n");
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().message.find("berth.toml, line 2"), std::string::npos);
  EXPECT_NE(typo.error().message.find("unknown key 'lisen'"), std::string::npos);
  EXPECT_NE(typo.error().message.find("did you mean 'listen'"), std::string::npos);

  auto wrong_section = apply({"serve"}, "[fsck]\nlisten = a\n");
  ASSERT_FALSE(wrong_section.has_value());
  EXPECT_NE(wrong_section.error().message.find("'berth fsck'"), std::string::npos);

  auto no_command = apply({"serve"}, "[server]\nlisten = a\n");
  ASSERT_FALSE(no_command.has_value());
  EXPECT_NE(no_command.error().message.find("[server]"), std::string::npos);

  auto not_bool = apply({"serve"}, "access-log = maybe\n");
  ASSERT_FALSE(not_bool.has_value());
  EXPECT_NE(not_bool.error().message.find("true or false"), std::string::npos);
}

TEST(ConfigArgs, CommandWordSkipsOptions) {
  EXPECT_EQ(command_word({"--help"}), "");
  EXPECT_EQ(command_word({"-h", "serve"}), "serve");
}

}  // namespace
}  // namespace berth::app
