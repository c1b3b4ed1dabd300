// Applying a --config file to a command line, with berth's precedence:
// flags win over BERTH_* environment variables, which win over the file.
//
// CLI11 (2.1 in Debian 12) reads config files only for the app they are set
// on, applies them before the environment, and ignores unknown keys; so
// berth reads the file itself (config_file.hpp) and turns each entry that
// neither a flag nor an environment variable already sets into a
// `--key=value` argument right after the command's name. --config itself
// may stand before or after the command (`berth --config f serve`,
// `berth serve --config f`), or come from BERTH_CONFIG.
//
// Thread-safety: pure functions over values.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/config_file.hpp"
#include "util/result.hpp"

namespace berth::app {

// One command's long option names (without dashes) and, per name, the
// environment variable that also sets it ("" when none).
struct CommandOptions {
  std::string name;                                // "serve"
  std::map<std::string, std::string> options;      // "listen" -> "BERTH_LISTEN"
  std::map<std::string, bool> is_flag;             // "access-log" -> true
};

struct CommandLine {
  std::vector<std::string> args;        // argv without --config, then with the file's settings
  std::optional<std::string> config;    // the file, when one was given
};

// Takes --config FILE / --config=FILE out of `args` (argv[1..]).
// kInvalidArgument when --config has no value or is given twice.
Result<CommandLine> take_config_option(std::vector<std::string> args);

// The command a command line names: its first word that is not an option;
// "" when there is none.
std::string command_word(const std::vector<std::string>& args);

// Applies `entries` for the command `command` (one of `commands`):
// top-level keys and keys in a section named `command` become arguments
// unless a flag in `args` or a set environment variable (`getenv`) already
// gives the option. Refuses, naming the key, line and `file`, a key that
// is no option of any command (top level) or of its section's command, and
// a section that names no command.
Result<std::vector<std::string>> apply_config(
    const std::vector<std::string>& args, const std::vector<ConfigEntry>& entries,
    const std::string& file, const std::string& command,
    const std::vector<CommandOptions>& commands,
    const std::function<const char*(const char*)>& getenv);

}  // namespace berth::app
