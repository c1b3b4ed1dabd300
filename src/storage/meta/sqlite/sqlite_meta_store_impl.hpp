// SqliteMetaStore: the MetaStore implementation behind
// open_sqlite_meta_store(). Internal to this folder; its methods are split
// between sqlite_meta_store.cpp (repositories, settings, blob links, walks),
// sqlite_uploads.cpp (uploads and their leases), sqlite_manifests.cpp
// (manifests and tags), sqlite_gc.cpp (the collector's queue, tombstones
// and job leases) and sqlite_lifecycle.cpp (storage classes and repository
// documents).
//
// Every mutating call runs body(writer) inside write(): alone on the writer
// connection, inside a BEGIN IMMEDIATE transaction that it may share with
// other calls (group commit); an error result rolls back exactly this
// call's changes. Reads borrow a pooled connection; calls that issue more
// than one query use read_snapshot() so they see one consistent state.
//
// Thread-safety: safe for concurrent use (see sqlite_meta_store.hpp).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

#include "storage/meta/meta_store.hpp"
#include "storage/meta/sqlite/connection.hpp"
#include "storage/meta/sqlite/group_commit.hpp"
#include "storage/meta/sqlite/reader_pool.hpp"
#include "storage/meta/sqlite/sqlite_meta_store.hpp"

namespace berth::storage::meta::sqlite {

// ---- helpers shared by both .cpp files; all run on a caller's connection ----

// kRepositoryNotFound when absent.
Status require_repository(Connection& conn, RepositoryId id);
Result<bool> manifest_exists(Connection& conn, RepositoryId repo, const oci::Digest& digest);
// A digest read back from the database; kCorruption when it does not parse.
Result<oci::Digest> column_digest(const Statement& stmt, int col);
// LIMIT parameter for a page size.
std::int64_t sql_limit(std::size_t limit);
// A ManifestRecord (without content) from a row whose first columns are
// kManifestColumns, in that order.
inline constexpr std::string_view kManifestColumns =
    "digest, media_type, artifact_type, config_media_type, size, image_size, subject, "
    "pushed_at, last_pulled_at, storage_class, last_archived_at, last_activated_at";
Result<ManifestRecord> manifest_from_row(const Statement& stmt);

// Garbage-collection bookkeeping inside a caller's write (sqlite_gc.cpp):
// the registry of a repository; queueing a dropped blob, the blobs of a
// manifest, or every blob of a repository for review; and kUnavailable for
// a blob that is being collected.
Result<std::string> registry_of(Connection& conn, RepositoryId repo);
Status queue_review(Connection& conn, const oci::Digest& digest, std::string_view registry);
Status queue_manifest_blobs(Connection& conn, RepositoryId repo, const oci::Digest& manifest,
                            std::string_view registry);
Status queue_repository_blobs(Connection& conn, RepositoryId repo, std::string_view registry);
Status refuse_tombstoned(Connection& conn, const oci::Digest& digest);

class SqliteMetaStore final : public MetaStore {
 public:
  SqliteMetaStore(std::unique_ptr<Connection> writer, std::filesystem::path file,
                  const SqliteOptions& options);

  // flock(2) on <database>.lock: shared for servers, exclusive for repair.
  // (Independent of SQLite's own fcntl locks on Linux.)
  Result<std::unique_ptr<StoreLock>> lock_store(StoreLockMode mode) override;

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
  Result<std::string> get_registry_settings(std::string_view registry) override;
  Status put_registry_settings(std::string_view registry, std::string_view settings_json) override;
  Result<std::string> modify_registry_settings(std::string_view registry,
                                               const SettingsChange& change) override;
  Status delete_repository(RepositoryId id) override;
  Result<std::vector<std::string>> list_repositories(std::string_view registry,
                                                     std::string_view after,
                                                     std::size_t limit) override;
  Result<std::vector<RepositoryRecord>> list_repository_records(std::string_view registry,
                                                                std::string_view after,
                                                                std::size_t limit) override;
  Result<std::vector<std::string>> list_registries(std::string_view after,
                                                   std::size_t limit) override;
  Result<std::uint64_t> count_manifests(RepositoryId id) override;
  Result<std::uint64_t> count_repositories(std::string_view registry) override;
  Result<RegistryStorage> registry_storage(std::string_view registry,
                                           const oci::Digest& digest) override;

