// SqliteMetaStore: opening, repositories, blob links, uploads and the GC
// walks. Manifests and tags are in sqlite_manifests.cpp.
#include "storage/meta/sqlite/sqlite_meta_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "storage/meta/sqlite/migrations.hpp"
#include "storage/meta/sqlite/sqlite_meta_store_impl.hpp"

namespace berth::storage::meta::sqlite {

namespace {

// Idle readers kept open; more are opened on demand under load.
constexpr std::size_t kMaxIdleReaders = 16;
// Writes sharing one commit: enough to absorb every client of a busy
// server, few enough that one batch's latency stays in milliseconds.
constexpr std::size_t kMaxGroupCommit = 64;

ConnectionOptions connection_options(const SqliteOptions& options) {
  ConnectionOptions out;
  out.synchronous_full = options.synchronous_full;
  out.busy_timeout_ms = options.busy_timeout_ms;
  return out;
}

Result<RepositoryRecord> select_repository(Connection& conn, std::string_view registry,
                                           std::string_view name) {
  auto stmt = BERTH_TRY(conn.prepare(
      "SELECT id, created_at, settings FROM repositories WHERE registry = ?1 AND name = ?2"));
  stmt.bind(1, registry).bind(2, name);
  if (!BERTH_TRY(stmt.step())) {
    return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::string(name));
  }
  RepositoryRecord record;
  record.id = stmt.column_int64(0);
  record.registry = registry;
  record.name = name;
  record.created_at_ms = stmt.column_int64(1);
  record.settings_json = stmt.column_text(2);
  return record;
}

}  // namespace

// ---- shared helpers ----

Status require_repository(Connection& conn, RepositoryId id) {
  auto stmt = BERTH_TRY(conn.prepare("SELECT 1 FROM repositories WHERE id = ?1"));
  stmt.bind(1, id);
  if (!BERTH_TRY(stmt.step())) {
    return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(id));
  }
  return ok();
}

Result<bool> manifest_exists(Connection& conn, RepositoryId repo, const oci::Digest& digest) {
  auto stmt =
      BERTH_TRY(conn.prepare("SELECT 1 FROM manifests WHERE repository_id = ?1 AND digest = ?2"));
  stmt.bind(1, repo).bind(2, digest.str());
  return stmt.step();
}

Result<oci::Digest> column_digest(const Statement& stmt, int col) {
  std::string text = stmt.column_text(col);
  auto digest = oci::Digest::parse(text);
  if (!digest) {
    return fail(ErrorCode::kCorruption, "metadata database holds a malformed digest", text);
  }
  return std::move(*digest);
}

std::int64_t sql_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, kMax));
}

// ---- several calls, one commit ----

namespace {

// The in_one_commit() or in_one_snapshot() this thread is running, if any:
// its store, and the connection that store's calls use meanwhile (the
// writer, or the reader holding the snapshot).
struct ThreadScope {
  const SqliteMetaStore* store = nullptr;
  Connection* conn = nullptr;
  bool writing = false;
};
thread_local ThreadScope t_scope;

// Binds t_scope for one `work` call, restoring the previous binding after.
class BindThread {
 public:
  explicit BindThread(ThreadScope scope) : saved_(std::exchange(t_scope, scope)) {}
  ~BindThread() { t_scope = saved_; }
  BindThread(const BindThread&) = delete;
  BindThread& operator=(const BindThread&) = delete;

 private:
  ThreadScope saved_;
};

}  // namespace

bool SqliteMetaStore::in_one_commit_here() const {
  return t_scope.store == this && t_scope.writing;
}

Connection* SqliteMetaStore::snapshot_here() const {
  return t_scope.store == this && !t_scope.writing ? t_scope.conn : nullptr;
}

Status SqliteMetaStore::in_one_snapshot(const std::function<Status()>& work) {
  if (t_scope.store == this) return work();  // already in a snapshot or a commit
  auto lease = BERTH_TRY(readers_.acquire());
  auto txn = BERTH_TRY(Transaction::begin(*lease, Transaction::Mode::kRead));
  {
    BindThread bound({this, &*lease, /*writing=*/false});
    BERTH_TRY_STATUS(work());
  }
  return txn.commit();
}

