// The /v2/ authentication gate and registry selection: decides, before any
// OCI handler runs, whether a request may proceed and which registry (store
// namespace "<account_id>:<region>") it addresses.
//
// Authentication (when RegistryAuthSettings::required, i.e. --auth sigv4),
// as ECR's Docker endpoint does it (ecr-semantics.md 5):
//   - `Authorization: Basic base64("AWS:" + password)`, the password coming
//     from GetAuthorizationToken (auth::EcrTokenSigner; 12 h validity), or
//   - for a blob GET/HEAD only, a berth download token in the query,
//     `?X-Berth-Download=<token>`, as put in GetDownloadUrlForLayer URLs; it
//     is valid for exactly that registry, repository and digest until its
//     expiry.
// Anything else is refused with 401, `WWW-Authenticate: Basic
// realm="<public url>",service="ecr.amazonaws.com"` and the OCI error JSON
// (UNAUTHORIZED, or DENIED "Your authorization token has expired..." for
// an expired password). When authentication is off, credentials are not
// required, but valid ones still select the registry.
//
// Registry selection, first match wins:
//   1. a valid download token for this blob: the token's registry;
//   2. Host `<12 digits>.dkr.ecr.<region>.<anything>`: "<account>:<region>";
//   3. a valid registry password: the account and region it was issued to
//      (so `aws ecr get-login-password | docker login <berth>` pushes into
//      the caller's own registry, which the ECR API then sees);
//   4. the default registry.
// The password's identity (its principal, and the identity policy the
// credential store holds for its key) is what /v2/ requests are decided
// for (OciApi, access::AccessControl). Without policy enforcement
// (cross_account_by_policy false) a password opens only its own account's
// registries.
//
// Download tokens: base64url(payload) "." base64url(HMAC-SHA256(K, payload))
// with K = HMAC-SHA256(server_secret, "berth/download-token/v1") and payload
// "1" followed by the length-prefixed ("<len>:<bytes>") fields expires_at_ms,
// registry, repository, digest. The secret is the one registry passwords
// use, so any berth process sharing it verifies any other's tokens.
//
// Thread-safety: DownloadTokenSigner is immutable after construction; the
// free functions are pure apart from reading the clock when now_ms is unset.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/credentials.hpp"
#include "auth/ecr_token.hpp"
#include "auth/identity.hpp"
#include "http/message.hpp"
#include "util/result.hpp"

namespace berth::api::oci {

inline constexpr std::string_view kDownloadTokenParameter = "X-Berth-Download";

struct DownloadClaims {
  std::string registry_id;  // "<account>:<region>"
  std::string repository;
  std::string digest;  // "sha256:..."
  std::int64_t expires_at_ms = 0;
};

class DownloadTokenSigner {
 public:
  // REQUIRES: server_secret has at least 16 bytes (throws
  // std::invalid_argument otherwise: a startup error).
  explicit DownloadTokenSigner(std::string server_secret);

  std::string issue(const DownloadClaims& claims) const;
  // The claims when the token was issued with this secret and has not
  // expired. kUnauthenticated, detail "InvalidToken" or "ExpiredToken".
  Result<DownloadClaims> verify(std::string_view token, std::int64_t now_ms) const;

 private:
  std::string key_;  // derived MAC key, never the secret itself
};

// "/v2/<repository>/blobs/<digest>?X-Berth-Download=<token>": the
// request-target of a download URL (the token is URL-safe as it is).
std::string blob_download_target(std::string_view repository, std::string_view digest,
                                 std::string_view token);

// "<account>:<region>" when `host` (with or without ":port") is
// `<12 digits>.dkr.ecr.<region>.<anything>`, else default_registry_id.
std::string registry_for_host(std::string_view host, std::string_view default_registry_id);

struct RegistryAuthSettings {
  bool required = false;  // --auth sigv4
  std::string default_registry_id;
  std::string realm;  // the public URL, for WWW-Authenticate
  // REQUIRES: both set when `required`; when unset, passwords and download
  // tokens are ignored.
  std::shared_ptr<const auth::EcrTokenSigner> passwords;
  std::shared_ptr<const DownloadTokenSigner> downloads;
  // Where a password's identity policy is looked up (by its access key);
  // null: passwords carry no identity policy. A password whose key the
  // store no longer holds (outside development mode) is refused.
  std::shared_ptr<const auth::CredentialStore> credentials;
  // Policies decide cross-account access (an AccessControl runs after the
  // gate); when false the gate refuses another account's registry itself.
  bool cross_account_by_policy = false;
};

struct RegistryAccess {
  std::string registry_id;  // the registry this request addresses
  // The authenticated principal; empty when nothing authenticated.
  std::string access_key_id;
  std::string account_id;  // the account whose registry the password was issued for
  // Who the password was issued to (principal, account, identity policy).
  auth::Identity identity;
  bool authenticated = false;   // a valid password was presented
  bool download_token = false;  // admitted by a download token
};

// The gate. On refusal: kUnauthenticated with detail
// "MissingAuthenticationToken", "InvalidToken" or "ExpiredToken"; render it
// with registry_auth_failure_response.
Result<RegistryAccess> authorize_registry_request(const http::Request& request,
                                                  const RegistryAuthSettings& settings,
                                                  std::optional<std::int64_t> now_ms = {});

// 401 with WWW-Authenticate and the OCI error JSON for a gate refusal.
http::Response registry_auth_failure_response(const Error& error,
                                              const RegistryAuthSettings& settings);

}  // namespace berth::api::oci
