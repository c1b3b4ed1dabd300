// Manifest parsing and validation: turns the exact bytes a client pushed
// into a ParsedManifest, checking structure per the OCI image spec
// (image manifest, image index) and the Docker schema 2 formats
// (manifest, manifest list). Docker schema 1 is refused.
//
// Pure: no I/O. Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"
#include "util/result.hpp"

namespace berth::oci {

struct Platform {
  std::string architecture;
  std::string os;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
  std::string artifact_type;                       // "" when absent
  std::map<std::string, std::string> annotations;  // empty when absent
  std::optional<Platform> platform;
};

enum class ManifestKind { kImage, kIndex };

struct ParsedManifest {
  ManifestKind kind = ManifestKind::kImage;
  // The media type that applies: the body's "mediaType" when present,
  // else the Content-Type the client sent.
  std::string media_type;
  std::string artifact_type;  // "" when absent
  std::optional<Descriptor> config;   // images only
  std::vector<Descriptor> layers;     // images only
  std::vector<Descriptor> manifests;  // indexes only
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};

// Parses and validates `bytes`. `content_type` is the request's Content-Type
// ("" if none). kManifestInvalid (message says why) for malformed JSON,
// missing or ill-typed required fields, an unsupported or schema-1 media
// type, a mismatch between the body's mediaType and content_type, or an
// invalid descriptor (bad digest, negative size). A descriptor whose digest
// uses an unsupported algorithm is kManifestInvalid too.
Result<ParsedManifest> parse_manifest(std::string_view bytes, std::string_view content_type);

// The artifact type the referrers API reports for a manifest: its
// artifactType, else (images) its config media type, else "".
std::string effective_artifact_type(const ParsedManifest& m);

}  // namespace berth::oci
