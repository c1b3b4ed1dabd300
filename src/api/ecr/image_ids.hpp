// ImageIdentifier handling shared by the image operations (BatchGetImage,
// BatchDeleteImage, DescribeImages): reading an `imageIds` entry as the
// client sent it, checking it the way ECR does per item (rather than as a
// whole-call 400, because ImageIdentifier.imageDigest has no pattern in the
// model), collapsing duplicates, and rendering `imageId` and ImageFailure
// objects with ECR's failure codes and reason texts.
//
// Also the two small readers of request members every image operation needs
// (string members and the repository name).
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"

namespace berth::api::ecr {

// ImageFailureCode values (service-2.json) that a self-hosted registry
// produces.
inline constexpr std::string_view kMissingDigestAndTag = "MissingDigestAndTag";
inline constexpr std::string_view kInvalidImageDigest = "InvalidImageDigest";
inline constexpr std::string_view kInvalidImageTag = "InvalidImageTag";
inline constexpr std::string_view kImageNotFound = "ImageNotFound";
inline constexpr std::string_view kImageTagDoesNotMatchDigest = "ImageTagDoesNotMatchDigest";
inline constexpr std::string_view kImageReferencedByManifestList = "ImageReferencedByManifestList";
// The model's newest code; BatchGetImage reports archived images with it.
inline constexpr std::string_view kImageInaccessible = "ImageInaccessible";

// Reason texts, worded as ECR words them where it is known (see
// docs/ecr-operations.md).
inline constexpr std::string_view kMissingDigestAndTagReason =
    "Invalid request parameters: both tag and digest cannot be null";
inline constexpr std::string_view kInvalidImageDigestReason =
    "Invalid request parameters: image digest should satisfy the regex "
    "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'";
inline constexpr std::string_view kInvalidImageTagReason =
    "Invalid request parameters: image tag should satisfy the regex "
    "'[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'";
inline constexpr std::string_view kImageNotFoundReason = "Requested image not found";
inline constexpr std::string_view kImageTagDoesNotMatchDigestReason =
    "Invalid request parameters: given tag does not map to the given digest";
inline constexpr std::string_view kImageReferencedByManifestListReason =
    "Requested image referenced by manifest list";


// An identifier exactly as the client sent it (members absent stay absent),
// so failures can echo it back.
struct ImageId {
  std::optional<std::string> digest;
  std::optional<std::string> tag;

  friend bool operator==(const ImageId&, const ImageId&) = default;
};

// A checked identifier: at least one of digest/tag is set.
struct CheckedImageId {
  ImageId raw;
  std::optional<oci::Digest> digest;
  std::optional<std::string> tag;
};

// One entry of a `failures` list.
struct ImageFailure {
  ImageId id;
  std::string code;    // an ImageFailureCode
  std::string reason;  // failureReason
};

// Reads an `imageIds` entry (already shape-validated: an object whose
// members, when present, are strings).
ImageId read_image_id(const boost::json::value& entry);

// Reads the whole `imageIds` list in request order, dropping exact
// duplicates (same digest and tag members) after their first occurrence.
std::vector<ImageId> read_image_ids(const boost::json::value* list);

// Checks one identifier:
//   neither member                           -> MissingDigestAndTag
//   digest not <alg>:<hex>, or an algorithm
//     / length berth cannot hold             -> InvalidImageDigest
//   tag outside the OCI tag grammar          -> InvalidImageTag
std::expected<CheckedImageId, ImageFailure> check_image_id(const ImageId& id);

// ECR's own digest shape: [a-zA-Z0-9-_+.]+:[a-fA-F0-9]+ (whole string).
bool matches_ecr_digest_pattern(std::string_view text);

ImageFailure image_failure(const ImageId& id, std::string_view code, std::string_view reason);

// {"imageDigest": ..., "imageTag": ...} with absent members left out.
boost::json::object image_id_json(const ImageId& id);
boost::json::object image_id_json(const oci::Digest& digest, std::string_view tag = {});
// {"imageId": ..., "failureCode": ..., "failureReason": ...}
boost::json::object image_failure_json(const ImageFailure& failure);

// The string member `key`, or nullopt when absent or not a string.
std::optional<std::string_view> string_member(const boost::json::object& input,
                                              std::string_view key);

// "{imageDigest:'sha256:…', imageTag:'null'}" as ECR prints an identifier
// inside exception messages.
std::string describe_image_id(const ImageId& id);

}  // namespace berth::api::ecr
