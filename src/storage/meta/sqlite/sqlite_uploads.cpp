// SqliteMetaStore: upload records and their leases.
//
// Every write here is lazy (GroupCommitter::Durability::kLazy): an upload
// that has not been finished need not survive a crash (the client starts
// again), and a lease is moot after one. The durable end of an upload is
// link_uploaded_blob, in sqlite_meta_store.cpp.
#include <string>

#include "storage/meta/sqlite/sqlite_meta_store_impl.hpp"

namespace berth::storage::meta::sqlite {

namespace {

constexpr std::string_view kUploadColumns =
    "id, repository_id, started_at, lease_holder, lease_expires_at, saved_size, parts";

UploadRecord upload_from_row(const Statement& stmt) {
  UploadRecord record;
  record.id = std::string(stmt.column_text(0));
  record.repository = stmt.column_int64(1);
  record.started_at_ms = stmt.column_int64(2);
  record.lease_holder = std::string(stmt.column_text(3));
  record.lease_expires_at_ms = stmt.column_int64(4);
  record.saved_size = static_cast<std::uint64_t>(stmt.column_int64(5));
  record.parts = static_cast<std::uint64_t>(stmt.column_int64(6));
  return record;
}

Result<UploadRecord> select_upload(Connection& c, std::string_view id) {
  auto stmt = BERTH_TRY(
      c.prepare("SELECT " + std::string(kUploadColumns) + " FROM uploads WHERE id = ?1"));
  stmt.bind(1, id);
  if (!BERTH_TRY(stmt.step())) {
    return fail(ErrorCode::kUploadNotFound, "upload not found", std::string(id));
  }
  return upload_from_row(stmt);
}

}  // namespace

Status SqliteMetaStore::create_upload(const UploadRecord& upload) {
  return write([&](Connection& c) -> Status {
    BERTH_TRY_STATUS(require_repository(c, upload.repository));
    {
      auto existing = BERTH_TRY(c.prepare("SELECT 1 FROM uploads WHERE id = ?1"));
      existing.bind(1, upload.id);
      if (BERTH_TRY(existing.step())) {
        return fail(ErrorCode::kAlreadyExists, "upload id already in use", upload.id);
      }
    }
    auto insert = BERTH_TRY(c.prepare(
        "INSERT INTO uploads (" + std::string(kUploadColumns) +
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    insert.bind(1, upload.id).bind(2, upload.repository).bind(3, upload.started_at_ms);
    insert.bind(4, upload.lease_holder).bind(5, upload.lease_expires_at_ms);
    insert.bind(6, static_cast<std::int64_t>(upload.saved_size));
    insert.bind(7, static_cast<std::int64_t>(upload.parts));
    return insert.run();
  }, GroupCommitter::Durability::kLazy);
}

Result<UploadRecord> SqliteMetaStore::get_upload(std::string_view id) {
  return read([&](Connection& c) { return select_upload(c, id); });
}

Result<UploadRecord> SqliteMetaStore::acquire_upload_lease(std::string_view id,
                                                           std::string_view holder,
                                                           std::int64_t now_ms,
                                                           std::int64_t ttl_ms) {
  return write([&](Connection& c) -> Result<UploadRecord> {
    UploadRecord record = BERTH_TRY(select_upload(c, id));
    const bool held_by_other = !record.lease_holder.empty() && record.lease_holder != holder &&
                               record.lease_expires_at_ms > now_ms;
    if (held_by_other) {
      return fail(ErrorCode::kRangeInvalid, "another request is writing to this upload",
                  std::string(id));
    }
    auto update = BERTH_TRY(
        c.prepare("UPDATE uploads SET lease_holder = ?2, lease_expires_at = ?3 WHERE id = ?1"));
    update.bind(1, id).bind(2, holder).bind(3, now_ms + ttl_ms);
    BERTH_TRY_STATUS(update.run());
    record.lease_holder = std::string(holder);
    record.lease_expires_at_ms = now_ms + ttl_ms;
    return record;
  }, GroupCommitter::Durability::kLazy);
}

Result<std::uint64_t> SqliteMetaStore::clear_upload_leases() {
  return write([&](Connection& c) -> Result<std::uint64_t> {
    auto update = BERTH_TRY(c.prepare(
        "UPDATE uploads SET lease_holder = '', lease_expires_at = 0 WHERE lease_holder != ''"));
    BERTH_TRY_STATUS(update.run());
    return static_cast<std::uint64_t>(c.changes());
  });
}

Status SqliteMetaStore::release_upload_lease(std::string_view id, std::string_view holder,
                                             std::optional<std::uint64_t> saved_size) {
  return write([&](Connection& c) -> Status {
    UploadRecord record = BERTH_TRY(select_upload(c, id));
    if (record.lease_holder != holder) return ok();  // lost it (expired and taken)
    const bool grew = saved_size && *saved_size > record.saved_size;
    auto update = BERTH_TRY(
        c.prepare("UPDATE uploads SET lease_holder = '', lease_expires_at = 0, "
                  "saved_size = ?2, parts = ?3 WHERE id = ?1"));
    update.bind(1, id).bind(2, static_cast<std::int64_t>(saved_size.value_or(record.saved_size)));
    update.bind(3, static_cast<std::int64_t>(record.parts + (grew ? 1 : 0)));
    return update.run();
  }, GroupCommitter::Durability::kLazy);
}

Status SqliteMetaStore::delete_upload(std::string_view id) {
  return write([&](Connection& c) -> Status {
    auto del = BERTH_TRY(c.prepare("DELETE FROM uploads WHERE id = ?1"));
    del.bind(1, id);
    BERTH_TRY_STATUS(del.run());
    if (c.changes() == 0) {
      return fail(ErrorCode::kUploadNotFound, "upload not found", std::string(id));
    }
    return ok();
  });
}

// Streams rows from one reader's snapshot (there may be many); `visit` may
// call back into the store, which gets another connection from the pool.
Status SqliteMetaStore::walk_uploads(const std::function<Status(const UploadRecord&)>& visit) {
  return read([&](Connection& c) -> Status {
    auto stmt = BERTH_TRY(
        c.prepare("SELECT " + std::string(kUploadColumns) + " FROM uploads ORDER BY id"));
    while (BERTH_TRY(stmt.step())) {
      BERTH_TRY_STATUS(visit(upload_from_row(stmt)));
    }
    return ok();
  });
}

}  // namespace berth::storage::meta::sqlite
