// PostgresMetaStore: repositories, repository and registry settings, the
// registry listing, and blob links.
//
// Thread-safety: as the store (pg_meta_store_impl.hpp): safe for concurrent use.
#include <string>
#include <utility>

#include "storage/meta/postgres/pg_meta_store_impl.hpp"
#include "util/time.hpp"

namespace berth::storage::meta::postgres {

namespace {

RepositoryRecord repository_at(const PgResult& rows, int row) {
  // Columns: id, registry, name, created_at, settings.
  RepositoryRecord record;
  record.id = rows.int64(row, 0);
  record.registry = rows.text(row, 1);
  record.name = rows.text(row, 2);
  record.created_at_ms = rows.int64(row, 3);
  record.settings_json = rows.text(row, 4);
  return record;
}

constexpr std::string_view kSelectRepository =
    "SELECT id, registry, name, created_at, settings FROM repositories "
    "WHERE registry = $1 AND name = $2";

Result<RepositoryRecord> select_repository(Connection& c, std::string_view registry,
                                           std::string_view name) {
  auto rows = BERTH_TRY(c.query(kSelectRepository, Params().text(registry).text(name)));
  if (rows.rows() == 0) {
    return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::string(name));
  }
  return repository_at(rows, 0);
}

std::unexpected<Error> repository_not_found(RepositoryId id) {
  return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(id));
}

}  // namespace

// ---- repositories ----

Result<RepositoryRecord> PostgresMetaStore::get_repository(std::string_view registry,
                                                           std::string_view name) {
  return read([&](Connection& c) { return select_repository(c, registry, name); });
}

Result<EnsuredRepository> PostgresMetaStore::find_or_create_repository(std::string_view registry,
                                                                       std::string_view name,
                                                                       std::int64_t now_ms) {
  // Nearly always it exists: one read. Otherwise insert, and if another
  // process inserted it first (ON CONFLICT waited for its commit), read the
  // winner with a new statement's snapshot.
  auto found = get_repository(registry, name);
  if (found) return EnsuredRepository{std::move(*found)};
  if (found.error().code != ErrorCode::kRepositoryNotFound) {
    return std::unexpected(std::move(found).error());
  }
  return write([&](Connection& c) -> Result<EnsuredRepository> {
    auto inserted = BERTH_TRY(c.query(
        "INSERT INTO repositories (registry, name, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (registry, name) DO NOTHING "
        "RETURNING id, registry, name, created_at, settings",
        Params().text(registry).text(name).int64(now_ms)));
    // RETURNING yields a row only for the insert that won the conflict.
    if (inserted.rows() == 1) return EnsuredRepository{repository_at(inserted, 0), true};
    return EnsuredRepository{BERTH_TRY(select_repository(c, registry, name))};
  });
}

Result<RepositoryRecord> PostgresMetaStore::create_repository(std::string_view registry,
                                                              std::string_view name,
                                                              std::string_view settings_json,
                                                              std::int64_t now_ms) {
  return write(
      [&](Connection& c) -> Result<RepositoryRecord> {
        auto inserted = c.query(
            "INSERT INTO repositories (registry, name, created_at, settings) "
            "VALUES ($1, $2, $3, $4) RETURNING id, registry, name, created_at, settings",
            Params().text(registry).text(name).int64(now_ms).text(settings_json));
        if (!inserted) {
          if (c.last_sqlstate() == sqlstate::kUniqueViolation) {
            return fail(ErrorCode::kAlreadyExists, "repository already exists",
                        std::string(name));
          }
          return std::unexpected(std::move(inserted).error());
        }
        return repository_at(*inserted, 0);
      },
      Tx::kStatement);
}

Status PostgresMetaStore::update_repository_settings(RepositoryId id,
                                                     std::string_view settings_json) {
  return write(
      [&](Connection& c) -> Status {
        auto updated = BERTH_TRY(c.query("UPDATE repositories SET settings = $2 WHERE id = $1",
                                         Params().int64(id).text(settings_json)));
        if (updated.affected() == 0) return repository_not_found(id);
        return ok();
      },
      Tx::kStatement);
}

