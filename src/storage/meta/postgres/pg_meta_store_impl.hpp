// PostgresMetaStore: the MetaStore behind open_postgres_meta_store().
// Internal to this folder; its methods are split by area, one file each:
// pg_meta_store.cpp (opening, transactions, lock_store), pg_repositories.cpp
// (repositories, settings, registries, blob links), pg_manifests.cpp
// (manifests, tags, referrers, pulls), pg_uploads.cpp (uploads, leases) and
// pg_gc.cpp (the collector's queue, tombstones, job leases, the GC walk)
// and pg_lifecycle.cpp (storage classes, repository documents).
//
// Isolation. A single call runs at READ COMMITTED, in one statement where
// it can and otherwise in one transaction, and makes its effect hold across
// processes with what PostgreSQL enforces between concurrent transactions:
// unique indexes and ON CONFLICT (tag moves, racing creations), foreign
// keys (a tag or a reference cannot outlive its target), and explicit row
// locks where a call reads before it writes (SELECT ... FOR UPDATE around a
// settings change; FOR KEY SHARE on the repository, the linked blobs and the
// child manifests a put_manifest checks, FOR UPDATE on the manifest a
// delete_manifest removes, so the check and the write see the same rows).
// Contended rows make callers wait rather than fail, as on SQLite.
// in_one_commit() runs its calls in one SERIALIZABLE transaction: it reads
// (tags_of, parents_of) and then writes on what it read, which row locks
// alone cannot make safe against inserts by other processes; PostgreSQL
// detects the conflict and the whole `work` runs again. Every transaction
// is retried, up to kMaxAttempts times with a short random backoff, after a
// serialization failure (40001) or a deadlock (40P01).
//
// Thread scope. in_one_commit() and in_one_snapshot() bind one connection,
// inside its transaction, to the calling thread (CallScope); the store's
// calls on that thread use it: writes each inside a SAVEPOINT, so a failing
// call takes back only its own changes, reads as they are. A failure of the
// connection or transaction itself (not a refusal such as "not found")
// ends the scope: every later call returns that error, and in_one_commit
// returns it (or runs `work` again, for a retryable one).
//
// Thread-safety: safe for concurrent use (see pg_meta_store.hpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "storage/meta/meta_store.hpp"
#include "storage/meta/postgres/pg_connection.hpp"
#include "storage/meta/postgres/pg_error.hpp"
#include "storage/meta/postgres/pg_meta_store.hpp"
#include "storage/meta/postgres/pg_pool.hpp"

namespace berth::storage::meta::postgres {

class PostgresMetaStore;

// Attempts of one transaction before a serialization failure or deadlock is
// returned (as kUnavailable).
inline constexpr int kMaxAttempts = 10;
// Sleeps a short random time before attempt `attempt` + 1.
void backoff(int attempt);

// The in_one_commit() or in_one_snapshot() a thread is running.
struct CallScope {
  const PostgresMetaStore* store = nullptr;
  Connection* conn = nullptr;
  bool writing = false;           // in_one_commit (else in_one_snapshot)
  std::optional<Error> failure;   // the transaction's first failure; later calls return it
  std::string failure_sqlstate;
  int cursors = 0;                // open walk cursors (names them)

  void note_failure(const Error& error, std::string_view sqlstate) {
    if (failure) return;
    failure = error;
    failure_sqlstate = sqlstate;
  }
};
// This thread's scope for `store`, or null.
CallScope* scope_for(const PostgresMetaStore* store);

// ---- helpers shared by the area files; all run on a caller's connection ----

// A digest read back from the database; kCorruption when it does not parse.
Result<oci::Digest> digest_at(const PgResult& rows, int row, int col);
// LIMIT parameter for a page size.
std::int64_t sql_limit(std::size_t limit);

// Garbage-collection bookkeeping inside a caller's transaction (pg_gc.cpp):
// the shared per-digest locks a write takes before it links or references
// blobs (so it never interleaves with a claim of them), kUnavailable for a
// blob that is being collected, and the SQL that queues blobs for review
// from `select` (rows of digest, since, registry).
Status hold_blobs(Connection& conn, std::vector<std::string> digests);
Status refuse_tombstoned(Connection& conn, const oci::Digest& digest);
std::string queue_review_sql(std::string_view select);

class PostgresMetaStore final : public MetaStore {
 public:
  PostgresMetaStore(std::unique_ptr<ConnectionPool> pool, const PostgresOptions& options);

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
  Result<ManifestRecord> get_manifest_by_tag(RepositoryId repo, std::string_view tag) override;
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
  // pg_lifecycle.cpp
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

