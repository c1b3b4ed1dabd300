// FaultyMetaStore: a MetaStore decorator that forwards every call to another
// backend, announcing each to a shared FaultPlan (storage/blob/faulty/
// fault_plan.hpp) which may fail it before it happens or after it took
// effect. Sharing one plan with a FaultyBlobStore numbers the calls of both
// stores in one sequence, so "the k-th step" of a registry operation means
// the same thing whichever store that step touches.
//
// Mutating calls: ensure_repository, create_repository,
// update_repository_settings, delete_repository, put_registry_settings,
// link_blob, unlink_blob, link_uploaded_blob, put_manifest, put_tag, delete_tag, delete_manifest,
// record_pull, record_pulls, set_storage_class, modify_repository_document,
// create_upload, delete_upload. Every other call is a read and
// counts only in FaultScope::kAny.
//
// Thread-safety: as safe as the wrapped store (the plan is thread-safe).
// The wrapped store must outlive this one.
#pragma once

#include <memory>

#include "storage/blob/faulty/fault_plan.hpp"
#include "storage/meta/meta_store.hpp"

namespace berth::storage::meta::faulty {

using storage::faulty::FaultPlan;

class FaultyMetaStore final : public MetaStore {
 public:
  // REQUIRES: plan != nullptr.
  FaultyMetaStore(MetaStore& inner, std::shared_ptr<FaultPlan> plan);

  FaultPlan& plan() { return *plan_; }
  MetaStore& inner() { return inner_; }

  Result<RepositoryRecord> get_repository(std::string_view registry,
                                          std::string_view name) override;
  Result<EnsuredRepository> find_or_create_repository(std::string_view registry,
                                                      std::string_view name,
                                                      std::int64_t now_ms) override;
  Result<RepositoryRecord> create_repository(std::string_view registry, std::string_view name,
                                             std::string_view settings_json,
                                             std::int64_t now_ms) override;
  Status update_repository_settings(RepositoryId id, std::string_view settings_json) override;
  Result<RepositoryRecord> modify_repository_settings(RepositoryId id,
                                                      const SettingsChange& change) override;
  Result<std::string> modify_registry_settings(std::string_view registry,
                                               const SettingsChange& change) override;
  Result<std::vector<RepositoryRecord>> list_repository_records(std::string_view registry,
                                                                std::string_view after,
                                                                std::size_t limit) override;
  Result<std::vector<std::string>> list_registries(std::string_view after,
                                                   std::size_t limit) override;
  Result<UploadRecord> acquire_upload_lease(std::string_view id, std::string_view holder,
                                            std::int64_t now_ms, std::int64_t ttl_ms) override;
  Status release_upload_lease(std::string_view id, std::string_view holder,
                              std::optional<std::uint64_t> saved_size) override;
  Result<std::uint64_t> clear_upload_leases() override;
  Result<bool> blob_referenced(const oci::Digest& digest) override;
  Status queue_blob_review(const oci::Digest& digest, std::int64_t since_ms,
                           std::string_view registry) override;
  Result<std::vector<BlobReview>> due_blob_reviews(std::int64_t due_ms, std::string_view after,
                                                   std::size_t limit) override;
  Result<BlobVerdict> claim_blob(const oci::Digest& digest, std::int64_t due_ms) override;
  Status finish_blob_collection(const oci::Digest& digest) override;
  Result<std::vector<oci::Digest>> blob_tombstones(std::string_view after,
                                                   std::size_t limit) override;
  Result<bool> acquire_job_lease(std::string_view job, std::string_view holder,
                                 std::int64_t now_ms, std::int64_t ttl_ms) override;
  Status release_job_lease(std::string_view job, std::string_view holder) override;
  Status delete_repository(RepositoryId id) override;
  Result<std::vector<std::string>> list_repositories(std::string_view registry,
                                                     std::string_view after,
                                                     std::size_t limit) override;
  Result<std::string> get_registry_settings(std::string_view registry) override;
  Status put_registry_settings(std::string_view registry, std::string_view settings_json) override;
  Result<std::uint64_t> count_manifests(RepositoryId id) override;
  Result<std::uint64_t> count_repositories(std::string_view registry) override;
  Result<RegistryStorage> registry_storage(std::string_view registry,
                                           const oci::Digest& digest) override;

  Status link_blob(RepositoryId repo, const oci::Digest& digest, std::uint64_t size,
                   std::int64_t now_ms) override;
  Result<std::uint64_t> get_blob_link(RepositoryId repo, const oci::Digest& digest) override;
  Status unlink_blob(RepositoryId repo, const oci::Digest& digest) override;
  // Forwarded: the calls `work` makes come back through this store.
  Result<std::unique_ptr<StoreLock>> lock_store(StoreLockMode mode) override {
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
  Status link_uploaded_blob(std::string_view upload_id, RepositoryId repo,
                            const oci::Digest& digest, std::uint64_t size,
                            std::int64_t now_ms) override;

  Status put_manifest(RepositoryId repo, const ManifestRecord& manifest,
                      const std::vector<ManifestReference>& references,
                      const PutManifestOptions& options) override;
  Result<ManifestRecord> get_manifest(RepositoryId repo, const oci::Digest& digest) override;
  Result<oci::Digest> resolve_tag(RepositoryId repo, std::string_view tag) override;
  Status put_tag(RepositoryId repo, std::string_view tag, const oci::Digest& digest,
                 bool immutable_tags) override;
  Status delete_tag(RepositoryId repo, std::string_view tag) override;
  Status delete_manifest(RepositoryId repo, const oci::Digest& digest) override;
  Result<std::vector<std::string>> list_tags(RepositoryId repo, std::string_view after,
                                             std::size_t limit) override;
  Result<std::vector<std::string>> tags_of(RepositoryId repo, const oci::Digest& digest) override;
  Result<std::vector<ManifestSummary>> list_manifests(RepositoryId repo,
                                                      std::string_view after_digest,
                                                      std::size_t limit) override;
  Result<std::vector<ManifestRecord>> list_referrers(RepositoryId repo,
                                                     const oci::Digest& subject) override;
  Result<std::vector<oci::Digest>> parents_of(RepositoryId repo, const oci::Digest& child) override;
  Status record_pull(RepositoryId repo, const oci::Digest& digest, std::int64_t now_ms) override;
  Status record_pulls(const std::vector<PullRecord>& pulls) override;
  Status set_storage_class(RepositoryId repo, const oci::Digest& digest, StorageClass target,
                           std::int64_t at_ms) override;
  Result<std::optional<std::string>> get_repository_document(RepositoryId id,
                                                             std::string_view name) override;
  Result<std::string> modify_repository_document(RepositoryId id, std::string_view name,
                                                 const SettingsChange& change) override;

  Status create_upload(const UploadRecord& upload) override;
  Result<UploadRecord> get_upload(std::string_view id) override;
  Status delete_upload(std::string_view id) override;
  Status walk_uploads(const std::function<Status(const UploadRecord&)>& visit) override;

  Status walk_referenced_blobs(const std::function<Status(const oci::Digest&)>& visit) override;
  Status snapshot_to(const std::filesystem::path& file) override;

 private:
  MetaStore& inner_;
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace berth::storage::meta::faulty