Result<RepositoryRecord> PostgresMetaStore::modify_repository_settings(
    RepositoryId id, const SettingsChange& change) {
  // FOR UPDATE: a concurrent change, from any process, waits here until this
  // transaction ends, then reads what it wrote: none is lost.
  return write([&](Connection& c) -> Result<RepositoryRecord> {
    auto rows = BERTH_TRY(
        c.query("SELECT id, registry, name, created_at, settings FROM repositories "
                "WHERE id = $1 FOR UPDATE",
                Params().int64(id)));
    if (rows.rows() == 0) return repository_not_found(id);
    RepositoryRecord record = repository_at(rows, 0);
    record.settings_json = BERTH_TRY(change(record.settings_json));
    BERTH_TRY(c.query("UPDATE repositories SET settings = $2 WHERE id = $1",
                      Params().int64(id).text(record.settings_json)));
    return record;
  });
}

Result<std::string> PostgresMetaStore::get_registry_settings(std::string_view registry) {
  return read([&](Connection& c) -> Result<std::string> {
    auto rows = BERTH_TRY(c.query("SELECT settings FROM registry_settings WHERE registry = $1",
                                  Params().text(registry)));
    return rows.rows() == 0 ? std::string("{}") : rows.text(0, 0);
  });
}

Status PostgresMetaStore::put_registry_settings(std::string_view registry,
                                                std::string_view settings_json) {
  return write(
      [&](Connection& c) -> Status {
        BERTH_TRY(c.query("INSERT INTO registry_settings (registry, settings) VALUES ($1, $2) "
                          "ON CONFLICT (registry) DO UPDATE SET settings = EXCLUDED.settings",
                          Params().text(registry).text(settings_json)));
        return ok();
      },
      Tx::kStatement);
}

Result<std::string> PostgresMetaStore::modify_registry_settings(std::string_view registry,
                                                                const SettingsChange& change) {
  // The row may not exist yet: create it ("{}") so that there is a row to
  // lock; racing creators meet on the primary key. If the change refuses,
  // the rollback takes the new row back too.
  return write([&](Connection& c) -> Result<std::string> {
    BERTH_TRY(c.query("INSERT INTO registry_settings (registry, settings) VALUES ($1, '{}') "
                      "ON CONFLICT (registry) DO NOTHING",
                      Params().text(registry)));
    auto rows = BERTH_TRY(c.query(
        "SELECT settings FROM registry_settings WHERE registry = $1 FOR UPDATE",
        Params().text(registry)));
    if (rows.rows() == 0) {
      return fail(ErrorCode::kInternal, "registry settings row vanished", std::string(registry));
    }
    std::string next = BERTH_TRY(change(rows.text(0, 0)));
    BERTH_TRY(c.query("UPDATE registry_settings SET settings = $2 WHERE registry = $1",
                      Params().text(registry).text(next)));
    return next;
  });
}

Status PostgresMetaStore::delete_repository(RepositoryId id) {
  // Every blob the repository linked or referenced may be garbage now: they
  // are queued (read from the statement's snapshot, before the delete), and
  // foreign keys cascade to manifests (and their contents, references and
  // tags), blob links and uploads.
  return write(
      [&](Connection& c) -> Status {
        auto rows = BERTH_TRY(c.query(
            "WITH queued AS (" +
                queue_review_sql(
                    "SELECT blobs.digest, $2, r.registry FROM repositories r, "
                    "(SELECT digest FROM blob_links WHERE repository_id = $1 "
                    " UNION SELECT ref_digest FROM manifest_refs "
                    " WHERE repository_id = $1 AND kind = 'blob') AS blobs "
                    "WHERE r.id = $1") +
                "), gone AS (DELETE FROM repositories WHERE id = $1 RETURNING 1) "
                "SELECT count(*) FROM gone",
            Params().int64(id).int64(now_ms())));
        if (rows.int64(0, 0) == 0) return repository_not_found(id);
        return ok();
      },
      Tx::kStatement);
}

