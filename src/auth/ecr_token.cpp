#include "auth/ecr_token.hpp"

#include <charconv>
#include <stdexcept>

#include "auth/failure_kinds.hpp"
#include "crypto/hasher.hpp"
#include "util/base64.hpp"
#include "util/length_prefixed.hpp"

namespace berth::auth {

namespace {

constexpr std::string_view kKeyLabel = "berth/ecr-token/v1";
constexpr char kVersion = '2';
constexpr char kVersionWithoutCaller = '1';
constexpr std::size_t kMinSecretBytes = 16;
constexpr std::size_t kMaxPasswordLength = 4096;
constexpr std::size_t kMacBytes = 32;

std::unexpected<Error> invalid_token() {
  return fail(ErrorCode::kUnauthenticated, "the registry password is not valid",
              std::string(kInvalidToken));
}

bool parse_payload(std::string_view payload, TokenClaims& claims) {
  if (payload.empty() || (payload.front() != kVersion && payload.front() != kVersionWithoutCaller)) {
    return false;
  }
  const bool with_caller = payload.front() == kVersion;
  payload.remove_prefix(1);
  std::string_view expires, key, account, region;
  std::string_view caller_account = {}, principal = "root";
  if (!take_field(payload, expires) || !take_field(payload, key) || !take_field(payload, account) ||
      !take_field(payload, region)) {
    return false;
  }
  if (with_caller && (!take_field(payload, caller_account) || !take_field(payload, principal))) {
    return false;
  }
  if (!payload.empty()) return false;
  if (!with_caller) caller_account = account;
  std::int64_t ms = 0;
  auto [ptr, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), ms);
  if (ec != std::errc() || ptr != expires.data() + expires.size()) return false;
  claims.expires_at_ms = ms;
  claims.access_key_id = key;
  claims.account_id = account;
  claims.region = region;
  claims.caller_account_id = caller_account;
  claims.principal = principal;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

EcrTokenSigner::EcrTokenSigner(std::string server_secret) {
  if (server_secret.size() < kMinSecretBytes) {
    throw std::invalid_argument("ECR token server secret must have at least 16 bytes");
  }
  key_ = crypto::hmac_sha256(server_secret, kKeyLabel);
}

std::string EcrTokenSigner::issue(const TokenClaims& claims) const {
  std::string payload(1, kVersion);
  append_field(payload, std::to_string(claims.expires_at_ms));
  append_field(payload, claims.access_key_id);
  append_field(payload, claims.account_id);
  append_field(payload, claims.region);
  append_field(payload, claims.caller_account_id.empty() ? claims.account_id
                                                         : claims.caller_account_id);
  append_field(payload, claims.principal.empty() ? std::string_view("root") : claims.principal);
  return base64url_encode(payload) + "." + base64url_encode(crypto::hmac_sha256(key_, payload));
}

Result<TokenClaims> EcrTokenSigner::verify(std::string_view password, std::int64_t now_ms) const {
  if (password.size() > kMaxPasswordLength) return invalid_token();
  std::size_t dot = password.find('.');
  if (dot == std::string_view::npos) return invalid_token();
  auto payload = base64url_decode(password.substr(0, dot));
  auto mac = base64url_decode(password.substr(dot + 1));
  if (!payload || !mac || mac->size() != kMacBytes) return invalid_token();
  if (!crypto::constant_time_equal(crypto::hmac_sha256(key_, *payload), *mac)) {
    return invalid_token();
  }
  TokenClaims claims;
  if (!parse_payload(*payload, claims)) return invalid_token();
  if (now_ms >= claims.expires_at_ms) {
    return fail(ErrorCode::kUnauthenticated, "the registry password has expired",
                std::string(kExpiredToken));
  }
  return claims;
}

std::string authorization_token(std::string_view password) {
  std::string plain = "AWS:";
  plain.append(password);
  return base64_encode(plain);
}

Result<BasicCredentials> parse_basic_authorization(std::string_view header_value) {
  while (!header_value.empty() && (header_value.front() == ' ' || header_value.front() == '\t')) {
    header_value.remove_prefix(1);
  }
  while (!header_value.empty() && (header_value.back() == ' ' || header_value.back() == '\t')) {
    header_value.remove_suffix(1);
  }
  constexpr std::string_view kScheme = "basic";
  if (header_value.size() <= kScheme.size() ||
      !iequals(header_value.substr(0, kScheme.size()), kScheme) ||
      (header_value[kScheme.size()] != ' ' && header_value[kScheme.size()] != '\t')) {
    return fail(ErrorCode::kUnauthenticated, "Authorization is not of the Basic scheme",
                std::string(kInvalidToken));
  }
  std::string_view encoded = header_value.substr(kScheme.size());
  while (!encoded.empty() && (encoded.front() == ' ' || encoded.front() == '\t')) {
    encoded.remove_prefix(1);
  }
  auto decoded = base64_decode(encoded);
  if (!decoded) {
    return fail(ErrorCode::kUnauthenticated, "Basic credentials are not valid base64",
                std::string(kInvalidToken));
  }
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return fail(ErrorCode::kUnauthenticated, "Basic credentials lack the ':' separator",
                std::string(kInvalidToken));
  }
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

}  // namespace berth::auth