  Status link_blob(RepositoryId repo, const oci::Digest& digest, std::uint64_t size,
                   std::int64_t now_ms) override;
  Result<std::uint64_t> get_blob_link(RepositoryId repo, const oci::Digest& digest) override;
  Status unlink_blob(RepositoryId repo, const oci::Digest& digest) override;
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
  Status record_pulls(const std::vector<PullRecord>& pulls) override;
  Status record_pull(RepositoryId repo, const oci::Digest& digest, std::int64_t now_ms) override;
  // sqlite_lifecycle.cpp
  Status set_storage_class(RepositoryId repo, const oci::Digest& digest, StorageClass target,
                           std::int64_t at_ms) override;
  Result<std::optional<std::string>> get_repository_document(RepositoryId id,
                                                             std::string_view name) override;
  Result<std::string> modify_repository_document(RepositoryId id, std::string_view name,
                                                 const SettingsChange& change) override;

  Status create_upload(const UploadRecord& upload) override;
  Result<UploadRecord> get_upload(std::string_view id) override;
  Result<UploadRecord> acquire_upload_lease(std::string_view id, std::string_view holder,
                                            std::int64_t now_ms, std::int64_t ttl_ms) override;
  Status release_upload_lease(std::string_view id, std::string_view holder,
                              std::optional<std::uint64_t> saved_size) override;
  Result<std::uint64_t> clear_upload_leases() override;
  Status delete_upload(std::string_view id) override;
  Status walk_uploads(const std::function<Status(const UploadRecord&)>& visit) override;

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
  Status walk_referenced_blobs(const std::function<Status(const oci::Digest&)>& visit) override;
  Status snapshot_to(const std::filesystem::path& file) override;

  Status in_one_commit(const std::function<Status()>& work) override;
  Status in_one_snapshot(const std::function<Status()>& work) override;
  Status in_one_read(const std::function<Status()>& work) override {
    return in_one_snapshot(work);
  }

 private:
  // Runs body(writer) as one atomic unit of a group-committed transaction
  // (group_commit.hpp): it returns once the change is durable.
  template <typename F>
  auto write(F&& body, GroupCommitter::Durability durability =
                           GroupCommitter::Durability::kDurable)
      -> std::invoke_result_t<F&, Connection&> {
    using R = std::invoke_result_t<F&, Connection&>;
    if (in_one_commit_here()) {
      // Inside in_one_commit(): this thread already holds the writer and
      // its transaction; a savepoint keeps this call atomic on its own.
      auto call = BERTH_TRY(Savepoint::begin(*writer_));
      R result = body(*writer_);
      BERTH_TRY_STATUS(result ? call.release() : call.rollback());
      return result;
    }
    std::optional<R> out;
    Status done = committer_.run(
        [&](Connection& c) -> Status {
          out.emplace(body(c));
          if (!*out) return std::unexpected(out->error());
          return ok();
        },
        durability);
    if (!done) return std::unexpected(std::move(done).error());
    return std::move(*out);
  }

  // Reads inside in_one_commit() go to the writer, so they see the calls
  // made before them in the same commit.
  template <typename F>
  auto read(F&& body) -> std::invoke_result_t<F&, Connection&> {
    if (in_one_commit_here()) return body(*writer_);
    if (Connection* snapshot = snapshot_here()) return body(*snapshot);
    auto lease = BERTH_TRY(readers_.acquire());
    return body(*lease);
  }

  template <typename F>
  auto read_snapshot(F&& body) -> std::invoke_result_t<F&, Connection&> {
    if (in_one_commit_here()) return body(*writer_);
    if (Connection* snapshot = snapshot_here()) return body(*snapshot);
    auto lease = BERTH_TRY(readers_.acquire());
    auto txn = BERTH_TRY(Transaction::begin(*lease, Transaction::Mode::kRead));
    auto result = body(*lease);
    if (!result) return result;
    BERTH_TRY_STATUS(txn.commit());
    return result;
  }

  // True on the thread running this store's in_one_commit() work.
  bool in_one_commit_here() const;
  // The reader holding this thread's in_one_snapshot() transaction, if any.
  Connection* snapshot_here() const;

  std::filesystem::path file_;
  std::unique_ptr<Connection> writer_;  // used only through committer_
  GroupCommitter committer_;
  ReaderPool readers_;
};

}  // namespace berth::storage::meta::sqlite
