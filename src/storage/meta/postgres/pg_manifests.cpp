// PostgresMetaStore: manifests, their references, tags, referrers and pull
// times.
//
// Thread-safety: as the store (pg_meta_store_impl.hpp): safe for concurrent use.
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include "storage/meta/postgres/pg_meta_store_impl.hpp"
#include "util/time.hpp"

namespace berth::storage::meta::postgres {

namespace {

// The columns every manifest query selects first, in this order.
constexpr std::string_view kManifestColumns =
    "m.digest, m.media_type, m.artifact_type, m.config_media_type, m.size, m.image_size, "
    "m.subject, m.pushed_at, m.last_pulled_at, m.storage_class, m.last_archived_at, "
    "m.last_activated_at";
constexpr int kContentColumn = 12;

Result<ManifestRecord> manifest_at(const PgResult& rows, int row) {
  ManifestRecord record;
  record.digest = BERTH_TRY(digest_at(rows, row, 0));
  record.media_type = rows.text(row, 1);
  record.artifact_type = rows.text(row, 2);
  record.config_media_type = rows.text(row, 3);
  record.size = static_cast<std::uint64_t>(rows.int64(row, 4));
  record.image_size = static_cast<std::uint64_t>(rows.int64(row, 5));
  if (!rows.is_null(row, 6)) record.subject = BERTH_TRY(digest_at(rows, row, 6));
  record.pushed_at_ms = rows.int64(row, 7);
  record.last_pulled_at_ms = rows.int64(row, 8);
  record.storage_class =
      rows.view(row, 9) == "archive" ? StorageClass::kArchive : StorageClass::kStandard;
  record.last_archived_at_ms = rows.int64(row, 10);
  record.last_activated_at_ms = rows.int64(row, 11);
  return record;
}

std::unexpected<Error> manifest_not_found(const oci::Digest& digest) {
  return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
}

std::unexpected<Error> tag_not_found(std::string_view tag) {
  return fail(ErrorCode::kManifestNotFound, "tag not found", std::string(tag));
}

std::unexpected<Error> tag_immutable(std::string_view tag) {
  return fail(ErrorCode::kTagImmutable, "tag already exists and is immutable", std::string(tag));
}

// Points `tag` at `digest` inside the caller's transaction.
// REQUIRES: the manifest exists and this transaction holds it (inserted it
// or locked it), so it cannot vanish before the commit.
Status set_tag(Connection& c, RepositoryId repo, std::string_view tag, const oci::Digest& digest,
               bool immutable) {
  if (immutable) {
    auto inserted = BERTH_TRY(c.query(
        "INSERT INTO tags (repository_id, name, digest) VALUES ($1, $2, $3) "
        "ON CONFLICT (repository_id, name) DO NOTHING",
        Params().int64(repo).text(tag).text(digest.str())));
    if (inserted.affected() == 0) return tag_immutable(tag);
    return ok();
  }
  BERTH_TRY(c.query(
      "INSERT INTO tags (repository_id, name, digest) VALUES ($1, $2, $3) "
      "ON CONFLICT (repository_id, name) DO UPDATE SET digest = EXCLUDED.digest "
      "WHERE tags.digest <> EXCLUDED.digest",
      Params().int64(repo).text(tag).text(digest.str())));
  return ok();
}

// Locks the repository, the linked blobs and the child manifests the
// manifest names (FOR KEY SHARE: they cannot be deleted or unlinked before
// this transaction ends, while readers and other puts go on), and returns
// the first reference that is not satisfied as kManifestBlobUnknown.
Status check_references(Connection& c, RepositoryId repo,
                        const std::vector<ManifestReference>& references,
                        const PutManifestOptions& options) {
  std::vector<std::string> blobs;
  std::vector<std::string> children;
  for (const ManifestReference& ref : references) {
    if (ref.kind == ReferenceKind::kManifest) {
      children.push_back(ref.digest.str());  // present ones are protected even when sparse
    } else if (!options.allow_missing_blobs && ref.required) {
      blobs.push_back(ref.digest.str());
    }
  }
  auto rows = BERTH_TRY(c.query(
      "WITH repo AS (SELECT id FROM repositories WHERE id = $1 FOR KEY SHARE), "
      "linked AS (SELECT digest FROM blob_links "
      "  WHERE repository_id = $1 AND digest = ANY ($2) FOR KEY SHARE), "
      "present AS (SELECT digest FROM manifests "
      "  WHERE repository_id = $1 AND digest = ANY ($3) FOR KEY SHARE) "
      "SELECT 'r'::text, ''::text FROM repo "
      "UNION ALL SELECT 'b'::text, digest FROM linked "
      "UNION ALL SELECT 'm'::text, digest FROM present",
      Params().int64(repo).text_array(blobs).text_array(children)));
  bool repository = false;
  std::unordered_set<std::string> found_blobs;
  std::unordered_set<std::string> found_children;
  for (int i = 0; i < rows.rows(); ++i) {
    const std::string_view kind = rows.view(i, 0);
    if (kind == "r") repository = true;
    if (kind == "b") found_blobs.insert(rows.text(i, 1));
    if (kind == "m") found_children.insert(rows.text(i, 1));
  }
  if (!repository) {
    return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(repo));
  }
  for (const ManifestReference& ref : references) {
    if (ref.kind == ReferenceKind::kManifest) {
      if (!options.allow_missing_children && !found_children.contains(ref.digest.str())) {
        return fail(ErrorCode::kManifestBlobUnknown,
                    "index references a manifest that is not in the repository", ref.digest.str());
      }
    } else if (!options.allow_missing_blobs && ref.required &&
               !found_blobs.contains(ref.digest.str())) {
      return fail(ErrorCode::kManifestBlobUnknown,
                  "manifest references a blob that is not in the repository", ref.digest.str());
    }
  }
  return ok();
}

// Stores the manifest, its bytes and its references in one statement unless
// it is stored already (same digest: same bytes, same references; the
// first pushed_at stays), and holds it for this transaction either way.
Status store_manifest(Connection& c, RepositoryId repo, const ManifestRecord& manifest,
                      const std::vector<ManifestReference>& references) {
  std::vector<std::string> digests;
  std::vector<std::string> kinds;
  std::vector<std::int64_t> sizes;
  for (const ManifestReference& ref : references) {
    digests.push_back(ref.digest.str());
    kinds.emplace_back(ref.kind == ReferenceKind::kManifest ? "manifest" : "blob");
    sizes.push_back(static_cast<std::int64_t>(ref.size));
  }
  // A manifest deleted between our conflict and our lock is inserted again;
  // that can only repeat while another process keeps deleting it.
  for (int round = 0; round < kMaxAttempts; ++round) {
    Params params;
    params.int64(repo).text(manifest.digest.str()).text(manifest.media_type);
    params.text(manifest.artifact_type).text(manifest.config_media_type);
    params.int64(static_cast<std::int64_t>(manifest.size));
    params.int64(static_cast<std::int64_t>(manifest.image_size));
    if (manifest.subject) {
      params.text(manifest.subject->str());
    } else {
      params.null(oid::kText);
    }
    params.int64(manifest.pushed_at_ms).int64(manifest.last_pulled_at_ms);
    params.bytea(manifest.content).text_array(digests).text_array(kinds).int64_array(sizes);
    auto inserted = BERTH_TRY(c.query(
        "WITH m AS ("
        "  INSERT INTO manifests (repository_id, digest, media_type, artifact_type,"
        "    config_media_type, size, image_size, subject, pushed_at, last_pulled_at)"
        "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        "  ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id), "
        "content AS (INSERT INTO manifest_contents (manifest_id, content) SELECT id, $11 FROM m), "
        "refs AS ("
        "  INSERT INTO manifest_refs (repository_id, manifest_digest, ref_digest, kind, size)"
        "  SELECT $1, $2, u.digest, u.kind, u.size"
        "  FROM m, unnest($12::text[], $13::text[], $14::bigint[]) AS u (digest, kind, size)"
        "  ON CONFLICT DO NOTHING) "  // a layer listed twice is one reference
        "SELECT count(*) FROM m",
        params));
    if (inserted.int64(0, 0) == 1) return ok();
    // Stored already: a re-put changes nothing except that it restores an
    // archived image (or one whose restore is still under way) at once.
    auto held = BERTH_TRY(c.query(
        "SELECT storage_class, last_activated_at FROM manifests "
        "WHERE repository_id = $1 AND digest = $2 FOR NO KEY UPDATE",
        Params().int64(repo).text(manifest.digest.str())));
    if (held.rows() == 1) {
      if (held.view(0, 0) == "archive" || held.int64(0, 1) > manifest.pushed_at_ms) {
        BERTH_TRY(c.query(
            "UPDATE manifests SET storage_class = 'standard', last_activated_at = $3 "
            "WHERE repository_id = $1 AND digest = $2",
            Params().int64(repo).text(manifest.digest.str()).int64(manifest.pushed_at_ms)));
      }
      return ok();
    }
  }
  return fail(ErrorCode::kUnavailable, "manifest keeps being deleted while it is stored",
              manifest.digest.str());
}

}  // namespace

