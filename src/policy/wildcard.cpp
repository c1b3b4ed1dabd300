#include "policy/wildcard.hpp"

#include <cstddef>

namespace berth::policy {

namespace {

char fold(char c, bool ignore_case) {
  return ignore_case && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i], true) != fold(b[i], true)) return false;
  }
  return true;
}

bool wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case) {
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos;  // pattern index after the last '*'
  std::size_t star_text = 0;                  // text index that '*' consumed up to
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = ++p;
      star_text = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || fold(pattern[p], ignore_case) == fold(text[t], ignore_case))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      // Let the last '*' swallow one more character and retry from there.
      p = star;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace berth::policy
