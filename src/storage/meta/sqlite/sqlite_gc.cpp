// SqliteMetaStore: the garbage collector's side of the store — the review
// queue that reference-dropping writes fill, tombstones, and job leases —
// plus the queueing helpers those writes call inside their transactions.
#include <string>

#include "storage/meta/sqlite/sqlite_meta_store_impl.hpp"
#include "util/time.hpp"

namespace berth::storage::meta::sqlite {

namespace {

constexpr std::string_view kUpsertReview =
    "INSERT INTO gc_blob_reviews (digest, since, registry) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (digest) DO UPDATE SET since = max(since, excluded.since), "
    "registry = excluded.registry";

// Links alone do not keep a blob (see meta_store.hpp); the index
// manifest_refs_by_target leads with repository_id, so this one looks the
// digest up across repositories through gc's own index.
constexpr std::string_view kReferencedSql =
    "SELECT EXISTS (SELECT 1 FROM manifest_refs WHERE ref_digest = ?1 AND kind = 'blob')";

}  // namespace

// ---- helpers for the writes that drop references (same transaction) ----

Result<std::string> registry_of(Connection& c, RepositoryId repo) {
  auto stmt = BERTH_TRY(c.prepare("SELECT registry FROM repositories WHERE id = ?1"));
  stmt.bind(1, repo);
  if (!BERTH_TRY(stmt.step())) {
    return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(repo));
  }
  return std::string(stmt.column_text(0));
}

Status queue_review(Connection& c, const oci::Digest& digest, std::string_view registry) {
  auto upsert = BERTH_TRY(c.prepare(kUpsertReview));
  upsert.bind(1, digest.str()).bind(2, now_ms()).bind(3, registry);
  return upsert.run();
}

Status queue_manifest_blobs(Connection& c, RepositoryId repo, const oci::Digest& manifest,
                            std::string_view registry) {
  auto queue = BERTH_TRY(c.prepare(
      "INSERT INTO gc_blob_reviews (digest, since, registry) "
      "SELECT ref_digest, ?3, ?4 FROM manifest_refs "
      "WHERE repository_id = ?1 AND manifest_digest = ?2 AND kind = 'blob' "
      "ON CONFLICT (digest) DO UPDATE SET since = max(since, excluded.since), "
      "registry = excluded.registry"));
  queue.bind(1, repo).bind(2, manifest.str()).bind(3, now_ms()).bind(4, registry);
  return queue.run();
}

Status queue_repository_blobs(Connection& c, RepositoryId repo, std::string_view registry) {
  // "AND true": SQLite's parser needs a WHERE before an upsert's ON CONFLICT
  // when the rows come from a SELECT.
  auto queue = BERTH_TRY(c.prepare(
      "INSERT INTO gc_blob_reviews (digest, since, registry) "
      "SELECT digest, ?2, ?3 FROM (SELECT digest FROM blob_links WHERE repository_id = ?1 "
      "UNION SELECT ref_digest FROM manifest_refs WHERE repository_id = ?1 AND kind = 'blob') "
      "WHERE true "
      "ON CONFLICT (digest) DO UPDATE SET since = max(since, excluded.since), "
      "registry = excluded.registry"));
  queue.bind(1, repo).bind(2, now_ms()).bind(3, registry);
  return queue.run();
}

Status refuse_tombstoned(Connection& c, const oci::Digest& digest) {
  auto stmt = BERTH_TRY(c.prepare("SELECT 1 FROM gc_blob_tombstones WHERE digest = ?1"));
  stmt.bind(1, digest.str());
  if (BERTH_TRY(stmt.step())) {
    return fail(ErrorCode::kUnavailable,
                "the blob is being garbage-collected; upload it again", digest.str());
  }
  return ok();
}

// ---- the collector's calls ----

Result<bool> SqliteMetaStore::blob_referenced(const oci::Digest& digest) {
  return read([&](Connection& c) -> Result<bool> {
    auto stmt = BERTH_TRY(c.prepare(kReferencedSql));
    stmt.bind(1, digest.str());
    BERTH_TRY(stmt.step());
    return stmt.column_int64(0) != 0;
  });
}

Status SqliteMetaStore::queue_blob_review(const oci::Digest& digest, std::int64_t since_ms,
                                          std::string_view registry) {
  return write([&](Connection& c) -> Status {
    auto upsert = BERTH_TRY(c.prepare(kUpsertReview));
    upsert.bind(1, digest.str()).bind(2, since_ms).bind(3, registry);
    return upsert.run();
  }, GroupCommitter::Durability::kLazy);
}