Status PostgresMetaStore::put_manifest(RepositoryId repo, const ManifestRecord& manifest,
                                       const std::vector<ManifestReference>& references,
                                       const PutManifestOptions& options) {
  if (manifest.digest.empty()) {
    return fail(ErrorCode::kInvalidArgument, "manifest record has no digest");
  }
  std::vector<std::string> blobs;
  for (const ManifestReference& ref : references) {
    if (ref.kind == ReferenceKind::kBlob) blobs.push_back(ref.digest.str());
  }
  return write([&](Connection& c) -> Status {
    // Its blobs must not be claimed by the collector meanwhile (pg_gc.cpp).
    BERTH_TRY_STATUS(hold_blobs(c, blobs));
    BERTH_TRY_STATUS(check_references(c, repo, references, options));
    BERTH_TRY_STATUS(store_manifest(c, repo, manifest, references));
    for (const TagAssignment& tag : options.tags) {
      BERTH_TRY_STATUS(set_tag(c, repo, tag.name, manifest.digest, tag.immutable));
    }
    return ok();
  });
}

Result<ManifestRecord> PostgresMetaStore::get_manifest(RepositoryId repo,
                                                       const oci::Digest& digest) {
  return read([&](Connection& c) -> Result<ManifestRecord> {
    auto rows = BERTH_TRY(c.query(
        "SELECT " + std::string(kManifestColumns) + ", mc.content "
        "FROM manifests m JOIN manifest_contents mc ON mc.manifest_id = m.id "
        "WHERE m.repository_id = $1 AND m.digest = $2",
        Params().int64(repo).text(digest.str())));
    if (rows.rows() == 0) return manifest_not_found(digest);
    auto record = BERTH_TRY(manifest_at(rows, 0));
    record.content = rows.text(0, kContentColumn);
    return record;
  });
}

