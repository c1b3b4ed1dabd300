// Registry: the one core both protocol front ends (OCI /v2/ and ECR) call.
// It is the only place that joins the BlobStore and the MetaStore, and it
// keeps their invariants:
//   - blob bytes are committed (durable, whole) before any metadata row
//     points at them, so a crash leaves at most unreferenced blobs;
//   - a manifest is stored only when every blob it names is linked in its
//     repository and every child of an index exists there (unless the
//     caller or the options relax it);
//   - every mutation of metadata is one MetaStore transaction.
//
// The byte path is the core's own: uploads go through an UploadSession and
// blob reads come back as a BlobContent (a file range, a stream or a
// redirect), both awaitable, with the blocking work (hashing, disk, S3) done
// on the blocking pool the core was given. Front ends never see a writer, a
// reader or a file descriptor of a store. The other calls block (database):
// front ends run them off the I/O threads.
//
// Thread-safety: safe for concurrent use. One upload is appended to by one
// request at a time, in this process or any other sharing the stores: a
// second concurrent open of the same upload fails with kRangeInvalid.
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
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "oci/digest.hpp"
#include "oci/manifest.hpp"
#include "oci/reference.hpp"
#include "registry/byte_stream.hpp"
#include "registry/events.hpp"
#include "registry/pull_recorder.hpp"
#include "registry/quotas.hpp"
#include "registry/types.hpp"
#include "registry/upload_session.hpp"
#include "util/result.hpp"

namespace berth::registry {

struct RegistryOptions {
  std::uint64_t max_manifest_size = 4 * 1024 * 1024;
  // Accept indexes whose children were not all pushed (the distribution
  // spec allows it; ECR refuses). Sizes then count the children present.
  bool allow_sparse_indexes = false;
  // How often pull times noted in memory are written to the MetaStore.
  std::chrono::milliseconds pull_flush_interval{1000};
  // When non-zero, read_blob answers with a URL of the blob store valid
  // this long, where the store can make one (--blob-redirect).
  std::chrono::seconds blob_redirect_ttl{0};
  // Told of every committed change (events.hpp); unset: nobody listens.
  EventSink events;
  // Per-registry limits (quotas.hpp); kQuotaExceeded past them.
  Quotas quotas;
};

// A repository within a registry (for ECR an account and region; the OCI
// front end serves the default registry).
struct RepositoryRef {
  std::string registry;
  std::string name;
};

// The state of an image a lifecycle action was decided on; the action is
// skipped when the image no longer is in it (expire_image, archive_image).
struct ImageExpectation {
  std::vector<std::string> tags;  // ascending, as tags_of returns them
  storage::meta::StorageClass storage_class = storage::meta::StorageClass::kStandard;
};

struct PutManifestResult {
  oci::Digest digest;
  std::optional<oci::Digest> subject;
  std::vector<std::string> tags;  // every tag now pointing at it, as applied
};

struct PutManifestRequest {
  oci::Reference reference;  // a tag, or the digest the client claims
  std::string content;       // the exact bytes
  std::string content_type;  // as sent; "" when absent
  // ECR's lenient PutImage: no referenced content need exist (blobs and
  // index children alike).
  bool lenient_references = false;
  // More tags to point at the manifest in the same transaction (the
  // distribution spec's ?tag= parameters on a PUT by digest); each is
  // validated (kTagInvalid).
  std::vector<std::string> tags;
};

// At most this many ?tag= parameters on one manifest PUT (the spec asks a
// registry to take at least 10).
inline constexpr std::size_t kMaxTagsPerPut = 100;

// Referrers of a subject, as descriptors for an OCI image index.
struct ReferrersResult {
  std::vector<oci::Descriptor> manifests;
  bool filtered = false;  // an artifactType filter was applied
};

class Registry {
 public:
  // `blocking` runs the byte path's blocking work; it must outlive the
  // Registry and every session it opens, and the stores must outlive the
  // work posted to it (a lease given back after a session ended).
  Registry(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta,
           boost::asio::thread_pool& blocking, RegistryOptions options = {});

  // ---- repositories ----
  // kNameInvalid for bad names, kRepositoryNotFound when absent.
  Result<RepositoryRecord> repository(const RepositoryRef& repo);
  // Names ascending, strictly after `after`, at most `limit`.
  Result<std::vector<std::string>> catalog(std::string_view registry, std::string_view after,
                                           std::size_t limit);

