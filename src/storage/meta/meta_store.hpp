// MetaStore: the registry's metadata — repositories, manifests, tags,
// references, blob links and uploads — as one transactional store.
//
// Manifests are kept byte-exact here (they are small, at most 4 MiB, and
// served far more often than they are written); layer and config bytes live
// in the BlobStore. Every mutating call is one transaction: it happens whole
// or not at all, and concurrent callers see either the state before or after.
//
// Repositories belong to a registry, named by an opaque id (for ECR the
// "<account>:<region>" pair); the OCI front end serves one default registry.
//
// Timestamps are milliseconds since the Unix epoch (UTC).
//
// Not-found results: every lookup returns the specific ErrorCode named in its
// comment (kRepositoryNotFound, kManifestNotFound, kBlobNotFound,
// kUploadNotFound), never kInternal, so callers can branch on it.
//
// Thread-safety: a MetaStore is safe for concurrent use from many threads.
// Calls may block (disk or network): never call them on an I/O thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"
#include "util/result.hpp"

namespace berth::storage::meta {

using RepositoryId = std::int64_t;

struct RepositoryRecord {
  RepositoryId id = 0;
  std::string registry;
  std::string name;
  std::int64_t created_at_ms = 0;
  // Settings owned by the front ends (tag mutability, scanning, encryption,
  // policies, resource tags) as one JSON object; "{}" when none were set.
  std::string settings_json = "{}";
};

// What find_or_create_repository() found or made.
struct EnsuredRepository {
  RepositoryRecord record;
  // This call inserted the repository. Of concurrent callers, in this
  // process or any other sharing the store, exactly one sees true: the one
  // whose insert won. Inside in_one_commit it holds once that commits.
  bool created = false;
};

// What registry_storage() measures.
struct RegistryStorage {
  std::uint64_t bytes = 0;    // sizes of the distinct blobs linked in the registry
  bool holds_digest = false;  // the asked digest is linked in one of its repositories
};

enum class ReferenceKind {
  kBlob,      // a config or layer blob (must be linked in the repository)
  kManifest,  // a child manifest of an index (must exist in the repository)
};

struct ManifestReference {
  oci::Digest digest;
  ReferenceKind kind = ReferenceKind::kBlob;
  std::uint64_t size = 0;
  // False for a non-distributable ("foreign") layer: its bytes may live
  // outside the registry (the descriptor's urls), so put_manifest does not
  // require it. Not stored: derived from the manifest again when needed.
  bool required = true;
};

// Where a manifest is kept (ECR's storage classes). Both are stored the
// same way; the class decides whether it may be pulled.
enum class StorageClass {
  kStandard,  // pullable (once a restore, see last_activated_at_ms, is over)
  kArchive,   // kept and listed, never pulled
};

struct ManifestRecord {
  oci::Digest digest;
  std::string media_type;
  std::string artifact_type;       // "" when none
  std::string config_media_type;   // "" for indexes
  std::uint64_t size = 0;          // == content.size()
  std::uint64_t image_size = 0;    // ECR: manifest + config + layers; an index: its largest image
  std::optional<oci::Digest> subject;
  std::int64_t pushed_at_ms = 0;
  std::int64_t last_pulled_at_ms = 0;  // 0 = never pulled
  StorageClass storage_class = StorageClass::kStandard;
  std::int64_t last_archived_at_ms = 0;   // 0 = never archived
  // When the manifest last became (or, during a restore, will become)
  // pullable again after an archive; 0 = never restored. The registry
  // stores a restore as a time in the future (registry/storage_class.hpp).
  std::int64_t last_activated_at_ms = 0;
  std::string content;             // the exact bytes; empty in summaries
};

// A manifest without its content, with the tags that point at it.
struct ManifestSummary {
  ManifestRecord manifest;  // content left empty
  std::vector<std::string> tags;
};

// One pull to note (see MetaStore::record_pulls).
struct PullRecord {
  RepositoryId repository = 0;
  oci::Digest digest;
  std::int64_t at_ms = 0;
};

struct UploadRecord {
  std::string id;
  RepositoryId repository = 0;
  std::int64_t started_at_ms = 0;
  // The right to append (see acquire_upload_lease): who holds it, and
  // until when. "" / 0 when nobody does.
  std::string lease_holder;
  std::int64_t lease_expires_at_ms = 0;
  // The size the last holder saved the upload at (release_upload_lease), so
  // a process can tell whether a writer it kept is still current.
  std::uint64_t saved_size = 0;
  // How many saves grew the upload (release_upload_lease with a larger
  // size): its parts so far, for the layer-parts quota.
  std::uint64_t parts = 0;
};

// A blob waiting for the collector: its last reference went away (or it was
// written and never linked) at `since_ms`, last in `registry`.
struct BlobReview {
  oci::Digest digest;
  std::int64_t since_ms = 0;
  std::string registry;
};

// What claim_blob decided.
enum class BlobVerdict {
  kKeep,     // referenced again, or not yet due: it left the queue (or stays)
  kCollect,  // tombstoned: delete its bytes, then finish_blob_collection
};

// Changes a settings JSON object inside the store's transaction: gets the
// current text, returns the new one, or an error that aborts the change.
using SettingsChange = std::function<Result<std::string>(const std::string& current)>;

// A tag to point at a manifest. When `immutable`, pointing it fails with
// kTagImmutable if the tag exists at all, even at the same manifest: ECR
// refuses a re-push to an immutable tag whatever its digest.
struct TagAssignment {
  std::string name;
  bool immutable = false;
};

struct PutManifestOptions {
  // Tags to point at the manifest in the same transaction (none: untagged;
  // several: the distribution spec's ?tag= parameters).
  std::vector<TagAssignment> tags;
  // When true, blob references need not be linked in the repository
  // (ECR's lenient PutImage).
  bool allow_missing_blobs = false;
  // When true, an index's children need not exist in the repository
  // (--allow-sparse-indexes, or ECR's lenient PutImage).
  bool allow_missing_children = false;
};

// A hold on a whole store (MetaStore::lock_store); released when destroyed.
class StoreLock {
 public:
  virtual ~StoreLock() = default;
};

enum class StoreLockMode {
  kShared,     // every serving process, for its lifetime
  kExclusive,  // offline repair (fsck --repair): nobody else may write
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;

