// SqliteMetaStore: storage classes (the ECR archive) and repository
// documents (an ECR lifecycle policy preview).
#include <optional>
#include <string>
#include <vector>

#include "storage/meta/sqlite/sqlite_meta_store_impl.hpp"

namespace berth::storage::meta::sqlite {

namespace {

std::string_view class_name(StorageClass c) {
  return c == StorageClass::kArchive ? "archive" : "standard";
}

// As delete_manifest: referrers of referrers are followed this deep.
constexpr int kMaxReferrerDepth = 8;

Result<bool> listed_by_any_index(Connection& c, RepositoryId repo, const oci::Digest& digest) {
  auto stmt = BERTH_TRY(c.prepare(
      "SELECT 1 FROM manifest_refs WHERE repository_id = ?1 AND ref_digest = ?2 "
      "AND kind = 'manifest' LIMIT 1"));
  stmt.bind(1, repo).bind(2, digest.str());
  return stmt.step();
}

// The first index of the standard class that lists `digest`, if any.
Result<std::optional<std::string>> standard_parent(Connection& c, RepositoryId repo,
                                                   const oci::Digest& digest) {
  auto stmt = BERTH_TRY(c.prepare(
      "SELECT r.manifest_digest FROM manifest_refs r JOIN manifests m "
      "ON m.repository_id = r.repository_id AND m.digest = r.manifest_digest "
      "WHERE r.repository_id = ?1 AND r.ref_digest = ?2 AND r.kind = 'manifest' "
      "AND m.storage_class = 'standard' ORDER BY r.manifest_digest LIMIT 1"));
  stmt.bind(1, repo).bind(2, digest.str());
  if (!BERTH_TRY(stmt.step())) return std::optional<std::string>();
  return std::optional<std::string>(stmt.column_text(0));
}

Status set_class_in(Connection& c, RepositoryId repo, const oci::Digest& digest,
                    StorageClass target, std::int64_t at_ms, int depth) {
  {
    auto update = BERTH_TRY(c.prepare(
        target == StorageClass::kArchive
            ? "UPDATE manifests SET storage_class = ?3, last_archived_at = ?4 "
              "WHERE repository_id = ?1 AND digest = ?2"
            : "UPDATE manifests SET storage_class = ?3, last_activated_at = ?4 "
              "WHERE repository_id = ?1 AND digest = ?2"));
    update.bind(1, repo).bind(2, digest.str()).bind(3, class_name(target)).bind(4, at_ms);
    BERTH_TRY_STATUS(update.run());
  }
  if (depth >= kMaxReferrerDepth) return ok();
  std::vector<oci::Digest> referrers;
  {
    auto stmt = BERTH_TRY(c.prepare(
        "SELECT digest FROM manifests WHERE repository_id = ?1 AND subject = ?2 ORDER BY digest"));
    stmt.bind(1, repo).bind(2, digest.str());
    while (BERTH_TRY(stmt.step())) referrers.push_back(BERTH_TRY(column_digest(stmt, 0)));
  }
  for (const oci::Digest& referrer : referrers) {
    if (BERTH_TRY(listed_by_any_index(c, repo, referrer))) continue;
    BERTH_TRY_STATUS(set_class_in(c, repo, referrer, target, at_ms, depth + 1));
  }
  return ok();
}

}  // namespace

Status SqliteMetaStore::set_storage_class(RepositoryId repo, const oci::Digest& digest,
                                          StorageClass target, std::int64_t at_ms) {
  return write([&](Connection& c) -> Status {
    if (!BERTH_TRY(manifest_exists(c, repo, digest))) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    if (target == StorageClass::kArchive) {
      if (auto parent = BERTH_TRY(standard_parent(c, repo, digest))) {
        return fail(ErrorCode::kReferencedByIndex, "manifest is listed by an index", *parent);
      }
    }
    return set_class_in(c, repo, digest, target, at_ms, 0);
  });
}

Result<std::optional<std::string>> SqliteMetaStore::get_repository_document(
    RepositoryId id, std::string_view name) {
  return read_snapshot([&](Connection& c) -> Result<std::optional<std::string>> {
    BERTH_TRY_STATUS(require_repository(c, id));
    auto stmt = BERTH_TRY(c.prepare(
        "SELECT body FROM repository_documents WHERE repository_id = ?1 AND name = ?2"));
    stmt.bind(1, id).bind(2, name);
    if (!BERTH_TRY(stmt.step())) return std::optional<std::string>();
    return std::optional<std::string>(stmt.column_text(0));
  });
}

Result<std::string> SqliteMetaStore::modify_repository_document(RepositoryId id,
                                                                std::string_view name,
                                                                const SettingsChange& change) {
  return write([&](Connection& c) -> Result<std::string> {
    BERTH_TRY_STATUS(require_repository(c, id));
    auto select = BERTH_TRY(c.prepare(
        "SELECT body FROM repository_documents WHERE repository_id = ?1 AND name = ?2"));
    select.bind(1, id).bind(2, name);
    const std::string current =
        BERTH_TRY(select.step()) ? std::string(select.column_text(0)) : std::string();
    std::string next = BERTH_TRY(change(current));
    if (next.empty()) {
      auto del = BERTH_TRY(c.prepare(
          "DELETE FROM repository_documents WHERE repository_id = ?1 AND name = ?2"));
      del.bind(1, id).bind(2, name);
      BERTH_TRY_STATUS(del.run());
      return next;
    }
    auto upsert = BERTH_TRY(c.prepare(
        "INSERT INTO repository_documents (repository_id, name, body) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (repository_id, name) DO UPDATE SET body = excluded.body"));
    upsert.bind(1, id).bind(2, name).bind(3, next);
    BERTH_TRY_STATUS(upsert.run());
    return next;
  });
}

}  // namespace berth::storage::meta::sqlite
