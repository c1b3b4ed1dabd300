#include "util/base64.hpp"

#include <array>
#include <cstdint>

namespace berth {

namespace {

constexpr char kStdAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using DecodeTable = std::array<std::int8_t, 256>;

constexpr DecodeTable make_decode_table(const char* alphabet) {
  DecodeTable table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}

constexpr DecodeTable kStdDecode = make_decode_table(kStdAlphabet);
constexpr DecodeTable kUrlDecode = make_decode_table(kUrlAlphabet);

std::string encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = byte(i) << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

enum class Padding { kRequired, kOptional };

Result<std::string> decode(std::string_view text, const DecodeTable& table, Padding padding) {
  // Strip trailing '=' first so the body can be decoded uniformly; how many
  // there were is checked against the body length below.
  std::size_t pad_count = 0;
  while (pad_count < text.size() && pad_count < 3 && text[text.size() - 1 - pad_count] == '=') {
    ++pad_count;
  }
  std::string_view body = text.substr(0, text.size() - pad_count);
  std::size_t tail = body.size() % 4;  // characters in the final partial group
  if (tail == 1) {
    return fail(ErrorCode::kInvalidArgument, "base64 input has an impossible length",
                std::to_string(text.size()));
  }
  std::size_t expected_pad = tail == 0 ? 0 : 4 - tail;
  if (pad_count != 0 && pad_count != expected_pad) {
    return fail(ErrorCode::kInvalidArgument, "base64 input has wrong padding");
  }
  if (padding == Padding::kRequired && pad_count != expected_pad) {
    return fail(ErrorCode::kInvalidArgument, "base64 input is missing its '=' padding");
  }

  std::string out;
  out.reserve(body.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    int v = table[static_cast<unsigned char>(body[i])];
    if (v < 0) {
      return fail(ErrorCode::kInvalidArgument,
                  "invalid base64 character at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits belong to no byte; a canonical encoder leaves them zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(ErrorCode::kInvalidArgument, "base64 input has non-zero trailing bits");
  }
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, kStdAlphabet, true); }

Result<std::string> base64_decode(std::string_view text) {
  return decode(text, kStdDecode, Padding::kRequired);
}

std::string base64url_encode(std::string_view bytes) { return encode(bytes, kUrlAlphabet, false); }

Result<std::string> base64url_decode(std::string_view text) {
  return decode(text, kUrlDecode, Padding::kOptional);
}

}  // namespace berth