Result<ManifestRecord> PostgresMetaStore::get_manifest_by_tag(RepositoryId repo,
                                                              std::string_view tag) {
  // The hot path of a pull: tag, manifest and bytes in one round trip.
  return read([&](Connection& c) -> Result<ManifestRecord> {
    auto rows = BERTH_TRY(c.query(
        "SELECT " + std::string(kManifestColumns) + ", mc.content FROM tags t "
        "JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.digest "
        "JOIN manifest_contents mc ON mc.manifest_id = m.id "
        "WHERE t.repository_id = $1 AND t.name = $2",
        Params().int64(repo).text(tag)));
    if (rows.rows() == 0) return tag_not_found(tag);
    auto record = BERTH_TRY(manifest_at(rows, 0));
    record.content = rows.text(0, kContentColumn);
    return record;
  });
}

Result<oci::Digest> PostgresMetaStore::resolve_tag(RepositoryId repo, std::string_view tag) {
  return read([&](Connection& c) -> Result<oci::Digest> {
    auto rows = BERTH_TRY(c.query("SELECT digest FROM tags WHERE repository_id = $1 AND name = $2",
                                  Params().int64(repo).text(tag)));
    if (rows.rows() == 0) return tag_not_found(tag);
    return digest_at(rows, 0, 0);
  });
}

