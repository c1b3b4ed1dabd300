// The adapter between the HTTP layer and the SigV4 verifier: it turns an
// http::Request (plus the hash of the body the caller has read) into the
// auth::SigV4Request the verifier works on. auth never sees Beast types,
// and http never sees SigV4; this is the only place the two meet.
//
// The verifier needs the request as it was on the wire, so the path and
// query are taken from the raw request-target (percent-encoding intact),
// never from the decoded Request::path / Request::query.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <string>
#include <string_view>

#include "auth/sigv4.hpp"
#include "http/message.hpp"

namespace berth::api::ecr {

struct RawTarget {
  std::string path;   // still percent-encoded; "/" when empty
  std::string query;  // without '?', possibly empty
};

// Splits an origin-form ("/a?b") or absolute-form ("http://h/a?b")
// request-target into its raw path and query.
RawTarget split_raw_target(std::string_view target);

// The SigV4Request for `request` whose body hashes to `payload_sha256_hex`
// (lowercase hex). Every header is passed through, in wire order.
auth::SigV4Request to_sigv4_request(const http::Request& request,
                                    std::string payload_sha256_hex);

}  // namespace berth::api::ecr
