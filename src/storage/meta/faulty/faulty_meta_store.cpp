#include "storage/meta/faulty/faulty_meta_store.hpp"

#include <utility>

namespace berth::storage::meta::faulty {

using storage::faulty::inject;

namespace {
constexpr bool kRead = false;
constexpr bool kWrite = true;
}  // namespace

FaultyMetaStore::FaultyMetaStore(MetaStore& inner, std::shared_ptr<FaultPlan> plan)
    : inner_(inner), plan_(std::move(plan)) {}

// ---- repositories ----

Result<RepositoryRecord> FaultyMetaStore::get_repository(std::string_view registry,
                                                         std::string_view name) {
  return inject(*plan_, "meta.get_repository", kRead,
                [&] { return inner_.get_repository(registry, name); });
}

Result<EnsuredRepository> FaultyMetaStore::find_or_create_repository(std::string_view registry,
                                                                     std::string_view name,
                                                                     std::int64_t now_ms) {
  return inject(*plan_, "meta.ensure_repository", kWrite,
                [&] { return inner_.find_or_create_repository(registry, name, now_ms); });
}

Result<RepositoryRecord> FaultyMetaStore::create_repository(std::string_view registry,
                                                            std::string_view name,
                                                            std::string_view settings_json,
                                                            std::int64_t now_ms) {
  return inject(*plan_, "meta.create_repository", kWrite,
                [&] { return inner_.create_repository(registry, name, settings_json, now_ms); });
}

Status FaultyMetaStore::update_repository_settings(RepositoryId id,
                                                   std::string_view settings_json) {
  return inject(*plan_, "meta.update_repository_settings", kWrite,
                [&] { return inner_.update_repository_settings(id, settings_json); });
}

Result<RepositoryRecord> FaultyMetaStore::modify_repository_settings(
    RepositoryId id, const SettingsChange& change) {
  return inject(*plan_, "meta.modify_repository_settings", kWrite,
                [&] { return inner_.modify_repository_settings(id, change); });
}

Result<std::string> FaultyMetaStore::modify_registry_settings(std::string_view registry,
                                                              const SettingsChange& change) {
  return inject(*plan_, "meta.modify_registry_settings", kWrite,
                [&] { return inner_.modify_registry_settings(registry, change); });
}

Result<std::vector<RepositoryRecord>> FaultyMetaStore::list_repository_records(
    std::string_view registry, std::string_view after, std::size_t limit) {
  return inject(*plan_, "meta.list_repository_records", kRead,
                [&] { return inner_.list_repository_records(registry, after, limit); });
}

Result<std::vector<std::string>> FaultyMetaStore::list_registries(std::string_view after,
                                                                  std::size_t limit) {
  return inject(*plan_, "meta.list_registries", kRead,
                [&] { return inner_.list_registries(after, limit); });
}

Result<UploadRecord> FaultyMetaStore::acquire_upload_lease(std::string_view id,
                                                           std::string_view holder,
                                                           std::int64_t now_ms,
                                                           std::int64_t ttl_ms) {
  return inject(*plan_, "meta.acquire_upload_lease", kWrite,
                [&] { return inner_.acquire_upload_lease(id, holder, now_ms, ttl_ms); });
}

Result<std::uint64_t> FaultyMetaStore::clear_upload_leases() {
  return inject(*plan_, "meta.clear_upload_leases", kWrite,
                [&] { return inner_.clear_upload_leases(); });
}

Result<bool> FaultyMetaStore::blob_referenced(const oci::Digest& digest) {
  return inject(*plan_, "meta.blob_referenced", kRead,
                [&] { return inner_.blob_referenced(digest); });
}

Status FaultyMetaStore::queue_blob_review(const oci::Digest& digest, std::int64_t since_ms,
                                          std::string_view registry) {
  return inject(*plan_, "meta.queue_blob_review", kWrite,
                [&] { return inner_.queue_blob_review(digest, since_ms, registry); });
}

Result<std::vector<BlobReview>> FaultyMetaStore::due_blob_reviews(std::int64_t due_ms,
                                                                  std::string_view after,
                                                                  std::size_t limit) {
  return inject(*plan_, "meta.due_blob_reviews", kRead,
                [&] { return inner_.due_blob_reviews(due_ms, after, limit); });
}

Result<BlobVerdict> FaultyMetaStore::claim_blob(const oci::Digest& digest, std::int64_t due_ms) {
  return inject(*plan_, "meta.claim_blob", kWrite,
                [&] { return inner_.claim_blob(digest, due_ms); });
}

Status FaultyMetaStore::finish_blob_collection(const oci::Digest& digest) {
  return inject(*plan_, "meta.finish_blob_collection", kWrite,
                [&] { return inner_.finish_blob_collection(digest); });
}

Result<std::vector<oci::Digest>> FaultyMetaStore::blob_tombstones(std::string_view after,
                                                                  std::size_t limit) {
  return inject(*plan_, "meta.blob_tombstones", kRead,
                [&] { return inner_.blob_tombstones(after, limit); });
}

Result<bool> FaultyMetaStore::acquire_job_lease(std::string_view job, std::string_view holder,
                                                std::int64_t now_ms, std::int64_t ttl_ms) {
  return inject(*plan_, "meta.acquire_job_lease", kWrite,
                [&] { return inner_.acquire_job_lease(job, holder, now_ms, ttl_ms); });
}

Status FaultyMetaStore::release_job_lease(std::string_view job, std::string_view holder) {
  return inject(*plan_, "meta.release_job_lease", kWrite,
                [&] { return inner_.release_job_lease(job, holder); });
}

Status FaultyMetaStore::release_upload_lease(std::string_view id, std::string_view holder,
                                             std::optional<std::uint64_t> saved_size) {
  return inject(*plan_, "meta.release_upload_lease", kWrite,
                [&] { return inner_.release_upload_lease(id, holder, saved_size); });
}

Status FaultyMetaStore::delete_repository(RepositoryId id) {
  return inject(*plan_, "meta.delete_repository", kWrite,
                [&] { return inner_.delete_repository(id); });
}

Result<std::vector<std::string>> FaultyMetaStore::list_repositories(std::string_view registry,
                                                                    std::string_view after,
                                                                    std::size_t limit) {
  return inject(*plan_, "meta.list_repositories", kRead,
                [&] { return inner_.list_repositories(registry, after, limit); });
}

Result<std::string> FaultyMetaStore::get_registry_settings(std::string_view registry) {
  return inject(*plan_, "meta.get_registry_settings", kRead,
                [&] { return inner_.get_registry_settings(registry); });
}

Status FaultyMetaStore::put_registry_settings(std::string_view registry,
                                              std::string_view settings_json) {
  return inject(*plan_, "meta.put_registry_settings", kWrite,
                [&] { return inner_.put_registry_settings(registry, settings_json); });
}

Result<std::uint64_t> FaultyMetaStore::count_manifests(RepositoryId id) {
  return inject(*plan_, "meta.count_manifests", kRead, [&] { return inner_.count_manifests(id); });
}

Result<std::uint64_t> FaultyMetaStore::count_repositories(std::string_view registry) {
  return inject(*plan_, "meta.count_repositories", kRead,
                [&] { return inner_.count_repositories(registry); });
}

Result<RegistryStorage> FaultyMetaStore::registry_storage(std::string_view registry,
                                                         const oci::Digest& digest) {
  return inject(*plan_, "meta.registry_storage", kRead,
                [&] { return inner_.registry_storage(registry, digest); });
}

// ---- blob links ----

Status FaultyMetaStore::link_blob(RepositoryId repo, const oci::Digest& digest, std::uint64_t size,
                                  std::int64_t now_ms) {
  return inject(*plan_, "meta.link_blob", kWrite,
                [&] { return inner_.link_blob(repo, digest, size, now_ms); });
}

Result<std::uint64_t> FaultyMetaStore::get_blob_link(RepositoryId repo, const oci::Digest& digest) {
  return inject(*plan_, "meta.get_blob_link", kRead,
                [&] { return inner_.get_blob_link(repo, digest); });
}

Status FaultyMetaStore::link_uploaded_blob(std::string_view upload_id, RepositoryId repo,
                                           const oci::Digest& digest, std::uint64_t size,
                                           std::int64_t now_ms) {
  return inject(*plan_, "meta.link_uploaded_blob", kWrite, [&] {
    return inner_.link_uploaded_blob(upload_id, repo, digest, size, now_ms);
  });
}

Status FaultyMetaStore::unlink_blob(RepositoryId repo, const oci::Digest& digest) {
  return inject(*plan_, "meta.unlink_blob", kWrite,
                [&] { return inner_.unlink_blob(repo, digest); });
}

// ---- manifests and tags ----

Status FaultyMetaStore::put_manifest(RepositoryId repo, const ManifestRecord& manifest,
                                     const std::vector<ManifestReference>& references,
                                     const PutManifestOptions& options) {
  return inject(*plan_, "meta.put_manifest", kWrite,
                [&] { return inner_.put_manifest(repo, manifest, references, options); });
}

Result<ManifestRecord> FaultyMetaStore::get_manifest(RepositoryId repo, const oci::Digest& digest) {
  return inject(*plan_, "meta.get_manifest", kRead,
                [&] { return inner_.get_manifest(repo, digest); });
}

Result<oci::Digest> FaultyMetaStore::resolve_tag(RepositoryId repo, std::string_view tag) {
  return inject(*plan_, "meta.resolve_tag", kRead, [&] { return inner_.resolve_tag(repo, tag); });
}

Status FaultyMetaStore::put_tag(RepositoryId repo, std::string_view tag, const oci::Digest& digest,
                                bool immutable_tags) {
  return inject(*plan_, "meta.put_tag", kWrite,
                [&] { return inner_.put_tag(repo, tag, digest, immutable_tags); });
}

Status FaultyMetaStore::delete_tag(RepositoryId repo, std::string_view tag) {
  return inject(*plan_, "meta.delete_tag", kWrite, [&] { return inner_.delete_tag(repo, tag); });
}

Status FaultyMetaStore::delete_manifest(RepositoryId repo, const oci::Digest& digest) {
  return inject(*plan_, "meta.delete_manifest", kWrite,
                [&] { return inner_.delete_manifest(repo, digest); });
}

Result<std::vector<std::string>> FaultyMetaStore::list_tags(RepositoryId repo,
                                                            std::string_view after,
                                                            std::size_t limit) {
  return inject(*plan_, "meta.list_tags", kRead,
                [&] { return inner_.list_tags(repo, after, limit); });
}

Result<std::vector<std::string>> FaultyMetaStore::tags_of(RepositoryId repo,
                                                          const oci::Digest& digest) {
  return inject(*plan_, "meta.tags_of", kRead, [&] { return inner_.tags_of(repo, digest); });
}

Result<std::vector<ManifestSummary>> FaultyMetaStore::list_manifests(RepositoryId repo,
                                                                     std::string_view after_digest,
                                                                     std::size_t limit) {
  return inject(*plan_, "meta.list_manifests", kRead,
                [&] { return inner_.list_manifests(repo, after_digest, limit); });
}

Result<std::vector<ManifestRecord>> FaultyMetaStore::list_referrers(RepositoryId repo,
                                                                    const oci::Digest& subject) {
  return inject(*plan_, "meta.list_referrers", kRead,
                [&] { return inner_.list_referrers(repo, subject); });
}

Result<std::vector<oci::Digest>> FaultyMetaStore::parents_of(RepositoryId repo,
                                                             const oci::Digest& child) {
  return inject(*plan_, "meta.parents_of", kRead, [&] { return inner_.parents_of(repo, child); });
}

Status FaultyMetaStore::record_pull(RepositoryId repo, const oci::Digest& digest,
                                    std::int64_t now_ms) {
  return inject(*plan_, "meta.record_pull", kWrite,
                [&] { return inner_.record_pull(repo, digest, now_ms); });
}

Status FaultyMetaStore::record_pulls(const std::vector<PullRecord>& pulls) {
  return inject(*plan_, "meta.record_pulls", kWrite, [&] { return inner_.record_pulls(pulls); });
}

Status FaultyMetaStore::set_storage_class(RepositoryId repo, const oci::Digest& digest,
                                          StorageClass target, std::int64_t at_ms) {
  return inject(*plan_, "meta.set_storage_class", kWrite,
                [&] { return inner_.set_storage_class(repo, digest, target, at_ms); });
}

Result<std::optional<std::string>> FaultyMetaStore::get_repository_document(
    RepositoryId id, std::string_view name) {
  return inject(*plan_, "meta.get_repository_document", kRead,
                [&] { return inner_.get_repository_document(id, name); });
}

Result<std::string> FaultyMetaStore::modify_repository_document(RepositoryId id,
                                                                std::string_view name,
                                                                const SettingsChange& change) {
  return inject(*plan_, "meta.modify_repository_document", kWrite,
                [&] { return inner_.modify_repository_document(id, name, change); });
}

// ---- uploads ----

Status FaultyMetaStore::create_upload(const UploadRecord& upload) {
  return inject(*plan_, "meta.create_upload", kWrite, [&] { return inner_.create_upload(upload); });
}

Result<UploadRecord> FaultyMetaStore::get_upload(std::string_view id) {
  return inject(*plan_, "meta.get_upload", kRead, [&] { return inner_.get_upload(id); });
}

Status FaultyMetaStore::delete_upload(std::string_view id) {
  return inject(*plan_, "meta.delete_upload", kWrite, [&] { return inner_.delete_upload(id); });
}

Status FaultyMetaStore::walk_uploads(const std::function<Status(const UploadRecord&)>& visit) {
  return inject(*plan_, "meta.walk_uploads", kRead, [&] { return inner_.walk_uploads(visit); });
}

// ---- garbage collection ----

Status FaultyMetaStore::walk_referenced_blobs(
    const std::function<Status(const oci::Digest&)>& visit) {
  return inject(*plan_, "meta.walk_referenced_blobs", kRead,
                [&] { return inner_.walk_referenced_blobs(visit); });
}

Status FaultyMetaStore::snapshot_to(const std::filesystem::path& file) {
  return inject(*plan_, "meta.snapshot_to", kRead, [&] { return inner_.snapshot_to(file); });
}

}  // namespace berth::storage::meta::faulty
