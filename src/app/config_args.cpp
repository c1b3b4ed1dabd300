#include "app/config_args.hpp"

#include <algorithm>
#include <functional>

namespace berth::app {

namespace {

// Edit distance, for "did you mean" on a misspelled key.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view key, const std::vector<const CommandOptions*>& scope) {
  std::string best;
  std::size_t best_distance = 3;  // at most two edits away
  for (const CommandOptions* command : scope) {
    for (const auto& [name, env] : command->options) {
      const std::size_t d = distance(key, name);
      if (d < best_distance) {
        best_distance = d;
        best = name;
      }
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

bool given_as_flag(const std::vector<std::string>& args, std::string_view name) {
  const std::string flag = "--" + std::string(name);
  const std::string negated = "--no-" + std::string(name);
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return a == flag || a.starts_with(flag + "=") || a == negated;
  });
}

}  // namespace

Result<CommandLine> take_config_option(std::vector<std::string> args) {
  CommandLine out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::optional<std::string> value;
    if (a == "--config") {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        return fail(ErrorCode::kInvalidArgument, "--config needs a file name");
      }
      value = args[++i];
    } else if (a.starts_with("--config=")) {
      value = a.substr(9);
      if (value->empty()) return fail(ErrorCode::kInvalidArgument, "--config needs a file name");
    } else {
      out.args.push_back(a);
      continue;
    }
    if (out.config) return fail(ErrorCode::kInvalidArgument, "--config is given twice");
    out.config = std::move(value);
  }
  return out;
}

std::string command_word(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") break;
    if (!a.empty() && a.front() != '-') return a;
  }
  return {};
}

Result<std::vector<std::string>> apply_config(
    const std::vector<std::string>& args, const std::vector<ConfigEntry>& entries,
    const std::string& file, const std::string& command,
    const std::vector<CommandOptions>& commands,
    const std::function<const char*(const char*)>& getenv) {
  auto find_command = [&](std::string_view name) -> const CommandOptions* {
    for (const CommandOptions& c : commands) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };
  std::vector<const CommandOptions*> all;
  for (const CommandOptions& c : commands) all.push_back(&c);
  const CommandOptions* current = find_command(command);

  std::vector<std::string> extra;
  for (const ConfigEntry& entry : entries) {
    const std::string where = "config file " + file + ", line " + std::to_string(entry.line);
    std::vector<const CommandOptions*> scope = all;
    if (!entry.section.empty()) {
      const CommandOptions* section = find_command(entry.section);
      if (section == nullptr) {
        return fail(ErrorCode::kInvalidArgument,
                    where + ": section [" + entry.section + "] names no berth command");
      }
      scope = {section};
    }
    const bool known = std::any_of(scope.begin(), scope.end(), [&](const CommandOptions* c) {
      return c->options.contains(entry.key);
    });
    if (!known) {
      const std::string of = entry.section.empty() ? "any berth command"
                                                   : "'berth " + entry.section + "'";
      return fail(ErrorCode::kInvalidArgument, where + ": unknown key '" + entry.key +
                                                   "': not an option of " + of +
                                                   suggestion(entry.key, scope));
    }
    if (current == nullptr || !current->options.contains(entry.key)) continue;
    if (!entry.section.empty() && entry.section != command) continue;
    if (given_as_flag(args, entry.key)) continue;
    const std::string& env = current->options.at(entry.key);
    if (!env.empty()) {
      const char* set = getenv(env.c_str());
      if (set != nullptr && *set != '\0') continue;
    }
    if (current->is_flag.contains(entry.key) && current->is_flag.at(entry.key) &&
        entry.value != "true" && entry.value != "false") {
      return fail(ErrorCode::kInvalidArgument,
                  where + ": '" + entry.key + "' is a switch: give true or false");
    }
    extra.push_back("--" + entry.key + "=" + entry.value);
  }

  // The settings go right after the command's name, so they belong to it.
  std::vector<std::string> out;
  bool inserted = false;
  for (const std::string& a : args) {
    out.push_back(a);
    if (!inserted && a == command) {
      out.insert(out.end(), extra.begin(), extra.end());
      inserted = true;
    }
  }
  return out;
}

}  // namespace berth::app
