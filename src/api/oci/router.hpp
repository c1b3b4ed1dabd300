// Route parsing for the OCI distribution API: turns the percent-decoded path
// of a request under /v2 into a RouteMatch naming the endpoint, the
// repository name and the trailing component (digest, reference or upload
// id). Repository names contain slashes (and may contain components such as
// "blobs" or "manifests"), so routes are matched from the right: the tail
// after the endpoint marker must hold no '/', and everything before the
// marker is the name.
//
// Names are validated with oci::validate_repository_name (kNameInvalid).
// References, digests and upload ids are validated by the handlers.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "util/result.hpp"

namespace berth::api::oci {

enum class RouteKind {
  kBase,         // /v2/
  kCatalog,      // /v2/_catalog
  kTagsList,     // /v2/<name>/tags/list
  kManifest,     // /v2/<name>/manifests/<reference>
  kReferrers,    // /v2/<name>/referrers/<digest>
  kBlob,         // /v2/<name>/blobs/<digest>
  kUploadStart,  // /v2/<name>/blobs/uploads/
  kUpload,       // /v2/<name>/blobs/uploads/<id>
  kUnknown,      // no such endpoint
};

struct RouteMatch {
  RouteKind kind = RouteKind::kUnknown;
  std::string name;  // repository name; "" for kBase, kCatalog, kUnknown
  std::string tail;  // reference, digest or upload id; "" otherwise
};

// Matches `path` (decoded, without query). kUnknown when no endpoint has this
// shape; kNameInvalid when the shape matches but the name is invalid.
Result<RouteMatch> parse_route(std::string_view path);

// The methods an endpoint accepts (HEAD is listed where GET has a HEAD form).
std::vector<http::beast_http::verb> allowed_methods(RouteKind kind);

// "GET, HEAD" style value for an Allow header.
std::string allow_header_value(RouteKind kind);

std::string_view route_name(RouteKind kind);

}  // namespace berth::api::oci
