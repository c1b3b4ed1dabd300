// SqliteMetaStore: manifests, their references, and tags.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/meta/sqlite/sqlite_meta_store_impl.hpp"

namespace berth::storage::meta::sqlite {

namespace {

std::string_view kind_name(ReferenceKind kind) {
  return kind == ReferenceKind::kManifest ? "manifest" : "blob";
}

}  // namespace

// Decodes the columns every manifest query selects first (kManifestColumns).
Result<ManifestRecord> manifest_from_row(const Statement& stmt) {
  ManifestRecord record;
  record.digest = BERTH_TRY(column_digest(stmt, 0));
  record.media_type = stmt.column_text(1);
  record.artifact_type = stmt.column_text(2);
  record.config_media_type = stmt.column_text(3);
  record.size = static_cast<std::uint64_t>(stmt.column_int64(4));
  record.image_size = static_cast<std::uint64_t>(stmt.column_int64(5));
  if (!stmt.column_is_null(6)) record.subject = BERTH_TRY(column_digest(stmt, 6));
  record.pushed_at_ms = stmt.column_int64(7);
  record.last_pulled_at_ms = stmt.column_int64(8);
  record.storage_class =
      stmt.column_text(9) == "archive" ? StorageClass::kArchive : StorageClass::kStandard;
  record.last_archived_at_ms = stmt.column_int64(10);
  record.last_activated_at_ms = stmt.column_int64(11);
  return record;
}

namespace {

Result<std::vector<std::string>> select_tags_of(Connection& c, RepositoryId repo,
                                                const oci::Digest& digest) {
  auto stmt = BERTH_TRY(
      c.prepare("SELECT name FROM tags WHERE repository_id = ?1 AND digest = ?2 ORDER BY name"));
  stmt.bind(1, repo).bind(2, digest.str());
  std::vector<std::string> tags;
  while (BERTH_TRY(stmt.step())) tags.push_back(stmt.column_text(0));
  return tags;
}

// Points `tag` at `digest` inside the caller's write transaction.
// REQUIRES: the manifest exists.
Status set_tag(Connection& c, RepositoryId repo, std::string_view tag, const oci::Digest& digest,
               bool immutable_tags) {
  {
    auto current =
        BERTH_TRY(c.prepare("SELECT digest FROM tags WHERE repository_id = ?1 AND name = ?2"));
    current.bind(1, repo).bind(2, tag);
    if (BERTH_TRY(current.step())) {
      if (immutable_tags) {
        return fail(ErrorCode::kTagImmutable, "tag already exists and is immutable",
                    std::string(tag));
      }
      if (current.column_text(0) == digest.str()) return ok();
    }
  }
  auto upsert = BERTH_TRY(
      c.prepare("INSERT INTO tags (repository_id, name, digest) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (repository_id, name) DO UPDATE SET digest = excluded.digest"));
  upsert.bind(1, repo).bind(2, tag).bind(3, digest.str());
  return upsert.run();
}

// kManifestBlobUnknown (detail = the digest) for the first reference that
// is not satisfied in the repository.
Status check_references(Connection& c, RepositoryId repo,
                        const std::vector<ManifestReference>& references,
                        const PutManifestOptions& options) {
  for (const ManifestReference& ref : references) {
    if (ref.kind == ReferenceKind::kManifest) {
      if (options.allow_missing_children) continue;
      if (!BERTH_TRY(manifest_exists(c, repo, ref.digest))) {
        return fail(ErrorCode::kManifestBlobUnknown,
                    "index references a manifest that is not in the repository", ref.digest.str());
      }
      continue;
    }
    if (options.allow_missing_blobs || !ref.required) continue;
    auto linked =
        BERTH_TRY(c.prepare("SELECT 1 FROM blob_links WHERE repository_id = ?1 AND digest = ?2"));
    linked.bind(1, repo).bind(2, ref.digest.str());
    if (!BERTH_TRY(linked.step())) {
      return fail(ErrorCode::kManifestBlobUnknown,
                  "manifest references a blob that is not in the repository", ref.digest.str());
    }
  }
  return ok();
}

Status insert_manifest(Connection& c, RepositoryId repo, const ManifestRecord& manifest,
                       const std::vector<ManifestReference>& references) {
  {
    auto insert = BERTH_TRY(
        c.prepare("INSERT INTO manifests (repository_id, digest, media_type, artifact_type, "
                  "config_media_type, size, image_size, subject, pushed_at, last_pulled_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                  "ON CONFLICT (repository_id, digest) DO NOTHING"));
    insert.bind(1, repo).bind(2, manifest.digest.str()).bind(3, manifest.media_type);
    insert.bind(4, manifest.artifact_type).bind(5, manifest.config_media_type);
    insert.bind(6, static_cast<std::int64_t>(manifest.size));
    insert.bind(7, static_cast<std::int64_t>(manifest.image_size));
    if (manifest.subject) {
      insert.bind(8, manifest.subject->str());
    } else {
      insert.bind_null(8);
    }
    insert.bind(9, manifest.pushed_at_ms).bind(10, manifest.last_pulled_at_ms);
    BERTH_TRY_STATUS(insert.run());
  }
  // Same digest, same bytes, same references: a re-put keeps the original
  // pushed_at and changes nothing, except that it restores an archived
  // image (or one whose restore is still under way) at once.
  if (c.changes() == 0) {
    auto restore = BERTH_TRY(c.prepare(
        "UPDATE manifests SET storage_class = 'standard', last_activated_at = ?3 "
        "WHERE repository_id = ?1 AND digest = ?2 "
        "AND (storage_class = 'archive' OR last_activated_at > ?3)"));
    restore.bind(1, repo).bind(2, manifest.digest.str()).bind(3, manifest.pushed_at_ms);
    return restore.run();
  }
  const std::int64_t manifest_id = c.last_insert_rowid();
  {
    auto content = BERTH_TRY(
        c.prepare("INSERT INTO manifest_contents (manifest_id, content) VALUES (?1, ?2)"));
    content.bind(1, manifest_id).bind_blob(2, manifest.content);
    BERTH_TRY_STATUS(content.run());
  }
  for (const ManifestReference& ref : references) {
    // A digest listed twice (a layer reused) is one reference.
    auto insert = BERTH_TRY(c.prepare(
        "INSERT INTO manifest_refs (repository_id, manifest_digest, ref_digest, kind, size) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING"));
    insert.bind(1, repo).bind(2, manifest.digest.str()).bind(3, ref.digest.str());
    insert.bind(4, kind_name(ref.kind)).bind(5, static_cast<std::int64_t>(ref.size));
    BERTH_TRY_STATUS(insert.run());
  }
  return ok();
}

}  // namespace

Status SqliteMetaStore::put_manifest(RepositoryId repo, const ManifestRecord& manifest,
                                     const std::vector<ManifestReference>& references,
                                     const PutManifestOptions& options) {
  if (manifest.digest.empty()) {
    return fail(ErrorCode::kInvalidArgument, "manifest record has no digest");
  }
  return write([&](Connection& c) -> Status {
    BERTH_TRY_STATUS(require_repository(c, repo));
    BERTH_TRY_STATUS(check_references(c, repo, references, options));
    BERTH_TRY_STATUS(insert_manifest(c, repo, manifest, references));
    for (const TagAssignment& tag : options.tags) {
      BERTH_TRY_STATUS(set_tag(c, repo, tag.name, manifest.digest, tag.immutable));
    }
    return ok();
  });
}

Result<ManifestRecord> SqliteMetaStore::get_manifest(RepositoryId repo, const oci::Digest& digest) {
  return read([&](Connection& c) -> Result<ManifestRecord> {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT m.digest, m.media_type, m.artifact_type, m.config_media_type, m.size, "
                  "m.image_size, m.subject, m.pushed_at, m.last_pulled_at, m.storage_class, "
                  "m.last_archived_at, m.last_activated_at, mc.content "
                  "FROM manifests m JOIN manifest_contents mc ON mc.manifest_id = m.id "
                  "WHERE m.repository_id = ?1 AND m.digest = ?2"));
    stmt.bind(1, repo).bind(2, digest.str());
    if (!BERTH_TRY(stmt.step())) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    auto record = BERTH_TRY(manifest_from_row(stmt));
    record.content = stmt.column_blob(12);
    return record;
  });
}

Result<oci::Digest> SqliteMetaStore::resolve_tag(RepositoryId repo, std::string_view tag) {
  return read([&](Connection& c) -> Result<oci::Digest> {
    auto stmt =
        BERTH_TRY(c.prepare("SELECT digest FROM tags WHERE repository_id = ?1 AND name = ?2"));
    stmt.bind(1, repo).bind(2, tag);
    if (!BERTH_TRY(stmt.step())) {
      return fail(ErrorCode::kManifestNotFound, "tag not found", std::string(tag));
    }
    return column_digest(stmt, 0);
  });
}

Status SqliteMetaStore::put_tag(RepositoryId repo, std::string_view tag, const oci::Digest& digest,
                                bool immutable_tags) {
  if (tag.empty()) return fail(ErrorCode::kTagInvalid, "tag is empty");
  return write([&](Connection& c) -> Status {
    if (!BERTH_TRY(manifest_exists(c, repo, digest))) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    return set_tag(c, repo, tag, digest, immutable_tags);
  });
}

Status SqliteMetaStore::delete_tag(RepositoryId repo, std::string_view tag) {
  return write([&](Connection& c) -> Status {
    auto del = BERTH_TRY(c.prepare("DELETE FROM tags WHERE repository_id = ?1 AND name = ?2"));
    del.bind(1, repo).bind(2, tag);
    BERTH_TRY_STATUS(del.run());
    if (c.changes() == 0)
      return fail(ErrorCode::kManifestNotFound, "tag not found", std::string(tag));
    return ok();
  });
}

namespace {

// The first index in the repository that lists `digest`, if any.
Result<std::optional<std::string>> listing_index(Connection& c, RepositoryId repo,
                                                 const oci::Digest& digest) {
  auto parent =
      BERTH_TRY(c.prepare("SELECT manifest_digest FROM manifest_refs "
                          "WHERE repository_id = ?1 AND ref_digest = ?2 AND kind = 'manifest' "
                          "ORDER BY manifest_digest LIMIT 1"));
  parent.bind(1, repo).bind(2, digest.str());
  if (!BERTH_TRY(parent.step())) return std::optional<std::string>();
  return std::optional<std::string>(parent.column_text(0));
}

// Referrers (signatures of signatures, SBOMs of...) go a few levels deep;
// past this, what is left is untouched rather than followed forever.
constexpr int kMaxReferrerDepth = 8;

// Deletes a manifest inside the caller's write: its blobs are queued for
// the collector, and its referrers that no index lists go with it.
Status delete_manifest_in(Connection& c, RepositoryId repo, const oci::Digest& digest,
                          std::string_view registry, int depth) {
  BERTH_TRY_STATUS(queue_manifest_blobs(c, repo, digest, registry));
  std::vector<oci::Digest> referrers;
  {
    auto stmt = BERTH_TRY(c.prepare(
        "SELECT digest FROM manifests WHERE repository_id = ?1 AND subject = ?2 ORDER BY digest"));
    stmt.bind(1, repo).bind(2, digest.str());
    while (BERTH_TRY(stmt.step())) referrers.push_back(BERTH_TRY(column_digest(stmt, 0)));
  }
  // Cascades to the content, the tags and the outgoing references.
  auto del =
      BERTH_TRY(c.prepare("DELETE FROM manifests WHERE repository_id = ?1 AND digest = ?2"));
  del.bind(1, repo).bind(2, digest.str());
  BERTH_TRY_STATUS(del.run());
  if (depth >= kMaxReferrerDepth) return ok();
  for (const oci::Digest& referrer : referrers) {
    if (BERTH_TRY(listing_index(c, repo, referrer))) continue;
    BERTH_TRY_STATUS(delete_manifest_in(c, repo, referrer, registry, depth + 1));
  }
  return ok();
}

}  // namespace

Status SqliteMetaStore::delete_manifest(RepositoryId repo, const oci::Digest& digest) {
  return write([&](Connection& c) -> Status {
    if (!BERTH_TRY(manifest_exists(c, repo, digest))) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    if (auto parent = BERTH_TRY(listing_index(c, repo, digest))) {
      return fail(ErrorCode::kReferencedByIndex, "manifest is listed by an index", *parent);
    }
    return delete_manifest_in(c, repo, digest, BERTH_TRY(registry_of(c, repo)), 0);
  });
}

Result<std::vector<std::string>> SqliteMetaStore::list_tags(RepositoryId repo,
                                                            std::string_view after,
                                                            std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<std::string>> {
    auto stmt = BERTH_TRY(c.prepare(
        "SELECT name FROM tags WHERE repository_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3"));
    stmt.bind(1, repo).bind(2, after).bind(3, sql_limit(limit));
    std::vector<std::string> tags;
    while (BERTH_TRY(stmt.step())) tags.push_back(stmt.column_text(0));
    return tags;
  });
}