Status SqliteMetaStore::in_one_commit(const std::function<Status()>& work) {
  if (in_one_commit_here()) return work();
  return committer_.run([&](Connection& writer) -> Status {
    BindThread bound({this, &writer, /*writing=*/true});
    return work();
  });
}

// ---- opening ----

Result<std::unique_ptr<MetaStore>> open_sqlite_meta_store(const std::filesystem::path& db_file,
                                                          SqliteOptions options) {
  auto writer = BERTH_TRY(Connection::open(db_file, connection_options(options)));
  BERTH_TRY_STATUS(migrate(*writer));
  return std::unique_ptr<MetaStore>(
      std::make_unique<SqliteMetaStore>(std::move(writer), db_file, options));
}

SqliteMetaStore::SqliteMetaStore(std::unique_ptr<Connection> writer, std::filesystem::path file,
                                 const SqliteOptions& options)
    : file_(file),
      writer_(std::move(writer)),
      committer_(*writer_, kMaxGroupCommit, options.synchronous_full ? "FULL" : "NORMAL",
                 options.on_group_commit),
      readers_(std::move(file), connection_options(options), kMaxIdleReaders) {}

namespace {

class FileLock final : public StoreLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() override { ::close(fd_); }

 private:
  int fd_;
};

}  // namespace

Result<std::unique_ptr<StoreLock>> SqliteMetaStore::lock_store(StoreLockMode mode) {
  // A file of its own, never the database: close(2) of any descriptor of
  // the database file drops every POSIX lock this process holds on it,
  // SQLite's included, and another process (berth gc, berth lifecycle)
  // would then take this one's WAL for abandoned, checkpoint it and delete
  // it while this process goes on writing into the unlinked file.
  const std::filesystem::path lock_file = file_.string() + ".lock";
  const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    return fail(ErrorCode::kUnavailable,
                "cannot open " + lock_file.string() + " to lock the metadata database: " +
                    std::strerror(err));
  }
  const bool exclusive = mode == StoreLockMode::kExclusive;
  if (::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return fail(ErrorCode::kUnavailable,
                  "metadata database " + file_.string() + " is in use by " +
                      (exclusive ? "a running berth serve" : "berth fsck --repair"));
    }
    return fail(ErrorCode::kUnavailable,
                "cannot lock " + file_.string() + ": " + std::strerror(err));
  }
  return std::unique_ptr<StoreLock>(std::make_unique<FileLock>(fd));
}

// ---- repositories ----

Result<RepositoryRecord> SqliteMetaStore::get_repository(std::string_view registry,
                                                         std::string_view name) {
  return read([&](Connection& c) { return select_repository(c, registry, name); });
}

Result<EnsuredRepository> SqliteMetaStore::find_or_create_repository(std::string_view registry,
                                                                     std::string_view name,
                                                                     std::int64_t now_ms) {
  // Nearly always the repository exists: answer from a reader and take the
  // writer lock only to create it.
  auto found = get_repository(registry, name);
  if (found) return EnsuredRepository{std::move(*found)};
  if (found.error().code != ErrorCode::kRepositoryNotFound) {
    return std::unexpected(std::move(found).error());
  }
  return write([&](Connection& c) -> Result<EnsuredRepository> {
    auto insert = BERTH_TRY(
        c.prepare("INSERT INTO repositories (registry, name, created_at) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (registry, name) DO NOTHING"));
    insert.bind(1, registry).bind(2, name).bind(3, now_ms);
    BERTH_TRY_STATUS(insert.run());
    // One writer at a time: a row inserted here is ours, none means
    // another writer created it since the read above.
    const bool created = c.changes() == 1;
    return EnsuredRepository{BERTH_TRY(select_repository(c, registry, name)), created};
  });
}

Result<RepositoryRecord> SqliteMetaStore::create_repository(std::string_view registry,
                                                            std::string_view name,
                                                            std::string_view settings_json,
                                                            std::int64_t now_ms) {
  return write([&](Connection& c) -> Result<RepositoryRecord> {
    auto existing = select_repository(c, registry, name);
    if (existing) {
      return fail(ErrorCode::kAlreadyExists, "repository already exists", std::string(name));
    }
    if (existing.error().code != ErrorCode::kRepositoryNotFound) {
      return std::unexpected(std::move(existing).error());
    }
    auto insert =
        BERTH_TRY(c.prepare("INSERT INTO repositories (registry, name, created_at, settings) "
                            "VALUES (?1, ?2, ?3, ?4)"));
    insert.bind(1, registry).bind(2, name).bind(3, now_ms).bind(4, settings_json);
    BERTH_TRY_STATUS(insert.run());
    RepositoryRecord record;
    record.id = c.last_insert_rowid();
    record.registry = registry;
    record.name = name;
    record.created_at_ms = now_ms;
    record.settings_json = settings_json;
    return record;
  });
}

