// Registry passwords for `docker login -u AWS` (ECR GetAuthorizationToken,
// ecr-semantics.md 3.4). A password is a self-contained, HMAC-signed claim
// "this access key, which is this principal of this account, for the
// registry of that account in this region, until this instant":
//
//   password = base64url(payload) "." base64url(HMAC-SHA256(K, payload))
//   K        = HMAC-SHA256(server_secret, "berth/ecr-token/v1")
//   payload  = "2" then, each as <decimal length> ":" <bytes>, the fields
//              expires_at_ms, access_key_id, account_id (the registry's),
//              region, caller_account_id, principal
//
// The length-prefixed fields make the encoding unambiguous whatever bytes
// a field holds, and the leading digit versions it. Version "1" passwords
// (no caller fields, issued before identities) still verify, as the
// registry account's root, until they expire. /v2/ decides every request
// for the principal the password names, as the ECR API does for the key. Any berth process holding
// the same server secret verifies any other's passwords, so nothing is
// stored. GetAuthorizationToken returns authorization_token(password) =
// base64("AWS:" + password); docker then sends `Authorization: Basic
// base64("AWS:" + password)` to /v2/, which parse_basic_authorization reads.
//
// Failures are kUnauthenticated with detail "InvalidToken" (garbage,
// tampered, wrong secret) or "ExpiredToken".
//
// Thread-safety: an EcrTokenSigner is immutable after construction; all
// members may be called concurrently. Free functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::auth {

struct TokenClaims {
  std::string access_key_id;
  std::string account_id;  // the registry's account (GetAuthorizationToken's registryIds)
  std::string region;
  std::int64_t expires_at_ms = 0;
  // Who the password was issued to; "" in issue() means account_id / root.
  std::string caller_account_id;
  std::string principal;
};

// ECR's documented validity for an authorization token: 12 hours.
inline constexpr std::int64_t kEcrTokenLifetimeMs = 12LL * 60 * 60 * 1000;

class EcrTokenSigner {
 public:
  // REQUIRES: server_secret has at least 16 bytes (a startup error
  // otherwise: throws std::invalid_argument).
  explicit EcrTokenSigner(std::string server_secret);

  std::string issue(const TokenClaims& claims) const;

  // The claims of `password` if it was issued with this secret and
  // now_ms < expires_at_ms. The MAC is checked (constant time) before the
  // payload is parsed.
  Result<TokenClaims> verify(std::string_view password, std::int64_t now_ms) const;

 private:
  std::string key_;  // derived MAC key, never the server secret itself
};

// base64("AWS:" + password): GetAuthorizationToken's authorizationToken.
std::string authorization_token(std::string_view password);

struct BasicCredentials {
  std::string user;
  std::string password;
};

// Parses an HTTP `Authorization: Basic <base64(user ":" password)>` value
// (RFC 7617; scheme case-insensitive). The user is everything before the
// first ':'. kUnauthenticated, detail "InvalidToken", for another scheme,
// bad base64 or a missing ':'.
Result<BasicCredentials> parse_basic_authorization(std::string_view header_value);

}  // namespace berth::auth
