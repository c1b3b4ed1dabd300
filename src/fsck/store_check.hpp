// The store checker: walks a registry's BlobStore and MetaStore and reports,
// as Findings, every way they disagree with the invariants the registry core
// promises (registry/registry.hpp):
//   - every blob's bytes hash to its digest (streamed, never held whole);
//   - every tag names a manifest stored in its repository;
//   - every manifest's stored bytes hash to its digest and parse, and every
//     blob it names exists in the blob store and is linked in its
//     repository, every child of an index exists in the repository;
//   - every blob a repository links exists in the blob store;
// and, as housekeeping, blobs nothing references (GC candidates) and stale
// or orphaned uploads. The same function serves `berth fsck` and the
// registry's fault-injection tests, which assert that no failure at any
// step of an operation leaves a kCorruption finding behind.
//
// The MetaStore interface lists repositories per registry, so the caller
// says which registries exist (fsck asks SQLite; tests know their own).
//
// A check only reads. Run against a live server it may report in-flight
// work (a blob committed but not yet linked shows as unreferenced, a young
// upload with one side missing is ignored for `orphan_grace`), never
// corruption that is not there.
//
// Thread-safety: check_stores is reentrant; the stores must be safe for
// the calls it makes, which they are by contract.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fsck/findings.hpp"
#include "storage/blob/blob_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::fsck {

// Called at each phase start and, while hashing, after every chunk; the
// callee throttles. Phases: "counting", "blobs", "manifests", "links",
// "uploads", "done".
using ProgressCallback = std::function<void(std::string_view phase, const CheckStats& stats)>;

struct CheckOptions {
  // Hash every blob's bytes (the slow part: reads the whole store).
  bool verify_blob_content = true;
  // Count blobs and bytes before hashing, so progress can show a total.
  bool count_blobs_first = false;
  // An upload older than this is stale.
  std::chrono::seconds stale_after = std::chrono::hours(24);
  // An upload with only one side (data without record, record without
  // data) is reported once older than min(orphan_grace, stale_after);
  // younger ones are taken for uploads in flight.
  std::chrono::seconds orphan_grace = std::chrono::minutes(10);
  // The time ages are measured from; the epoch means "now".
  std::chrono::system_clock::time_point now{};
  ProgressCallback progress;  // may be empty
  std::size_t page_size = 500;
  // What the server was allowed to accept (its --allow-sparse-indexes and
  // --put-image-validation lenient): absent children, absent blobs. Such
  // manifests are then not findings.
  bool allow_sparse_indexes = false;
  bool lenient_references = false;
};

// Errors only when a store fails as a whole (a walk or listing fails);
// problems with single items are findings.
Result<CheckReport> check_stores(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta,
                                 const CheckOptions& options = {});

// Streams a blob through the hash of its digest's algorithm; returns the
// digest of what was read. `on_bytes` (may be empty) gets each chunk's size.
// kBlobNotFound when absent; read errors as the store reports them;
// kCorruption when fewer bytes than the blob's size could be read.
Result<oci::Digest> hash_blob(storage::blob::BlobStore& blobs, const oci::Digest& digest,
                              const std::function<void(std::size_t)>& on_bytes = {});

}  // namespace berth::fsck