Result<std::vector<std::string>> SqliteMetaStore::tags_of(RepositoryId repo,
                                                          const oci::Digest& digest) {
  return read([&](Connection& c) { return select_tags_of(c, repo, digest); });
}

Result<std::vector<ManifestSummary>> SqliteMetaStore::list_manifests(RepositoryId repo,
                                                                     std::string_view after_digest,
                                                                     std::size_t limit) {
  // One snapshot: the tags must belong to the same state as the page.
  return read_snapshot([&](Connection& c) -> Result<std::vector<ManifestSummary>> {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT digest, media_type, artifact_type, config_media_type, size, image_size, "
                  "subject, pushed_at, last_pulled_at, storage_class, last_archived_at, "
                  "last_activated_at FROM manifests "
                  "WHERE repository_id = ?1 AND digest > ?2 ORDER BY digest LIMIT ?3"));
    stmt.bind(1, repo).bind(2, after_digest).bind(3, sql_limit(limit));
    std::vector<ManifestSummary> page;
    while (BERTH_TRY(stmt.step())) {
      ManifestSummary summary;
      summary.manifest = BERTH_TRY(manifest_from_row(stmt));
      page.push_back(std::move(summary));
    }
    if (page.empty()) return page;
    // The page's tags in one index range scan (tags_by_digest), merged in
    // digest order: one query instead of one per manifest (a DescribeImages
    // page of 100 spent half its time on those).
    auto tags = BERTH_TRY(
        c.prepare("SELECT digest, name FROM tags WHERE repository_id = ?1 AND digest > ?2 "
                  "AND digest <= ?3 ORDER BY digest, name"));
    tags.bind(1, repo).bind(2, after_digest).bind(3, page.back().manifest.digest.str());
    auto next = page.begin();
    while (BERTH_TRY(tags.step())) {
      std::string digest = tags.column_text(0);
      while (next != page.end() && next->manifest.digest.str() < digest) ++next;
      if (next == page.end()) break;
      if (next->manifest.digest.str() == digest) next->tags.push_back(tags.column_text(1));
    }
    return page;
  });
}

