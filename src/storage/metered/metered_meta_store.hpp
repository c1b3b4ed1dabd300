// MeteredMetaStore: a MetaStore decorator that forwards every call to another
// backend and records its latency, and its errors by code, under the
// store's backend name (sqlite, postgres, memory) for GET /metrics:
//   berth_store_call_duration_seconds{store="meta",backend,operation}
//   berth_store_call_errors_total{store="meta",backend,operation,code}
// Not-found answers are outcomes, not errors: they are not counted as
// errors. Shaped like the fault-injecting decorator (storage/*/faulty/).
//
// Thread-safety: as safe as the wrapped store. The wrapped store and the
// metrics must outlive this one.
#pragma once

#include <memory>
#include <string>

#include "storage/meta/meta_store.hpp"
#include "storage/metered/store_metrics.hpp"

namespace berth::storage::metered {

class MeteredMetaStore final : public meta::MetaStore {
 public:
  MeteredMetaStore(meta::MetaStore& inner, std::string backend, StoreMetrics& metrics);
  // The same, owning the wrapped store.
  MeteredMetaStore(std::unique_ptr<meta::MetaStore> inner, std::string backend,
                   StoreMetrics& metrics);


  Result<meta::RepositoryRecord> get_repository(std::string_view registry,
                                          std::string_view name) override;
  Result<meta::EnsuredRepository> find_or_create_repository(std::string_view registry,
                                                            std::string_view name,
                                                            std::int64_t now_ms) override;
  Result<meta::RepositoryRecord> create_repository(std::string_view registry, std::string_view name,
                                             std::string_view settings_json,
                                             std::int64_t now_ms) override;
  Status update_repository_settings(meta::RepositoryId id, std::string_view settings_json) override;
  Result<meta::RepositoryRecord> modify_repository_settings(meta::RepositoryId id,
                                                      const meta::SettingsChange& change) override;
  Result<std::string> modify_registry_settings(std::string_view registry,
                                               const meta::SettingsChange& change) override;
  Result<std::vector<meta::RepositoryRecord>> list_repository_records(std::string_view registry,
                                                                std::string_view after,
                                                                std::size_t limit) override;
  Result<std::vector<std::string>> list_registries(std::string_view after,
                                                   std::size_t limit) override;
  Result<meta::UploadRecord> acquire_upload_lease(std::string_view id, std::string_view holder,
                                            std::int64_t now_ms, std::int64_t ttl_ms) override;
  Status release_upload_lease(std::string_view id, std::string_view holder,
                              std::optional<std::uint64_t> saved_size) override;
  Result<std::uint64_t> clear_upload_leases() override;
  Result<bool> blob_referenced(const oci::Digest& digest) override;
  Status queue_blob_review(const oci::Digest& digest, std::int64_t since_ms,
                           std::string_view registry) override;
  Result<std::vector<meta::BlobReview>> due_blob_reviews(std::int64_t due_ms, std::string_view after,
                                                   std::size_t limit) override;
  Result<meta::BlobVerdict> claim_blob(const oci::Digest& digest, std::int64_t due_ms) override;
  Status finish_blob_collection(const oci::Digest& digest) override;
  Result<std::vector<oci::Digest>> blob_tombstones(std::string_view after,
                                                   std::size_t limit) override;
  Result<bool> acquire_job_lease(std::string_view job, std::string_view holder,
                                 std::int64_t now_ms, std::int64_t ttl_ms) override;
  Status release_job_lease(std::string_view job, std::string_view holder) override;
  Status delete_repository(meta::RepositoryId id) override;
  Result<std::vector<std::string>> list_repositories(std::string_view registry,
                                                     std::string_view after,
                                                     std::size_t limit) override;
  Result<std::string> get_registry_settings(std::string_view registry) override;
  Status put_registry_settings(std::string_view registry, std::string_view settings_json) override;
  Result<std::uint64_t> count_manifests(meta::RepositoryId id) override;
  Result<std::uint64_t> count_repositories(std::string_view registry) override;
  Result<meta::RegistryStorage> registry_storage(std::string_view registry,
                                                 const oci::Digest& digest) override;

