// ConfigFile: the settings file given with --config, read as the subset of
// TOML (and INI) that a flat list of settings needs:
//
//   # a comment
//   listen = "0.0.0.0:5000"        # top level: applies to every command that has the key
//   max-concurrent-uploads = 512   # numbers, true/false, "strings", 'literals', bare words
//   [serve]                        # a section named after a command: only that command
//   log-level = "debug"
//
// Keys are named like the long flags without the dashes; `data_dir` and
// `data-dir` are the same key. Arrays, inline tables and multi-line strings
// are not settings berth has, and are refused with the line they are on.
//
// Which keys exist is not this file's business: cli.cpp checks every entry
// against the commands' flags and refuses unknown keys by name.
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace berth::app {

struct ConfigEntry {
  std::string section;  // "" at the top level
  std::string key;      // normalised: '_' becomes '-'
  std::string value;    // unquoted; "true"/"false" for booleans
  int line = 0;
};

// The entries of `text` in file order; kInvalidArgument naming the line for
// anything that is not a section header, a key = value line, a comment or
// blank, and for a key set twice in one section.
Result<std::vector<ConfigEntry>> parse_config_text(std::string_view text);

// Reads and parses a file; errors name the file.
Result<std::vector<ConfigEntry>> read_config_file(const std::filesystem::path& path);

}  // namespace berth::app
