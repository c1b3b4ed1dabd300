#include "storage/metered/metered_meta_store.hpp"

#include <utility>

namespace berth::storage::metered {

using namespace storage::meta;  // the decorated interface's own types

MeteredMetaStore::MeteredMetaStore(MetaStore& inner, std::string backend, StoreMetrics& metrics)
    : inner_(inner), backend_(std::move(backend)), metrics_(metrics) {}

MeteredMetaStore::MeteredMetaStore(std::unique_ptr<MetaStore> inner, std::string backend,
                                   StoreMetrics& metrics)
    : owned_(std::move(inner)), inner_(*owned_), backend_(std::move(backend)), metrics_(metrics) {}

// ---- repositories ----

Result<RepositoryRecord> MeteredMetaStore::get_repository(std::string_view registry,
                                                         std::string_view name) {
  return measure("get_repository", [&] { return inner_.get_repository(registry, name); });
}

Result<EnsuredRepository> MeteredMetaStore::find_or_create_repository(std::string_view registry,
                                                                     std::string_view name,
                                                                     std::int64_t now_ms) {
  // Labelled as before the call learned to report creation, so dashboards keep their series.
  return measure("ensure_repository",
                 [&] { return inner_.find_or_create_repository(registry, name, now_ms); });
}

Result<RepositoryRecord> MeteredMetaStore::create_repository(std::string_view registry,
                                                            std::string_view name,
                                                            std::string_view settings_json,
                                                            std::int64_t now_ms) {
  return measure("create_repository", [&] { return inner_.create_repository(registry, name, settings_json, now_ms); });
}

Status MeteredMetaStore::update_repository_settings(RepositoryId id,
                                                   std::string_view settings_json) {
  return measure("update_repository_settings", [&] { return inner_.update_repository_settings(id, settings_json); });
}

Result<RepositoryRecord> MeteredMetaStore::modify_repository_settings(
    RepositoryId id, const SettingsChange& change) {
  return measure("modify_repository_settings", [&] { return inner_.modify_repository_settings(id, change); });
}

Result<std::string> MeteredMetaStore::modify_registry_settings(std::string_view registry,
                                                              const SettingsChange& change) {
  return measure("modify_registry_settings", [&] { return inner_.modify_registry_settings(registry, change); });
}

Result<std::vector<RepositoryRecord>> MeteredMetaStore::list_repository_records(
    std::string_view registry, std::string_view after, std::size_t limit) {
  return measure("list_repository_records", [&] { return inner_.list_repository_records(registry, after, limit); });
}

Result<std::vector<std::string>> MeteredMetaStore::list_registries(std::string_view after,
                                                                  std::size_t limit) {
  return measure("list_registries", [&] { return inner_.list_registries(after, limit); });
}

Result<UploadRecord> MeteredMetaStore::acquire_upload_lease(std::string_view id,
                                                           std::string_view holder,
                                                           std::int64_t now_ms,
                                                           std::int64_t ttl_ms) {
  return measure("acquire_upload_lease", [&] { return inner_.acquire_upload_lease(id, holder, now_ms, ttl_ms); });
}

Result<std::uint64_t> MeteredMetaStore::clear_upload_leases() {
  return measure("clear_upload_leases", [&] { return inner_.clear_upload_leases(); });
}

Result<bool> MeteredMetaStore::blob_referenced(const oci::Digest& digest) {
  return measure("blob_referenced", [&] { return inner_.blob_referenced(digest); });
}

Status MeteredMetaStore::queue_blob_review(const oci::Digest& digest, std::int64_t since_ms,
                                          std::string_view registry) {
  return measure("queue_blob_review", [&] { return inner_.queue_blob_review(digest, since_ms, registry); });
}

Result<std::vector<BlobReview>> MeteredMetaStore::due_blob_reviews(std::int64_t due_ms,
                                                                  std::string_view after,
                                                                  std::size_t limit) {
  return measure("due_blob_reviews", [&] { return inner_.due_blob_reviews(due_ms, after, limit); });
}

Result<BlobVerdict> MeteredMetaStore::claim_blob(const oci::Digest& digest, std::int64_t due_ms) {
  return measure("claim_blob", [&] { return inner_.claim_blob(digest, due_ms); });
}

Status MeteredMetaStore::finish_blob_collection(const oci::Digest& digest) {
  return measure("finish_blob_collection", [&] { return inner_.finish_blob_collection(digest); });
}

Result<std::vector<oci::Digest>> MeteredMetaStore::blob_tombstones(std::string_view after,
                                                                  std::size_t limit) {
  return measure("blob_tombstones", [&] { return inner_.blob_tombstones(after, limit); });
}

Result<bool> MeteredMetaStore::acquire_job_lease(std::string_view job, std::string_view holder,
                                                std::int64_t now_ms, std::int64_t ttl_ms) {
  return measure("acquire_job_lease", [&] { return inner_.acquire_job_lease(job, holder, now_ms, ttl_ms); });
}

Status MeteredMetaStore::release_job_lease(std::string_view job, std::string_view holder) {
  return measure("release_job_lease", [&] { return inner_.release_job_lease(job, holder); });
}

Status MeteredMetaStore::release_upload_lease(std::string_view id, std::string_view holder,
                                             std::optional<std::uint64_t> saved_size) {
  return measure("release_upload_lease", [&] { return inner_.release_upload_lease(id, holder, saved_size); });
}

Status MeteredMetaStore::delete_repository(RepositoryId id) {
  return measure("delete_repository", [&] { return inner_.delete_repository(id); });
}

Result<std::vector<std::string>> MeteredMetaStore::list_repositories(std::string_view registry,
                                                                    std::string_view after,
                                                                    std::size_t limit) {
  return measure("list_repositories", [&] { return inner_.list_repositories(registry, after, limit); });
}

Result<std::string> MeteredMetaStore::get_registry_settings(std::string_view registry) {
  return measure("get_registry_settings", [&] { return inner_.get_registry_settings(registry); });
}

Status MeteredMetaStore::put_registry_settings(std::string_view registry,
                                              std::string_view settings_json) {
  return measure("put_registry_settings", [&] { return inner_.put_registry_settings(registry, settings_json); });
}

Result<std::uint64_t> MeteredMetaStore::count_manifests(RepositoryId id) {
  return measure("count_manifests", [&] { return inner_.count_manifests(id); });
}

Result<std::uint64_t> MeteredMetaStore::count_repositories(std::string_view registry) {
  return measure("count_repositories", [&] { return inner_.count_repositories(registry); });
}

Result<meta::RegistryStorage> MeteredMetaStore::registry_storage(std::string_view registry,
                                                                 const oci::Digest& digest) {
  return measure("registry_storage", [&] { return inner_.registry_storage(registry, digest); });
}

// ---- blob links ----

Status MeteredMetaStore::link_blob(RepositoryId repo, const oci::Digest& digest, std::uint64_t size,
                                  std::int64_t now_ms) {
  return measure("link_blob", [&] { return inner_.link_blob(repo, digest, size, now_ms); });
}

Result<std::uint64_t> MeteredMetaStore::get_blob_link(RepositoryId repo, const oci::Digest& digest) {
  return measure("get_blob_link", [&] { return inner_.get_blob_link(repo, digest); });
}

Status MeteredMetaStore::link_uploaded_blob(std::string_view upload_id, RepositoryId repo,
                                           const oci::Digest& digest, std::uint64_t size,
                                           std::int64_t now_ms) {
  return measure("link_uploaded_blob", [&] {
    return inner_.link_uploaded_blob(upload_id, repo, digest, size, now_ms);
  });
}

Status MeteredMetaStore::unlink_blob(RepositoryId repo, const oci::Digest& digest) {
  return measure("unlink_blob", [&] { return inner_.unlink_blob(repo, digest); });
}

// ---- manifests and tags ----

Status MeteredMetaStore::put_manifest(RepositoryId repo, const ManifestRecord& manifest,
                                     const std::vector<ManifestReference>& references,
                                     const PutManifestOptions& options) {
  return measure("put_manifest", [&] { return inner_.put_manifest(repo, manifest, references, options); });
}

Result<ManifestRecord> MeteredMetaStore::get_manifest(RepositoryId repo, const oci::Digest& digest) {
  return measure("get_manifest", [&] { return inner_.get_manifest(repo, digest); });
}

Result<oci::Digest> MeteredMetaStore::resolve_tag(RepositoryId repo, std::string_view tag) {
  return measure("resolve_tag", [&] { return inner_.resolve_tag(repo, tag); });
}

Result<ManifestRecord> MeteredMetaStore::get_manifest_by_tag(RepositoryId repo,
                                                             std::string_view tag) {
  return measure("get_manifest_by_tag", [&] { return inner_.get_manifest_by_tag(repo, tag); });
}

Status MeteredMetaStore::put_tag(RepositoryId repo, std::string_view tag, const oci::Digest& digest,
                                bool immutable_tags) {
  return measure("put_tag", [&] { return inner_.put_tag(repo, tag, digest, immutable_tags); });
}

Status MeteredMetaStore::delete_tag(RepositoryId repo, std::string_view tag) {
  return measure("delete_tag", [&] { return inner_.delete_tag(repo, tag); });
}

Status MeteredMetaStore::delete_manifest(RepositoryId repo, const oci::Digest& digest) {
  return measure("delete_manifest", [&] { return inner_.delete_manifest(repo, digest); });
}

Result<std::vector<std::string>> MeteredMetaStore::list_tags(RepositoryId repo,
                                                            std::string_view after,
                                                            std::size_t limit) {
  return measure("list_tags", [&] { return inner_.list_tags(repo, after, limit); });
}

Result<std::vector<std::string>> MeteredMetaStore::tags_of(RepositoryId repo,
                                                          const oci::Digest& digest) {
  return measure("tags_of", [&] { return inner_.tags_of(repo, digest); });
}

Result<std::vector<ManifestSummary>> MeteredMetaStore::list_manifests(RepositoryId repo,
                                                                     std::string_view after_digest,
                                                                     std::size_t limit) {
  return measure("list_manifests", [&] { return inner_.list_manifests(repo, after_digest, limit); });
}

Result<std::vector<ManifestRecord>> MeteredMetaStore::list_referrers(RepositoryId repo,
                                                                    const oci::Digest& subject) {
  return measure("list_referrers", [&] { return inner_.list_referrers(repo, subject); });
}

Result<std::vector<oci::Digest>> MeteredMetaStore::parents_of(RepositoryId repo,
                                                             const oci::Digest& child) {
  return measure("parents_of", [&] { return inner_.parents_of(repo, child); });
}

Status MeteredMetaStore::record_pull(RepositoryId repo, const oci::Digest& digest,
                                    std::int64_t now_ms) {
  return measure("record_pull", [&] { return inner_.record_pull(repo, digest, now_ms); });
}

Status MeteredMetaStore::record_pulls(const std::vector<PullRecord>& pulls) {
  return measure("record_pulls", [&] { return inner_.record_pulls(pulls); });
}

Status MeteredMetaStore::set_storage_class(RepositoryId repo, const oci::Digest& digest,
                                          StorageClass target, std::int64_t at_ms) {
  return measure("set_storage_class",
                 [&] { return inner_.set_storage_class(repo, digest, target, at_ms); });
}

Result<std::optional<std::string>> MeteredMetaStore::get_repository_document(
    RepositoryId id, std::string_view name) {
  return measure("get_repository_document",
                 [&] { return inner_.get_repository_document(id, name); });
}

Result<std::string> MeteredMetaStore::modify_repository_document(RepositoryId id,
                                                                std::string_view name,
                                                                const SettingsChange& change) {
  return measure("modify_repository_document",
                 [&] { return inner_.modify_repository_document(id, name, change); });
}

// ---- uploads ----

Status MeteredMetaStore::create_upload(const UploadRecord& upload) {
  return measure("create_upload", [&] { return inner_.create_upload(upload); });
}

Result<UploadRecord> MeteredMetaStore::get_upload(std::string_view id) {
  return measure("get_upload", [&] { return inner_.get_upload(id); });
}

Status MeteredMetaStore::delete_upload(std::string_view id) {
  return measure("delete_upload", [&] { return inner_.delete_upload(id); });
}

Status MeteredMetaStore::walk_uploads(const std::function<Status(const UploadRecord&)>& visit) {
  return measure("walk_uploads", [&] { return inner_.walk_uploads(visit); });
}

// ---- garbage collection ----

Status MeteredMetaStore::walk_referenced_blobs(
    const std::function<Status(const oci::Digest&)>& visit) {
  return measure("walk_referenced_blobs", [&] { return inner_.walk_referenced_blobs(visit); });
}

Status MeteredMetaStore::snapshot_to(const std::filesystem::path& file) {
  return measure("snapshot_to", [&] { return inner_.snapshot_to(file); });
}

}  // namespace berth::storage::metered
