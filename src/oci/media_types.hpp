// The media types berth recognises for manifests and indexes.
#pragma once

#include <string_view>

namespace berth::oci::media_types {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// True for the manifest media types a registry stores (images and indexes).
bool is_manifest_media_type(std::string_view media_type);
bool is_index_media_type(std::string_view media_type);

// True for layers whose bytes a registry need not hold: the image spec's
// non-distributable layer types (application/vnd.oci.image.layer.
// nondistributable.v1.tar[+gzip|+zstd], deprecated but still pushed) and
// Docker's foreign layers (application/vnd.docker.image.rootfs.foreign.
// diff.tar.gzip), which name their source in `urls`.
bool is_non_distributable_layer(std::string_view media_type);

}  // namespace berth::oci::media_types