  // ---- the whole store ----
  // Takes a hold on the store, so that offline repair never runs beside a
  // serving process, on one machine or on many. Never waits: kUnavailable
  // (message: in use) when a conflicting hold exists. A backend private to
  // its process (memory) always grants it.
  virtual Result<std::unique_ptr<StoreLock>> lock_store(StoreLockMode mode) {
    return std::make_unique<StoreLock>();
  }

  // Writes a consistent copy of the whole store, as of one instant, to a
  // new file (`berth backup`), while the store keeps serving. `file` must
  // not exist. Only an embedded store can: a database server has its own
  // tools (PostgreSQL: pg_dump), and kUnsupported says so.
  virtual Status snapshot_to(const std::filesystem::path& file) {
    return fail(ErrorCode::kUnsupported,
                "this metadata store cannot copy itself; back it up with its own tools "
                "(PostgreSQL: pg_dump)");
  }

  // ---- repositories ----
  // kRepositoryNotFound when absent.
  virtual Result<RepositoryRecord> get_repository(std::string_view registry,
                                                  std::string_view name) = 0;
  // Returns the repository, creating it (with settings "{}") if absent, and
  // whether this call created it (a push that creates a repository reports
  // it, and only the push that won a race may).
  virtual Result<EnsuredRepository> find_or_create_repository(std::string_view registry,
                                                              std::string_view name,
                                                              std::int64_t now_ms) = 0;
  // find_or_create_repository, for callers that do not care who created it.
  Result<RepositoryRecord> ensure_repository(std::string_view registry, std::string_view name,
                                             std::int64_t now_ms) {
    auto ensured = find_or_create_repository(registry, name, now_ms);
    if (!ensured) return std::unexpected(std::move(ensured).error());
    return std::move(ensured->record);
  }
  // kAlreadyExists when present.
  virtual Result<RepositoryRecord> create_repository(std::string_view registry,
                                                     std::string_view name,
                                                     std::string_view settings_json,
                                                     std::int64_t now_ms) = 0;
  // kRepositoryNotFound when absent.
  virtual Status update_repository_settings(RepositoryId id,
                                            std::string_view settings_json) = 0;
  // Reads the settings, applies `change` and writes the result, in one
  // transaction: concurrent changes, from any process, are never lost.
  // Returns the updated record; kRepositoryNotFound when absent; the
  // change's own error (and nothing written) when it refuses.
  virtual Result<RepositoryRecord> modify_repository_settings(RepositoryId id,
                                                              const SettingsChange& change) = 0;
  // Deletes the repository with all its manifests, tags, links and uploads
  // records. kRepositoryNotFound when absent.
  virtual Status delete_repository(RepositoryId id) = 0;
  // Names in ascending byte order strictly after `after` ("" = from the
  // start), at most `limit`.
  virtual Result<std::vector<std::string>> list_repositories(std::string_view registry,
                                                             std::string_view after,
                                                             std::size_t limit) = 0;
  // The same page as whole records (settings included).
  virtual Result<std::vector<RepositoryRecord>> list_repository_records(
      std::string_view registry, std::string_view after, std::size_t limit) = 0;
  // Every registry that holds a repository or stored settings, in ascending
  // byte order strictly after `after`, at most `limit`.
  virtual Result<std::vector<std::string>> list_registries(std::string_view after,
                                                           std::size_t limit) = 0;
  // Settings of a whole registry (e.g. the ECR registry policy) as a JSON
  // object; "{}" when none were stored.
  virtual Result<std::string> get_registry_settings(std::string_view registry) = 0;
  virtual Status put_registry_settings(std::string_view registry,
                                       std::string_view settings_json) = 0;
  // As modify_repository_settings, for a registry's settings ("{}" when
  // none were stored). Returns the new settings.
  virtual Result<std::string> modify_registry_settings(std::string_view registry,
                                                       const SettingsChange& change) = 0;
  // Documents a front end keeps per repository beside its settings, under a
  // name of its choosing (e.g. an ECR lifecycle policy preview), for state
  // too large or too rarely read to ride along with every repository
  // lookup, as settings_json does. They go with the repository.
  // The document's text; nullopt when there is none. kRepositoryNotFound
  // when the repository is absent.
  virtual Result<std::optional<std::string>> get_repository_document(
      RepositoryId id, std::string_view name) = 0;
  // Reads the document ("" when there is none), applies `change` and writes
  // the result ("" deletes it), in one transaction, as
  // modify_repository_settings does. Returns the new text ("" = none);
  // kRepositoryNotFound when absent; the change's own error (and nothing
  // written) when it refuses.
  virtual Result<std::string> modify_repository_document(RepositoryId id, std::string_view name,
                                                         const SettingsChange& change) = 0;
  // Number of manifests in the repository (DeleteRepository without force).
  virtual Result<std::uint64_t> count_manifests(RepositoryId id) = 0;
  // Number of repositories in the registry (0 when it holds none), for the
  // repositories-per-registry quota.
  virtual Result<std::uint64_t> count_repositories(std::string_view registry) = 0;
  // The bytes of the distinct blobs linked in the registry's repositories
  // (a blob linked in two of them counts once; 0 when none), and whether
  // `digest` is among them: the storage quota's measure. One indexed query
  // over the registry's links (no blob store scan); only asked when the
  // quota is on.
  virtual Result<RegistryStorage> registry_storage(std::string_view registry,
                                                   const oci::Digest& digest) = 0;