Result<std::vector<BlobReview>> SqliteMetaStore::due_blob_reviews(std::int64_t due_ms,
                                                                  std::string_view after,
                                                                  std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<BlobReview>> {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT digest, since, registry FROM gc_blob_reviews "
                  "WHERE since <= ?1 AND digest > ?2 ORDER BY digest LIMIT ?3"));
    stmt.bind(1, due_ms).bind(2, after).bind(3, sql_limit(limit));
    std::vector<BlobReview> out;
    while (BERTH_TRY(stmt.step())) {
      out.push_back({BERTH_TRY(column_digest(stmt, 0)), stmt.column_int64(1),
                     std::string(stmt.column_text(2))});
    }
    return out;
  });
}

Result<BlobVerdict> SqliteMetaStore::claim_blob(const oci::Digest& digest, std::int64_t due_ms) {
  return write([&](Connection& c) -> Result<BlobVerdict> {
    auto queued = BERTH_TRY(c.prepare("SELECT since FROM gc_blob_reviews WHERE digest = ?1"));
    queued.bind(1, digest.str());
    if (!BERTH_TRY(queued.step()) || queued.column_int64(0) > due_ms) return BlobVerdict::kKeep;
    auto referenced = BERTH_TRY(c.prepare(kReferencedSql));
    referenced.bind(1, digest.str());
    BERTH_TRY(referenced.step());
    const bool keep = referenced.column_int64(0) != 0;
    auto dequeue = BERTH_TRY(c.prepare("DELETE FROM gc_blob_reviews WHERE digest = ?1"));
    dequeue.bind(1, digest.str());
    BERTH_TRY_STATUS(dequeue.run());
    if (keep) return BlobVerdict::kKeep;
    auto unlink = BERTH_TRY(c.prepare("DELETE FROM blob_links WHERE digest = ?1"));
    unlink.bind(1, digest.str());
    BERTH_TRY_STATUS(unlink.run());
    auto tombstone = BERTH_TRY(c.prepare(
        "INSERT INTO gc_blob_tombstones (digest, since) VALUES (?1, ?2) "
        "ON CONFLICT (digest) DO NOTHING"));
    tombstone.bind(1, digest.str()).bind(2, now_ms());
    BERTH_TRY_STATUS(tombstone.run());
    return BlobVerdict::kCollect;
  });
}

Status SqliteMetaStore::finish_blob_collection(const oci::Digest& digest) {
  return write([&](Connection& c) -> Status {
    auto del = BERTH_TRY(c.prepare("DELETE FROM gc_blob_tombstones WHERE digest = ?1"));
    del.bind(1, digest.str());
    return del.run();
  });
}

Result<std::vector<oci::Digest>> SqliteMetaStore::blob_tombstones(std::string_view after,
                                                                  std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<oci::Digest>> {
    auto stmt = BERTH_TRY(c.prepare(
        "SELECT digest FROM gc_blob_tombstones WHERE digest > ?1 ORDER BY digest LIMIT ?2"));
    stmt.bind(1, after).bind(2, sql_limit(limit));
    std::vector<oci::Digest> out;
    while (BERTH_TRY(stmt.step())) out.push_back(BERTH_TRY(column_digest(stmt, 0)));
    return out;
  });
}

// ---- job leases ----

Result<bool> SqliteMetaStore::acquire_job_lease(std::string_view job, std::string_view holder,
                                                std::int64_t now_ms, std::int64_t ttl_ms) {
  return write([&](Connection& c) -> Result<bool> {
    auto take = BERTH_TRY(c.prepare(
        "INSERT INTO job_leases (job, holder, expires_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, "
        "expires_at = excluded.expires_at "
        "WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?4"));
    take.bind(1, job).bind(2, holder).bind(3, now_ms + ttl_ms).bind(4, now_ms);
    BERTH_TRY_STATUS(take.run());
    return c.changes() > 0;
  }, GroupCommitter::Durability::kLazy);
}

Status SqliteMetaStore::release_job_lease(std::string_view job, std::string_view holder) {
  return write([&](Connection& c) -> Status {
    auto del = BERTH_TRY(c.prepare("DELETE FROM job_leases WHERE job = ?1 AND holder = ?2"));
    del.bind(1, job).bind(2, holder);
    return del.run();
  }, GroupCommitter::Durability::kLazy);
}

}  // namespace berth::storage::meta::sqlite
