// The OCI error table: the one place where a berth ErrorCode becomes an OCI
// distribution error code ("BLOB_UNKNOWN", "DIGEST_INVALID", ...) and an
// HTTP status, and where the error body
//   {"errors":[{"code":"...","message":"...","detail":"..."}]}
// is rendered. Handlers return Errors; they never choose a status or code for
// a failure themselves. A handler that must add headers to an error (a 416
// with the upload's current Range) builds the response here and then adds
// them.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <optional>
#include <string_view>

#include "http/message.hpp"
#include "util/result.hpp"

namespace berth::api::oci {

struct OciErrorDescriptor {
  std::string_view code;  // e.g. "BLOB_UNKNOWN"
  http::beast_http::status status;
};

// The table entry for `code`; nullopt only if the table misses a code (a
// unit test proves it never does).
std::optional<OciErrorDescriptor> find_oci_error(ErrorCode code);

// The table entry, falling back to UNKNOWN / 500.
OciErrorDescriptor oci_error_for(ErrorCode code);

// The JSON error body for one error (detail included when non-empty).
std::string error_body(std::string_view code, std::string_view message,
                       std::string_view detail);

// A complete error response: status and code from the table, JSON body,
// Content-Type application/json.
http::Response error_response(const Error& error);

// 404 for a path under /v2/ that names no endpoint.
http::Response endpoint_not_found_response(std::string_view path);

}  // namespace berth::api::oci