Result<std::vector<std::string>> PostgresMetaStore::list_repositories(std::string_view registry,
                                                                      std::string_view after,
                                                                      std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<std::string>> {
    auto rows = BERTH_TRY(c.query(
        "SELECT name FROM repositories WHERE registry = $1 AND name > $2 ORDER BY name LIMIT $3",
        Params().text(registry).text(after).int64(sql_limit(limit))));
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) names.push_back(rows.text(i, 0));
    return names;
  });
}

Result<std::vector<RepositoryRecord>> PostgresMetaStore::list_repository_records(
    std::string_view registry, std::string_view after, std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<RepositoryRecord>> {
    auto rows = BERTH_TRY(
        c.query("SELECT id, registry, name, created_at, settings FROM repositories "
                "WHERE registry = $1 AND name > $2 ORDER BY name LIMIT $3",
                Params().text(registry).text(after).int64(sql_limit(limit))));
    std::vector<RepositoryRecord> records;
    records.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) records.push_back(repository_at(rows, i));
    return records;
  });
}

Result<std::vector<std::string>> PostgresMetaStore::list_registries(std::string_view after,
                                                                    std::size_t limit) {
  // A loose index scan over repositories (registry, name): each step jumps
  // to the next registry, so the cost follows the number of registries, not
  // of repositories.
  return read([&](Connection& c) -> Result<std::vector<std::string>> {
    auto rows = BERTH_TRY(c.query(
        "WITH RECURSIVE r (registry) AS ("
        "  (SELECT registry FROM repositories WHERE registry > $1 ORDER BY registry LIMIT 1)"
        "  UNION ALL"
        "  SELECT (SELECT registry FROM repositories WHERE registry > r.registry"
        "          ORDER BY registry LIMIT 1) FROM r WHERE r.registry IS NOT NULL"
        ") "
        "SELECT registry FROM ("
        "  SELECT registry FROM r WHERE registry IS NOT NULL"
        "  UNION SELECT registry FROM registry_settings WHERE registry > $1"
        ") AS all_registries ORDER BY registry LIMIT $2",
        Params().text(after).int64(sql_limit(limit))));
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) out.push_back(rows.text(i, 0));
    return out;
  });
}

Result<std::uint64_t> PostgresMetaStore::count_manifests(RepositoryId id) {
  // One statement: the repository's existence and the count, one snapshot.
  return read([&](Connection& c) -> Result<std::uint64_t> {
    auto rows = BERTH_TRY(
        c.query("SELECT (SELECT count(*) FROM manifests WHERE repository_id = r.id) "
                "FROM repositories r WHERE r.id = $1",
                Params().int64(id)));
    if (rows.rows() == 0) return repository_not_found(id);
    return static_cast<std::uint64_t>(rows.int64(0, 0));
  });
}

Result<std::uint64_t> PostgresMetaStore::count_repositories(std::string_view registry) {
  return read([&](Connection& c) -> Result<std::uint64_t> {
    auto rows = BERTH_TRY(
        c.query("SELECT count(*) FROM repositories WHERE registry = $1", Params().text(registry)));
    return static_cast<std::uint64_t>(rows.int64(0, 0));
  });
}

Result<RegistryStorage> PostgresMetaStore::registry_storage(std::string_view registry,
                                                           const oci::Digest& digest) {
  // Each digest once (a blob's size is the same in every link); sum(bigint)
  // is numeric: cast back, the total fits an int8 for any disk.
  return read([&](Connection& c) -> Result<RegistryStorage> {
    auto rows = BERTH_TRY(
        c.query("SELECT coalesce(sum(size), 0)::bigint, coalesce(bool_or(digest = $2), false) "
                "FROM (SELECT b.digest, max(b.size) AS size FROM repositories r "
                "JOIN blob_links b ON b.repository_id = r.id WHERE r.registry = $1 "
                "GROUP BY b.digest) AS distinct_blobs",
                Params().text(registry).text(digest.str())));
    return RegistryStorage{static_cast<std::uint64_t>(rows.int64(0, 0)), rows.int64(0, 1) != 0};
  });
}

// ---- blob links ----
//
// Linking takes the blob's shared lock and then checks for a tombstone
// (pg_gc.cpp): a blob the collector has claimed cannot be linked again
// until its bytes are gone. The foreign key refuses a repository that is
// gone (kRepositoryNotFound).

