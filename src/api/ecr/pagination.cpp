#include "api/ecr/pagination.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "crypto/hasher.hpp"
#include "util/base64.hpp"
#include "util/hex.hpp"

namespace berth::api::ecr {

namespace {

constexpr std::uint8_t kTokenVersion = 1;
constexpr std::size_t kChecksumBytes = 8;
// Four fields, each short (a digest, a tag, names): a bound keeps a hostile
// token from making us allocate.
constexpr std::size_t kMaxTokenLength = 4096;

void put_field(std::string& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(field);
}

// Reads one length-prefixed field at `pos`, advancing it.
std::optional<std::string> take_field(std::string_view in, std::size_t& pos) {
  if (in.size() - pos < 4) return std::nullopt;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<std::uint8_t>(in[pos + i]);
  pos += 4;
  if (in.size() - pos < n) return std::nullopt;
  std::string field(in.substr(pos, n));
  pos += n;
  return field;
}

std::string checksum(std::string_view body) {
  std::string hex = crypto::sha256_hex(body);
  auto raw = from_hex(std::string_view(hex).substr(0, kChecksumBytes * 2));
  return raw ? *raw : std::string();
}

std::unexpected<Error> invalid_token(std::string_view why) {
  return fail(ErrorCode::kInvalidArgument,
              "Invalid parameter at 'nextToken' failed to satisfy constraint: '" +
                  std::string(why) + "'",
              "InvalidParameterException");
}

}  // namespace

std::string encode_next_token(const PageCursor& cursor) {
  std::string body;
  body.push_back(static_cast<char>(kTokenVersion));
  put_field(body, cursor.operation);
  put_field(body, cursor.scope);
  put_field(body, cursor.after);
  put_field(body, cursor.after_tag);
  body += checksum(body);
  return base64url_encode(body);
}

Result<PageCursor> decode_next_token(std::string_view token, std::string_view operation,
                                     std::string_view scope) {
  if (token.empty() || token.size() > kMaxTokenLength) return invalid_token("invalid token");
  auto raw = base64url_decode(token);
  if (!raw) return invalid_token("invalid token");
  std::string_view bytes = *raw;
  if (bytes.size() < 1 + kChecksumBytes) return invalid_token("invalid token");
  if (static_cast<std::uint8_t>(bytes[0]) != kTokenVersion) {
    return invalid_token("unsupported token version");
  }
  std::string_view body = bytes.substr(0, bytes.size() - kChecksumBytes);
  if (checksum(body) != bytes.substr(body.size())) return invalid_token("invalid token");
  std::size_t pos = 1;
  PageCursor cursor;
  auto op = take_field(body, pos);
  auto sc = op ? take_field(body, pos) : std::nullopt;
  auto after = sc ? take_field(body, pos) : std::nullopt;
  auto after_tag = after ? take_field(body, pos) : std::nullopt;
  if (!after_tag || pos != body.size()) return invalid_token("invalid token");
  cursor.operation = std::move(*op);
  cursor.scope = std::move(*sc);
  cursor.after = std::move(*after);
  cursor.after_tag = std::move(*after_tag);
  if (cursor.operation != operation || cursor.scope != scope) {
    return invalid_token("token was issued for another request");
  }
  return cursor;
}

std::size_t max_results(const boost::json::object& input) {
  const boost::json::value* v = input.if_contains("maxResults");
  if (v == nullptr) return kDefaultMaxResults;
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    n = static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), kMaxMaxResults));
  } else if (v->is_double()) {
    n = static_cast<std::int64_t>(v->get_double());
  } else {
    return kDefaultMaxResults;
  }
  if (n < 1) return 1;
  return static_cast<std::size_t>(std::min<std::int64_t>(n, kMaxMaxResults));
}

}  // namespace berth::api::ecr
