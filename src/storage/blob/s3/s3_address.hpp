// S3Address: where one S3 request goes. Turns (bucket, key, query) into the
// three things a request needs and must agree on: the URL curl fetches, the
// Host header and the path as it is on the wire (what SigV4 signs), for
// path-style (host/bucket/key) or virtual-hosted (bucket.host/key)
// addressing. Keys are URI-encoded here, once, with '/' kept.
//
// Thread-safety: pure functions over values.
#pragma once

#include <string>
#include <string_view>

#include "storage/blob/s3/s3_config.hpp"
#include "util/result.hpp"

namespace berth::storage::blob::s3 {

struct S3Target {
  std::string url;       // scheme://host[:port]/path[?query]
  std::string host;      // the Host header value (with a non-default port)
  std::string raw_path;  // as on the wire, percent-encoded
  std::string raw_query; // as on the wire, without '?'
};

// `key` empty addresses the bucket itself. `raw_query` must already be
// encoded (parameter names and values from s3_query_param).
S3Target address(const S3Config& config, std::string_view key, std::string_view raw_query = {});

// "name=value" with both URI-encoded for a query string.
std::string s3_query_param(std::string_view name, std::string_view value);

// Parses an endpoint URL "http[s]://host[:port]" (a trailing '/' allowed;
// no path, query or user). kInvalidArgument naming what is wrong.
Result<S3Endpoint> parse_endpoint(std::string_view url);

}  // namespace berth::storage::blob::s3
