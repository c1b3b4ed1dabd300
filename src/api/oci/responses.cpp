#include "api/oci/responses.hpp"

#include <boost/json/serialize.hpp>

namespace berth::api::oci {

std::string blob_path(std::string_view name, const berth::oci::Digest& digest) {
  return "/v2/" + std::string(name) + "/blobs/" + digest.str();
}

std::string upload_path(std::string_view name, std::string_view upload_id) {
  return "/v2/" + std::string(name) + "/blobs/uploads/" + std::string(upload_id);
}

std::string manifest_path(std::string_view name, const berth::oci::Digest& digest) {
  return "/v2/" + std::string(name) + "/manifests/" + digest.str();
}

std::string tags_list_path(std::string_view name) {
  return "/v2/" + std::string(name) + "/tags/list";
}

std::string catalog_path() { return "/v2/_catalog"; }

std::string digest_etag(const berth::oci::Digest& digest) { return "\"" + digest.str() + "\""; }

bool if_none_match_hits(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const std::size_t comma = if_none_match.find(',');
    std::string_view item = if_none_match.substr(0, comma);
    if_none_match = comma == std::string_view::npos ? std::string_view{}
                                                    : if_none_match.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);  // weak comparison (RFC 9110 §13.1.2)
    if (item == "*" || item == etag) return true;
  }
  return false;
}

http::Response json_response(http::beast_http::status status, const boost::json::value& value,
                             std::string_view content_type) {
  http::Response response(status);
  response.headers.set(http::beast_http::field::content_type, content_type);
  response.body = boost::json::serialize(value);
  return response;
}

}  // namespace berth::api::oci