  // ---- blobs ----
  // The blob when it is linked in `repo` and present; kBlobNotFound otherwise
  // (kRepositoryNotFound when the repository does not exist).
  Result<BlobInfo> stat_blob(const RepositoryRef& repo, const oci::Digest& digest);
  // `length` bytes of the blob from `offset` (the whole blob: 0 and its
  // size), as a file range, a stream or a redirect (see BlobContent); errors
  // as stat_blob, kRangeInvalid past the end.
  boost::asio::awaitable<Result<BlobContent>> read_blob(const RepositoryRef& repo,
                                                        const oci::Digest& digest,
                                                        std::uint64_t offset,
                                                        std::uint64_t length);
  // The size recorded when the blob was linked into `repo`, whether or not
  // its bytes are still present; kBlobNotFound when not linked.
  Result<std::uint64_t> blob_link_size(const RepositoryRef& repo, const oci::Digest& digest);
  // Unlinks the blob from the repository (bytes stay for the collector).
  Status delete_blob(const RepositoryRef& repo, const oci::Digest& digest);
  // Links a blob linked in `from` into `repo`; kBlobNotFound when `from`
  // does not hold it (the caller then starts an upload instead).
  Result<BlobInfo> mount_blob(const RepositoryRef& repo, const RepositoryRef& from,
                              const oci::Digest& digest);

  // ---- uploads ----
  // Creates the repository if needed and an empty upload nobody holds.
  Result<UploadStatus> begin_upload(const RepositoryRef& repo);
  // Creates an upload already opened by the caller (a push in one request).
  boost::asio::awaitable<Result<std::unique_ptr<UploadSession>>> begin_upload_session(
      const RepositoryRef& repo);
  // Opens an upload for appending: takes its lease. kUploadNotFound when
  // absent or when it belongs to another repository; kRangeInvalid while
  // another request holds it.
  boost::asio::awaitable<Result<std::unique_ptr<UploadSession>>> open_upload(
      const RepositoryRef& repo, std::string_view upload_id);
  // Where the upload stands as last saved. kUploadNotFound as open_upload.
  Result<UploadStatus> upload_status(const RepositoryRef& repo, std::string_view upload_id);
  // Discards an upload, even one a request is writing (that request then
  // fails). kUploadNotFound when absent.
  Status cancel_upload(const RepositoryRef& repo, std::string_view upload_id);

