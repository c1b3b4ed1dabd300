#include "oci/media_types.hpp"

#include <gtest/gtest.h>

namespace berth::oci::media_types {
namespace {

TEST(MediaTypes, ManifestTypes) {
  EXPECT_TRUE(is_manifest_media_type(kOciManifest));
  EXPECT_TRUE(is_manifest_media_type(kOciIndex));
  EXPECT_TRUE(is_manifest_media_type(kDockerManifest));
  EXPECT_TRUE(is_manifest_media_type(kDockerManifestList));
  EXPECT_FALSE(is_manifest_media_type(kOciConfig));
  EXPECT_FALSE(is_manifest_media_type(kOciEmpty));
  EXPECT_FALSE(is_manifest_media_type(kDockerConfig));
  EXPECT_FALSE(is_manifest_media_type(kDockerSchema1));
  EXPECT_FALSE(is_manifest_media_type(kDockerSchema1Signed));
  EXPECT_FALSE(is_manifest_media_type(""));
  EXPECT_FALSE(is_manifest_media_type("application/json"));
  EXPECT_FALSE(is_manifest_media_type("APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON"));
}

TEST(MediaTypes, IndexTypes) {
  EXPECT_TRUE(is_index_media_type(kOciIndex));
  EXPECT_TRUE(is_index_media_type(kDockerManifestList));
  EXPECT_FALSE(is_index_media_type(kOciManifest));
  EXPECT_FALSE(is_index_media_type(kDockerManifest));
  EXPECT_FALSE(is_index_media_type(""));
}

}  // namespace
}  // namespace berth::oci::media_types
