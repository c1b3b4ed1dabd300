// Registry: the one core both protocol front ends (OCI /v2/ and ECR) call.
// It is the only place that joins the BlobStore and the MetaStore, and it
// keeps their invariants:
//   - blob bytes are committed (durable, whole) before any metadata row
//     points at them, so a crash leaves at most unreferenced blobs;
//   - a manifest is stored only when every blob it names is linked in its
//     repository and every child of an index exists there;
//   - every mutation of metadata is one MetaStore transaction.
//
// All calls block (disk, database): front ends run them off the I/O threads.
// Upload data itself is appended by the caller through the BlobWriter it
// checks out, so bytes stream from the socket straight into the store.
//
// Thread-safety: safe for concurrent use. One upload is appended to by one
// request at a time; a second concurrent checkout of the same upload fails
// with kRangeInvalid.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "oci/digest.hpp"
#include "oci/manifest.hpp"
#include "oci/reference.hpp"
#include "registry/pull_recorder.hpp"
#include "storage/blob/blob_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::registry {

struct RegistryOptions {
  std::uint64_t max_manifest_size = 4 * 1024 * 1024;
  // Accept indexes whose children were not all pushed (the distribution
  // spec allows it; ECR refuses). Sizes then count the children present.
  bool allow_sparse_indexes = false;
  // How often pull times noted in memory are written to the MetaStore.
  std::chrono::milliseconds pull_flush_interval{1000};
};

// A repository within a registry (for ECR an account and region; the OCI
// front end serves the default registry).
struct RepositoryRef {
  std::string registry;
  std::string name;
};

struct UploadStatus {
  std::string id;
  std::uint64_t size = 0;  // bytes received; the next chunk starts here
};

struct PutManifestResult {
  oci::Digest digest;
  std::optional<oci::Digest> subject;
};

struct PutManifestRequest {
  oci::Reference reference;  // a tag, or the digest the client claims
  std::string content;       // the exact bytes
  std::string content_type;  // as sent; "" when absent
  // ECR's lenient PutImage: no referenced content need exist (blobs and
  // index children alike).
  bool lenient_references = false;
};

// Referrers of a subject, as descriptors for an OCI image index.
struct ReferrersResult {
  std::vector<oci::Descriptor> manifests;
  bool filtered = false;  // an artifactType filter was applied
};

class Registry {
 public:
  Registry(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta,
           RegistryOptions options = {});

  // ---- repositories ----
  // kNameInvalid for bad names, kRepositoryNotFound when absent.
  Result<storage::meta::RepositoryRecord> repository(const RepositoryRef& repo);
  // Names ascending, strictly after `after`, at most `limit`.
  Result<std::vector<std::string>> catalog(std::string_view registry, std::string_view after,
                                           std::size_t limit);

  // ---- blobs ----
  // The blob when it is linked in `repo` and present; kBlobNotFound otherwise
  // (kRepositoryNotFound when the repository does not exist).
  Result<storage::blob::BlobInfo> stat_blob(const RepositoryRef& repo, const oci::Digest& digest);
  // REQUIRES: offset <= size (else kRangeInvalid).
  Result<std::unique_ptr<storage::blob::BlobReader>> open_blob(const RepositoryRef& repo,
                                                               const oci::Digest& digest,
                                                               std::uint64_t offset = 0);
  // The size recorded when the blob was linked into `repo`, whether or not
  // its bytes are still present; kBlobNotFound when not linked.
  Result<std::uint64_t> blob_link_size(const RepositoryRef& repo, const oci::Digest& digest);
  // Unlinks the blob from the repository (bytes stay for the collector).
  Status delete_blob(const RepositoryRef& repo, const oci::Digest& digest);
  // Links a blob linked in `from` into `repo`; kBlobNotFound when `from`
  // does not hold it (the caller then starts an upload instead).
  Result<storage::blob::BlobInfo> mount_blob(const RepositoryRef& repo, const RepositoryRef& from,
                                             const oci::Digest& digest);

  // ---- uploads ----
  // Creates the repository if needed and an empty upload.
  Result<UploadStatus> begin_upload(const RepositoryRef& repo);
  // kUploadNotFound when absent or when it belongs to another repository.
  Result<UploadStatus> upload_status(const RepositoryRef& repo, std::string_view upload_id);
  // Takes the upload's writer for appending; hand it back with
  // checkin_upload, finish_upload or cancel_upload.
  Result<std::unique_ptr<storage::blob::BlobWriter>> checkout_upload(const RepositoryRef& repo,
                                                                     std::string_view upload_id);
  // Saves the writer's state (so the upload survives a restart) and parks it
  // for the next request.
  Result<UploadStatus> checkin_upload(std::unique_ptr<storage::blob::BlobWriter> writer);
  // Commits the upload under `digest` and links the blob into `repo`.
  // kDigestMismatch (the upload is discarded) when the bytes differ.
  Result<storage::blob::BlobInfo> finish_upload(const RepositoryRef& repo,
                                                std::unique_ptr<storage::blob::BlobWriter> writer,
                                                const oci::Digest& digest);
  // Discards an upload. kUploadNotFound when absent.
  Status cancel_upload(const RepositoryRef& repo, std::string_view upload_id);
  // Returns a checked-out writer that failed mid-request without saving.
  void release_upload(std::unique_ptr<storage::blob::BlobWriter> writer);

