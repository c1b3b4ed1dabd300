// Building blocks of OCI success responses: the header names the spec uses,
// the URL paths of Location and Link headers (built only from validated,
// typed components, never from raw request text), and JSON bodies rendered
// with Boost.JSON.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "oci/digest.hpp"

namespace berth::api::oci {

inline constexpr std::string_view kApiVersionHeader = "Docker-Distribution-API-Version";
inline constexpr std::string_view kApiVersion = "registry/2.0";
inline constexpr std::string_view kContentDigestHeader = "Docker-Content-Digest";
inline constexpr std::string_view kUploadUuidHeader = "Docker-Upload-UUID";
inline constexpr std::string_view kUploadSessionHeader = "Blob-Upload-Session-ID";
inline constexpr std::string_view kSubjectHeader = "OCI-Subject";
// One per tag a manifest PUT with ?tag= parameters applied.
inline constexpr std::string_view kTagHeader = "OCI-Tag";
inline constexpr std::string_view kFiltersAppliedHeader = "OCI-Filters-Applied";
inline constexpr std::string_view kJsonType = "application/json";
inline constexpr std::string_view kOctetStreamType = "application/octet-stream";

// "/v2/<name>/blobs/<digest>"
std::string blob_path(std::string_view name, const berth::oci::Digest& digest);
// "/v2/<name>/blobs/uploads/<id>"
std::string upload_path(std::string_view name, std::string_view upload_id);
// "/v2/<name>/manifests/<digest>"
std::string manifest_path(std::string_view name, const berth::oci::Digest& digest);
// "/v2/<name>/tags/list"
std::string tags_list_path(std::string_view name);
// "/v2/_catalog"
std::string catalog_path();

// `"<digest>"`, the strong ETag of content-addressed bytes.
std::string digest_etag(const berth::oci::Digest& digest);
// True when If-None-Match (a list of ETags or "*") matches `etag`.
bool if_none_match_hits(std::string_view if_none_match, std::string_view etag);

// A response whose body is `value` serialised, with the given Content-Type.
http::Response json_response(http::beast_http::status status, const boost::json::value& value,
                             std::string_view content_type = kJsonType);

}  // namespace berth::api::oci
