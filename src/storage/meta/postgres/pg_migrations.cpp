// Schema migrations of the PostgreSQL metadata store (see pg_migrations.hpp).
// Thread-safety: see pg_migrations.hpp.
#include "storage/meta/postgres/pg_migrations.hpp"

#include <string>

namespace berth::storage::meta::postgres {

namespace {

// The initial schema, the same model as the SQLite store's
// (storage/meta/sqlite/migrations.cpp), in PostgreSQL's terms:
// - Names, tags, digests, registry ids and upload ids are text COLLATE "C":
//   comparisons and indexes order them by bytes, exactly as SQLite's BINARY
//   collation does, so `WHERE name > $after ORDER BY name LIMIT n` pages
//   through the same sequence on both backends and uses the index.
// - Every lookup is served by a primary key or an index whose leading
//   columns match it; listings are keyset pagination over those indexes:
//   O(log n + page) at any size, and nothing at startup scans a table.
// - Deleting a repository cascades to everything below it; deleting a
//   manifest cascades to its content, tags and outgoing references; a tag
//   refers to its manifest through a foreign key and can never dangle.
// - Manifest bytes sit in their own table (bytea, TOASTed when large), so
//   listings never read them and record_pulls rewrites only the small
//   manifests row; fillfactor leaves room on each page for those updates to
//   stay HOT (last_pulled_at is in no index).
// - Times are milliseconds since the epoch (bigint), as in the interface.
constexpr std::string_view k0001Initial = R"sql(
CREATE TABLE repositories (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  registry    text COLLATE "C" NOT NULL,
  name        text COLLATE "C" NOT NULL,
  created_at  bigint NOT NULL,
  settings    text NOT NULL DEFAULT '{}',
  UNIQUE (registry, name)
);

CREATE TABLE registry_settings (
  registry text COLLATE "C" PRIMARY KEY,
  settings text NOT NULL
);

CREATE TABLE manifests (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  repository_id     bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  digest            text COLLATE "C" NOT NULL,
  media_type        text NOT NULL,
  artifact_type     text NOT NULL DEFAULT '',
  config_media_type text NOT NULL DEFAULT '',
  size              bigint NOT NULL,
  image_size        bigint NOT NULL,
  subject           text COLLATE "C",
  pushed_at         bigint NOT NULL,
  last_pulled_at    bigint NOT NULL DEFAULT 0,
  UNIQUE (repository_id, digest)
) WITH (fillfactor = 90);
CREATE INDEX manifests_by_subject ON manifests (repository_id, subject, digest)
  WHERE subject IS NOT NULL;

CREATE TABLE manifest_contents (
  manifest_id bigint PRIMARY KEY REFERENCES manifests (id) ON DELETE CASCADE,
  content     bytea NOT NULL
);

CREATE TABLE manifest_refs (
  repository_id   bigint NOT NULL,
  manifest_digest text COLLATE "C" NOT NULL,
  ref_digest      text COLLATE "C" NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('blob', 'manifest')),
  size            bigint NOT NULL,
  PRIMARY KEY (repository_id, manifest_digest, ref_digest),
  FOREIGN KEY (repository_id, manifest_digest)
    REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
);
-- parents_of and the delete_manifest guard look references up by target.
CREATE INDEX manifest_refs_by_target ON manifest_refs (repository_id, ref_digest, kind);

CREATE TABLE tags (
  repository_id bigint NOT NULL,
  name          text COLLATE "C" NOT NULL,
  digest        text COLLATE "C" NOT NULL,
  PRIMARY KEY (repository_id, name),
  FOREIGN KEY (repository_id, digest)
    REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
);
CREATE INDEX tags_by_digest ON tags (repository_id, digest, name);

CREATE TABLE blob_links (
  repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  digest        text COLLATE "C" NOT NULL,
  size          bigint NOT NULL,
  created_at    bigint NOT NULL,
  PRIMARY KEY (repository_id, digest)
);

CREATE TABLE uploads (
  id               text COLLATE "C" PRIMARY KEY,
  repository_id    bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  started_at       bigint NOT NULL,
  lease_holder     text NOT NULL DEFAULT '',
  lease_expires_at bigint NOT NULL DEFAULT 0,
  saved_size       bigint NOT NULL DEFAULT 0
);
CREATE INDEX uploads_by_repository ON uploads (repository_id);
)sql";