  // ---- blob links ----
  // Idempotent. kUnavailable while the blob is being collected (see
  // garbage collection below): the caller then uploads it again.
  virtual Status link_blob(RepositoryId repo, const oci::Digest& digest,
                           std::uint64_t size, std::int64_t now_ms) = 0;
  // The linked blob's size; kBlobNotFound when not linked.
  virtual Result<std::uint64_t> get_blob_link(RepositoryId repo,
                                              const oci::Digest& digest) = 0;
  // kBlobNotFound when not linked.
  virtual Status unlink_blob(RepositoryId repo, const oci::Digest& digest) = 0;
  // The end of an upload: links the blob (as link_blob) and deletes the
  // upload's record, in one transaction, so a push costs one commit. An
  // upload record already gone is not an error (a cancel may race the
  // finish; the blob is committed either way). kRepositoryNotFound when the
  // repository is gone, and then nothing changes.
  virtual Status link_uploaded_blob(std::string_view upload_id, RepositoryId repo,
                                    const oci::Digest& digest, std::uint64_t size,
                                    std::int64_t now_ms) = 0;

  // ---- manifests and tags ----
  // Stores the manifest (idempotent for identical digests: pushed_at is kept)
  // and its references, and points options.tags at it, in one transaction.
  // Putting a manifest that is stored in the archive class, or whose
  // restore is still under way (last_activated_at_ms after
  // manifest.pushed_at_ms), restores it at once: storage class standard,
  // last_activated_at_ms = manifest.pushed_at_ms (ECR: a re-push restores).
  // Fails, storing nothing, with kManifestBlobUnknown (detail = the digest)
  // when a required blob reference is not linked (unless
  // allow_missing_blobs) or a child manifest does not exist in the
  // repository (unless allow_missing_children); kTagImmutable (detail = the
  // tag) as described in TagAssignment.
  virtual Status put_manifest(RepositoryId repo, const ManifestRecord& manifest,
                              const std::vector<ManifestReference>& references,
                              const PutManifestOptions& options) = 0;
  // kManifestNotFound when absent.
  virtual Result<ManifestRecord> get_manifest(RepositoryId repo,
                                              const oci::Digest& digest) = 0;
  // The digest a tag points at; kManifestNotFound when the tag is absent.
  virtual Result<oci::Digest> resolve_tag(RepositoryId repo, std::string_view tag) = 0;
  // The manifest a tag points at, with its content: resolve_tag and then
  // get_manifest, as one lookup where the backend can make it one (a pull by
  // tag is the hottest read; on a networked database each lookup is a round
  // trip). kManifestNotFound when the tag is absent.
  virtual Result<ManifestRecord> get_manifest_by_tag(RepositoryId repo, std::string_view tag) {
    auto digest = resolve_tag(repo, tag);
    if (!digest) return std::unexpected(std::move(digest).error());
    return get_manifest(repo, *digest);
  }
  // Points an existing manifest's tag (kManifestNotFound when the manifest is
  // absent; kTagImmutable as in PutManifestOptions).
  virtual Status put_tag(RepositoryId repo, std::string_view tag,
                         const oci::Digest& digest, bool immutable_tags) = 0;
  // kManifestNotFound when the tag is absent.
  virtual Status delete_tag(RepositoryId repo, std::string_view tag) = 0;
  // Deletes a manifest, its tags and its outgoing references, and the
  // manifests whose subject it is (its referrers: signatures, SBOMs), as
  // ECR does, unless an index lists them. kManifestNotFound when absent;
  // kReferencedByIndex (detail = the index's digest) while an index in the
  // repository lists it as a child.
  virtual Status delete_manifest(RepositoryId repo, const oci::Digest& digest) = 0;
  // Tags in ascending byte order strictly after `after`, at most `limit`.
  virtual Result<std::vector<std::string>> list_tags(RepositoryId repo,
                                                     std::string_view after,
                                                     std::size_t limit) = 0;
  // Tags pointing at a manifest, ascending.
  virtual Result<std::vector<std::string>> tags_of(RepositoryId repo,
                                                   const oci::Digest& digest) = 0;
  // Manifests in ascending digest order strictly after `after_digest`
  // ("" = from the start), at most `limit`, each with its tags.
  virtual Result<std::vector<ManifestSummary>> list_manifests(
      RepositoryId repo, std::string_view after_digest, std::size_t limit) = 0;
  // Manifests whose subject is `subject`, with content, ascending digest.
  virtual Result<std::vector<ManifestRecord>> list_referrers(
      RepositoryId repo, const oci::Digest& subject) = 0;
  // Digests of the indexes in the repository that list `child`.
  virtual Result<std::vector<oci::Digest>> parents_of(RepositoryId repo,
                                                      const oci::Digest& child) = 0;
  // Moves a manifest to `target`, together with its referrers (those that
  // delete_manifest would take along), in one transaction, stamping
  // last_archived_at_ms (kArchive) or last_activated_at_ms (kStandard) with
  // `at_ms`; other manifests' records are not touched. kManifestNotFound when
  // absent; kReferencedByIndex (detail = the index's digest) when archiving
  // a manifest that an index of the standard class in the repository lists.
  virtual Status set_storage_class(RepositoryId repo, const oci::Digest& digest,
                                   StorageClass target, std::int64_t at_ms) = 0;
  // Sets last_pulled_at. kManifestNotFound when absent.
  virtual Status record_pull(RepositoryId repo, const oci::Digest& digest,
                             std::int64_t now_ms) = 0;
  // Sets last_pulled_at for many manifests in one transaction, never moving
  // it backwards; manifests deleted meanwhile are skipped. May return before
  // it is durable: a crash may lose the most recent pull times.
  virtual Status record_pulls(const std::vector<PullRecord>& pulls) = 0;

