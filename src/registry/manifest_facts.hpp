// What the core derives from a validated manifest before storing it: the
// metadata record (sizes, media types, subject) and the references the
// store must check and keep (blobs of an image, children of an index).
// Also the tag-mutability decision, which reads the repository settings
// the ECR front end writes.
//
// Pure functions. Thread-safety: none needed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"
#include "oci/manifest.hpp"
#include "storage/meta/meta_store.hpp"

namespace berth::registry {

struct ManifestFacts {
  storage::meta::ManifestRecord record;  // pushed_at left 0 for the caller
  std::vector<storage::meta::ManifestReference> references;
};

ManifestFacts manifest_facts(const oci::ParsedManifest& parsed, std::string_view content,
                             const oci::Digest& digest);

// True when pushing `tag` must not move it, given the repository's settings
// JSON ({"imageTagMutability": MUTABLE | IMMUTABLE | IMMUTABLE_WITH_EXCLUSION |
// MUTABLE_WITH_EXCLUSION, "imageTagMutabilityExclusionFilters":
// [{"filterType":"WILDCARD","filter":"..."}]}). An empty tag is never immutable.
bool tags_immutable(std::string_view settings_json, std::string_view tag);

// '*' matches any run of characters, everything else itself.
bool wildcard_match(std::string_view pattern, std::string_view text);

}  // namespace berth::registry
