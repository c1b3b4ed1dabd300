// Realistic manifest bodies shared by the benchmarks: what buildkit, docker
// and skopeo push, with digests that look random (real digests are) so
// lookups and B-tree inserts see the key distribution a registry sees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"

namespace berth::bench {

// A manifest body and the blobs it references.
struct SampleImage {
  std::string content;
  std::string media_type;
  oci::Digest config;
  std::vector<oci::Digest> layers;
};

// The sha256 digest of `seed` in decimal: a deterministic, random-looking digest.
oci::Digest seeded_digest(std::uint64_t seed, std::string_view salt);

// An OCI image manifest with a config and `layer_count` gzip layers, the
// annotations buildkit adds, about 1.2 KiB for five layers. Each seed gives
// different digests (and so a different manifest digest).
SampleImage oci_image_manifest(std::uint64_t seed, std::size_t layer_count = 5);

// The same image as a Docker schema 2 manifest (docker push, skopeo).
SampleImage docker_schema2_manifest(std::uint64_t seed, std::size_t layer_count = 5);

// An OCI image index listing `child_count` platform manifests.
std::string oci_image_index(std::uint64_t seed, std::size_t child_count = 8);

}  // namespace berth::bench