  // ---- uploads ----
  // kAlreadyExists when the id is taken. May return before it is durable:
  // a crash may lose an upload that has not been finished (the client then
  // starts again); any later durable write makes it durable too. A lease
  // in the record is held from the start.
  virtual Status create_upload(const UploadRecord& upload) = 0;
  // kUploadNotFound when absent.
  virtual Result<UploadRecord> get_upload(std::string_view id) = 0;
  // Takes the right to append to an upload for `holder` (a token unique to
  // one request) until now_ms + ttl_ms, so that two requests, in one process
  // or in several, never write one upload at once. Renewing one's own lease
  // is allowed; a lease past its expiry is free to take. Returns the record
  // as it stands with the lease; kUploadNotFound when absent; kRangeInvalid
  // (detail = the upload id) while another holder's lease is live. Need not
  // be durable: after a crash every lease is moot anyway.
  virtual Result<UploadRecord> acquire_upload_lease(std::string_view id, std::string_view holder,
                                                    std::int64_t now_ms,
                                                    std::int64_t ttl_ms) = 0;
  // Frees every upload lease, returning how many were held. For a process
  // that starts while it holds the store exclusively (lock_store): then
  // every lease belongs to a process that died, and waiting out their
  // expiry would only stall the clients that resume after a crash.
  // REQUIRES: no other process uses the store.
  virtual Result<std::uint64_t> clear_upload_leases() = 0;
  // Gives the lease up (when `holder` holds it; otherwise does nothing) and,
  // when given, records the size the upload was saved at, counting one more
  // part when that size is larger than the last. kUploadNotFound when the
  // upload is gone. Need not be durable.
  virtual Status release_upload_lease(std::string_view id, std::string_view holder,
                                      std::optional<std::uint64_t> saved_size) = 0;
  // kUploadNotFound when absent.
  virtual Status delete_upload(std::string_view id) = 0;
  // Every upload record (for GC of stale uploads).
  virtual Status walk_uploads(const std::function<Status(const UploadRecord&)>& visit) = 0;

