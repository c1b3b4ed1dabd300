// Small helpers shared by berth's fuzz targets: viewing the input as text,
// splitting it into lines, and FUZZ_CHECK, which turns a broken invariant
// into a crash libFuzzer records (abort() is a "deadly signal" to it, so the
// input is saved as a crash-* artifact like any sanitizer report).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#define FUZZ_CHECK(cond, what)                                                                 \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   what);                                                                      \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

// FUZZ_CHECK_OPEN: like FUZZ_CHECK, for an invariant whose violation is a
// reported, not yet fixed bug. When `id` is listed in fuzz/regressions/OPEN
// (fuzz/run.sh passes the list in BERTH_FUZZ_OPEN) the violation is printed
// once and the input skipped, so CI keeps finding new bugs meanwhile; once
// the line is removed, it is fatal again. Evaluates to true when the
// invariant holds.
#define FUZZ_CHECK_OPEN(id, cond, what)                                                            \
  ([&]() -> bool {                                                                                 \
    if (cond) return true;                                                                         \
    if (berth::fuzz::finding_is_open(id)) {                                                        \
      static bool reported = false;                                                                \
      if (!reported) std::fprintf(stderr, "FUZZ known open finding %s: %s\n", id, what);           \
      reported = true;                                                                             \
      return false;                                                                                \
    }                                                                                              \
    std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s) [finding %s]\n", __FILE__, __LINE__, \
                 #cond, what, id);                                                                 \
    std::abort();                                                                                  \
  }())

namespace berth::fuzz {

inline bool finding_is_open(std::string_view id) {
  static const std::string open = [] {
    const char *env = std::getenv("BERTH_FUZZ_OPEN");
    return " " + std::string(env ? env : "") + " ";
  }();
  std::string needle = " " + std::string(id) + " ";
  return open.find(needle) != std::string::npos;
}

inline std::string_view as_text(const std::uint8_t *data, std::size_t size) {
  return {reinterpret_cast<const char *>(data), size};
}

// {text before the first '\n', text after it}; {text, ""} without a '\n'.
inline std::pair<std::string_view, std::string_view> split_first_line(std::string_view text) {
  std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return {text, {}};
  return {text.substr(0, nl), text.substr(nl + 1)};
}

// The '\n'-separated lines of `text`, a trailing '\r' dropped from each.
inline std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto [line, rest] = split_first_line(text);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    text = rest;
  }
  return out;
}

inline bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace berth::fuzz