Status PostgresMetaStore::put_tag(RepositoryId repo, std::string_view tag,
                                  const oci::Digest& digest, bool immutable_tags) {
  if (tag.empty()) return fail(ErrorCode::kTagInvalid, "tag is empty");
  // One statement: the manifest locked (FOR KEY SHARE, so a concurrent
  // delete waits or wins outright), then the tag inserted or moved. Counts
  // tell "no such manifest" from "immutable tag already there".
  const std::string conflict =
      immutable_tags ? "DO NOTHING"
                     : "DO UPDATE SET digest = EXCLUDED.digest WHERE tags.digest <> EXCLUDED.digest";
  return write(
      [&](Connection& c) -> Status {
        auto rows = BERTH_TRY(c.query(
            "WITH target AS (SELECT digest FROM manifests "
            "  WHERE repository_id = $1 AND digest = $3 FOR KEY SHARE), "
            "placed AS (INSERT INTO tags (repository_id, name, digest) "
            "  SELECT $1, $2, digest FROM target "
            "  ON CONFLICT (repository_id, name) " + conflict + " RETURNING 1) "
            "SELECT (SELECT count(*) FROM target), (SELECT count(*) FROM placed)",
            Params().int64(repo).text(tag).text(digest.str())));
        if (rows.int64(0, 0) == 0) return manifest_not_found(digest);
        if (immutable_tags && rows.int64(0, 1) == 0) return tag_immutable(tag);
        return ok();
      },
      Tx::kStatement);
}

Status PostgresMetaStore::delete_tag(RepositoryId repo, std::string_view tag) {
  return write(
      [&](Connection& c) -> Status {
        auto deleted = BERTH_TRY(c.query("DELETE FROM tags WHERE repository_id = $1 AND name = $2",
                                         Params().int64(repo).text(tag)));
        if (deleted.affected() == 0) return tag_not_found(tag);
        return ok();
      },
      Tx::kStatement);
}

namespace {

// The first index in the repository that lists `digest`, if any.
Result<std::optional<std::string>> listing_index(Connection& c, RepositoryId repo,
                                                 const oci::Digest& digest) {
  auto rows = BERTH_TRY(
      c.query("SELECT manifest_digest FROM manifest_refs "
              "WHERE repository_id = $1 AND ref_digest = $2 AND kind = 'manifest' "
              "ORDER BY manifest_digest LIMIT 1",
              Params().int64(repo).text(digest.str())));
  if (rows.rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows.text(0, 0));
}

// Referrers (signatures of signatures, SBOMs of...) go a few levels deep;
// past this, what is left is untouched rather than followed forever.
constexpr int kMaxReferrerDepth = 8;

// Deletes a manifest the caller's transaction holds (FOR UPDATE) and no
// index lists: its blobs are queued for the collector, and its referrers
// that no index lists go with it.
Status delete_manifest_in(Connection& c, RepositoryId repo, const oci::Digest& digest,
                          std::string_view registry, int depth) {
  // Referrers locked before their listing indexes are looked at, as the
  // manifest itself was (see delete_manifest).
  auto referrers = BERTH_TRY(
      c.query("SELECT digest FROM manifests WHERE repository_id = $1 AND subject = $2 "
              "ORDER BY digest FOR UPDATE",
              Params().int64(repo).text(digest.str())));
  // The blobs queued from the statement's snapshot, then the row deleted;
  // it cascades to the content, the tags and the outgoing references.
  BERTH_TRY(c.query(
      "WITH queued AS (" +
          queue_review_sql("SELECT ref_digest, $3, $4 FROM manifest_refs "
                           "WHERE repository_id = $1 AND manifest_digest = $2 AND kind = 'blob'") +
          ") DELETE FROM manifests WHERE repository_id = $1 AND digest = $2",
      Params().int64(repo).text(digest.str()).int64(now_ms()).text(registry)));
  if (depth >= kMaxReferrerDepth) return ok();
  for (int i = 0; i < referrers.rows(); ++i) {
    const oci::Digest referrer = BERTH_TRY(digest_at(referrers, i, 0));
    if (BERTH_TRY(listing_index(c, repo, referrer))) continue;
    BERTH_TRY_STATUS(delete_manifest_in(c, repo, referrer, registry, depth + 1));
  }
  return ok();
}

}  // namespace

