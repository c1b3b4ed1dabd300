#include "registry/registry.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "crypto/hasher.hpp"
#include "crypto/ids.hpp"
#include "registry/manifest_facts.hpp"
#include "util/offload.hpp"
#include "util/time.hpp"

namespace berth::registry {

namespace blob = storage::blob;
namespace meta = storage::meta;

Registry::Registry(blob::BlobStore& blobs, meta::MetaStore& meta,
                   boost::asio::thread_pool& blocking, RegistryOptions options)
    : blobs_(blobs),
      meta_(meta),
      blocking_(blocking),
      options_(options),
      pulls_(meta, options.pull_flush_interval) {}

// ---- repositories ----

Result<meta::RepositoryRecord> Registry::find_repository(const RepositoryRef& repo) {
  BERTH_TRY_STATUS(oci::validate_repository_name(repo.name));
  return meta_.get_repository(repo.registry, repo.name);
}

Result<meta::RepositoryRecord> Registry::ensure_repository(const RepositoryRef& repo) {
  BERTH_TRY_STATUS(oci::validate_repository_name(repo.name));
  meta::EnsuredRepository ensured;
  if (options_.quotas.max_repositories_per_registry == 0) {
    ensured = BERTH_TRY(meta_.find_or_create_repository(repo.registry, repo.name, now_ms()));
  } else {
    // The common case, a repository that exists, costs one lookup and no
    // count; only a creation counts, in the commit that creates.
    auto found = meta_.get_repository(repo.registry, repo.name);
    if (found || found.error().code != ErrorCode::kRepositoryNotFound) return found;
    BERTH_TRY_STATUS(meta_.in_one_commit([&]() -> Status {
      auto existing = meta_.get_repository(repo.registry, repo.name);
      if (!existing) {
        if (existing.error().code != ErrorCode::kRepositoryNotFound) {
          return std::unexpected(std::move(existing).error());
        }
        BERTH_TRY_STATUS(
            check_repository_quota(meta_, options_.quotas, repo.registry, repo.name));
      }
      ensured = BERTH_TRY(meta_.find_or_create_repository(repo.registry, repo.name, now_ms()));
      return ok();
    }));
  }
  // A push that creates the repository says so as CreateRepository does;
  // the store tells only the one call that won a race to create it.
  if (ensured.created) {
    emit({RegistryEvent::Kind::kRepositoryCreated, RegistryEvent::Cause::kApi, repo.registry,
          repo.name, "", "", "", 0});
  }
  return std::move(ensured.record);
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

boost::asio::awaitable<Result<BlobContent>> Registry::read_blob(const RepositoryRef& repo,
                                                                const oci::Digest& digest,
                                                                std::uint64_t offset,
                                                                std::uint64_t length) {
  auto opened = [&]() -> Result<BlobContent> {
    auto record = BERTH_TRY(find_repository(repo));
    BERTH_TRY(meta_.get_blob_link(record.id, digest));
    BlobContent content;
    content.info = BERTH_TRY(blobs_.stat(digest));
    if (offset > content.info.size || length > content.info.size - offset) {
      return fail(ErrorCode::kRangeInvalid, "range is past the end of the blob",
                  std::to_string(offset) + "+" + std::to_string(length));
    }
    if (options_.blob_redirect_ttl.count() > 0) {
      auto url = BERTH_TRY(blobs_.redirect_url(digest, options_.blob_redirect_ttl));
      if (url) {
        content.redirect_url = std::move(*url);
        return content;
      }
    }
    std::unique_ptr<blob::BlobReader> reader = BERTH_TRY(blobs_.open(digest, offset));
    if (const int fd = reader->native_handle(); fd >= 0) {
      content.file = BlobFile{std::shared_ptr<blob::BlobReader>(std::move(reader)), fd, offset,
                              length};
    } else {
      content.stream = std::make_shared<BlobStream>(std::move(reader), length, blocking_);
    }
    return content;
  };
  co_return co_await offload(blocking_, opened);
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
  BERTH_TRY_STATUS(meta_.in_one_commit([&]() -> Status {
    BERTH_TRY_STATUS(check_storage_quota(meta_, options_.quotas, target, digest, info.size));
    return meta_.link_blob(target.id, digest, info.size, now_ms());
  }));
  return info;
}

// ---- uploads ----

namespace {
Status upload_belongs_to(const meta::UploadRecord& upload, const meta::RepositoryRecord& repo) {
  if (upload.repository != repo.id) {
    return fail(ErrorCode::kUploadNotFound, "upload belongs to another repository", upload.id);
  }
  return ok();
}
}  // namespace

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
  park_writer(id, std::move(*writer));
  return UploadStatus{id, 0};
}

boost::asio::awaitable<Result<std::unique_ptr<UploadSession>>> Registry::begin_upload_session(
    const RepositoryRef& repo) {
  const std::string holder = crypto::new_uuid();
  auto begin = [&]() -> Result<std::unique_ptr<UploadSession>> {
    auto record = BERTH_TRY(ensure_repository(repo));
    meta::UploadRecord upload{crypto::new_uuid(), record.id, now_ms()};
    upload.lease_holder = holder;
    upload.lease_expires_at_ms = upload.started_at_ms + kUploadLeaseTtl.count();
    BERTH_TRY_STATUS(meta_.create_upload(upload));
    auto writer = blobs_.begin_upload(upload.id);
    if (!writer) {
      (void)meta_.delete_upload(upload.id);
      return std::unexpected(writer.error());
    }
    return std::make_unique<UploadSession>(*this, std::move(record), upload.id, holder,
                                           std::move(*writer), upload.parts);
  };
  co_return co_await offload(blocking_, begin);
}

boost::asio::awaitable<Result<std::unique_ptr<UploadSession>>> Registry::open_upload(
    const RepositoryRef& repo, std::string_view upload_id) {
  const std::string holder = crypto::new_uuid();
  auto open = [&]() -> Result<std::unique_ptr<UploadSession>> {
    auto record = BERTH_TRY(find_repository(repo));
    // Checked before taking the lease, so a request naming another
    // repository's upload cannot block it.
    BERTH_TRY_STATUS(upload_belongs_to(BERTH_TRY(meta_.get_upload(upload_id)), record));
    auto upload =
        meta_.acquire_upload_lease(upload_id, holder, now_ms(), kUploadLeaseTtl.count());
    if (!upload) {
      // The store may have granted it and lost the answer: a release by a
      // holder that holds nothing changes nothing, so always give it back.
      if (upload.error().code != ErrorCode::kUploadNotFound) {
        release_lease_now(std::string(upload_id), holder);
      }
      return std::unexpected(std::move(upload).error());
    }
    auto writer = writer_for(*upload);
    if (!writer) {
      release_lease_now(upload->id, holder);
      return std::unexpected(writer.error());
    }
    return std::make_unique<UploadSession>(*this, std::move(record), upload->id, holder,
                                           std::move(*writer), upload->parts);
  };
  co_return co_await offload(blocking_, open);
}

Result<std::unique_ptr<blob::BlobWriter>> Registry::writer_for(const meta::UploadRecord& upload) {
  {
    std::lock_guard lock(parked_mu_);
    if (auto it = parked_.find(upload.id); it != parked_.end()) {
      std::unique_ptr<blob::BlobWriter> writer = std::move(it->second);
      parked_.erase(it);
      // Another process may have appended since this one saved: only a
      // writer at the size the last holder saved is current.
      if (writer->size() == upload.saved_size) return writer;
    }
  }
  return blobs_.resume_upload(upload.id);
}

void Registry::park_writer(const std::string& upload_id,
                           std::unique_ptr<blob::BlobWriter> writer) {
  std::lock_guard lock(parked_mu_);
  // Uploads finished by another process, or abandoned, would otherwise keep
  // their writers (and descriptors) here forever: past the cap, one goes.
  if (parked_.size() >= kMaxParkedWriters && !parked_.contains(upload_id)) {
    parked_.erase(parked_.begin());
  }
  parked_[upload_id] = std::move(writer);
}

void Registry::release_lease_now(const std::string& upload_id, const std::string& holder) {
  // A client retries at once: a store that failed once gets a second try
  // now, then one more later. Failing all three only delays the upload's
  // next request until the lease expires.
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status released = meta_.release_upload_lease(upload_id, holder, std::nullopt);
    if (released || released.error().code == ErrorCode::kUploadNotFound) return;
  }
  release_lease_later(upload_id, holder);
}

