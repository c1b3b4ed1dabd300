#include "crypto/ids.hpp"

#include "crypto/hasher.hpp"
#include "util/hex.hpp"

namespace berth::crypto {

namespace {

constexpr std::size_t kUuidLength = 36;

bool is_hyphen_position(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace

std::string new_uuid() {
  std::string bytes = random_bytes(16);
  // RFC 4122 section 4.4: version 4 in the high nibble of byte 6, variant
  // 10xx in the high bits of byte 8.
  bytes[6] = static_cast<char>((static_cast<unsigned char>(bytes[6]) & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((static_cast<unsigned char>(bytes[8]) & 0x3f) | 0x80);
  std::string hex = to_hex(bytes);
  std::string out;
  out.reserve(kUuidLength);
  out.append(hex, 0, 8).append("-");
  out.append(hex, 8, 4).append("-");
  out.append(hex, 12, 4).append("-");
  out.append(hex, 16, 4).append("-");
  out.append(hex, 20, 12);
  return out;
}

bool is_uuid(std::string_view text) {
  if (text.size() != kUuidLength) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_hyphen_position(i)) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace berth::crypto
