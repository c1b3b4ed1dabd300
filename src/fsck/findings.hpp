// Findings: what a consistency check of a registry's stores reports, one
// value per problem or notable fact, and the counters a check keeps as it
// goes. Shared by the store checker (store_check.hpp), its repair
// (repair.hpp), `berth fsck` and the registry's fault-injection tests.
//
// Severity decides the verdict: any kCorruption finding means data a client
// was promised is wrong or unreachable (fsck exits 1); kWarning is worth an
// operator's look but breaks no promise; kInfo is housekeeping (garbage a
// collector reclaims: unreferenced blobs, stale uploads).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"
#include "storage/meta/meta_store.hpp"

namespace berth::fsck {

enum class Severity { kInfo, kWarning, kCorruption };

enum class FindingKind {
  // Blob store.
  kBlobCorrupt,       // bytes do not hash to the blob's digest
  kBlobUnreadable,    // reading the bytes failed
  kBlobUnreferenced,  // no link and no manifest names it (GC candidate)
  kBlobCollecting,    // tombstoned by a collection a crash interrupted (gc finishes it)
  kBlobCollectedButReferenced,  // tombstoned although referenced: the collector's
                                // invariant is broken
  // Manifests and tags.
  kManifestCorrupt,           // stored bytes do not hash to the manifest's digest
  kManifestUnparsable,        // stored bytes are not a valid manifest
  kManifestBlobMissing,       // a config/layer is absent from the blob store
  kManifestBlobUnlinked,      // a config/layer exists but is not linked in the repository
  kManifestBlobSizeMismatch,  // a descriptor's size differs from the blob's
  kManifestChildMissing,      // an index's child is not in the repository
  kTagDangling,               // a tag names a manifest the repository lacks
  // Metadata against the blob store.
  kLinkDangling,  // a repository links a blob the blob store lacks
  // Uploads.
  kUploadStale,         // older than the stale age
  kUploadOrphanData,    // staging data with no metadata record
  kUploadOrphanRecord,  // a metadata record with no staging data
};

std::string_view to_string(FindingKind kind);  // "blob_corrupt", ...
Severity severity_of(FindingKind kind);
std::string_view to_string(Severity severity);  // "info", "warning", "corruption"

struct Finding {
  FindingKind kind = FindingKind::kBlobCorrupt;
  // Where: empty / 0 when the finding is not about one repository.
  std::string registry;
  std::string repository;
  storage::meta::RepositoryId repository_id = 0;
  // What: the blob, manifest or (for tags and links) target digest; empty
  // for uploads.
  oci::Digest digest;
  // The manifest that names `digest` (manifest_* kinds), the tag (tag_*),
  // or the upload id (upload_*); "" otherwise.
  std::string subject;
  std::string message;     // human-readable, one line
  std::uint64_t size = 0;  // blob or upload size where known

  Severity severity() const { return severity_of(kind); }
};

// "corruption blob_corrupt sha256:… : bytes hash to sha256:…" — one line.
std::string describe(const Finding& finding);

struct CheckStats {
  std::uint64_t blobs = 0;        // blobs walked
  std::uint64_t blobs_total = 0;  // blobs counted up front (0 if not counted)
  std::uint64_t blob_bytes = 0;   // their total size
  std::uint64_t blob_bytes_total = 0;
  std::uint64_t bytes_hashed = 0;  // bytes read and hashed
  std::uint64_t registries = 0;
  std::uint64_t repositories = 0;
  std::uint64_t repositories_checked = 0;
  std::uint64_t manifests = 0;
  std::uint64_t tags = 0;
  std::uint64_t referenced_blobs = 0;  // distinct digests linked or named by a manifest
  std::uint64_t uploads = 0;           // distinct upload ids, either side
};

struct CheckReport {
  std::vector<Finding> findings;
  CheckStats stats;

  std::size_t count(FindingKind kind) const;
  std::size_t count(Severity severity) const;
  bool corrupt() const { return count(Severity::kCorruption) > 0; }
  // Findings of kCorruption severity only, for assertions in tests.
  std::vector<Finding> corruption() const;
  // Number of findings per kind, for summaries.
  std::map<std::string, std::size_t> counts_by_kind() const;
};

}  // namespace berth::fsck
