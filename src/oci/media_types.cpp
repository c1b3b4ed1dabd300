#include "oci/media_types.hpp"

namespace berth::oci::media_types {

bool is_manifest_media_type(std::string_view media_type) {
  return media_type == kOciManifest || media_type == kDockerManifest ||
         is_index_media_type(media_type);
}

bool is_index_media_type(std::string_view media_type) {
  return media_type == kOciIndex || media_type == kDockerManifestList;
}

bool is_non_distributable_layer(std::string_view media_type) {
  return media_type.starts_with("application/vnd.oci.image.layer.nondistributable.") ||
         media_type == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" ||
         media_type == "application/vnd.docker.image.rootfs.foreign.diff.tar";
}

}  // namespace berth::oci::media_types
