// Parsers for what a SigV4 client puts on the wire: the `Authorization:
// AWS4-HMAC-SHA256 ...` header value, the X-Amz-* parameters of a presigned
// URL, and the two timestamp forms (ISO 8601 basic `20150830T123600Z` and
// the HTTP `Date` header). They check shape only (no keys, no clocks);
// every failure is kUnauthenticated with detail "IncompleteSignature", the
// AWS error for a malformed or incomplete signature. Messages name the
// offending component but never echo the signature value.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/failure_kinds.hpp"
#include "util/result.hpp"

namespace berth::auth {

// Longest validity a presigned URL may ask for (7 days), per
// sigv4-query-string-auth.html.
inline constexpr std::int64_t kMaxPresignExpiresSeconds = 604800;

// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/
// region/service/aws4_request, SignedHeaders=a;b, Signature=hex`.
struct AuthorizationHeader {
  std::string access_key_id;
  std::string date;  // yyyymmdd, from the credential scope
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lowercase, sorted, unique
  std::string signature;                    // 64 lowercase hex digits
};

// Query-string (presigned URL) authentication parameters.
struct PresignedParams {
  AuthorizationHeader auth;                   // scope, signed headers and signature
  std::string amz_date;                       // X-Amz-Date, yyyymmddThhmmssZ
  std::int64_t expires_seconds = 0;           // X-Amz-Expires, 1..604800
  std::optional<std::string> security_token;  // X-Amz-Security-Token
};

// Parses an Authorization header value. The three components may come in
// any order, separated by ',' and optional whitespace; each must appear
// exactly once.
Result<AuthorizationHeader> parse_authorization(std::string_view value);

// True when `raw_query` carries any of X-Amz-Algorithm, X-Amz-Credential or
// X-Amz-Signature, i.e. the request attempts query-string authentication.
bool has_presigned_params(std::string_view raw_query);

// Parses the X-Amz-* parameters of `raw_query` (no leading '?'). All of
// Algorithm, Credential, Date, Expires, SignedHeaders and Signature are
// required and may appear once; X-Amz-Expires must lie in 1..604800.
Result<PresignedParams> parse_presigned_query(std::string_view raw_query);

// "yyyymmddThhmmssZ" (UTC) to milliseconds since the epoch.
Result<std::int64_t> parse_amz_date(std::string_view text);
// Milliseconds since the epoch to "yyyymmddThhmmssZ"; sub-seconds dropped.
std::string format_amz_date(std::int64_t ms);
// An HTTP `Date` value in IMF-fixdate form ("Sun, 30 Aug 2015 12:36:00 GMT";
// "UTC", "+0000" and "-0000" are accepted for the zone, as Python's
// email.utils.formatdate writes "-0000") to milliseconds since the epoch.
Result<std::int64_t> parse_http_date(std::string_view text);

}  // namespace berth::auth
