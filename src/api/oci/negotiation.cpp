#include "api/oci/negotiation.hpp"

#include <algorithm>

#include "oci/media_types.hpp"

namespace berth::api::oci {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

// Manifest types a client may list, including the Docker schema 1 types
// berth never stores (a client asking only for those gets a 404).
bool is_listed_manifest_type(std::string_view media_type) {
  namespace mt = berth::oci::media_types;
  return mt::is_manifest_media_type(media_type) || media_type == mt::kDockerSchema1 ||
         media_type == mt::kDockerSchema1Signed;
}

}  // namespace

std::vector<std::string> parse_accept(const std::vector<std::string_view>& header_values) {
  std::vector<std::string> out;
  for (std::string_view value : header_values) {
    while (!value.empty()) {
      const std::size_t comma = value.find(',');
      std::string_view item = value.substr(0, comma);
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
      if (const std::size_t semi = item.find(';'); semi != std::string_view::npos) {
        item = item.substr(0, semi);
      }
      item = trim(item);
      if (!item.empty()) out.push_back(lowercase(item));
    }
  }
  return out;
}

bool accepts_manifest(const std::vector<std::string>& accepted,
                      std::string_view stored_media_type) {
  const std::string stored = lowercase(stored_media_type);
  bool lists_manifest_type = false;
  for (const std::string& range : accepted) {
    if (range == "*/*" || range == "application/*") return true;
    if (range == stored) return true;
    if (is_listed_manifest_type(range)) lists_manifest_type = true;
  }
  return !lists_manifest_type;
}

}  // namespace berth::api::oci
