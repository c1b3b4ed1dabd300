// PostgresMetaStore: the garbage collector's side of the store — the review
// queue that reference-dropping writes fill, tombstones, job leases, and
// the GC walk — plus the helpers those writes call inside their
// transactions.
//
// Across processes, a claim must not interleave with a write that makes
// the same blob linked or referenced (link_blob, link_uploaded_blob,
// put_manifest): a link inserted while the claim drops the blob's links
// would outlive its bytes. Each side takes a transaction-level advisory
// lock on the digest first (the writers shared, the claim exclusive), then
// reads with a statement that starts after the lock is granted: whichever
// comes second sees what the first committed (a tombstone: the writer is
// refused; a link, a reference or a fresher review: the claim keeps the
// blob). Lock keys are (kBlobLockClass, hashtext(digest)), a key space of
// its own; two digests sharing a hash only wait for each other.
//
// Thread-safety: as the store (pg_meta_store_impl.hpp): safe for concurrent use.
#include <algorithm>
#include <string>

#include "storage/meta/postgres/pg_meta_store_impl.hpp"
#include "util/time.hpp"

namespace berth::storage::meta::postgres {

namespace {

// "bert" as an int4: the class half of the blob lock keys.
constexpr std::int64_t kBlobLockClass = 0x62657274;

constexpr std::string_view kReviewConflict =
    " ON CONFLICT (digest) DO UPDATE SET since = GREATEST(gc_blob_reviews.since, EXCLUDED.since),"
    " registry = EXCLUDED.registry";

}  // namespace

// ---- helpers for the writes that add or drop references ----

Status hold_blobs(Connection& c, std::vector<std::string> digests) {
  if (digests.empty()) return ok();
  // Sorted and distinct: a stable order for whatever else waits on them.
  std::sort(digests.begin(), digests.end());
  digests.erase(std::unique(digests.begin(), digests.end()), digests.end());
  BERTH_TRY(c.query("SELECT count(pg_advisory_xact_lock_shared($1::int4, hashtext(d))) "
                    "FROM unnest($2::text[]) AS d",
                    Params().int64(kBlobLockClass).text_array(digests)));
  return ok();
}

Status refuse_tombstoned(Connection& c, const oci::Digest& digest) {
  auto rows = BERTH_TRY(c.query("SELECT 1 FROM gc_blob_tombstones WHERE digest = $1",
                                Params().text(digest.str())));
  if (rows.rows() > 0) {
    return fail(ErrorCode::kUnavailable, "the blob is being garbage-collected; upload it again",
                digest.str());
  }
  return ok();
}

std::string queue_review_sql(std::string_view select) {
  return "INSERT INTO gc_blob_reviews (digest, since, registry) " + std::string(select) +
         std::string(kReviewConflict);
}

// ---- the collector's calls ----

Result<bool> PostgresMetaStore::blob_referenced(const oci::Digest& digest) {
  return read([&](Connection& c) -> Result<bool> {
    auto rows = BERTH_TRY(
        c.query("SELECT EXISTS (SELECT 1 FROM manifest_refs WHERE ref_digest = $1 AND kind = 'blob')",
                Params().text(digest.str())));
    return rows.int64(0, 0) != 0;
  });
}

Status PostgresMetaStore::queue_blob_review(const oci::Digest& digest, std::int64_t since_ms,
                                            std::string_view registry) {
  // Need not be durable (see meta_store.hpp): the commit does not wait for
  // the WAL flush, as record_pulls.
  const bool lazy = scope_for(this) == nullptr;
  return write(
      [&](Connection& c) -> Status {
        BERTH_TRY(c.query(
            "WITH lazy AS MATERIALIZED (SELECT set_config('synchronous_commit', CASE WHEN $4 "
            "  THEN 'off' ELSE current_setting('synchronous_commit') END, true)) " +
                queue_review_sql("SELECT $1, $2, $3 FROM lazy"),
            Params().text(digest.str()).int64(since_ms).text(registry).boolean(lazy)));
        return ok();
      },
      Tx::kStatement);
}

Result<std::vector<BlobReview>> PostgresMetaStore::due_blob_reviews(std::int64_t due_ms,
                                                                    std::string_view after,
                                                                    std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<BlobReview>> {
    auto rows = BERTH_TRY(
        c.query("SELECT digest, since, registry FROM gc_blob_reviews "
                "WHERE since <= $1 AND digest > $2 ORDER BY digest LIMIT $3",
                Params().int64(due_ms).text(after).int64(sql_limit(limit))));
    std::vector<BlobReview> out;
    for (int i = 0; i < rows.rows(); ++i) {
      out.push_back({BERTH_TRY(digest_at(rows, i, 0)), rows.int64(i, 1), rows.text(i, 2)});
    }
    return out;
  });
}

