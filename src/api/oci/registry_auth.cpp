#include "api/oci/registry_auth.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "api/oci/errors.hpp"
#include "api/oci/responses.hpp"
#include "auth/failure_kinds.hpp"
#include "crypto/hasher.hpp"
#include "util/base64.hpp"
#include "util/length_prefixed.hpp"
#include "util/time.hpp"

namespace berth::api::oci {

namespace {

constexpr std::string_view kKeyLabel = "berth/download-token/v1";
constexpr char kVersion = '1';
constexpr std::size_t kMinSecretBytes = 16;
constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::string_view kRegistryUser = "AWS";
constexpr std::string_view kExpiredMessage =
    "Your authorization token has expired. Reauthenticate and try again.";

std::unexpected<Error> refuse(std::string_view kind, std::string message) {
  return fail(ErrorCode::kUnauthenticated, std::move(message), std::string(kind));
}

bool parse_payload(std::string_view payload, DownloadClaims& claims) {
  if (payload.empty() || payload.front() != kVersion) return false;
  payload.remove_prefix(1);
  std::string_view expires, registry_id, repository, digest;
  if (!take_field(payload, expires) || !take_field(payload, registry_id) ||
      !take_field(payload, repository) || !take_field(payload, digest) || !payload.empty()) {
    return false;
  }
  claims.registry_id = registry_id;
  claims.repository = repository;
  claims.digest = digest;
  auto [ptr, ec] =
      std::from_chars(expires.data(), expires.data() + expires.size(), claims.expires_at_ms);
  return ec == std::errc() && ptr == expires.data() + expires.size();
}

bool is_region(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The repository and digest of a blob path "/v2/<name>/blobs/<digest>".
struct BlobPath {
  std::string_view repository;
  std::string_view digest;
};

std::optional<BlobPath> parse_blob_path(std::string_view path) {
  constexpr std::string_view kPrefix = "/v2/";
  constexpr std::string_view kBlobs = "/blobs/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  auto at = path.rfind(kBlobs);
  if (at == std::string_view::npos || at < kPrefix.size()) return std::nullopt;
  BlobPath out{path.substr(kPrefix.size(), at - kPrefix.size()), path.substr(at + kBlobs.size())};
  if (out.repository.empty() || out.digest.empty() ||
      out.digest.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return out;
}

// A download token admits exactly one blob, read-only.
Result<DownloadClaims> check_download_token(const http::Request& request,
                                            std::string_view token,
                                            const RegistryAuthSettings& settings,
                                            std::int64_t now) {
  if (!settings.downloads) return refuse(auth::kInvalidToken, "download tokens are not enabled");
  DownloadClaims claims = BERTH_TRY(settings.downloads->verify(token, now));
  using Verb = http::beast_http::verb;
  auto blob = parse_blob_path(request.path);
  if ((request.method != Verb::get && request.method != Verb::head) || !blob ||
      blob->repository != claims.repository || blob->digest != claims.digest) {
    return refuse(auth::kInvalidToken, "the download token is not valid for this request");
  }
  return claims;
}

Result<auth::TokenClaims> check_password(std::string_view authorization,
                                         const RegistryAuthSettings& settings,
                                         std::int64_t now) {
  if (!settings.passwords) return refuse(auth::kInvalidToken, "registry passwords are not enabled");
  auth::BasicCredentials basic = BERTH_TRY(auth::parse_basic_authorization(authorization));
  if (basic.user != kRegistryUser) {
    return refuse(auth::kInvalidToken,
                  "user must be AWS, with the password from GetAuthorizationToken");
  }
  auto claims = settings.passwords->verify(basic.password, now);
  if (!claims && claims.error().detail == auth::kExpiredToken) {
    return refuse(auth::kExpiredToken, std::string(kExpiredMessage));
  }
  return claims;
}

}  // namespace

DownloadTokenSigner::DownloadTokenSigner(std::string server_secret) {
  if (server_secret.size() < kMinSecretBytes) {
    throw std::invalid_argument("download token server secret must have at least 16 bytes");
  }
  key_ = crypto::hmac_sha256(server_secret, kKeyLabel);
}

std::string DownloadTokenSigner::issue(const DownloadClaims& claims) const {
  std::string payload(1, kVersion);
  append_field(payload, std::to_string(claims.expires_at_ms));
  append_field(payload, claims.registry_id);
  append_field(payload, claims.repository);
  append_field(payload, claims.digest);
  return base64url_encode(payload) + "." + base64url_encode(crypto::hmac_sha256(key_, payload));
}

Result<DownloadClaims> DownloadTokenSigner::verify(std::string_view token,
                                                   std::int64_t now_ms) const {
  auto invalid = [] { return refuse(auth::kInvalidToken, "the download token is not valid"); };
  if (token.size() > kMaxTokenLength) return invalid();
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return invalid();
  auto payload = base64url_decode(token.substr(0, dot));
  auto mac = base64url_decode(token.substr(dot + 1));
  if (!payload || !mac) return invalid();
  // MAC first, in constant time; the payload is parsed only once trusted.
  if (!crypto::constant_time_equal(*mac, crypto::hmac_sha256(key_, *payload))) return invalid();
  DownloadClaims claims;
  if (!parse_payload(*payload, claims)) return invalid();
  if (now_ms >= claims.expires_at_ms) {
    return refuse(auth::kExpiredToken, "the download URL has expired");
  }
  return claims;
}

std::string blob_download_target(std::string_view repository, std::string_view digest,
                                 std::string_view token) {
  return "/v2/" + std::string(repository) + "/blobs/" + std::string(digest) + "?" +
         std::string(kDownloadTokenParameter) + "=" + std::string(token);
}

std::string registry_for_host(std::string_view host, std::string_view default_registry_id) {
  std::string h = ascii_lower(host);
  // Strip ":port" (IPv6 literals start with '[' and never match below).
  if (auto colon = h.rfind(':'); colon != std::string::npos) h.resize(colon);
  constexpr std::string_view kMarker = ".dkr.ecr.";
  if (h.size() < 12 + kMarker.size() ||
      !std::all_of(h.begin(), h.begin() + 12, [](char c) { return c >= '0' && c <= '9'; }) ||
      std::string_view(h).substr(12, kMarker.size()) != kMarker) {
    return std::string(default_registry_id);
  }
  std::string_view rest = std::string_view(h).substr(12 + kMarker.size());
  auto dot = rest.find('.');
  // "<region>.<anything>": something must follow the region.
  if (dot == std::string_view::npos || dot + 1 >= rest.size()) {
    return std::string(default_registry_id);
  }
  std::string_view region = rest.substr(0, dot);
  if (!is_region(region)) return std::string(default_registry_id);
  return h.substr(0, 12) + ":" + std::string(region);
}

Result<RegistryAccess> authorize_registry_request(const http::Request& request,
                                                  const RegistryAuthSettings& settings,
                                                  std::optional<std::int64_t> now_ms) {
  const std::int64_t now = now_ms ? *now_ms : berth::now_ms();
  RegistryAccess access;

  if (auto token = request.query_param(kDownloadTokenParameter)) {
    auto claims = check_download_token(request, *token, settings, now);
    if (claims) {
      access.registry_id = std::move(claims->registry_id);
      access.download_token = true;
      return access;
    }
    if (settings.required) return std::unexpected(std::move(claims).error());
  }

  std::optional<auth::TokenClaims> password;
  if (auto authorization = request.header("Authorization"); !authorization.empty()) {
    auto claims = check_password(authorization, settings, now);
    if (claims) {
      password = std::move(*claims);
    } else if (settings.required) {
      return std::unexpected(std::move(claims).error());
    }
  } else if (settings.required) {
    return refuse(auth::kMissingAuthenticationToken,
                  "authentication required: docker login -u AWS with the password from "
                  "aws ecr get-login-password");
  }

  std::string fallback = password ? password->account_id + ":" + password->region
                                   : settings.default_registry_id;
  access.registry_id = registry_for_host(request.header("Host"), fallback);
  if (!password) return access;
  auth::Identity identity{password->access_key_id, password->caller_account_id,
                          password->principal, nullptr};
  if (settings.credentials) {
    auto credential = settings.credentials->lookup(password->access_key_id);
    if (credential && credential->account_id == identity.account_id &&
        credential->principal == identity.principal) {
      identity.identity_policy = credential->identity_policy;
    } else if (!settings.credentials->development_mode() && settings.required) {
      // The key was removed or now names someone else: its passwords go too.
      return refuse(auth::kInvalidToken, "the access key of this password is no longer accepted");
    }
  }
  if (settings.required && !settings.cross_account_by_policy &&
      !access.registry_id.starts_with(identity.account_id + ":")) {
    return fail(ErrorCode::kDenied,
                "your authorization token is for account " + identity.account_id +
                    ", not for the registry of account " +
                    access.registry_id.substr(0, access.registry_id.find(':')),
                "AccessDenied");
  }
  access.access_key_id = std::move(password->access_key_id);
  access.account_id = std::move(password->account_id);
  access.identity = std::move(identity);
  access.authenticated = true;
  return access;
}

http::Response registry_auth_failure_response(const Error& error,
                                              const RegistryAuthSettings& settings) {
  if (error.code == ErrorCode::kDenied) {
    // Authenticated, but not for this registry: no challenge, another
    // login would not help.
    http::Response response(http::beast_http::status::forbidden);
    response.headers.set(http::beast_http::field::content_type, kJsonType);
    response.headers.set(kApiVersionHeader, kApiVersion);
    response.body = error_body("DENIED", error.message, "");
    response.error_name = "DENIED";
    return response;
  }
  const bool expired = error.detail == auth::kExpiredToken;
  http::Response response(http::beast_http::status::unauthorized);
  response.headers.set(http::beast_http::field::content_type, kJsonType);
  response.headers.set(kApiVersionHeader, kApiVersion);
  response.headers.set(http::beast_http::field::www_authenticate,
                       "Basic realm=\"" + settings.realm + "\",service=\"ecr.amazonaws.com\"");
  response.error_name = expired ? "DENIED" : "UNAUTHORIZED";
  response.body = error_body(response.error_name,
                             error.message.empty() ? "authentication required" : error.message, "");
  return response;
}

}  // namespace berth::api::oci