  // ---- manifests and tags ----
  Result<PutManifestResult> put_manifest(const RepositoryRef& repo,
                                         const PutManifestRequest& request);
  // Resolves a tag or digest. When `record_pull`, notes the pull time.
  Result<storage::meta::ManifestRecord> get_manifest(const RepositoryRef& repo,
                                                     const oci::Reference& reference,
                                                     bool record_pull);
  // Writes pulls noted in memory to the store, so that what is read next
  // reports them (DescribeImages). list_images does this itself.
  Status flush_pulls() { return pulls_.flush(); }
  // Notes a pull of the manifest now (for pulls served from a manifest
  // fetched without record_pull, e.g. a translated view).
  Status record_pull(const RepositoryRef& repo, const oci::Digest& digest);
  // The same two for a caller that has already looked the repository up
  // (a batch of 100 images in one repository needs one lookup, not 200).
  Result<storage::meta::ManifestRecord> get_manifest(const storage::meta::RepositoryRecord& repo,
                                                     const oci::Reference& reference,
                                                     bool record_pull);
  void record_pull(const storage::meta::RepositoryRecord& repo, const oci::Digest& digest);
  // By digest: the manifest and all its tags (kReferencedByIndex while an
  // index lists it). By tag: only the tag.
  Status delete_manifest(const RepositoryRef& repo, const oci::Reference& reference);
  Result<std::vector<std::string>> list_tags(const RepositoryRef& repo, std::string_view after,
                                             std::size_t limit);
  Result<ReferrersResult> referrers(const RepositoryRef& repo, const oci::Digest& subject,
                                    std::optional<std::string_view> artifact_type);

  // ---- administration (used by the ECR front end; repository_admin.cpp) ----
  // kAlreadyExists when present.
  Result<storage::meta::RepositoryRecord> create_repository(const RepositoryRef& repo,
                                                            std::string_view settings_json);
  Status update_repository_settings(const RepositoryRef& repo, std::string_view settings_json);
  // Reads the settings, applies `change` (which returns the new JSON or an
  // error that aborts), and writes the result, as one step with respect to
  // every other modify_* of this process, so concurrent changes to
  // different settings are never lost. Returns the updated record.
  using SettingsChange = std::function<Result<std::string>(const std::string& current)>;
  Result<storage::meta::RepositoryRecord> modify_repository_settings(const RepositoryRef& repo,
                                                                     const SettingsChange& change);
  // kRepositoryNotEmpty while it holds images, unless `force`.
  Result<storage::meta::RepositoryRecord> delete_repository(const RepositoryRef& repo, bool force);
  // Records in name order, strictly after `after`, at most `limit`.
  Result<std::vector<storage::meta::RepositoryRecord>> list_repository_records(
      std::string_view registry, std::string_view after, std::size_t limit);
  // Manifests with their tags, in digest order, strictly after `after_digest`.
  Result<std::vector<storage::meta::ManifestSummary>> list_images(const RepositoryRef& repo,
                                                                  std::string_view after_digest,
                                                                  std::size_t limit);
  Result<std::vector<std::string>> tags_of(const RepositoryRef& repo, const oci::Digest& digest);
  // ECR's delete-by-tag: removes the tag, and the image too when that was
  // its last tag (kReferencedByIndex, keeping the tag, if an index lists it).
  Status untag_image(const RepositoryRef& repo, std::string_view tag);

  // Runs `work`, which calls this registry's metadata operations from this
  // thread, with one commit for all of them (MetaStore::in_one_commit): a
  // batch of 100 deletions costs one sync instead of 100. If `work` fails,
  // the SQLite store keeps none of it.
  Status in_one_commit(const std::function<Status()>& work) { return meta_.in_one_commit(work); }
  // Runs `work`, which only reads, against one consistent state of the
  // metadata with one read transaction (MetaStore::in_one_snapshot).
  Status in_one_snapshot(const std::function<Status()>& work) {
    return meta_.in_one_snapshot(work);
  }

  // Registry-wide settings owned by the front ends (e.g. the ECR registry
  // policy) as a JSON object; "{}" when none were stored.
  Result<std::string> registry_settings(std::string_view registry);
  Status update_registry_settings(std::string_view registry, std::string_view settings_json);

  storage::blob::BlobStore& blobs() { return blobs_; }
  storage::meta::MetaStore& meta() { return meta_; }

 private:
  Result<storage::meta::RepositoryRecord> find_repository(const RepositoryRef& repo);
  Result<storage::meta::RepositoryRecord> ensure_repository(const RepositoryRef& repo);
  Result<std::unique_ptr<storage::blob::BlobWriter>> take_parked(std::string_view upload_id);

  storage::blob::BlobStore& blobs_;
  storage::meta::MetaStore& meta_;
  RegistryOptions options_;

  std::mutex uploads_mu_;
  // Writers parked between requests, so consecutive chunks skip reopening.
  std::unordered_map<std::string, std::unique_ptr<storage::blob::BlobWriter>> parked_;
  // Uploads currently checked out by a request.
  std::unordered_set<std::string> busy_;

  PullRecorder pulls_;
  std::mutex settings_mu_;  // serialises read-modify-write of settings
};

}  // namespace berth::registry