  Status link_blob(meta::RepositoryId repo, const oci::Digest& digest, std::uint64_t size,
                   std::int64_t now_ms) override;
  Result<std::uint64_t> get_blob_link(meta::RepositoryId repo, const oci::Digest& digest) override;
  Status unlink_blob(meta::RepositoryId repo, const oci::Digest& digest) override;
  // Forwarded: the calls `work` makes come back through this store.
  Result<std::unique_ptr<meta::StoreLock>> lock_store(meta::StoreLockMode mode) override {
    return inner_.lock_store(mode);
  }
  Status in_one_commit(const std::function<Status()>& work) override {
    return inner_.in_one_commit(work);
  }
  Status in_one_snapshot(const std::function<Status()>& work) override {
    return inner_.in_one_snapshot(work);
  }
  Status in_one_read(const std::function<Status()>& work) override {
    return inner_.in_one_read(work);
  }
  Status link_uploaded_blob(std::string_view upload_id, meta::RepositoryId repo,
                            const oci::Digest& digest, std::uint64_t size,
                            std::int64_t now_ms) override;

  Status put_manifest(meta::RepositoryId repo, const meta::ManifestRecord& manifest,
                      const std::vector<meta::ManifestReference>& references,
                      const meta::PutManifestOptions& options) override;
  Result<meta::ManifestRecord> get_manifest(meta::RepositoryId repo, const oci::Digest& digest) override;
  Result<oci::Digest> resolve_tag(meta::RepositoryId repo, std::string_view tag) override;
  // Forwarded whole: the interface's default would split a pull by tag into
  // two lookups and lose the backend's single query.
  Result<meta::ManifestRecord> get_manifest_by_tag(meta::RepositoryId repo,
                                                   std::string_view tag) override;
  Status put_tag(meta::RepositoryId repo, std::string_view tag, const oci::Digest& digest,
                 bool immutable_tags) override;
  Status delete_tag(meta::RepositoryId repo, std::string_view tag) override;
  Status delete_manifest(meta::RepositoryId repo, const oci::Digest& digest) override;
  Result<std::vector<std::string>> list_tags(meta::RepositoryId repo, std::string_view after,
                                             std::size_t limit) override;
  Result<std::vector<std::string>> tags_of(meta::RepositoryId repo, const oci::Digest& digest) override;
  Result<std::vector<meta::ManifestSummary>> list_manifests(meta::RepositoryId repo,
                                                      std::string_view after_digest,
                                                      std::size_t limit) override;
  Result<std::vector<meta::ManifestRecord>> list_referrers(meta::RepositoryId repo,
                                                     const oci::Digest& subject) override;
  Result<std::vector<oci::Digest>> parents_of(meta::RepositoryId repo, const oci::Digest& child) override;
  Status record_pull(meta::RepositoryId repo, const oci::Digest& digest, std::int64_t now_ms) override;
  Status record_pulls(const std::vector<meta::PullRecord>& pulls) override;
  Status set_storage_class(meta::RepositoryId repo, const oci::Digest& digest,
                           meta::StorageClass target, std::int64_t at_ms) override;
  Result<std::optional<std::string>> get_repository_document(meta::RepositoryId id,
                                                             std::string_view name) override;
  Result<std::string> modify_repository_document(meta::RepositoryId id, std::string_view name,
                                                 const meta::SettingsChange& change) override;

  Status create_upload(const meta::UploadRecord& upload) override;
  Result<meta::UploadRecord> get_upload(std::string_view id) override;
  Status delete_upload(std::string_view id) override;
  Status walk_uploads(const std::function<Status(const meta::UploadRecord&)>& visit) override;

  Status walk_referenced_blobs(const std::function<Status(const oci::Digest&)>& visit) override;
  Status snapshot_to(const std::filesystem::path& file) override;

 private:
  template <class F>
  auto measure(std::string_view operation, F&& call) {
    return metrics_.measure("meta", backend_, operation, std::forward<F>(call));
  }

  std::unique_ptr<meta::MetaStore> owned_;  // null when wrapping a reference
  meta::MetaStore& inner_;
  std::string backend_;
  StoreMetrics& metrics_;
};

}  // namespace berth::storage::metered