Status SqliteMetaStore::update_repository_settings(RepositoryId id,
                                                   std::string_view settings_json) {
  return write([&](Connection& c) -> Status {
    auto update = BERTH_TRY(c.prepare("UPDATE repositories SET settings = ?2 WHERE id = ?1"));
    update.bind(1, id).bind(2, settings_json);
    BERTH_TRY_STATUS(update.run());
    if (c.changes() == 0) {
      return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(id));
    }
    return ok();
  });
}

Result<RepositoryRecord> SqliteMetaStore::modify_repository_settings(
    RepositoryId id, const SettingsChange& change) {
  // Inside the write transaction: nobody, in this process or another, can
  // change the row between the read and the write.
  return write([&](Connection& c) -> Result<RepositoryRecord> {
    auto select = BERTH_TRY(
        c.prepare("SELECT registry, name, created_at, settings FROM repositories WHERE id = ?1"));
    select.bind(1, id);
    if (!BERTH_TRY(select.step())) {
      return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(id));
    }
    RepositoryRecord record;
    record.id = id;
    record.registry = select.column_text(0);
    record.name = select.column_text(1);
    record.created_at_ms = select.column_int64(2);
    record.settings_json = BERTH_TRY(change(select.column_text(3)));
    auto update = BERTH_TRY(c.prepare("UPDATE repositories SET settings = ?2 WHERE id = ?1"));
    update.bind(1, id).bind(2, record.settings_json);
    BERTH_TRY_STATUS(update.run());
    return record;
  });
}

Result<std::string> SqliteMetaStore::modify_registry_settings(std::string_view registry,
                                                              const SettingsChange& change) {
  return write([&](Connection& c) -> Result<std::string> {
    auto select =
        BERTH_TRY(c.prepare("SELECT settings FROM registry_settings WHERE registry = ?1"));
    select.bind(1, registry);
    const std::string current =
        BERTH_TRY(select.step()) ? std::string(select.column_text(0)) : std::string("{}");
    std::string next = BERTH_TRY(change(current));
    auto upsert = BERTH_TRY(c.prepare(
        "INSERT INTO registry_settings (registry, settings) VALUES (?1, ?2) "
        "ON CONFLICT (registry) DO UPDATE SET settings = excluded.settings"));
    upsert.bind(1, registry).bind(2, next);
    BERTH_TRY_STATUS(upsert.run());
    return next;
  });
}

Result<std::string> SqliteMetaStore::get_registry_settings(std::string_view registry) {
  return read_snapshot([&](Connection& c) -> Result<std::string> {
    auto stmt = BERTH_TRY(c.prepare("SELECT settings FROM registry_settings WHERE registry = ?1"));
    stmt.bind(1, registry);
    bool row = BERTH_TRY(stmt.step());
    return row ? std::string(stmt.column_text(0)) : std::string("{}");
  });
}

Status SqliteMetaStore::put_registry_settings(std::string_view registry,
                                              std::string_view settings_json) {
  return write([&](Connection& c) -> Status {
    auto upsert = BERTH_TRY(c.prepare(
        "INSERT INTO registry_settings (registry, settings) VALUES (?1, ?2) "
        "ON CONFLICT (registry) DO UPDATE SET settings = excluded.settings"));
    upsert.bind(1, registry).bind(2, settings_json);
    return upsert.run();
  });
}

Status SqliteMetaStore::delete_repository(RepositoryId id) {
  return write([&](Connection& c) -> Status {
    // Every blob the repository linked or referenced may be garbage now.
    const std::string registry = BERTH_TRY(registry_of(c, id));
    BERTH_TRY_STATUS(queue_repository_blobs(c, id, registry));
    // Foreign keys cascade to manifests (and their contents, references and
    // tags), blob links and uploads.
    auto del = BERTH_TRY(c.prepare("DELETE FROM repositories WHERE id = ?1"));
    del.bind(1, id);
    BERTH_TRY_STATUS(del.run());
    if (c.changes() == 0) {
      return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(id));
    }
    return ok();
  });
}