void Registry::release_lease_later(const std::string& upload_id, const std::string& holder) {
  // The store, not this Registry: the task may run after the Registry is
  // gone (the stores outlive the pool's work; see registry.hpp).
  boost::asio::post(blocking_, [&meta = meta_, upload_id, holder] {
    (void)meta.release_upload_lease(upload_id, holder, std::nullopt);
  });
}

Result<UploadStatus> Registry::upload_status(const RepositoryRef& repo,
                                             std::string_view upload_id) {
  auto record = BERTH_TRY(find_repository(repo));
  auto upload = BERTH_TRY(meta_.get_upload(upload_id));
  BERTH_TRY_STATUS(upload_belongs_to(upload, record));
  {
    std::lock_guard lock(parked_mu_);
    if (auto it = parked_.find(upload.id);
        it != parked_.end() && it->second->size() == upload.saved_size) {
      return UploadStatus{upload.id, upload.saved_size};
    }
  }
  // The store knows best: a crash may have lost the record's saved size.
  auto info = BERTH_TRY(blobs_.stat_upload(upload_id));
  return UploadStatus{upload.id, info.size};
}

Status Registry::cancel_upload(const RepositoryRef& repo, std::string_view upload_id) {
  auto record = BERTH_TRY(find_repository(repo));
  auto upload = BERTH_TRY(meta_.get_upload(upload_id));
  BERTH_TRY_STATUS(upload_belongs_to(upload, record));
  {
    std::lock_guard lock(parked_mu_);
    parked_.erase(upload.id);
  }
  // Bytes first: cancelling is how a client frees space on a full disk,
  // where the metadata write may fail; a record without data is harmless
  // (resume reports it gone) and fsck reports it. A request still writing
  // fails when it saves (its record is gone).
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

  std::vector<std::string> tags;
  if (request.reference.is_tag()) tags.push_back(request.reference.tag());
  if (request.tags.size() > kMaxTagsPerPut) {
    return fail(ErrorCode::kTagInvalid, "at most " + std::to_string(kMaxTagsPerPut) +
                                            " tags may be given with one manifest");
  }
  for (const std::string& tag : request.tags) {
    BERTH_TRY_STATUS(oci::validate_tag(tag));
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }

  auto record = BERTH_TRY(ensure_repository(repo));
  ManifestFacts facts = manifest_facts(parsed, request.content, digest);
  meta::PutManifestOptions options;
  for (const std::string& tag : tags) {
    options.tags.push_back({tag, tags_immutable(record.settings_json, tag)});
  }
  options.allow_missing_blobs = request.lenient_references;
  options.allow_missing_children = request.lenient_references || options_.allow_sparse_indexes;
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
  // The tags this push moves off another manifest, with where they were,
  // read in the commit that moves them so a concurrent push cannot slip
  // between: one indexed lookup per tag, none for an untagged push.
  std::vector<std::pair<std::string, std::string>> moved;  // tag, previous digest
  Status stored = meta_.in_one_commit([&]() -> Status {
    moved.clear();  // a store may run this again: only the last run counts
    BERTH_TRY_STATUS(check_image_quota(meta_, options_.quotas, record, digest));
    for (const std::string& tag : tags) {
      auto previous = meta_.resolve_tag(record.id, tag);
      if (previous) {
        if (*previous != digest) moved.emplace_back(tag, previous->str());
      } else if (previous.error().code != ErrorCode::kManifestNotFound) {
        return std::unexpected(std::move(previous).error());
      }
    }
    return meta_.put_manifest(record.id, facts.record, facts.references, options);
  });
  if (!stored && stored.error().code == ErrorCode::kTagImmutable) {
    // ECR's words, which clients match on (kaniko's
    // --push-ignore-immutable-tag-errors looks for "cannot be overwritten").
    const std::string& tag = stored.error().detail;
    return fail(ErrorCode::kTagImmutable,
                "The image tag '" + tag + "' already exists in the '" + repo.name +
                    "' repository and cannot be overwritten because the tag is immutable.",
                tag);
  }
  BERTH_TRY_STATUS(stored);
  RegistryEvent pushed{RegistryEvent::Kind::kImagePushed, RegistryEvent::Cause::kApi,
                       repo.registry, repo.name, digest.str(), "", facts.record.media_type, 0};
  if (tags.empty()) emit(pushed);
  for (const std::string& tag : tags) {
    pushed.tag = tag;
    emit(pushed);
  }
  // After the pushes, so a consumer of both sees the image before the move.
  for (auto& [tag, previous] : moved) {
    RegistryEvent event = pushed;
    event.kind = RegistryEvent::Kind::kTagMoved;
    event.tag = tag;
    event.previous_digest = std::move(previous);
    emit(std::move(event));
  }
  return PutManifestResult{digest,
                           parsed.subject ? std::optional(parsed.subject->digest) : std::nullopt,
                           std::move(tags)};
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
  auto manifest = BERTH_TRY(reference.is_digest()
                                ? meta_.get_manifest(record.id, reference.digest())
                                : meta_.get_manifest_by_tag(record.id, reference.tag()));
  if (record_pull) {
    std::int64_t now = now_ms();
    pulls_.note(record.id, manifest.digest, now);
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
  if (reference.is_tag()) {
    BERTH_TRY_STATUS(meta_.delete_tag(record.id, reference.tag()));
    emit({RegistryEvent::Kind::kTagDeleted, RegistryEvent::Cause::kApi, repo.registry, repo.name,
          "", reference.tag(), "", 0});
    return ok();
  }
  BERTH_TRY_STATUS(meta_.delete_manifest(record.id, reference.digest()));
  emit({RegistryEvent::Kind::kImageDeleted, RegistryEvent::Cause::kApi, repo.registry, repo.name,
        reference.digest().str(), "", "", 0});
  return ok();
}

namespace {
// The events of the in_one_commit run on this thread, held until it commits.
thread_local std::vector<RegistryEvent>* held_events = nullptr;
}  // namespace

void Registry::emit(RegistryEvent event) const {
  if (!options_.events) return;
  event.time_ms = now_ms();
  if (held_events) {
    held_events->push_back(std::move(event));
    return;
  }
  options_.events(event);
}

Status Registry::in_one_commit(const std::function<Status()>& work) {
  if (held_events) return meta_.in_one_commit(work);  // nested: the outer commit decides
  std::vector<RegistryEvent> held;
  Status done = meta_.in_one_commit([&]() -> Status {
    held.clear();  // a store may run `work` again: only the last run counts
    held_events = &held;
    Status ran = work();
    held_events = nullptr;
    return ran;
  });
  held_events = nullptr;
  if (!done) return done;
  if (options_.events) {
    for (const RegistryEvent& event : held) options_.events(event);
  }
  return done;
}

const char* to_string(RegistryEvent::Kind kind) {
  switch (kind) {
    case RegistryEvent::Kind::kImagePushed: return "image.pushed";
    case RegistryEvent::Kind::kTagMoved: return "tag.moved";
    case RegistryEvent::Kind::kTagDeleted: return "tag.deleted";
    case RegistryEvent::Kind::kImageDeleted: return "image.deleted";
    case RegistryEvent::Kind::kRepositoryCreated: return "repository.created";
    case RegistryEvent::Kind::kRepositoryDeleted: return "repository.deleted";
  }
  return "unknown";
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