Status PostgresMetaStore::delete_manifest(RepositoryId repo, const oci::Digest& digest) {
  // Lock first, then look for parents with a new statement's snapshot: a
  // put_manifest of an index holds its children FOR KEY SHARE until it
  // commits, so once this lock is granted its references are visible.
  return write([&](Connection& c) -> Status {
    auto locked = BERTH_TRY(
        c.query("SELECT r.registry FROM manifests m JOIN repositories r ON r.id = m.repository_id "
                "WHERE m.repository_id = $1 AND m.digest = $2 FOR UPDATE OF m",
                Params().int64(repo).text(digest.str())));
    if (locked.rows() == 0) return manifest_not_found(digest);
    if (auto parent = BERTH_TRY(listing_index(c, repo, digest))) {
      return fail(ErrorCode::kReferencedByIndex, "manifest is listed by an index", *parent);
    }
    return delete_manifest_in(c, repo, digest, locked.text(0, 0), 0);
  });
}

Result<std::vector<std::string>> PostgresMetaStore::list_tags(RepositoryId repo,
                                                              std::string_view after,
                                                              std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<std::string>> {
    auto rows = BERTH_TRY(c.query(
        "SELECT name FROM tags WHERE repository_id = $1 AND name > $2 ORDER BY name LIMIT $3",
        Params().int64(repo).text(after).int64(sql_limit(limit))));
    std::vector<std::string> tags;
    tags.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) tags.push_back(rows.text(i, 0));
    return tags;
  });
}

Result<std::vector<std::string>> PostgresMetaStore::tags_of(RepositoryId repo,
                                                            const oci::Digest& digest) {
  return read([&](Connection& c) -> Result<std::vector<std::string>> {
    auto rows = BERTH_TRY(c.query(
        "SELECT name FROM tags WHERE repository_id = $1 AND digest = $2 ORDER BY name",
        Params().int64(repo).text(digest.str())));
    std::vector<std::string> tags;
    for (int i = 0; i < rows.rows(); ++i) tags.push_back(rows.text(i, 0));
    return tags;
  });
}

Result<std::vector<ManifestSummary>> PostgresMetaStore::list_manifests(
    RepositoryId repo, std::string_view after_digest, std::size_t limit) {
  // One statement, so the page and its tags come from one snapshot; each
  // manifest's tags are one range of tags_by_digest.
  return read([&](Connection& c) -> Result<std::vector<ManifestSummary>> {
    auto rows = BERTH_TRY(c.query(
        "SELECT " + std::string(kManifestColumns) + ", "
        "  ARRAY(SELECT t.name FROM tags t WHERE t.repository_id = m.repository_id "
        "        AND t.digest = m.digest ORDER BY t.name) "
        "FROM manifests m WHERE m.repository_id = $1 AND m.digest > $2 "
        "ORDER BY m.digest LIMIT $3",
        Params().int64(repo).text(after_digest).int64(sql_limit(limit))));
    std::vector<ManifestSummary> page;
    page.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) {
      ManifestSummary summary;
      summary.manifest = BERTH_TRY(manifest_at(rows, i));
      summary.tags = BERTH_TRY(rows.text_array(i, kContentColumn));
      page.push_back(std::move(summary));
    }
    return page;
  });
}