Result<std::vector<std::string>> SqliteMetaStore::list_repositories(std::string_view registry,
                                                                    std::string_view after,
                                                                    std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<std::string>> {
    auto stmt =
        BERTH_TRY(c.prepare("SELECT name FROM repositories WHERE registry = ?1 AND name > ?2 "
                            "ORDER BY name LIMIT ?3"));
    stmt.bind(1, registry).bind(2, after).bind(3, sql_limit(limit));
    std::vector<std::string> names;
    while (BERTH_TRY(stmt.step())) names.push_back(stmt.column_text(0));
    return names;
  });
}

Result<std::vector<RepositoryRecord>> SqliteMetaStore::list_repository_records(
    std::string_view registry, std::string_view after, std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<RepositoryRecord>> {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT id, name, created_at, settings FROM repositories "
                  "WHERE registry = ?1 AND name > ?2 ORDER BY name LIMIT ?3"));
    stmt.bind(1, registry).bind(2, after).bind(3, sql_limit(limit));
    std::vector<RepositoryRecord> records;
    while (BERTH_TRY(stmt.step())) {
      RepositoryRecord r;
      r.id = stmt.column_int64(0);
      r.registry = registry;
      r.name = stmt.column_text(1);
      r.created_at_ms = stmt.column_int64(2);
      r.settings_json = stmt.column_text(3);
      records.push_back(std::move(r));
    }
    return records;
  });
}

Result<std::vector<std::string>> SqliteMetaStore::list_registries(std::string_view after,
                                                                  std::size_t limit) {
  return read([&](Connection& c) -> Result<std::vector<std::string>> {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT registry FROM (SELECT DISTINCT registry FROM repositories "
                  "UNION SELECT registry FROM registry_settings) "
                  "WHERE registry > ?1 ORDER BY registry LIMIT ?2"));
    stmt.bind(1, after).bind(2, sql_limit(limit));
    std::vector<std::string> out;
    while (BERTH_TRY(stmt.step())) out.push_back(stmt.column_text(0));
    return out;
  });
}

Result<std::uint64_t> SqliteMetaStore::count_manifests(RepositoryId id) {
  return read_snapshot([&](Connection& c) -> Result<std::uint64_t> {
    BERTH_TRY_STATUS(require_repository(c, id));
    auto stmt = BERTH_TRY(c.prepare("SELECT count(*) FROM manifests WHERE repository_id = ?1"));
    stmt.bind(1, id);
    BERTH_TRY(stmt.step());
    return static_cast<std::uint64_t>(stmt.column_int64(0));
  });
}

Result<std::uint64_t> SqliteMetaStore::count_repositories(std::string_view registry) {
  return read([&](Connection& c) -> Result<std::uint64_t> {
    auto stmt = BERTH_TRY(c.prepare("SELECT count(*) FROM repositories WHERE registry = ?1"));
    stmt.bind(1, registry);
    BERTH_TRY(stmt.step());
    return static_cast<std::uint64_t>(stmt.column_int64(0));
  });
}

Result<RegistryStorage> SqliteMetaStore::registry_storage(std::string_view registry,
                                                         const oci::Digest& digest) {
  // The registry's repositories, then each one's links by the primary key's
  // prefix: no scan of other registries' links. Each digest once.
  return read([&](Connection& c) -> Result<RegistryStorage> {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT coalesce(sum(size), 0), coalesce(max(digest = ?2), 0) "
                  "FROM (SELECT b.digest AS digest, max(b.size) AS size FROM repositories r "
                  "JOIN blob_links b ON b.repository_id = r.id WHERE r.registry = ?1 "
                  "GROUP BY b.digest)"));
    stmt.bind(1, registry).bind(2, digest.str());
    BERTH_TRY(stmt.step());
    return RegistryStorage{static_cast<std::uint64_t>(stmt.column_int64(0)),
                           stmt.column_int64(1) != 0};
  });
}

// ---- blob links ----

