// How berth signs its own S3 requests: the headers a request carries (Host,
// X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token, the caller's own
// and Authorization), and presigned GET URLs for --blob-redirect. Both run
// the project's one SigV4 implementation (auth/sigv4_signer.hpp) with the
// "s3" service, whose canonical URI is the path encoded once.
//
// Pure: the clock is a parameter. Thread-safety: free functions over values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/sigv4_canonical.hpp"
#include "storage/blob/s3/s3_address.hpp"
#include "storage/blob/s3/s3_config.hpp"
#include "util/result.hpp"

namespace berth::storage::blob::s3 {

// Every header to send with a request to `target`: `extra` (signed too)
// plus Host, X-Amz-Date, X-Amz-Content-Sha256 (`payload_sha256_hex`, or
// "UNSIGNED-PAYLOAD"), the session token when the credential has one, and
// Authorization last.
auth::HeaderList sign_s3_request(const S3Config& config, std::string_view method,
                                 const S3Target& target, auth::HeaderList extra,
                                 std::string_view payload_sha256_hex, std::int64_t now_ms);

// A URL anyone may GET `key` with for `ttl` (1 s to 7 days), signed now.
Result<std::string> presign_get(const S3Config& config, std::string_view key,
                                std::chrono::seconds ttl, std::int64_t now_ms);

}  // namespace berth::storage::blob::s3
