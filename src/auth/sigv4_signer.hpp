// The SigV4 signer: produces an Authorization header value for a request,
// or the X-Amz-* query of a presigned URL. berth uses it for presigned blob
// download URLs and (via storage/blob/s3) for its own S3 requests; the tests
// use it to round-trip sign -> verify. It runs the same step functions as
// the verifier (sigv4_canonical.hpp).
//
// Pure (the clock is a parameter). Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <string>

#include "auth/credentials.hpp"
#include "auth/sigv4.hpp"
#include "util/result.hpp"

namespace berth::auth {

struct SignOptions {
  std::string region;
  std::string service;
  std::int64_t now_ms = 0;  // the signing time
};

// Signs `request` in place and returns the Authorization header value (it
// is NOT appended to request.headers). Adds `X-Amz-Date` (from
// options.now_ms) unless an x-amz-date header is present, and
// `X-Amz-Security-Token` when the credential has a session token and the
// request has none; then signs every header present except Authorization
// (so the caller must have put Host in). The payload hash signed is the
// x-amz-content-sha256 header when present, else request.payload_sha256_hex.
std::string sign_request(SigV4Request& request, const Credential& credential,
                         const SignOptions& options);

struct PresignOptions {
  std::string method = "GET";
  std::string raw_path;   // as it will be on the wire
  std::string raw_query;  // existing parameters (without '?'), may be empty
  std::string host;       // the Host header the client will send
  std::string region;
  std::string service;
  std::int64_t now_ms = 0;
  std::int64_t expires_seconds = 3600;  // 1..604800
};

// The full query string (existing parameters followed by X-Amz-Algorithm,
// -Credential, -Date, -Expires, -SignedHeaders, -Security-Token when the
// credential has one, and -Signature last) for a presigned URL. Only `host`
// is signed and the payload is "UNSIGNED-PAYLOAD". kInvalidArgument when
// expires_seconds is outside 1..604800: a longer URL is refused, not
// silently clamped.
Result<std::string> presign_url_query(const Credential& credential, const PresignOptions& options);

}  // namespace berth::auth
