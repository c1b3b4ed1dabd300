// S3Client: sends signed requests to one bucket over libcurl and retries
// the faults that are safe to retry. Everything S3-specific above HTTP (the
// keys, the upload protocol) is the store's; this file knows requests,
// responses, signing, retries and the one translation of S3's answers into
// berth errors (from_s3_xml).
//
// Retries: a refused or reset connection, a timeout, a stalled transfer,
// 500/502/503/504 and 400 RequestTimeout are retried up to
// config.max_attempts times with exponential backoff and jitter, each
// attempt signed anew. A request marked !idempotent (one that creates
// something new each time it runs) is retried only when S3 cannot have
// acted on it: the connection was never made, or 503 SlowDown.
//
// Bodies are in memory on both sides: the store only sends bounded pieces
// (a part, a staged tail, a state document) and reads bounded windows, so
// no blob is ever held whole. A response body over kMaxResponseBody fails.
//
// Thread-safety: send() may run concurrently from any number of threads;
// idle curl handles (and their live connections) are pooled.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sigv4_canonical.hpp"
#include "storage/blob/s3/s3_config.hpp"
#include "util/result.hpp"

namespace berth::storage::blob::s3 {

inline constexpr std::size_t kMaxResponseBody = 64ull << 20;

struct S3Request {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string key;             // the whole object key; empty: the bucket
  std::string query;           // encoded, without '?'
  auth::HeaderList headers;    // extra headers, signed with the rest
  std::string_view body;       // outlives send()
  bool idempotent = true;
  // Where a successful response's body goes, instead of S3Response::body:
  // a reader reuses one buffer for every window, so a long pull neither
  // reallocates nor fragments the heap.
  std::string* body_sink = nullptr;
};

struct S3Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;

  bool ok() const { return status >= 200 && status < 300; }
  std::string header(const std::string& lower_name) const;
};

class S3Client {
 public:
  explicit S3Client(S3Config config);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Config& config() const { return config_; }

  // The last answer S3 gave, whatever its status, once retries are spent
  // or not applicable. kUnavailable when no answer came (refused, timed
  // out, reset), naming the endpoint and curl's reason.
  Result<S3Response> send(const S3Request& request);

 private:
  struct Handle;
  std::unique_ptr<Handle> take_handle();
  void give_back(std::unique_ptr<Handle> handle);
  Result<S3Response> send_once(Handle& handle, const S3Request& request, bool& sent);

  const S3Config config_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

// The one translation of an S3 answer into a berth Error (ARCHITECTURE.md:
// from_s3_xml). `context` says what was being done ("read blob sha256:…").
// 404 NoSuchKey (or a bodiless 404, as HEAD gets) → `not_found`;
// NoSuchUpload → kUploadNotFound; 416 → kRangeInvalid; NoSuchBucket, 403
// (refused credentials), 5xx and throttling → kUnavailable, so the
// protocols answer 503 UNAVAILABLE / ServerException; anything else →
// kInternal. The message carries S3's code and message.
Error from_s3_xml(const S3Response& response, std::string_view context, ErrorCode not_found);

}  // namespace berth::storage::blob::s3
