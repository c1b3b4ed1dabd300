#include "storage/blob/s3/s3_address.hpp"

#include <charconv>

#include "auth/sigv4_canonical.hpp"

namespace berth::storage::blob::s3 {

S3Endpoint aws_endpoint(const std::string& region) {
  return S3Endpoint{true, "s3." + region + ".amazonaws.com", 0};
}

namespace {

std::string host_header(const S3Endpoint& endpoint, std::string_view host) {
  std::string out(host);
  const std::uint16_t default_port = endpoint.https ? 443 : 80;
  if (endpoint.port != 0 && endpoint.port != default_port) {
    out += ":" + std::to_string(endpoint.port);
  }
  return out;
}

}  // namespace

S3Target address(const S3Config& config, std::string_view key, std::string_view raw_query) {
  S3Target target;
  const std::string encoded_key = auth::uri_encode(key, /*keep_slash=*/true);
  if (config.path_style) {
    target.host = host_header(config.endpoint, config.endpoint.host);
    target.raw_path = "/" + auth::uri_encode(config.bucket, false);
    if (!key.empty()) target.raw_path += "/" + encoded_key;
  } else {
    target.host = host_header(config.endpoint, config.bucket + "." + config.endpoint.host);
    target.raw_path = "/" + encoded_key;
  }
  target.raw_query = std::string(raw_query);
  target.url = (config.endpoint.https ? "https://" : "http://") + target.host + target.raw_path;
  if (!raw_query.empty()) target.url += "?" + target.raw_query;
  return target;
}

std::string s3_query_param(std::string_view name, std::string_view value) {
  return auth::uri_encode(name, false) + "=" + auth::uri_encode(value, false);
}

Result<S3Endpoint> parse_endpoint(std::string_view url) {
  auto refuse = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument,
                "endpoint '" + std::string(url) + "' " + std::string(why) +
                    " (expected http[s]://host[:port])");
  };
  S3Endpoint endpoint;
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    endpoint.https = false;
    rest = url.substr(7);
  } else {
    return refuse("is not an http:// or https:// URL");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return refuse("has a path, query or user part");
  }
  std::string_view host = rest;
  if (const auto colon = rest.rfind(':');
      colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
    host = rest.substr(0, colon);
    std::string_view port_text = rest.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return refuse("has a bad port");
    }
    endpoint.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty()) return refuse("names no host");
  endpoint.host = std::string(host);
  return endpoint;
}

}  // namespace berth::storage::blob::s3