  Status walk_referenced_blobs(const std::function<Status(const oci::Digest&)>& visit) override;
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

  Status in_one_commit(const std::function<Status()>& work) override;
  Status in_one_snapshot(const std::function<Status()>& work) override;

 private:
  enum class Tx {
    kStatement,    // the body issues one statement: it is its own transaction
    kTransaction,  // BEGIN (READ COMMITTED) ... COMMIT around the body
  };

  // Runs body(conn) as one atomic write (see the header comment): in this
  // thread's in_one_commit() inside a savepoint, else on a pooled
  // connection, retried after a serialization failure or deadlock.
  template <typename F>
  auto write(F&& body, Tx tx = Tx::kTransaction) -> std::invoke_result_t<F&, Connection&> {
    using R = std::invoke_result_t<F&, Connection&>;
    if (CallScope* scope = scope_for(this); scope != nullptr && scope->writing) {
      if (scope->failure) return std::unexpected(*scope->failure);
      Connection& c = *scope->conn;
      if (Status begun = c.exec("SAVEPOINT berth_call"); !begun) {
        scope->note_failure(begun.error(), c.last_sqlstate());
        return std::unexpected(std::move(begun).error());
      }
      R result = body(c);
      const bool sql_failed = !result && c.last_failed();
      const std::string state = c.last_sqlstate();
      Status ended = result ? c.exec("RELEASE SAVEPOINT berth_call")
                            : c.exec("ROLLBACK TO SAVEPOINT berth_call; RELEASE SAVEPOINT berth_call");
      if (!ended) {
        scope->note_failure(ended.error(), c.last_sqlstate());
        return std::unexpected(std::move(ended).error());
      }
      // A retryable failure dooms the whole transaction (run `work` again);
      // a refusal (a unique or foreign-key violation the body mapped) does
      // not: the savepoint took it back.
      if (sql_failed && (is_retryable(state) || is_connection_failure(state))) {
        scope->note_failure(result.error(), state);
      }
      return result;
    }
    for (int attempt = 1;; ++attempt) {
      std::string state;
      {
        auto lease = BERTH_TRY(pool_->acquire());
        Connection& c = *lease;
        if (tx == Tx::kTransaction) BERTH_TRY_STATUS(c.exec("BEGIN"));
        R result = body(c);
        state = c.last_sqlstate();
        if (result && tx == Tx::kTransaction) {
          if (Status committed = c.exec("COMMIT"); !committed) {
            state = c.last_sqlstate();
            result = std::unexpected(std::move(committed).error());
          }
        } else if (!result && c.in_transaction()) {
          (void)c.exec("ROLLBACK");
        }
        if (result || !is_retryable(state) || attempt >= kMaxAttempts) return result;
      }
      backoff(attempt);
    }
  }

  // Runs body(conn) for a read: on this thread's scope connection if any
  // (one snapshot, or the commit's own writes), else on a pooled one.
  template <typename F>
  auto read(F&& body) -> std::invoke_result_t<F&, Connection&> {
    if (CallScope* scope = scope_for(this)) {
      if (scope->failure) return std::unexpected(*scope->failure);
      Connection& c = *scope->conn;
      auto result = body(c);
      if (!result && c.last_failed()) scope->note_failure(result.error(), c.last_sqlstate());
      return result;
    }
    auto lease = BERTH_TRY(pool_->acquire());
    return body(*lease);
  }

  // Streams the rows of `select_sql` (no parameters) through a cursor, in
  // batches, from one snapshot; visit(rows, i) may call back into the store.
  Status walk(std::string_view select_sql,
              const std::function<Status(const PgResult&, int)>& visit);

  std::unique_ptr<ConnectionPool> pool_;
  const PostgresOptions options_;
};

}  // namespace berth::storage::meta::postgres
