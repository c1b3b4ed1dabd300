// Manifest format negotiation for ECR pulls (BatchGetImage's
// acceptedMediaTypes), and the one translation berth performs: Docker image
// manifest schema 2 <-> OCI image manifest, which ECR does when an image is
// pulled by tag in a format the client does not accept
// (docs/ecr-operations.md, "acceptedMediaTypes").
//
// Translation is a media-type rewrite: the manifest's own mediaType, its
// config's and its layers' are mapped between the two vocabularies; every
// other member (sizes, digests, urls, annotations, unknown members) is kept
// in its place. The result is new bytes with their own digest. Going to
// Docker schema 2 is refused for what schema 2 cannot say: OCI 1.1
// artifacts (artifactType, subject), a config that is not an image config,
// or a layer type without a Docker equivalent.
//
// Not translated: Docker schema 1 (berth stores none and produces none),
// manifest lists / image indexes.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"
#include "util/result.hpp"

namespace berth::api::ecr {

struct ServedManifest {
  std::string content;     // the bytes to return
  std::string media_type;  // imageManifestMediaType
  oci::Digest digest;      // sha256 of `content`
  bool translated = false;
};

// `content` (stored as `media_type`) rewritten as `target`. kUnsupported
// when the pair is not schema 2 <-> OCI manifest or the manifest holds
// something `target` cannot express; kManifestInvalid when `content` is not
// a manifest object.
Result<ServedManifest> translate_manifest(std::string_view content, std::string_view media_type,
                                          std::string_view target);

// What an ECR pull returns for a stored manifest:
//   `accepted` empty (acceptedMediaTypes omitted) -> the stored bytes;
//   the stored media type accepted                -> the stored bytes;
//   `by_tag` and a translation target accepted    -> the translation;
//   otherwise kUnsupported (message names the stored media type).
// Media types compare case-insensitively, parameters ignored.
Result<ServedManifest> negotiate_manifest(std::string_view content, std::string_view media_type,
                                          const oci::Digest& digest,
                                          const std::vector<std::string>& accepted, bool by_tag);

// The corresponding type in the other vocabulary (manifest, config and
// layer types); nullopt when there is none.
std::optional<std::string_view> docker_to_oci_media_type(std::string_view docker_type);
std::optional<std::string_view> oci_to_docker_media_type(std::string_view oci_type);

}  // namespace berth::api::ecr
