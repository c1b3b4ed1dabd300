// S3Config: everything the S3 blob store needs to reach its bucket: where
// (endpoint, addressing style, region, bucket, key prefix), as whom
// (credential), how (TLS CA bundle, timeouts, retries) and the part size of
// its multipart uploads. Built by the store factory from an s3:// URL
// (storage/factory) or by tests directly.
//
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace berth::storage::blob::s3 {

// S3 refuses parts below 5 MiB (except the last), and allows 10000 parts.
inline constexpr std::uint64_t kMinPartSize = 5ull << 20;
inline constexpr std::uint64_t kDefaultPartSize = 8ull << 20;
inline constexpr int kMaxParts = 10000;

struct S3Endpoint {
  bool https = true;
  std::string host;        // "s3.us-east-1.amazonaws.com", "127.0.0.1"
  std::uint16_t port = 0;  // 0: the scheme's default
};

struct S3Credential {
  std::string access_key_id;
  std::string secret_access_key;
  std::optional<std::string> session_token;
};

struct S3Config {
  S3Endpoint endpoint;
  std::string region = "us-east-1";
  std::string bucket;
  // Key prefix without leading or trailing '/' (may be empty): every key the
  // store writes starts with "<prefix>/".
  std::string prefix;
  // true: http://host/bucket/key; false: http://bucket.host/key.
  bool path_style = false;
  S3Credential credential;
  // PEM CA bundle for HTTPS; empty: the system's.
  std::string ca_bundle;
  std::uint64_t part_size = kDefaultPartSize;
  std::chrono::milliseconds connect_timeout{5000};
  // A transfer that moves no byte for this long is abandoned (and retried).
  std::chrono::seconds stall_timeout{30};
  // Attempts per request for faults that are safe to retry (503 SlowDown,
  // 500, timeouts, refused connections), with exponential backoff from
  // first_backoff.
  int max_attempts = 5;
  std::chrono::milliseconds first_backoff{100};
};

// The AWS endpoint of a region: s3.<region>.amazonaws.com over HTTPS.
S3Endpoint aws_endpoint(const std::string& region);

}  // namespace berth::storage::blob::s3