namespace {

Status insert_blob_link(Connection& c, RepositoryId repo, const oci::Digest& digest,
                        std::uint64_t size, std::int64_t now_ms) {
  BERTH_TRY_STATUS(require_repository(c, repo));
  BERTH_TRY_STATUS(refuse_tombstoned(c, digest));
  auto insert = BERTH_TRY(
      c.prepare("INSERT INTO blob_links (repository_id, digest, size, created_at) "
                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (repository_id, digest) DO NOTHING"));
  insert.bind(1, repo).bind(2, digest.str()).bind(3, static_cast<std::int64_t>(size));
  insert.bind(4, now_ms);
  return insert.run();
}

}  // namespace

Status SqliteMetaStore::link_blob(RepositoryId repo, const oci::Digest& digest, std::uint64_t size,
                                  std::int64_t now_ms) {
  return write([&](Connection& c) -> Status {
    BERTH_TRY_STATUS(insert_blob_link(c, repo, digest, size, now_ms));
    // A mount: live for the grace period, then garbage unless a manifest
    // references it by then.
    return queue_review(c, digest, BERTH_TRY(registry_of(c, repo)));
  });
}

Status SqliteMetaStore::link_uploaded_blob(std::string_view upload_id, RepositoryId repo,
                                           const oci::Digest& digest, std::uint64_t size,
                                           std::int64_t now_ms) {
  return write([&](Connection& c) -> Status {
    BERTH_TRY_STATUS(insert_blob_link(c, repo, digest, size, now_ms));
    auto del = BERTH_TRY(c.prepare("DELETE FROM uploads WHERE id = ?1"));
    del.bind(1, upload_id);
    return del.run();
  });
}

Result<std::uint64_t> SqliteMetaStore::get_blob_link(RepositoryId repo, const oci::Digest& digest) {
  return read([&](Connection& c) -> Result<std::uint64_t> {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT size FROM blob_links WHERE repository_id = ?1 AND digest = ?2"));
    stmt.bind(1, repo).bind(2, digest.str());
    if (!BERTH_TRY(stmt.step())) {
      return fail(ErrorCode::kBlobNotFound, "blob not linked in repository", digest.str());
    }
    return static_cast<std::uint64_t>(stmt.column_int64(0));
  });
}

Status SqliteMetaStore::unlink_blob(RepositoryId repo, const oci::Digest& digest) {
  return write([&](Connection& c) -> Status {
    auto del =
        BERTH_TRY(c.prepare("DELETE FROM blob_links WHERE repository_id = ?1 AND digest = ?2"));
    del.bind(1, repo).bind(2, digest.str());
    BERTH_TRY_STATUS(del.run());
    if (c.changes() == 0) {
      return fail(ErrorCode::kBlobNotFound, "blob not linked in repository", digest.str());
    }
    return queue_review(c, digest, BERTH_TRY(registry_of(c, repo)));
  });
}

// Uploads are in sqlite_uploads.cpp.

// The walks stream rows from one reader's snapshot instead of collecting
// them: GC visits every row, and there may be millions. `visit` may call
// back into the store; it gets other connections from the pool.
Status SqliteMetaStore::walk_referenced_blobs(
    const std::function<Status(const oci::Digest&)>& visit) {
  return read([&](Connection& c) -> Status {
    auto stmt =
        BERTH_TRY(c.prepare("SELECT digest FROM blob_links "
                            "UNION SELECT ref_digest FROM manifest_refs WHERE kind = 'blob'"));
    while (BERTH_TRY(stmt.step())) {
      auto digest = BERTH_TRY(column_digest(stmt, 0));
      BERTH_TRY_STATUS(visit(digest));
    }
    return ok();
  });
}

// VACUUM INTO copies the database as one read transaction sees it: a
// consistent instant, taken while the writer goes on (WAL), compacted on
// the way. It needs a connection of its own: the pool's readers are
// query_only (VACUUM INTO counts as a write), and the group committer must
// not stall behind a copy.
Status SqliteMetaStore::snapshot_to(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    return fail(ErrorCode::kAlreadyExists, "snapshot target exists: " + file.string());
  }
  ConnectionOptions options;
  options.synchronous_full = false;  // the copy is fsynced by VACUUM INTO's own commit
  auto copier = BERTH_TRY(Connection::open(file_, options));
  auto stmt = BERTH_TRY(copier->prepare("VACUUM INTO ?1"));
  stmt.bind(1, file.string());
  BERTH_TRY(stmt.step());
  return ok();
}

}  // namespace berth::storage::meta::sqlite
