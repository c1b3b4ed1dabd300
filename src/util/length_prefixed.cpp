#include "util/length_prefixed.hpp"

#include <charconv>

namespace berth {

namespace {
// Tokens are a few KiB at most: five digits bound a field to < 100,000 bytes.
constexpr std::size_t kMaxLengthDigits = 5;
}  // namespace

void append_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out.push_back(':');
  out.append(field);
}

bool take_field(std::string_view& in, std::string_view& field) {
  const std::size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > kMaxLengthDigits) return false;
  std::size_t len = 0;
  auto [ptr, ec] = std::from_chars(in.data(), in.data() + colon, len);
  if (ec != std::errc() || ptr != in.data() + colon || in.size() - colon - 1 < len) return false;
  field = in.substr(colon + 1, len);
  in.remove_prefix(colon + 1 + len);
  return true;
}

}  // namespace berth