Result<std::vector<ManifestRecord>> SqliteMetaStore::list_referrers(RepositoryId repo,
                                                                    const oci::Digest& subject) {
  return read([&](Connection& c) -> Result<std::vector<ManifestRecord>> {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT m.digest, m.media_type, m.artifact_type, m.config_media_type, m.size, "
                  "m.image_size, m.subject, m.pushed_at, m.last_pulled_at, m.storage_class, "
                  "m.last_archived_at, m.last_activated_at, mc.content "
                  "FROM manifests m JOIN manifest_contents mc ON mc.manifest_id = m.id "
                  "WHERE m.repository_id = ?1 AND m.subject = ?2 ORDER BY m.digest"));
    stmt.bind(1, repo).bind(2, subject.str());
    std::vector<ManifestRecord> referrers;
    while (BERTH_TRY(stmt.step())) {
      auto record = BERTH_TRY(manifest_from_row(stmt));
      record.content = stmt.column_blob(12);
      referrers.push_back(std::move(record));
    }
    return referrers;
  });
}

Result<std::vector<oci::Digest>> SqliteMetaStore::parents_of(RepositoryId repo,
                                                             const oci::Digest& child) {
  return read([&](Connection& c) -> Result<std::vector<oci::Digest>> {
    auto stmt =
        BERTH_TRY(c.prepare("SELECT manifest_digest FROM manifest_refs "
                            "WHERE repository_id = ?1 AND ref_digest = ?2 AND kind = 'manifest' "
                            "ORDER BY manifest_digest"));
    stmt.bind(1, repo).bind(2, child.str());
    std::vector<oci::Digest> parents;
    while (BERTH_TRY(stmt.step())) parents.push_back(BERTH_TRY(column_digest(stmt, 0)));
    return parents;
  });
}