  // ---- manifests and tags ----
  Result<PutManifestResult> put_manifest(const RepositoryRef& repo,
                                         const PutManifestRequest& request);
  // Resolves a tag or digest. When `record_pull`, notes the pull time.
  Result<ManifestRecord> get_manifest(const RepositoryRef& repo,
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
  Result<ManifestRecord> get_manifest(const RepositoryRecord& repo,
                                                     const oci::Reference& reference,
                                                     bool record_pull);
  void record_pull(const RepositoryRecord& repo, const oci::Digest& digest);
  // By digest: the manifest and all its tags (kReferencedByIndex while an
  // index lists it). By tag: only the tag.
  Status delete_manifest(const RepositoryRef& repo, const oci::Reference& reference);
  Result<std::vector<std::string>> list_tags(const RepositoryRef& repo, std::string_view after,
                                             std::size_t limit);
  Result<ReferrersResult> referrers(const RepositoryRef& repo, const oci::Digest& subject,
                                    std::optional<std::string_view> artifact_type);

  // ---- storage classes: ECR's archive (archive.cpp, image_status.hpp) ----
  // get_manifest for a pull (/v2/ GET and HEAD, BatchGetImage): also
  // kImageArchived while the image is ARCHIVED or ACTIVATING.
  Result<ManifestRecord> pull_manifest(const RepositoryRef& repo, const oci::Reference& reference,
                                       bool record_pull);
  Result<ManifestRecord> pull_manifest(const RepositoryRecord& repo,
                                       const oci::Reference& reference, bool record_pull);
  // Archives an image (with its referrers) now, or starts its restore (it
  // is ACTIVATING for kRestoreDuration); asking for the class it already
  // has (or is being restored to) changes nothing. Returns the image as it
  // then is. kManifestNotFound; kReferencedByIndex (detail = the index)
  // to archive an image an index of the standard class lists; kUnsupported
  // to archive an image whose restore is under way.
  Result<ManifestRecord> update_storage_class(const RepositoryRef& repo,
                                              const oci::Reference& reference,
                                              storage::meta::StorageClass target);
  // A lifecycle action, in one commit, if the image is still as expected:
  // true when done, false when skipped (the image changed, went, or an
  // index now holds it back). expire_image deletes it with its referrers
  // (their blobs then go to the collector); archive_image archives it (and
  // its referrers) as of at_ms.
  Result<bool> expire_image(const RepositoryRef& repo, const oci::Digest& digest,
                            const ImageExpectation& expected);
  Result<bool> archive_image(const RepositoryRef& repo, const oci::Digest& digest,
                             const ImageExpectation& expected, std::int64_t at_ms);

  // ---- administration (used by the ECR front end; repository_admin.cpp) ----
  // kAlreadyExists when present.
  Result<RepositoryRecord> create_repository(const RepositoryRef& repo,
                                                            std::string_view settings_json);
  Status update_repository_settings(const RepositoryRef& repo, std::string_view settings_json);
  // Reads the settings, applies `change` (which returns the new JSON or an
  // error that aborts), and writes the result, in one metadata transaction,
  // so concurrent changes to different settings, from any process, are
  // never lost. Returns the updated record.
  Result<RepositoryRecord> modify_repository_settings(const RepositoryRef& repo,
                                                      const SettingsChange& change);
  // kRepositoryNotEmpty while it holds images, unless `force`.
  Result<RepositoryRecord> delete_repository(const RepositoryRef& repo, bool force);
  // Records in name order, strictly after `after`, at most `limit`.
  Result<std::vector<RepositoryRecord>> list_repository_records(
      std::string_view registry, std::string_view after, std::size_t limit);
  // Manifests with their tags, in digest order, strictly after `after_digest`.
  Result<std::vector<ManifestSummary>> list_images(const RepositoryRef& repo,
                                                                  std::string_view after_digest,
                                                                  std::size_t limit);
  Result<std::vector<std::string>> tags_of(const RepositoryRef& repo, const oci::Digest& digest);
  // Every registry holding a repository, ascending, after `after`.
  Result<std::vector<std::string>> registries(std::string_view after, std::size_t limit);
  // A front end's per-repository documents (MetaStore::get_repository_document).
  Result<std::optional<std::string>> repository_document(const RepositoryRef& repo,
                                                         std::string_view name);
  Result<std::string> modify_repository_document(const RepositoryRef& repo, std::string_view name,
                                                 const SettingsChange& change);
  // ECR's delete-by-tag: removes the tag, and the image too when that was
  // its last tag (kReferencedByIndex, keeping the tag, if an index lists it).
  Status untag_image(const RepositoryRef& repo, std::string_view tag);

  // Runs `work`, which calls this registry's metadata operations from this
  // thread, with one commit for all of them (MetaStore::in_one_commit): a
  // batch of 100 deletions costs one sync instead of 100. If `work` fails,
  // a transactional store keeps none of it; PostgreSQL may run `work` again
  // after a conflict with another process, so it must start from scratch.
  // Events (events.hpp) of the changes `work` makes are held back until the
  // commit succeeds: a rolled-back or repeated run sends none.
  Status in_one_commit(const std::function<Status()>& work);
  // Runs `work`, which only reads, against one consistent state of the
  // metadata with one read transaction (MetaStore::in_one_snapshot).
  Status in_one_snapshot(const std::function<Status()>& work) {
    return meta_.in_one_snapshot(work);
  }
  // Runs `work`, which only reads, as cheaply as the store can group a few
  // reads (MetaStore::in_one_read); no consistency is promised.
  Status in_one_read(const std::function<Status()>& work) { return meta_.in_one_read(work); }

  // Registry-wide settings owned by the front ends (e.g. the ECR registry
  // policy) as a JSON object; "{}" when none were stored.
  Result<std::string> registry_settings(std::string_view registry);
  Status update_registry_settings(std::string_view registry, std::string_view settings_json);
  // As modify_repository_settings, for a registry's settings; returns them.
  Result<std::string> modify_registry_settings(std::string_view registry,
                                               const SettingsChange& change);

 private:
  friend class UploadSession;

  Result<RepositoryRecord> find_repository(const RepositoryRef& repo);
  Result<RepositoryRecord> ensure_repository(const RepositoryRef& repo);
  // Opens the upload's writer under a lease `holder` already holds: the
  // parked one when it is current (saved at `saved_size`), else resumed.
  Result<std::unique_ptr<storage::blob::BlobWriter>> writer_for(const storage::meta::UploadRecord& upload);

  // For UploadSession.
  storage::blob::BlobStore& blobs() { return blobs_; }
  storage::meta::MetaStore& meta() { return meta_; }
  boost::asio::thread_pool& blocking() { return blocking_; }
  // Keeps a saved writer for the upload's next request in this process.
  void park_writer(const std::string& upload_id, std::unique_ptr<storage::blob::BlobWriter> writer);
  // Gives a lease back, on the blocking pool (from a destructor) or here.
  void release_lease_later(const std::string& upload_id, const std::string& holder);
  void release_lease_now(const std::string& upload_id, const std::string& holder);

  // Tells options_.events, if set, with the time filled in.
  void emit(RegistryEvent event) const;

  storage::blob::BlobStore& blobs_;
  storage::meta::MetaStore& meta_;
  boost::asio::thread_pool& blocking_;
  RegistryOptions options_;

  static constexpr std::size_t kMaxParkedWriters = 1024;
  std::mutex parked_mu_;
  // Writers saved by a request, so the upload's next chunk in this process
  // skips reopening; only used while the upload's saved size matches.
  std::unordered_map<std::string, std::unique_ptr<storage::blob::BlobWriter>> parked_;

  PullRecorder pulls_;
};

}  // namespace berth::registry
