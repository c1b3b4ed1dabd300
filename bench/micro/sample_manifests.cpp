#include "sample_manifests.hpp"

#include <array>
#include <string_view>

#include "crypto/hasher.hpp"
#include "oci/media_types.hpp"

namespace berth::bench {

namespace {

namespace mt = oci::media_types;

constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
constexpr std::uint64_t kConfigSize = 7023;

struct PlatformName {
  std::string_view architecture;
  std::string_view variant;
};

// The platforms of a typical multi-arch image (docker buildx --platform ...).
constexpr std::array<PlatformName, 8> kPlatforms = {{{"amd64", ""},
                                                     {"arm64", "v8"},
                                                     {"arm", "v7"},
                                                     {"arm", "v6"},
                                                     {"386", ""},
                                                     {"ppc64le", ""},
                                                     {"s390x", ""},
                                                     {"riscv64", ""}}};

std::string quoted(std::string_view text) {
  std::string json;
  json.reserve(text.size() + 2);
  json += '"';
  json += text;
  json += '"';
  return json;
}

// The descriptor fields without the closing brace, so a caller can add more.
std::string open_descriptor(std::string_view media_type, const oci::Digest& digest,
                            std::uint64_t size) {
  return "{\"mediaType\":" + quoted(media_type) + ",\"digest\":" + quoted(digest.str()) +
         ",\"size\":" + std::to_string(size);
}

// Layer sizes spread like a real image: a large base, smaller app layers.
std::uint64_t layer_size(std::uint64_t seed, std::size_t index) {
  return 30'000'000 / (index + 1) + (seed * 7919 + index * 104729) % 65536;
}

SampleImage image_manifest(std::uint64_t seed, std::size_t layer_count,
                           std::string_view manifest_type, std::string_view config_type,
                           std::string_view layer_type, std::string_view trailing_fields) {
  SampleImage image;
  image.media_type = std::string(manifest_type);
  image.config = seeded_digest(seed, "config");
  std::string layers;
  for (std::size_t i = 0; i < layer_count; ++i) {
    image.layers.push_back(seeded_digest(seed, "layer" + std::to_string(i)));
    if (i > 0) layers += ',';
    layers += open_descriptor(layer_type, image.layers.back(), layer_size(seed, i)) + "}";
  }
  image.content = "{\"schemaVersion\":2,\"mediaType\":" + quoted(manifest_type) +
                  ",\"config\":" + open_descriptor(config_type, image.config, kConfigSize) +
                  "},\"layers\":[" + layers + "]" + std::string(trailing_fields) + "}";
  return image;
}

}  // namespace

oci::Digest seeded_digest(std::uint64_t seed, std::string_view salt) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256,
                               crypto::sha256_hex(std::string(salt) + "/" + std::to_string(seed)));
}

SampleImage oci_image_manifest(std::uint64_t seed, std::size_t layer_count) {
  const std::string revision(seeded_digest(seed, "revision").hex().substr(0, 40));
  return image_manifest(seed, layer_count, mt::kOciManifest, mt::kOciConfig, kOciLayerGzip,
                        ",\"annotations\":{\"org.opencontainers.image.created\":"
                        "\"2025-01-01T12:00:00Z\",\"org.opencontainers.image.revision\":" +
                            quoted(revision) + "}");
}

SampleImage docker_schema2_manifest(std::uint64_t seed, std::size_t layer_count) {
  return image_manifest(seed, layer_count, mt::kDockerManifest, mt::kDockerConfig,
                        kDockerLayerGzip, "");
}

std::string oci_image_index(std::uint64_t seed, std::size_t child_count) {
  std::string children;
  for (std::size_t i = 0; i < child_count; ++i) {
    const PlatformName& platform = kPlatforms[i % kPlatforms.size()];
    if (i > 0) children += ',';
    children += open_descriptor(mt::kOciManifest, seeded_digest(seed * 64 + i, "child"), 1400 + i);
    children += ",\"platform\":{\"architecture\":" + quoted(platform.architecture) +
                ",\"os\":\"linux\"";
    if (!platform.variant.empty()) children += ",\"variant\":" + quoted(platform.variant);
    children += "}}";
  }
  return "{\"schemaVersion\":2,\"mediaType\":" + quoted(mt::kOciIndex) + ",\"manifests\":[" +
         children + "]}";
}

}  // namespace berth::bench