  // ---- several calls, one commit ----
  // Runs `work` (which calls this store from this thread) so that its
  // mutating calls become durable together, with one commit instead of one
  // each. Every call inside is still atomic on its own and sees the effects
  // of the calls before it. When `work` or the final commit fails, a
  // transactional backend (SQLite, PostgreSQL) keeps none of the calls; the
  // memory backend, which has nothing to make durable, runs them one by one
  // and keeps those that succeeded. Nested calls join the outer one.
  // A backend shared between processes (PostgreSQL) isolates `work` from
  // them as if it ran alone, and when another process's concurrent change
  // makes that impossible it throws the attempt away and runs `work` again,
  // whole: `work` must start from scratch each time (reset what it
  // collects), and have no effects outside this store.
  // REQUIRES: `work` does not wait for other threads' writes to this store
  // (they wait for it).
  virtual Status in_one_commit(const std::function<Status()>& work) { return work(); }

  // Runs `work`, whose calls to this store from this thread only read, so
  // that they all see one consistent state and share one read transaction
  // (a batch of 100 lookups pays for one). A write from inside `work`
  // commits on its own, and the reads after it in `work` may not see it.
  // Inside in_one_commit() this simply runs `work`.
  virtual Status in_one_snapshot(const std::function<Status()>& work) { return work(); }

