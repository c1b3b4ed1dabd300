#include "storage/factory/s3_store_url.hpp"

#include "storage/blob/s3/s3_address.hpp"

namespace berth::storage::factory {

namespace {

std::unexpected<Error> refuse(const StoreUrl& url, const std::string& why) {
  return fail(ErrorCode::kInvalidArgument, "store " + redact_url(url.text) + ": " + why);
}

// S3's rules for bucket names: 3 to 63 of [a-z0-9.-], starting and ending
// with a letter or digit.
bool valid_bucket(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '-') return false;
  }
  return alnum(name.front()) && alnum(name.back());
}

bool valid_region(std::string_view region) {
  return !region.empty() &&
         region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

bool valid_prefix(std::string_view prefix) {
  // Keys are built from it; empty segments or dot segments would make keys
  // other tools read differently.
  std::size_t at = 0;
  while (at <= prefix.size()) {
    const auto end = std::min(prefix.find('/', at), prefix.size());
    const std::string_view segment = prefix.substr(at, end - at);
    if (segment.empty() || segment == "." || segment == "..") return false;
    at = end + 1;
  }
  return true;
}

}  // namespace

Result<blob::s3::S3Config> s3_config_from_url(const StoreUrl& url) {
  blob::s3::S3Config config;
  std::string_view location = url.location;
  const auto slash = location.find('/');
  config.bucket = std::string(location.substr(0, slash));
  if (!valid_bucket(config.bucket)) {
    return refuse(url, "'" + config.bucket + "' is not an S3 bucket name (3-63 of a-z 0-9 . -)");
  }
  if (slash != std::string_view::npos) {
    std::string_view prefix = location.substr(slash + 1);
    while (prefix.ends_with('/')) prefix.remove_suffix(1);
    if (!prefix.empty() && !valid_prefix(prefix)) {
      return refuse(url, "the key prefix '" + std::string(prefix) +
                             "' has an empty, '.' or '..' segment");
    }
    config.prefix = std::string(prefix);
  }
  std::optional<std::string> endpoint;
  for (const auto& [key, value] : url.params) {
    if (key == "endpoint") {
      endpoint = value;
    } else if (key == "region") {
      if (!valid_region(value)) return refuse(url, "region '" + value + "' is not a region name");
      config.region = value;
    } else if (key == "path-style") {
      if (value == "true" || value == "1") {
        config.path_style = true;
      } else if (value == "false" || value == "0") {
        config.path_style = false;
      } else {
        return refuse(url, "path-style must be true or false, not '" + value + "'");
      }
    } else if (key == "ca-bundle") {
      if (value.empty()) return refuse(url, "ca-bundle names no file");
      config.ca_bundle = value;
    } else {
      return refuse(url, "unknown parameter '" + key +
                             "' (endpoint, region, path-style, ca-bundle)");
    }
  }
  if (endpoint) {
    auto parsed = blob::s3::parse_endpoint(*endpoint);
    if (!parsed) return refuse(url, parsed.error().message);
    config.endpoint = std::move(*parsed);
  } else {
    config.endpoint = blob::s3::aws_endpoint(config.region);
  }
  return config;
}

}  // namespace berth::storage::factory
