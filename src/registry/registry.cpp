#include "registry/registry.hpp"

#include <algorithm>

#include "crypto/hasher.hpp"
#include "crypto/ids.hpp"
#include "registry/manifest_facts.hpp"
#include "util/time.hpp"

namespace berth::registry {

namespace blob = storage::blob;
namespace meta = storage::meta;

Registry::Registry(blob::BlobStore& blobs, meta::MetaStore& meta, RegistryOptions options)
    : blobs_(blobs), meta_(meta), options_(options), pulls_(meta, options.pull_flush_interval) {}

// ---- repositories ----

Result<meta::RepositoryRecord> Registry::find_repository(const RepositoryRef& repo) {
  BERTH_TRY_STATUS(oci::validate_repository_name(repo.name));
  return meta_.get_repository(repo.registry, repo.name);
}

Result<meta::RepositoryRecord> Registry::ensure_repository(const RepositoryRef& repo) {
  BERTH_TRY_STATUS(oci::validate_repository_name(repo.name));
  return meta_.ensure_repository(repo.registry, repo.name, now_ms());
}

Result<meta::RepositoryRecord> Registry::repository(const RepositoryRef& repo) {
  return find_repository(repo);
}

Result<std::vector<std::string>> Registry::catalog(std::string_view registry,
                                                   std::string_view after, std::size_t limit) {
  return meta_.list_repositories(registry, after, limit);
}

// ---- blobs ----

Result<blob::BlobInfo> Registry::stat_blob(const RepositoryRef& repo, const oci::Digest& digest) {
  auto record = BERTH_TRY(find_repository(repo));
  BERTH_TRY(meta_.get_blob_link(record.id, digest));
  return blobs_.stat(digest);
}

Result<std::unique_ptr<blob::BlobReader>> Registry::open_blob(const RepositoryRef& repo,
                                                              const oci::Digest& digest,
                                                              std::uint64_t offset) {
  auto record = BERTH_TRY(find_repository(repo));
  BERTH_TRY(meta_.get_blob_link(record.id, digest));
  return blobs_.open(digest, offset);
}

Result<std::uint64_t> Registry::blob_link_size(const RepositoryRef& repo,
                                               const oci::Digest& digest) {
  auto record = BERTH_TRY(find_repository(repo));
  return meta_.get_blob_link(record.id, digest);
}

Status Registry::delete_blob(const RepositoryRef& repo, const oci::Digest& digest) {
  auto record = BERTH_TRY(find_repository(repo));
  return meta_.unlink_blob(record.id, digest);
}

Result<blob::BlobInfo> Registry::mount_blob(const RepositoryRef& repo, const RepositoryRef& from,
                                            const oci::Digest& digest) {
  auto source = find_repository(from);
  if (!source) {
    if (source.error().code == ErrorCode::kRepositoryNotFound) {
      return fail(ErrorCode::kBlobNotFound, "source repository does not exist", from.name);
    }
    return std::unexpected(source.error());
  }
  BERTH_TRY(meta_.get_blob_link(source->id, digest));
  auto info = BERTH_TRY(blobs_.stat(digest));
  auto target = BERTH_TRY(ensure_repository(repo));
  BERTH_TRY_STATUS(meta_.link_blob(target.id, digest, info.size, now_ms()));
  return info;
}

// ---- uploads ----

Result<UploadStatus> Registry::begin_upload(const RepositoryRef& repo) {
  auto record = BERTH_TRY(ensure_repository(repo));
  std::string id = crypto::new_uuid();
  // Metadata first: an upload record without data is harmless (resume finds
  // nothing and reports not-found), data without a record would be orphaned.
  BERTH_TRY_STATUS(meta_.create_upload({id, record.id, now_ms()}));
  auto writer = blobs_.begin_upload(id);
  if (!writer) {
    (void)meta_.delete_upload(id);
    return std::unexpected(writer.error());
  }
  // No save_state here: an empty upload needs no durable hash state (a
  // resume re-hashes whatever data exists), and the fsync it costs is most
  // of a small push's latency.
  std::lock_guard lock(uploads_mu_);
  parked_.emplace(id, std::move(*writer));
  return UploadStatus{id, 0};
}

namespace {
Status upload_belongs_to(const meta::UploadRecord& upload, const meta::RepositoryRecord& repo) {
  if (upload.repository != repo.id) {
    return fail(ErrorCode::kUploadNotFound, "upload belongs to another repository", upload.id);
  }
  return ok();
}
}  // namespace

Result<UploadStatus> Registry::upload_status(const RepositoryRef& repo,
                                             std::string_view upload_id) {
  auto record = BERTH_TRY(find_repository(repo));
  auto upload = BERTH_TRY(meta_.get_upload(upload_id));
  BERTH_TRY_STATUS(upload_belongs_to(upload, record));
  {
    std::lock_guard lock(uploads_mu_);
    if (auto it = parked_.find(upload.id); it != parked_.end()) {
      return UploadStatus{upload.id, it->second->size()};
    }
  }
  auto info = BERTH_TRY(blobs_.stat_upload(upload_id));
  return UploadStatus{upload.id, info.size};
}

Result<std::unique_ptr<blob::BlobWriter>> Registry::take_parked(std::string_view upload_id) {
  std::lock_guard lock(uploads_mu_);
  std::string id(upload_id);
  if (busy_.contains(id)) {
    return fail(ErrorCode::kRangeInvalid, "another request is writing to this upload", id);
  }
  std::unique_ptr<blob::BlobWriter> writer;
  if (auto it = parked_.find(id); it != parked_.end()) {
    writer = std::move(it->second);
    parked_.erase(it);
  }
  busy_.insert(id);
  return writer;  // null: not parked here, the caller resumes from the store
}

Result<std::unique_ptr<blob::BlobWriter>> Registry::checkout_upload(const RepositoryRef& repo,
                                                                    std::string_view upload_id) {
  auto record = BERTH_TRY(find_repository(repo));
  auto upload = BERTH_TRY(meta_.get_upload(upload_id));
  BERTH_TRY_STATUS(upload_belongs_to(upload, record));
  auto writer = BERTH_TRY(take_parked(upload_id));
  if (!writer) {
    auto resumed = blobs_.resume_upload(upload_id);
    if (!resumed) {
      std::lock_guard lock(uploads_mu_);
      busy_.erase(std::string(upload_id));
      return std::unexpected(resumed.error());
    }
    writer = std::move(*resumed);
  }
  return writer;
}

Result<UploadStatus> Registry::checkin_upload(std::unique_ptr<blob::BlobWriter> writer) {
  std::string id(writer->upload_id());
  Status saved = writer->save_state();
  UploadStatus status{id, writer->size()};
  // The repository (and with it the upload's record) may have been deleted
  // while this request was writing; its bytes must not outlive it.
  auto record = meta_.get_upload(id);
  bool orphaned = !record && record.error().code == ErrorCode::kUploadNotFound;
  if (orphaned) {
    writer.reset();
    (void)blobs_.abort_upload(id);
  }
  std::lock_guard lock(uploads_mu_);
  busy_.erase(id);
  if (orphaned) return std::unexpected(record.error());
  if (!saved) return std::unexpected(saved.error());
  parked_[id] = std::move(writer);
  return status;
}

void Registry::release_upload(std::unique_ptr<blob::BlobWriter> writer) {
  if (!writer) return;
  std::string id(writer->upload_id());
  // Drop the in-memory writer: the next request resumes from the last saved
  // state, which never claims bytes that were not written.
  writer.reset();
  std::lock_guard lock(uploads_mu_);
  busy_.erase(id);
}

Result<blob::BlobInfo> Registry::finish_upload(const RepositoryRef& repo,
                                               std::unique_ptr<blob::BlobWriter> writer,
                                               const oci::Digest& digest) {
  std::string id(writer->upload_id());
  auto clear_busy = [&] {
    std::lock_guard lock(uploads_mu_);
    busy_.erase(id);
  };
  auto record = find_repository(repo);
  if (!record) {
    clear_busy();
    return std::unexpected(record.error());
  }
  auto committed = writer->commit(digest);
  writer.reset();
  clear_busy();
  if (!committed) {
    if (committed.error().code == ErrorCode::kDigestMismatch) {
      (void)meta_.delete_upload(id);
    }
    return std::unexpected(committed.error());
  }
  // The blob is durable; only now may metadata point at it.
  BERTH_TRY_STATUS(
      meta_.link_uploaded_blob(id, record->id, committed->digest, committed->size, now_ms()));
  return committed;
}

Status Registry::cancel_upload(const RepositoryRef& repo, std::string_view upload_id) {
  auto record = BERTH_TRY(find_repository(repo));
  auto upload = BERTH_TRY(meta_.get_upload(upload_id));
  BERTH_TRY_STATUS(upload_belongs_to(upload, record));
  {
    std::lock_guard lock(uploads_mu_);
    if (busy_.contains(upload.id)) {
      return fail(ErrorCode::kRangeInvalid, "upload is being written to", upload.id);
    }
    parked_.erase(upload.id);
  }
  // Bytes first: cancelling is how a client frees space on a full disk,
  // where the metadata write may fail; a record without data is harmless
  // (resume reports it gone) and fsck reports it.
  auto aborted = blobs_.abort_upload(upload_id);
  if (!aborted && aborted.error().code != ErrorCode::kUploadNotFound) {
    return aborted;
  }
  (void)meta_.delete_upload(upload_id);
  return ok();
}

// ---- manifests and tags ----

Result<PutManifestResult> Registry::put_manifest(const RepositoryRef& repo,
                                                 const PutManifestRequest& request) {
  BERTH_TRY_STATUS(oci::validate_repository_name(repo.name));
  if (request.content.size() > options_.max_manifest_size) {
    return fail(ErrorCode::kLimitExceeded,
                "manifest is larger than " + std::to_string(options_.max_manifest_size) + " bytes");
  }
  auto parsed = BERTH_TRY(oci::parse_manifest(request.content, request.content_type));

  oci::DigestAlgorithm alg = request.reference.is_digest() ? request.reference.digest().algorithm()
                                                           : oci::DigestAlgorithm::kSha256;
  std::string hex = alg == oci::DigestAlgorithm::kSha256 ? crypto::sha256_hex(request.content)
                                                         : crypto::sha512_hex(request.content);
  oci::Digest digest = oci::Digest::from_hex(alg, hex);
  if (request.reference.is_digest() && request.reference.digest() != digest) {
    return fail(ErrorCode::kDigestMismatch,
                "manifest digest " + digest.str() + " does not match the reference",
                request.reference.digest().str());
  }

  auto record = BERTH_TRY(ensure_repository(repo));
  ManifestFacts facts = manifest_facts(parsed, request.content, digest);
  meta::PutManifestOptions options;
  if (request.reference.is_tag()) options.tag = request.reference.tag();
  options.allow_missing_blobs = request.lenient_references;
  options.allow_missing_children = request.lenient_references || options_.allow_sparse_indexes;
  options.immutable_tags = tags_immutable(record.settings_json, options.tag);
  facts.record.pushed_at_ms = now_ms();
  if (parsed.kind == oci::ManifestKind::kIndex) {
    // ECR reports an index's size as that of its largest image; a child
    // that is absent (a sparse index) counts for nothing.
    std::uint64_t largest = 0;
    for (const auto& child : parsed.manifests) {
      auto stored = meta_.get_manifest(record.id, child.digest);
      // Unless absent children are allowed, one fails the put below; any
      // other failure must fail now rather than store a wrong size for good.
      if (!stored && stored.error().code != ErrorCode::kManifestNotFound) {
        return std::unexpected(stored.error());
      }
      if (stored) largest = std::max(largest, stored->image_size);
    }
    facts.record.image_size = largest;
  }
  Status stored = meta_.put_manifest(record.id, facts.record, facts.references, options);
  if (!stored && stored.error().code == ErrorCode::kTagImmutable) {
    // ECR's words, which clients match on (kaniko's
    // --push-ignore-immutable-tag-errors looks for "cannot be overwritten").
    return fail(ErrorCode::kTagImmutable,
                "The image tag '" + options.tag + "' already exists in the '" + repo.name +
                    "' repository and cannot be overwritten because the tag is immutable.",
                options.tag);
  }
  BERTH_TRY_STATUS(stored);
  return PutManifestResult{digest, parsed.subject ? std::optional(parsed.subject->digest)
                                                  : std::nullopt};
}

Result<meta::ManifestRecord> Registry::get_manifest(const RepositoryRef& repo,
                                                    const oci::Reference& reference,
                                                    bool record_pull) {
  auto record = BERTH_TRY(find_repository(repo));
  return get_manifest(record, reference, record_pull);
}

void Registry::record_pull(const meta::RepositoryRecord& repo, const oci::Digest& digest) {
  pulls_.note(repo.id, digest, now_ms());
}

Result<meta::ManifestRecord> Registry::get_manifest(const meta::RepositoryRecord& record,
                                                    const oci::Reference& reference,
                                                    bool record_pull) {
  oci::Digest digest = reference.is_digest() ? reference.digest()
                                             : BERTH_TRY(meta_.resolve_tag(record.id, reference.tag()));
  auto manifest = BERTH_TRY(meta_.get_manifest(record.id, digest));
  if (record_pull) {
    std::int64_t now = now_ms();
    pulls_.note(record.id, digest, now);
    manifest.last_pulled_at_ms = now;
  }
  return manifest;
}

Status Registry::record_pull(const RepositoryRef& repo, const oci::Digest& digest) {
  auto record = BERTH_TRY(find_repository(repo));
  record_pull(record, digest);
  return ok();
}

Status Registry::delete_manifest(const RepositoryRef& repo, const oci::Reference& reference) {
  auto record = BERTH_TRY(find_repository(repo));
  if (reference.is_tag()) return meta_.delete_tag(record.id, reference.tag());
  return meta_.delete_manifest(record.id, reference.digest());
}

Result<std::vector<std::string>> Registry::list_tags(const RepositoryRef& repo,
                                                     std::string_view after, std::size_t limit) {
  auto record = BERTH_TRY(find_repository(repo));
  return meta_.list_tags(record.id, after, limit);
}

Result<ReferrersResult> Registry::referrers(const RepositoryRef& repo, const oci::Digest& subject,
                                            std::optional<std::string_view> artifact_type) {
  ReferrersResult result;
  result.filtered = artifact_type.has_value();
  auto record = find_repository(repo);
  if (!record) {
    if (record.error().code == ErrorCode::kRepositoryNotFound) return result;
    return std::unexpected(record.error());
  }
  auto manifests = BERTH_TRY(meta_.list_referrers(record->id, subject));
  for (const auto& m : manifests) {
    auto parsed = oci::parse_manifest(m.content, m.media_type);
    if (!parsed) continue;  // stored manifests were validated; skip rather than fail the list
    oci::Descriptor d;
    d.media_type = m.media_type;
    d.digest = m.digest;
    d.size = m.size;
    d.artifact_type = oci::effective_artifact_type(*parsed);
    d.annotations = parsed->annotations;
    if (artifact_type && d.artifact_type != *artifact_type) continue;
    result.manifests.push_back(std::move(d));
  }
  return result;
}

}  // namespace berth::registry
