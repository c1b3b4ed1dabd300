#include "storage/meta/sqlite/migrations.hpp"

#include <string>

namespace berth::storage::meta::sqlite {

namespace {

// Notes on the initial schema:
// - Every lookup the store makes is served by a primary key or an index
//   whose leading columns match it; listings use keyset pagination over
//   those indexes, so each call costs O(log n + page) at any size.
// - Deleting a repository cascades to everything below it; deleting a
//   manifest cascades to its content, tags and outgoing references.
// - Manifest bytes sit in their own table so that listings never read them
//   and record_pull never rewrites them (SQLite rewrites a whole row, up to
//   4 MiB, on UPDATE).
// - Tags point at a manifest through a foreign key: a tag can never dangle.
constexpr std::string_view k0001Initial = R"sql(
CREATE TABLE repositories (
  id          INTEGER PRIMARY KEY,
  registry    TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  settings    TEXT    NOT NULL DEFAULT '{}',
  UNIQUE (registry, name)
);

CREATE TABLE manifests (
  id                INTEGER PRIMARY KEY,
  repository_id     INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  digest            TEXT    NOT NULL,
  media_type        TEXT    NOT NULL,
  artifact_type     TEXT    NOT NULL DEFAULT '',
  config_media_type TEXT    NOT NULL DEFAULT '',
  size              INTEGER NOT NULL,
  image_size        INTEGER NOT NULL,
  subject           TEXT,
  pushed_at         INTEGER NOT NULL,
  last_pulled_at    INTEGER NOT NULL DEFAULT 0,
  UNIQUE (repository_id, digest)
);
-- Partial: most manifests have no subject. "subject = ?" implies NOT NULL,
-- so the planner uses it for referrer lookups.
CREATE INDEX manifests_by_subject ON manifests (repository_id, subject, digest)
  WHERE subject IS NOT NULL;

CREATE TABLE manifest_contents (
  manifest_id INTEGER PRIMARY KEY REFERENCES manifests (id) ON DELETE CASCADE,
  content     BLOB    NOT NULL
);

CREATE TABLE manifest_refs (
  repository_id   INTEGER NOT NULL,
  manifest_digest TEXT    NOT NULL,
  ref_digest      TEXT    NOT NULL,
  kind            TEXT    NOT NULL CHECK (kind IN ('blob', 'manifest')),
  size            INTEGER NOT NULL,
  PRIMARY KEY (repository_id, manifest_digest, ref_digest),
  FOREIGN KEY (repository_id, manifest_digest)
    REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
-- parents_of and the delete_manifest guard look references up by target.
CREATE INDEX manifest_refs_by_target ON manifest_refs (repository_id, ref_digest, kind);

CREATE TABLE tags (
  repository_id INTEGER NOT NULL,
  name          TEXT    NOT NULL,
  digest        TEXT    NOT NULL,
  PRIMARY KEY (repository_id, name),
  FOREIGN KEY (repository_id, digest)
    REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX tags_by_digest ON tags (repository_id, digest, name);

CREATE TABLE blob_links (
  repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  digest        TEXT    NOT NULL,
  size          INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;

CREATE TABLE uploads (
  id            TEXT    NOT NULL PRIMARY KEY,
  repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  started_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_by_repository ON uploads (repository_id);
)sql";

// Registry-wide settings (the ECR registry policy); one row per registry
// that ever stored any.
constexpr std::string_view k0002RegistrySettings = R"sql(
CREATE TABLE registry_settings (
  registry TEXT NOT NULL PRIMARY KEY,
  settings TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// The right to append to an upload, held by one request of one process at a
// time (MetaStore::acquire_upload_lease), and the size its last holder saved.
constexpr std::string_view k0003UploadLeases = R"sql(
ALTER TABLE uploads ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE uploads ADD COLUMN lease_expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN saved_size INTEGER NOT NULL DEFAULT 0;
)sql";

// Garbage collection: blobs whose last reference was dropped wait in
// gc_blob_reviews until their grace period is over; a blob being collected
// is in gc_blob_tombstones until its bytes are gone; job_leases lets one
// process at a time run the collector (or any other named job).
constexpr std::string_view k0004GarbageCollection = R"sql(
CREATE TABLE gc_blob_reviews (
  digest   TEXT    NOT NULL PRIMARY KEY,
  since    INTEGER NOT NULL,
  registry TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX gc_blob_reviews_by_since ON gc_blob_reviews (since, digest);

CREATE TABLE gc_blob_tombstones (
  digest TEXT    NOT NULL PRIMARY KEY,
  since  INTEGER NOT NULL
) WITHOUT ROWID;

-- Whether any manifest references a digest, across repositories (the
-- collector's question), and every link of a digest (dropped with it).
CREATE INDEX manifest_refs_by_digest ON manifest_refs (ref_digest, kind);
CREATE INDEX blob_links_by_digest ON blob_links (digest);

CREATE TABLE job_leases (
  job        TEXT    NOT NULL PRIMARY KEY,
  holder     TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// The ECR archive and lifecycle policies: a manifest's storage class and
// when it last entered and left the archive (MetaStore::set_storage_class),
// and documents a front end keeps per repository (a lifecycle policy
// preview), which go with their repository.
constexpr std::string_view k0005StorageClassesAndDocuments = R"sql(
ALTER TABLE manifests ADD COLUMN storage_class TEXT NOT NULL DEFAULT 'standard'
  CHECK (storage_class IN ('standard', 'archive'));
ALTER TABLE manifests ADD COLUMN last_archived_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE manifests ADD COLUMN last_activated_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE repository_documents (
  repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  name          TEXT    NOT NULL,
  body          TEXT    NOT NULL,
  PRIMARY KEY (repository_id, name)
) WITHOUT ROWID;
)sql";

// How many parts each upload has grown by (MetaStore::release_upload_lease),
// for the layer-parts quota.
constexpr std::string_view k0006UploadParts = R"sql(
ALTER TABLE uploads ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;
)sql";

constexpr Migration kMigrations[] = {
    {1, "0001_initial", k0001Initial},
    {2, "0002_registry_settings", k0002RegistrySettings},
    {3, "0003_upload_leases", k0003UploadLeases},
    {4, "0004_garbage_collection", k0004GarbageCollection},
    {5, "0005_storage_classes_and_documents", k0005StorageClassesAndDocuments},
    {6, "0006_upload_parts", k0006UploadParts},
};

// migrate() indexes kMigrations by version: numbers must run 1, 2, 3, ...
static_assert([] {
  for (std::size_t i = 0; i < std::size(kMigrations); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}());

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

Status migrate(Connection& conn) {
  const int latest = latest_schema_version();
  // One transaction per migration, so a crash between two leaves a valid
  // schema at a known version; the version is re-read under the write lock
  // because another process may be migrating the same file.
  for (;;) {
    auto txn = BERTH_TRY(Transaction::begin(conn, Transaction::Mode::kImmediate));
    const std::int64_t current = BERTH_TRY(conn.query_int64("PRAGMA user_version"));
    if (current > latest) {
      return fail(ErrorCode::kUnsupported,
                  "metadata database schema is newer than this version of berth",
                  "schema version " + std::to_string(current) + ", supported up to " +
                      std::to_string(latest));
    }
    if (current < 0) {
      return fail(ErrorCode::kCorruption, "metadata database has a negative schema version",
                  std::to_string(current));
    }
    if (current == latest) return txn.commit();
    const Migration& next = kMigrations[current];
    BERTH_TRY_STATUS(conn.exec(next.sql));
    BERTH_TRY_STATUS(conn.exec("PRAGMA user_version = " + std::to_string(next.version)));
    BERTH_TRY_STATUS(txn.commit());
  }
}

}  // namespace berth::storage::meta::sqlite
