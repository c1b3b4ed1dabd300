// BatchCheckLayerAvailability: whether up to 100 blobs are available in a
// repository, from the store itself: a layer is AVAILABLE when it is linked
// in the repository (pushed or mounted there, over either API) and its
// bytes are present; UNAVAILABLE when it is linked but its bytes are gone;
// a MissingLayerDigest failure when it is not linked at all.
#include <algorithm>
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "api/ecr/image_ids.hpp"
#include "api/ecr/image_operations.hpp"
#include "http/offload.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

constexpr std::string_view kInvalidLayerDigest = "InvalidLayerDigest";
constexpr std::string_view kMissingLayerDigest = "MissingLayerDigest";
constexpr std::string_view kInvalidLayerDigestReason =
    "Invalid request parameters: layer digest should satisfy the regex "
    "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'";
constexpr std::string_view kEmptyLayerDigestReason =
    "Invalid request parameters: layer digest cannot be empty";
constexpr std::string_view kMissingLayerDigestReason = "Could not find layer";

json::object layer_failure(std::string_view digest, std::string_view code,
                           std::string_view reason) {
  json::object f;
  f["layerDigest"] = digest;
  f["failureCode"] = code;
  f["failureReason"] = reason;
  return f;
}

json::object layer(const oci::Digest& digest, std::string_view availability, std::uint64_t size) {
  json::object l;
  l["layerDigest"] = digest.str();
  l["layerAvailability"] = availability;
  l["layerSize"] = static_cast<std::int64_t>(size);
  return l;
}

EcrResult batch_check_layer_availability(EcrContext& ctx, const json::object& input) {
  const std::string name(string_member(input, "repositoryName").value_or(""));
  const registry::RepositoryRef repo = repository_ref(ctx, input, name);
  const std::string rid = registry_id(ctx, input);
  auto record = ctx.registry.repository(repo);
  if (!record) return std::unexpected(to_ecr_failure(record.error(), rid, name));

  std::vector<std::string> digests;
  if (const json::value* list = input.if_contains("layerDigests"); list && list->is_array()) {
    for (const json::value& d : list->get_array()) {
      if (!d.is_string()) continue;
      std::string text(d.get_string());
      if (std::find(digests.begin(), digests.end(), text) == digests.end()) {
        digests.push_back(std::move(text));
      }
    }
  }

  json::array layers;
  json::array failures;
  for (const std::string& text : digests) {
    if (text.empty()) {
      failures.push_back(layer_failure(text, kMissingLayerDigest, kEmptyLayerDigestReason));
      continue;
    }
    // ECR's pattern, then what berth can hold (sha256/sha512, full length):
    // anything else names no blob.
    Result<oci::Digest> digest = fail(ErrorCode::kDigestInvalid, text);
    if (matches_ecr_digest_pattern(text)) digest = oci::Digest::parse(text);
    if (!digest) {
      failures.push_back(layer_failure(text, kInvalidLayerDigest, kInvalidLayerDigestReason));
      continue;
    }
    auto info = ctx.registry.stat_blob(repo, *digest);
    if (info) {
      layers.push_back(layer(*digest, "AVAILABLE", info->size));
      continue;
    }
    if (info.error().code != ErrorCode::kBlobNotFound) {
      return std::unexpected(to_ecr_failure(info.error(), rid, name));
    }
    // Not available: linked with its bytes missing, or not linked at all.
    auto linked_size = ctx.registry.blob_link_size(repo, *digest);
    if (linked_size) {
      layers.push_back(layer(*digest, "UNAVAILABLE", *linked_size));
    } else if (linked_size.error().code == ErrorCode::kBlobNotFound) {
      failures.push_back(layer_failure(text, kMissingLayerDigest, kMissingLayerDigestReason));
    } else {
      return std::unexpected(to_ecr_failure(linked_size.error(), rid, name));
    }
  }
  json::object output;
  output["layers"] = std::move(layers);
  output["failures"] = std::move(failures);
  return output;
}

}  // namespace

boost::asio::awaitable<EcrResult> BatchCheckLayerAvailability(EcrContext& ctx,
                                                              const json::object& input) {
  co_return co_await http::offload(ctx.blocking, [&] {
    return in_one_snapshot(ctx, [&] { return batch_check_layer_availability(ctx, input); });
  });
}

}  // namespace berth::api::ecr