Status SqliteMetaStore::record_pull(RepositoryId repo, const oci::Digest& digest,
                                    std::int64_t now_ms) {
  return write([&](Connection& c) -> Status {
    auto update = BERTH_TRY(c.prepare(
        "UPDATE manifests SET last_pulled_at = ?3 WHERE repository_id = ?1 AND digest = ?2"));
    update.bind(1, repo).bind(2, digest.str()).bind(3, now_ms);
    BERTH_TRY_STATUS(update.run());
    if (c.changes() == 0) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    return ok();
  });
}

// Lazy: pull times are statistics; a crash may lose the last ones.
Status SqliteMetaStore::record_pulls(const std::vector<PullRecord>& pulls) {
  if (pulls.empty()) return ok();
  return write([&](Connection& c) -> Status {
    for (const auto& pull : pulls) {
      // Cached: each iteration gets the same prepared statement back.
      auto update = BERTH_TRY(c.prepare(
          "UPDATE manifests SET last_pulled_at = max(last_pulled_at, ?3) "
          "WHERE repository_id = ?1 AND digest = ?2"));
      update.bind(1, pull.repository).bind(2, pull.digest.str()).bind(3, pull.at_ms);
      BERTH_TRY_STATUS(update.run());
    }
    return ok();
  }, GroupCommitter::Durability::kLazy);
}

}  // namespace berth::storage::meta::sqlite
