// SigV4 request verification: given the raw parts of an HTTP request (a
// SigV4Request, built by the protocol adapter in api/ecr or api/oci), the
// credential store and the verifier's options, decide whether the request
// was signed with AWS4-HMAC-SHA256 by a known key, either through the
// Authorization header or through presigned-URL query parameters.
//
// Rules, each with its reason:
//  - `host` must be signed: otherwise a request could be replayed against
//    another endpoint sharing the key.
//  - the timestamp header (`x-amz-date`, else `date`) must be signed, so the
//    skew window cannot be dodged by rewriting it.
//  - every `x-amz-*` header present must be signed (they change what AWS
//    APIs do: x-amz-target picks the operation, x-amz-security-token the
//    identity), except `x-amz-content-sha256`, whose value is the last line
//    of the canonical request and so is covered by the signature anyway.
//    An unsigned x-amz-* header fails with "IncompleteSignature": the
//    request is structurally short of what must be signed, the same class as
//    an unsigned host; its signature may well be correct.
//  - every name in SignedHeaders must be present in the request.
//  - the scope's service must be one of options.services (default {"ecr"};
//    add "s3" to verify S3 requests with the same code), its region must
//    equal options.region when set, and its date must equal the first eight
//    characters of the request timestamp; otherwise "InvalidSignature".
//  - the request time must lie within options.max_skew_ms of now (default
//    15 minutes, the AWS window and RGW's RGW_AUTH_GRACE); presigned URLs
//    must also not be past X-Amz-Date + X-Amz-Expires ("SignatureExpired").
//  - a credential with a session token requires a matching
//    X-Amz-Security-Token (header or query), and a token sent for a key
//    without one is refused ("UnrecognizedClient"); credentials past their
//    expiry fail with "ExpiredToken".
//  - signatures are compared in constant time.
//
// Payload: when an `x-amz-content-sha256` header is present its value is
// the payload hash that was signed, and it is returned in
// VerifiedRequest::declared_payload_hash so the caller checks it against the
// body after streaming it and before committing (RGW's Completer split).
// Otherwise SigV4Request::payload_sha256_hex (the caller's hash of the body)
// is signed. Presigned requests sign "UNSIGNED-PAYLOAD" (as S3 presigned
// URLs do) unless the header is present.
//
// Errors: kUnauthenticated with the AWS failure kind in Error::detail (see
// failure_kinds.hpp). Messages never contain the secret, the signature we
// expected, the string to sign, or the signature received.
//
// Pure apart from reading the store (and the system clock when
// options.now_ms is unset). Thread-safety: verify() may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "auth/credentials.hpp"
#include "auth/failure_kinds.hpp"
#include "auth/sigv4_canonical.hpp"
#include "auth/sigv4_parse.hpp"
#include "util/result.hpp"

namespace berth::auth {

struct SigV4Request {
  std::string method;
  std::string raw_path;            // as on the wire, still percent-encoded
  std::string raw_query;           // as on the wire, without '?'
  HeaderList headers;              // names any case, values raw, repeated names allowed
  std::string payload_sha256_hex;  // hex of the body, or "UNSIGNED-PAYLOAD"
};

struct VerifyOptions {
  // Scope services accepted. "s3" switches the canonical URI to S3 rules.
  std::vector<std::string> services = {"ecr"};
  // When set, the scope region must equal it.
  std::optional<std::string> region;
  std::int64_t max_skew_ms = 15 * 60 * 1000;
  // The verifier's clock, milliseconds since the epoch; unset reads the
  // system clock.
  std::optional<std::int64_t> now_ms;
  // Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` with header
  // authentication. Off for ECR: an unsigned JSON body could be altered.
  bool allow_unsigned_payload = false;
};

struct VerifiedRequest {
  std::string access_key_id;
  std::string account_id;
  // The key's principal and identity policy (credentials.hpp); a
  // development-mode key is the default account's root.
  std::string principal = "root";
  std::shared_ptr<const policy::Document> identity_policy;
  std::string region;   // from the scope
  std::string service;  // from the scope
  // The x-amz-content-sha256 value (lowercased) when it names a SHA-256;
  // the caller must compare it with the body's hash before acting on it.
  std::optional<std::string> declared_payload_hash;
  std::int64_t signed_at_ms = 0;  // the request timestamp
  bool presigned = false;
  // The store is in development mode and the key is not in it: the
  // signature was NOT checked (see credentials.hpp).
  bool development_mode = false;
};

// Verifies `request` as described above.
Result<VerifiedRequest> verify(const SigV4Request& request, const CredentialStore& store,
                               const VerifyOptions& options);

// The canonical-URI rule for a scope service: kS3 for "s3", else kNormalized.
PathStyle path_style_for(std::string_view service);

}  // namespace berth::auth
