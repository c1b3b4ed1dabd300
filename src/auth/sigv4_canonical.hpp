// The SigV4 (AWS4-HMAC-SHA256) signing steps as pure functions, one per step
// of the AWS document "Create a signed AWS API request"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
// Step 1 builds the canonical request from its parts (canonical_uri,
// canonical_query, canonical_headers, canonical_request), Step 2 and 3 hash
// it into the string to sign (string_to_sign), Step 4 derives the signing key
// and the signature (signing_key, signature). The verifier (sigv4.hpp) and
// the signer (sigv4_signer.hpp) share these, so both sides of every test run
// the same code that the published vectors pin down.
//
// Nothing here knows HTTP framing: inputs are the raw strings of the request
// line and header list. The canonical request and string to sign embed
// request data; never log them unsanitised.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::auth {

// Header list as received: names in any case, values raw, repeats allowed,
// in wire order (the order of repeated values is significant).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kScopeTerminator = "aws4_request";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// sha256("") in lowercase hex.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// How the request path becomes the canonical URI (Step 1, CanonicalURI).
enum class PathStyle {
  // Every service except S3: remove dot segments, collapse repeated
  // slashes, then URI-encode the path as it is on the wire, which encodes
  // the decoded path twice ("%20" becomes "%2520"), as botocore does.
  kNormalized,
  // S3: no normalisation, the path is encoded once. Escapes already on the
  // wire are kept; bytes that need escaping and are not escaped are encoded.
  kS3,
};

// AWS UriEncode: every byte except the RFC 3986 unreserved set
// (A-Z a-z 0-9 - . _ ~) becomes %XY with uppercase hex; '/' is kept when
// keep_slash (paths) and encoded otherwise (query keys and values).
std::string uri_encode(std::string_view bytes, bool keep_slash);

// Inverse of percent-encoding; a '%' not followed by two hex digits is kept
// literally. '+' is a literal plus (RFC 3986), never a space.
std::string percent_decode(std::string_view text);

// Lowercase ASCII copy.
std::string ascii_lower(std::string_view text);

// Step 1, CanonicalURI. `raw_path` is the path as on the wire, without the
// query; an empty path is "/".
std::string canonical_uri(std::string_view raw_path, PathStyle style = PathStyle::kNormalized);

// Step 1, CanonicalQueryString. Splits `raw_query` (no leading '?') on '&',
// decodes each key and value, re-encodes them with uri_encode, sorts by key
// then value (byte order) and joins "k=v" with '&'. A key without '=' gets
// an empty value. With drop_signature the X-Amz-Signature parameter is left
// out, as query-string (presigned) authentication requires.
std::string canonical_query(std::string_view raw_query, bool drop_signature);

// Step 1, CanonicalHeaders: one "name:value\n" line per name of
// `signed_headers` (lowercase, sorted), where value is every value of that
// header in `headers` (names compared case-insensitively) with leading and
// trailing whitespace trimmed and inner whitespace runs collapsed to one
// space, joined with ','. A signed name absent from `headers` yields
// "name:\n"; the verifier rejects that case before calling this.
std::string canonical_headers(const HeaderList& headers,
                              const std::vector<std::string>& signed_headers);

// Step 1, SignedHeaders: the names joined with ';'.
std::string signed_headers_string(const std::vector<std::string>& signed_headers);

// Step 1: the canonical request, the six parts joined with '\n'.
// `headers_block` is canonical_headers() output (each line ends in '\n').
std::string canonical_request(std::string_view method, std::string_view uri, std::string_view query,
                              std::string_view headers_block, std::string_view signed_headers,
                              std::string_view payload_hash);

// Step 3, CredentialScope: "<yyyymmdd>/<region>/<service>/aws4_request".
std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service);

// Steps 2 and 3: "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of the
// canonical request>".
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

// Step 4, derive the signing key: kDate = HMAC("AWS4" + secret, date),
// kRegion, kService, kSigning = HMAC(kService, "aws4_request"). Returns the
// raw 32-byte key; it is as sensitive as the secret for that day/scope.
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);

// Step 4, calculate the signature: lowercase hex HMAC-SHA256(key, sts).
std::string signature(std::string_view key, std::string_view string_to_sign);

}  // namespace berth::auth