// Garbage collection (issue 11), as in the SQLite store's 0004: blobs whose
// last reference was dropped wait in gc_blob_reviews until their grace
// period is over; a blob being collected is in gc_blob_tombstones until its
// bytes are gone; job_leases lets one process at a time run a named job.
// The two digest indexes answer "does any manifest reference it" and "drop
// every link of it" across repositories.
constexpr std::string_view k0002GarbageCollection = R"sql(
CREATE TABLE gc_blob_reviews (
  digest   text COLLATE "C" PRIMARY KEY,
  since    bigint NOT NULL,
  registry text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX gc_blob_reviews_by_since ON gc_blob_reviews (since, digest);

CREATE TABLE gc_blob_tombstones (
  digest text COLLATE "C" PRIMARY KEY,
  since  bigint NOT NULL
);

CREATE INDEX manifest_refs_by_digest ON manifest_refs (ref_digest, kind);
CREATE INDEX blob_links_by_digest ON blob_links (digest);

CREATE TABLE job_leases (
  job        text COLLATE "C" PRIMARY KEY,
  holder     text NOT NULL,
  expires_at bigint NOT NULL
);
)sql";

// The ECR archive and lifecycle policies, as in the SQLite store's 0005: a
// manifest's storage class and when it last entered and left the archive,
// and documents a front end keeps per repository (a lifecycle preview).
constexpr std::string_view k0003StorageClassesAndDocuments = R"sql(
ALTER TABLE manifests ADD COLUMN storage_class text NOT NULL DEFAULT 'standard'
  CHECK (storage_class IN ('standard', 'archive'));
ALTER TABLE manifests ADD COLUMN last_archived_at bigint NOT NULL DEFAULT 0;
ALTER TABLE manifests ADD COLUMN last_activated_at bigint NOT NULL DEFAULT 0;

CREATE TABLE repository_documents (
  repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  name          text COLLATE "C" NOT NULL,
  body          text NOT NULL,
  PRIMARY KEY (repository_id, name)
);
)sql";

// How many parts each upload has grown by, as in the SQLite store's 0006.
constexpr std::string_view k0004UploadParts = R"sql(
ALTER TABLE uploads ADD COLUMN parts bigint NOT NULL DEFAULT 0;
)sql";

constexpr Migration kMigrations[] = {
    {1, "0001_initial", k0001Initial},
    {2, "0002_garbage_collection", k0002GarbageCollection},
    {3, "0003_storage_classes_and_documents", k0003StorageClassesAndDocuments},
    {4, "0004_upload_parts", k0004UploadParts},
};

static_assert([] {
  for (std::size_t i = 0; i < std::size(kMigrations); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}());

constexpr std::string_view kCreateVersionTable = R"sql(
CREATE TABLE IF NOT EXISTS berth_schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)
)sql";

Result<int> migrate_locked(Connection& conn, const MigrateOptions& options) {
  BERTH_TRY(conn.query("SELECT pg_advisory_xact_lock($1)", Params().int64(kMigrationLockKey)));
  auto exists = BERTH_TRY(
      conn.query("SELECT to_regclass('berth_schema_migrations') IS NOT NULL"));
  if (exists.int64(0, 0) == 0) {
    if (options.must_exist) {
      return fail(ErrorCode::kInvalidArgument,
                  "the database holds no berth metadata (no berth_schema_migrations table); "
                  "`berth serve` creates it");
    }
    BERTH_TRY_STATUS(conn.exec(kCreateVersionTable));
  }
  auto version = BERTH_TRY(
      conn.query("SELECT coalesce(max(version), 0)::bigint FROM berth_schema_migrations"));
  const int current = static_cast<int>(version.int64(0, 0));
  const int latest = latest_schema_version();
  if (current > latest) {
    return fail(ErrorCode::kUnsupported,
                "metadata database schema is newer than this version of berth",
                "schema version " + std::to_string(current) + ", supported up to " +
                    std::to_string(latest));
  }
  for (int next = current; next < latest; ++next) {
    const Migration& m = kMigrations[next];
    BERTH_TRY_STATUS(conn.exec(m.sql));
    BERTH_TRY(conn.query("INSERT INTO berth_schema_migrations (version, name) VALUES ($1, $2)",
                         Params().int64(m.version).text(m.name)));
  }
  return current;
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<int> migrate(Connection& conn, const MigrateOptions& options) {
  BERTH_TRY_STATUS(conn.exec("BEGIN"));
  auto found = migrate_locked(conn, options);
  if (!found) {
    (void)conn.exec("ROLLBACK");
    return found;
  }
  BERTH_TRY_STATUS(conn.exec("COMMIT"));
  return found;
}

}  // namespace berth::storage::meta::postgres