  // Runs `work`, whose calls to this store from this thread only read, in
  // whichever way makes a few small reads cheapest, and promises nothing
  // about consistency (in_one_snapshot() does). SQLite shares one read
  // transaction: each statement on its own takes and drops the WAL read
  // lock, and three of those cost a manifest GET ~15 % of its CPU.
  // PostgreSQL runs the reads as they come: a transaction around them
  // would add two round trips.
  virtual Status in_one_read(const std::function<Status()>& work) { return work(); }

  // ---- garbage collection ----
  // A blob is live while a manifest, in any repository of any registry,
  // references it. A blob only linked into repositories (uploaded or
  // mounted, no manifest yet) is live for a grace period, then garbage: its
  // links go with it, as Distribution's collector drops them.
  //
  // The collector never scans the store to find garbage: the writes that
  // may leave a blob unreferenced queue it for review, stamped with the
  // store's clock and the repository's registry: link_blob (a mount),
  // unlink_blob, delete_manifest (the blobs it referenced), delete_repository
  // (every blob it linked or referenced); uploads queue what they commit
  // (queue_blob_review). A blob that is being collected is tombstoned:
  // linking it (link_blob, link_uploaded_blob) fails with kUnavailable until
  // its collection finishes, so nothing can come back to vanishing bytes.

  // Visits every blob digest that any repository links or any manifest
  // references (each digest at least once).
  virtual Status walk_referenced_blobs(
      const std::function<Status(const oci::Digest&)>& visit) = 0;
  // Whether a manifest in any repository of any registry references the blob.
  virtual Result<bool> blob_referenced(const oci::Digest& digest) = 0;
  // Queues a blob for review (upsert: a later since_ms wins). Need not be
  // durable: a queued blob whose queueing is lost stays until a full sweep.
  virtual Status queue_blob_review(const oci::Digest& digest, std::int64_t since_ms,
                                   std::string_view registry) = 0;
  // Queued blobs whose since_ms is at or before `due_ms`, in digest order
  // strictly after `after`, at most `limit`.
  virtual Result<std::vector<BlobReview>> due_blob_reviews(std::int64_t due_ms,
                                                           std::string_view after,
                                                           std::size_t limit) = 0;
  // In one transaction: a blob no longer queued, or queued after `due_ms`,
  // is kKeep and left alone; a blob a manifest references leaves the queue
  // (kKeep); otherwise it leaves the queue, its links in every repository
  // are dropped, and it is tombstoned (kCollect).
  virtual Result<BlobVerdict> claim_blob(const oci::Digest& digest, std::int64_t due_ms) = 0;
  // Removes the tombstone once the bytes are gone (or were never there).
  virtual Status finish_blob_collection(const oci::Digest& digest) = 0;
  // Tombstoned blobs, in digest order after `after` (a collection a crash
  // interrupted: the next run deletes their bytes and finishes them).
  virtual Result<std::vector<oci::Digest>> blob_tombstones(std::string_view after,
                                                           std::size_t limit) = 0;

  // ---- named leases ----
  // A lease on a named job (the collector, the lifecycle evaluator), so
  // that one process at a time runs it: true when `holder` now holds it
  // until now_ms + ttl_ms (taken free or expired, or renewed), false while
  // another holder's lease is live.
  virtual Result<bool> acquire_job_lease(std::string_view job, std::string_view holder,
                                         std::int64_t now_ms, std::int64_t ttl_ms) = 0;
  // Gives it up when `holder` holds it; otherwise does nothing.
  virtual Status release_job_lease(std::string_view job, std::string_view holder) = 0;
};

}  // namespace berth::storage::meta