Result<BlobVerdict> PostgresMetaStore::claim_blob(const oci::Digest& digest, std::int64_t due_ms) {
  return write([&](Connection& c) -> Result<BlobVerdict> {
    BERTH_TRY(c.query("SELECT pg_advisory_xact_lock($1::int4, hashtext($2))",
                      Params().int64(kBlobLockClass).text(digest.str())));
    auto queued = BERTH_TRY(c.query("SELECT since FROM gc_blob_reviews WHERE digest = $1 FOR UPDATE",
                                    Params().text(digest.str())));
    if (queued.rows() == 0 || queued.int64(0, 0) > due_ms) return BlobVerdict::kKeep;
    // Referenced: it only leaves the queue. Otherwise its links go and it
    // is tombstoned, in the same statement.
    auto decided = BERTH_TRY(c.query(
        "WITH referenced AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM manifest_refs "
        "  WHERE ref_digest = $1 AND kind = 'blob') AS yes), "
        "dequeued AS (DELETE FROM gc_blob_reviews WHERE digest = $1), "
        "unlinked AS (DELETE FROM blob_links WHERE digest = $1 "
        "  AND NOT (SELECT yes FROM referenced)), "
        "tombstoned AS (INSERT INTO gc_blob_tombstones (digest, since) "
        "  SELECT $1, $2 WHERE NOT (SELECT yes FROM referenced) ON CONFLICT (digest) DO NOTHING) "
        "SELECT yes FROM referenced",
        Params().text(digest.str()).int64(now_ms())));
    return decided.int64(0, 0) != 0 ? BlobVerdict::kKeep : BlobVerdict::kCollect;
  });
}

Status PostgresMetaStore::finish_blob_collection(const oci::Digest& digest) {
  return write(
      [&](Connection& c) -> Status {
        BERTH_TRY(c.query("DELETE FROM gc_blob_tombstones WHERE digest = $1",
                          Params().text(digest.str())));
        return ok();
      },
      Tx::kStatement);
}

Result<std::vector<oci::Digest>> PostgresMetaStore::blob_tombstones(std::string_view after,
                                                                    std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<oci::Digest>> {
    auto rows = BERTH_TRY(c.query(
        "SELECT digest FROM gc_blob_tombstones WHERE digest > $1 ORDER BY digest LIMIT $2",
        Params().text(after).int64(sql_limit(limit))));
    std::vector<oci::Digest> out;
    for (int i = 0; i < rows.rows(); ++i) out.push_back(BERTH_TRY(digest_at(rows, i, 0)));
    return out;
  });
}

Status PostgresMetaStore::walk_referenced_blobs(
    const std::function<Status(const oci::Digest&)>& visit) {
  return walk(
      "SELECT digest FROM blob_links UNION SELECT ref_digest FROM manifest_refs WHERE kind = 'blob'",
      [&](const PgResult& rows, int row) -> Status {
        auto digest = BERTH_TRY(digest_at(rows, row, 0));
        return visit(digest);
      });
}

// ---- job leases ----

Result<bool> PostgresMetaStore::acquire_job_lease(std::string_view job, std::string_view holder,
                                                  std::int64_t now_ms, std::int64_t ttl_ms) {
  // One upsert: racing takers queue on the row, and each re-checks the
  // condition on the row as the previous one left it.
  return write(
      [&](Connection& c) -> Result<bool> {
        auto taken = BERTH_TRY(c.query(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3 + $4) "
            "ON CONFLICT (job) DO UPDATE SET holder = EXCLUDED.holder, "
            "expires_at = EXCLUDED.expires_at "
            "WHERE job_leases.holder = EXCLUDED.holder OR job_leases.expires_at <= $3",
            Params().text(job).text(holder).int64(now_ms).int64(ttl_ms)));
        return taken.affected() > 0;
      },
      Tx::kStatement);
}

Status PostgresMetaStore::release_job_lease(std::string_view job, std::string_view holder) {
  return write(
      [&](Connection& c) -> Status {
        BERTH_TRY(c.query("DELETE FROM job_leases WHERE job = $1 AND holder = $2",
                          Params().text(job).text(holder)));
        return ok();
      },
      Tx::kStatement);
}

}  // namespace berth::storage::meta::postgres