Status PostgresMetaStore::link_blob(RepositoryId repo, const oci::Digest& digest,
                                    std::uint64_t size, std::int64_t now_ms) {
  return write([&](Connection& c) -> Status {
    BERTH_TRY_STATUS(hold_blobs(c, {digest.str()}));
    BERTH_TRY_STATUS(refuse_tombstoned(c, digest));
    // A mount: live for the grace period, then garbage unless a manifest
    // references it by then, so it is queued for review with the link.
    auto linked = c.query(
        "WITH linked AS (INSERT INTO blob_links (repository_id, digest, size, created_at) "
        "  VALUES ($1, $2, $3, $4) ON CONFLICT (repository_id, digest) DO NOTHING), "
        "queued AS (" +
            queue_review_sql("SELECT $2, $5, registry FROM repositories WHERE id = $1") +
            ") SELECT 1",
        Params()
            .int64(repo)
            .text(digest.str())
            .int64(static_cast<std::int64_t>(size))
            .int64(now_ms)
            .int64(berth::now_ms()));
    if (!linked && c.last_sqlstate() == sqlstate::kForeignKeyViolation) {
      return repository_not_found(repo);
    }
    if (!linked) return std::unexpected(std::move(linked).error());
    return ok();
  });
}

Status PostgresMetaStore::link_uploaded_blob(std::string_view upload_id, RepositoryId repo,
                                             const oci::Digest& digest, std::uint64_t size,
                                             std::int64_t now_ms) {
  // The link and the end of the upload in one statement: together, or (the
  // repository is gone) neither. The upload queued the blob for review
  // before committing its bytes.
  return write([&](Connection& c) -> Status {
    BERTH_TRY_STATUS(hold_blobs(c, {digest.str()}));
    BERTH_TRY_STATUS(refuse_tombstoned(c, digest));
    auto linked = c.query(
        "WITH ended AS (DELETE FROM uploads WHERE id = $5) "
        "INSERT INTO blob_links (repository_id, digest, size, created_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (repository_id, digest) DO NOTHING",
        Params()
            .int64(repo)
            .text(digest.str())
            .int64(static_cast<std::int64_t>(size))
            .int64(now_ms)
            .text(upload_id));
    if (!linked && c.last_sqlstate() == sqlstate::kForeignKeyViolation) {
      return repository_not_found(repo);
    }
    if (!linked) return std::unexpected(std::move(linked).error());
    return ok();
  });
}

Result<std::uint64_t> PostgresMetaStore::get_blob_link(RepositoryId repo,
                                                       const oci::Digest& digest) {
  return read([&](Connection& c) -> Result<std::uint64_t> {
    auto rows =
        BERTH_TRY(c.query("SELECT size FROM blob_links WHERE repository_id = $1 AND digest = $2",
                          Params().int64(repo).text(digest.str())));
    if (rows.rows() == 0) {
      return fail(ErrorCode::kBlobNotFound, "blob not linked in repository", digest.str());
    }
    return static_cast<std::uint64_t>(rows.int64(0, 0));
  });
}

Status PostgresMetaStore::unlink_blob(RepositoryId repo, const oci::Digest& digest) {
  // The link goes and the blob is queued for review, in one statement.
  return write(
      [&](Connection& c) -> Status {
        auto rows = BERTH_TRY(c.query(
            "WITH gone AS (DELETE FROM blob_links WHERE repository_id = $1 AND digest = $2 "
            "  RETURNING 1), "
            "queued AS (" +
                queue_review_sql("SELECT $2, $3, registry FROM repositories "
                                 "WHERE id = $1 AND EXISTS (SELECT 1 FROM gone)") +
                ") SELECT count(*) FROM gone",
            Params().int64(repo).text(digest.str()).int64(now_ms())));
        if (rows.int64(0, 0) == 0) {
          return fail(ErrorCode::kBlobNotFound, "blob not linked in repository", digest.str());
        }
        return ok();
      },
      Tx::kStatement);
}

}  // namespace berth::storage::meta::postgres
