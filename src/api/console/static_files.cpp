#include "api/console/static_files.hpp"

#include "api/console/assets.hpp"
#include "api/console/responses.hpp"

namespace berth::api::console {

namespace {
constexpr std::string_view kAssetsPrefix = "/console/assets/";
constexpr std::string_view kPage = "index.html";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view candidate = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (candidate.starts_with("W/")) candidate.remove_prefix(2);  // weak comparison
    if (candidate == "*" || candidate == etag) return true;
  }
  return false;
}

std::optional<http::Response> serve_static(const http::Request& request, std::string_view path) {
  std::string_view name;
  if (path == "/console" || path == "/console/") {
    name = kPage;
  } else if (path.starts_with(kAssetsPrefix)) {
    name = path.substr(kAssetsPrefix.size());
    if (name == kPage) return std::nullopt;  // the page has one address
  } else {
    return std::nullopt;
  }
  const Asset* asset = find_asset(name);
  if (asset == nullptr) return std::nullopt;

  http::Response response;
  add_security_headers(response);
  response.headers.set(http::beast_http::field::etag, asset->etag);
  response.headers.set(http::beast_http::field::cache_control, "no-cache");
  if (etag_matches(request.header("If-None-Match"), asset->etag)) {
    response.status = http::beast_http::status::not_modified;
    return response;
  }
  response.headers.set(http::beast_http::field::content_type, asset->content_type);
  if (request.method == http::beast_http::verb::head) {
    response.head_content_length = asset->body.size();
  } else {
    response.body = std::string(asset->body);
  }
  return response;
}

}  // namespace berth::api::console
