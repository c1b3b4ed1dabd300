#include "app/config_file.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace berth::app {

namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

std::string normalise_key(std::string_view key) {
  std::string out(key);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::unexpected<Error> line_error(int line, std::string what) {
  return fail(ErrorCode::kInvalidArgument, "line " + std::to_string(line) + ": " + what);
}

// A "basic" TOML string starting at text[0] == '"'; sets `rest` to what
// follows the closing quote.
Result<std::string> basic_string(std::string_view text, std::string_view& rest, int line) {
  std::string out;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      rest = text.substr(i + 1);
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == text.size()) break;
    switch (text[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      default:
        return line_error(line, std::string("unsupported escape \\") + text[i] + " in a string");
    }
  }
  return line_error(line, "string is not closed on this line");
}

// A 'literal' TOML string (no escapes).
Result<std::string> literal_string(std::string_view text, std::string_view& rest, int line) {
  const auto close = text.find('\'', 1);
  if (close == std::string_view::npos) return line_error(line, "string is not closed on this line");
  rest = text.substr(close + 1);
  return std::string(text.substr(1, close - 1));
}

// What follows a value: nothing, or a comment.
Status only_comment(std::string_view rest, int line) {
  rest = trim(rest);
  if (rest.empty() || rest.front() == '#' || rest.front() == ';') return ok();
  return line_error(line, "unexpected text after the value: " + std::string(rest));
}

Result<std::string> parse_value(std::string_view text, int line) {
  std::string_view rest;
  if (text.empty()) return line_error(line, "a value is missing after '='");
  if (text.front() == '"') {
    if (text.starts_with("\"\"\"")) return line_error(line, "multi-line strings are not supported");
    std::string value = BERTH_TRY(basic_string(text, rest, line));
    BERTH_TRY_STATUS(only_comment(rest, line));
    return value;
  }
  if (text.front() == '\'') {
    std::string value = BERTH_TRY(literal_string(text, rest, line));
    BERTH_TRY_STATUS(only_comment(rest, line));
    return value;
  }
  if (text.front() == '[' || text.front() == '{') {
    return line_error(line, "arrays and tables are not settings berth has");
  }
  // A number, a boolean, or (INI style) a bare word up to a comment.
  const auto comment = text.find_first_of("#;");
  return std::string(trim(text.substr(0, comment)));
}

}  // namespace

Result<std::vector<ConfigEntry>> parse_config_text(std::string_view text) {
  std::vector<ConfigEntry> entries;
  std::string section;
  int line_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    const std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      if (close == std::string_view::npos || line.starts_with("[[")) {
        return line_error(line_number, "malformed section header " + std::string(line));
      }
      BERTH_TRY_STATUS(only_comment(line.substr(close + 1), line_number));
      const std::string_view name = trim(line.substr(1, close - 1));
      if (name.empty() || !std::all_of(name.begin(), name.end(), is_bare_key_char)) {
        return line_error(line_number, "malformed section name " + std::string(line));
      }
      section = std::string(name);
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return line_error(line_number, "expected key = value, got " + std::string(line));
    }
    std::string_view key = trim(line.substr(0, eq));
    if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') &&
        key.back() == key.front()) {
      key = key.substr(1, key.size() - 2);
    }
    if (key.empty() || !std::all_of(key.begin(), key.end(), is_bare_key_char)) {
      return line_error(line_number, "malformed key '" + std::string(key) + "'");
    }
    ConfigEntry entry;
    entry.section = section;
    entry.key = normalise_key(key);
    entry.value = BERTH_TRY(parse_value(trim(line.substr(eq + 1)), line_number));
    entry.line = line_number;
    const bool duplicate = std::any_of(entries.begin(), entries.end(), [&](const ConfigEntry& e) {
      return e.section == entry.section && e.key == entry.key;
    });
    if (duplicate) return line_error(line_number, "'" + entry.key + "' is set twice");
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::vector<ConfigEntry>> read_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kInvalidArgument,
                "config file " + path.string() + " cannot be read (missing or not readable)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto entries = parse_config_text(text.str());
  if (!entries) {
    return fail(ErrorCode::kInvalidArgument,
                "config file " + path.string() + ": " + entries.error().message);
  }
  return entries;
}

}  // namespace berth::app
