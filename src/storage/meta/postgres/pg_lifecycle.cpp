// PostgresMetaStore: storage classes (the ECR archive) and repository
// documents (an ECR lifecycle policy preview).
//
// Thread-safety: as the store (pg_meta_store_impl.hpp): safe for concurrent use.
#include <optional>
#include <string>

#include "storage/meta/postgres/pg_meta_store_impl.hpp"

namespace berth::storage::meta::postgres {

namespace {

std::string_view class_name(StorageClass c) {
  return c == StorageClass::kArchive ? "archive" : "standard";
}

// As delete_manifest: referrers of referrers are followed this deep.
constexpr int kMaxReferrerDepth = 8;

Result<bool> listed_by_any_index(Connection& c, RepositoryId repo, const oci::Digest& digest) {
  auto rows = BERTH_TRY(c.query(
      "SELECT 1 FROM manifest_refs WHERE repository_id = $1 AND ref_digest = $2 "
      "AND kind = 'manifest' LIMIT 1",
      Params().int64(repo).text(digest.str())));
  return rows.rows() > 0;
}

// The first index of the standard class that lists `digest`, if any.
Result<std::optional<std::string>> standard_parent(Connection& c, RepositoryId repo,
                                                   const oci::Digest& digest) {
  auto rows = BERTH_TRY(c.query(
      "SELECT r.manifest_digest FROM manifest_refs r JOIN manifests m "
      "ON m.repository_id = r.repository_id AND m.digest = r.manifest_digest "
      "WHERE r.repository_id = $1 AND r.ref_digest = $2 AND r.kind = 'manifest' "
      "AND m.storage_class = 'standard' ORDER BY r.manifest_digest LIMIT 1",
      Params().int64(repo).text(digest.str())));
  if (rows.rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows.text(0, 0));
}

Status set_class_in(Connection& c, RepositoryId repo, const oci::Digest& digest,
                    StorageClass target, std::int64_t at_ms, int depth) {
  BERTH_TRY(c.query(target == StorageClass::kArchive
                        ? "UPDATE manifests SET storage_class = $3, last_archived_at = $4 "
                          "WHERE repository_id = $1 AND digest = $2"
                        : "UPDATE manifests SET storage_class = $3, last_activated_at = $4 "
                          "WHERE repository_id = $1 AND digest = $2",
                    Params().int64(repo).text(digest.str()).text(class_name(target)).int64(at_ms)));
  if (depth >= kMaxReferrerDepth) return ok();
  auto referrers = BERTH_TRY(
      c.query("SELECT digest FROM manifests WHERE repository_id = $1 AND subject = $2 "
              "ORDER BY digest FOR UPDATE",
              Params().int64(repo).text(digest.str())));
  for (int i = 0; i < referrers.rows(); ++i) {
    const oci::Digest referrer = BERTH_TRY(digest_at(referrers, i, 0));
    if (BERTH_TRY(listed_by_any_index(c, repo, referrer))) continue;
    BERTH_TRY_STATUS(set_class_in(c, repo, referrer, target, at_ms, depth + 1));
  }
  return ok();
}

}  // namespace

Status PostgresMetaStore::set_storage_class(RepositoryId repo, const oci::Digest& digest,
                                            StorageClass target, std::int64_t at_ms) {
  // FOR UPDATE conflicts with the FOR KEY SHARE a put_manifest of an index
  // holds on its children: once granted, any index listing it is visible.
  return write([&](Connection& c) -> Status {
    auto locked = BERTH_TRY(
        c.query("SELECT 1 FROM manifests WHERE repository_id = $1 AND digest = $2 FOR UPDATE",
                Params().int64(repo).text(digest.str())));
    if (locked.rows() == 0) {
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

Result<std::optional<std::string>> PostgresMetaStore::get_repository_document(
    RepositoryId id, std::string_view name) {
  return read([&](Connection& c) -> Result<std::optional<std::string>> {
    // One statement: the repository's existence and the document agree.
    auto rows = BERTH_TRY(c.query(
        "SELECT d.body FROM repositories r LEFT JOIN repository_documents d "
        "ON d.repository_id = r.id AND d.name = $2 WHERE r.id = $1",
        Params().int64(id).text(name)));
    if (rows.rows() == 0) {
      return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(id));
    }
    if (rows.is_null(0, 0)) return std::optional<std::string>();
    return std::optional<std::string>(rows.text(0, 0));
  });
}

Result<std::string> PostgresMetaStore::modify_repository_document(RepositoryId id,
                                                                  std::string_view name,
                                                                  const SettingsChange& change) {
  // The repository row locked FOR UPDATE serializes changes of its
  // documents across processes, whether or not the document exists yet.
  return write([&](Connection& c) -> Result<std::string> {
    auto repo = BERTH_TRY(
        c.query("SELECT 1 FROM repositories WHERE id = $1 FOR UPDATE", Params().int64(id)));
    if (repo.rows() == 0) {
      return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(id));
    }
    auto current_rows = BERTH_TRY(
        c.query("SELECT body FROM repository_documents WHERE repository_id = $1 AND name = $2",
                Params().int64(id).text(name)));
    const std::string current = current_rows.rows() == 0 ? std::string() : current_rows.text(0, 0);
    std::string next = BERTH_TRY(change(current));
    if (next.empty()) {
      BERTH_TRY(c.query("DELETE FROM repository_documents WHERE repository_id = $1 AND name = $2",
                        Params().int64(id).text(name)));
      return next;
    }
    BERTH_TRY(c.query(
        "INSERT INTO repository_documents (repository_id, name, body) VALUES ($1, $2, $3) "
        "ON CONFLICT (repository_id, name) DO UPDATE SET body = EXCLUDED.body",
        Params().int64(id).text(name).text(next)));
    return next;
  });
}

}  // namespace berth::storage::meta::postgres
