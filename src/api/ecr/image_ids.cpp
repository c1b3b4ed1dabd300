#include "api/ecr/image_ids.hpp"

#include <algorithm>

#include "oci/reference.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

bool is_digest_algorithm_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '+' || c == '.';
}

bool is_hex_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::optional<std::string> optional_string(const json::object& obj, std::string_view key) {
  auto sv = string_member(obj, key);
  if (!sv) return std::nullopt;
  return std::string(*sv);
}

}  // namespace

std::optional<std::string_view> string_member(const json::object& input, std::string_view key) {
  const json::value* v = input.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

ImageId read_image_id(const json::value& entry) {
  ImageId id;
  if (!entry.is_object()) return id;
  id.digest = optional_string(entry.get_object(), "imageDigest");
  id.tag = optional_string(entry.get_object(), "imageTag");
  return id;
}

std::vector<ImageId> read_image_ids(const json::value* list) {
  std::vector<ImageId> ids;
  if (list == nullptr || !list->is_array()) return ids;
  for (const json::value& entry : list->get_array()) {
    ImageId id = read_image_id(entry);
    // Lists hold at most 100 entries: a linear scan is cheaper than hashing.
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  }
  return ids;
}

bool matches_ecr_digest_pattern(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return false;
  const std::string_view alg = text.substr(0, colon);
  const std::string_view hex = text.substr(colon + 1);
  return std::all_of(alg.begin(), alg.end(), is_digest_algorithm_char) &&
         std::all_of(hex.begin(), hex.end(), is_hex_char);
}

std::expected<CheckedImageId, ImageFailure> check_image_id(const ImageId& id) {
  if (!id.digest && !id.tag) {
    return std::unexpected(image_failure(id, kMissingDigestAndTag, kMissingDigestAndTagReason));
  }
  CheckedImageId checked;
  checked.raw = id;
  if (id.digest) {
    // ECR's pattern first; then what berth can hold (sha256/sha512,
    // lowercase, full length). Anything else can name no stored image, and
    // ECR reports such digests as invalid rather than absent.
    if (!matches_ecr_digest_pattern(*id.digest)) {
      return std::unexpected(image_failure(id, kInvalidImageDigest, kInvalidImageDigestReason));
    }
    auto digest = oci::Digest::parse(*id.digest);
    if (!digest) {
      return std::unexpected(image_failure(id, kInvalidImageDigest, kInvalidImageDigestReason));
    }
    checked.digest = std::move(*digest);
  }
  if (id.tag) {
    if (!oci::validate_tag(*id.tag)) {
      return std::unexpected(image_failure(id, kInvalidImageTag, kInvalidImageTagReason));
    }
    checked.tag = *id.tag;
  }
  return checked;
}

ImageFailure image_failure(const ImageId& id, std::string_view code, std::string_view reason) {
  return ImageFailure{id, std::string(code), std::string(reason)};
}

json::object image_id_json(const ImageId& id) {
  json::object out;
  if (id.digest) out["imageDigest"] = *id.digest;
  if (id.tag) out["imageTag"] = *id.tag;
  return out;
}

json::object image_id_json(const oci::Digest& digest, std::string_view tag) {
  json::object out;
  out["imageDigest"] = digest.str();
  if (!tag.empty()) out["imageTag"] = tag;
  return out;
}

json::object image_failure_json(const ImageFailure& failure) {
  json::object out;
  out["imageId"] = image_id_json(failure.id);
  out["failureCode"] = failure.code;
  out["failureReason"] = failure.reason;
  return out;
}

std::string describe_image_id(const ImageId& id) {
  auto quoted = [](const std::optional<std::string>& v) {
    return v ? "'" + *v + "'" : std::string("'null'");
  };
  return "{imageDigest:" + quoted(id.digest) + ", imageTag:" + quoted(id.tag) + "}";
}

}  // namespace berth::api::ecr