Result<std::vector<ManifestRecord>> PostgresMetaStore::list_referrers(RepositoryId repo,
                                                                      const oci::Digest& subject) {
  return read([&](Connection& c) -> Result<std::vector<ManifestRecord>> {
    auto rows = BERTH_TRY(c.query(
        "SELECT " + std::string(kManifestColumns) + ", mc.content "
        "FROM manifests m JOIN manifest_contents mc ON mc.manifest_id = m.id "
        "WHERE m.repository_id = $1 AND m.subject = $2 ORDER BY m.digest",
        Params().int64(repo).text(subject.str())));
    std::vector<ManifestRecord> referrers;
    for (int i = 0; i < rows.rows(); ++i) {
      auto record = BERTH_TRY(manifest_at(rows, i));
      record.content = rows.text(i, kContentColumn);
      referrers.push_back(std::move(record));
    }
    return referrers;
  });
}

Result<std::vector<oci::Digest>> PostgresMetaStore::parents_of(RepositoryId repo,
                                                               const oci::Digest& child) {
  return read([&](Connection& c) -> Result<std::vector<oci::Digest>> {
    auto rows = BERTH_TRY(
        c.query("SELECT manifest_digest FROM manifest_refs "
                "WHERE repository_id = $1 AND ref_digest = $2 AND kind = 'manifest' "
                "ORDER BY manifest_digest",
                Params().int64(repo).text(child.str())));
    std::vector<oci::Digest> parents;
    for (int i = 0; i < rows.rows(); ++i) parents.push_back(BERTH_TRY(digest_at(rows, i, 0)));
    return parents;
  });
}

Status PostgresMetaStore::record_pull(RepositoryId repo, const oci::Digest& digest,
                                      std::int64_t now_ms) {
  return write(
      [&](Connection& c) -> Status {
        auto updated = BERTH_TRY(c.query(
            "UPDATE manifests SET last_pulled_at = $3 WHERE repository_id = $1 AND digest = $2",
            Params().int64(repo).text(digest.str()).int64(now_ms)));
        if (updated.affected() == 0) return manifest_not_found(digest);
        return ok();
      },
      Tx::kStatement);
}

// A whole batch is one UPDATE, committed without waiting for the WAL flush
// (set_config(..., is_local) in the statement makes its own commit
// asynchronous): pull times are statistics, a crash may lose the last ones,
// and the interface says so. Inside in_one_commit the flag is off, so the
// surrounding commit stays durable.
Status PostgresMetaStore::record_pulls(const std::vector<PullRecord>& pulls) {
  if (pulls.empty()) return ok();
  std::vector<std::int64_t> repos;
  std::vector<std::string> digests;
  std::vector<std::int64_t> times;
  repos.reserve(pulls.size());
  digests.reserve(pulls.size());
  times.reserve(pulls.size());
  for (const PullRecord& pull : pulls) {
    repos.push_back(pull.repository);
    digests.push_back(pull.digest.str());
    times.push_back(pull.at_ms);
  }
  const bool lazy = scope_for(this) == nullptr;
  return write(
      [&](Connection& c) -> Status {
        BERTH_TRY(c.query(
            "WITH lazy AS MATERIALIZED (SELECT set_config('synchronous_commit', "
            "  CASE WHEN $4 THEN 'off' ELSE current_setting('synchronous_commit') END, true)), "
            "pulls AS (SELECT u.repo, u.digest, max(u.at) AS at "
            "  FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS u (repo, digest, at) "
            "  GROUP BY u.repo, u.digest) "
            "UPDATE manifests m SET last_pulled_at = pulls.at FROM pulls, lazy "
            "WHERE m.repository_id = pulls.repo AND m.digest = pulls.digest "
            "  AND m.last_pulled_at < pulls.at",
            Params().int64_array(repos).text_array(digests).int64_array(times).boolean(lazy)));
        return ok();
      },
      Tx::kStatement);
}

}  // namespace berth::storage::meta::postgres
