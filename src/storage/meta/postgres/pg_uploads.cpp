// PostgresMetaStore: upload records and their leases.
//
// A lease is taken and given back by one conditional UPDATE each: the row
// lock the UPDATE takes makes racing takers, from any process, queue on the
// row, and each re-checks the condition on the row as the previous one left
// it (READ COMMITTED re-evaluation), so exactly one wins. The interface lets
// upload records and leases be lost in a crash, so these statements commit
// without waiting for the WAL flush (the same set_config trick as
// record_pulls); the durable end of an upload is link_uploaded_blob.
//
// Thread-safety: as the store (pg_meta_store_impl.hpp): safe for concurrent use.
#include <string>

#include "storage/meta/postgres/pg_meta_store_impl.hpp"

namespace berth::storage::meta::postgres {

namespace {

constexpr std::string_view kUploadColumns =
    "id, repository_id, started_at, lease_holder, lease_expires_at, saved_size, parts";

// A CTE that makes the statement's own commit asynchronous when parameter
// $<n> is true.
std::string lazy_commit(int n) {
  return "lazy AS MATERIALIZED (SELECT set_config('synchronous_commit', CASE WHEN $" +
         std::to_string(n) +
         " THEN 'off' ELSE current_setting('synchronous_commit') END, true) AS setting)";
}

UploadRecord upload_at(const PgResult& rows, int row) {
  UploadRecord record;
  record.id = rows.text(row, 0);
  record.repository = rows.int64(row, 1);
  record.started_at_ms = rows.int64(row, 2);
  record.lease_holder = rows.text(row, 3);
  record.lease_expires_at_ms = rows.int64(row, 4);
  record.saved_size = static_cast<std::uint64_t>(rows.int64(row, 5));
  record.parts = static_cast<std::uint64_t>(rows.int64(row, 6));
  return record;
}

std::unexpected<Error> upload_not_found(std::string_view id) {
  return fail(ErrorCode::kUploadNotFound, "upload not found", std::string(id));
}

Result<UploadRecord> select_upload(Connection& c, std::string_view id) {
  auto rows = BERTH_TRY(c.query("SELECT " + std::string(kUploadColumns) + " FROM uploads WHERE id = $1",
                                Params().text(id)));
  if (rows.rows() == 0) return upload_not_found(id);
  return upload_at(rows, 0);
}

}  // namespace

Status PostgresMetaStore::create_upload(const UploadRecord& upload) {
  const bool lazy = scope_for(this) == nullptr;
  return write(
      [&](Connection& c) -> Status {
        auto inserted = c.query(
            "WITH " + lazy_commit(8) + " INSERT INTO uploads (" + std::string(kUploadColumns) +
                ") SELECT $1, $2, $3, $4, $5, $6, $7 FROM lazy",
            Params()
                .text(upload.id)
                .int64(upload.repository)
                .int64(upload.started_at_ms)
                .text(upload.lease_holder)
                .int64(upload.lease_expires_at_ms)
                .int64(static_cast<std::int64_t>(upload.saved_size))
                .int64(static_cast<std::int64_t>(upload.parts))
                .boolean(lazy));
        if (inserted) return ok();
        if (c.last_sqlstate() == sqlstate::kUniqueViolation) {
          return fail(ErrorCode::kAlreadyExists, "upload id already in use", upload.id);
        }
        if (c.last_sqlstate() == sqlstate::kForeignKeyViolation) {
          return fail(ErrorCode::kRepositoryNotFound, "repository not found",
                      std::to_string(upload.repository));
        }
        return std::unexpected(std::move(inserted).error());
      },
      Tx::kStatement);
}

Result<UploadRecord> PostgresMetaStore::get_upload(std::string_view id) {
  return read([&](Connection& c) { return select_upload(c, id); });
}

Result<UploadRecord> PostgresMetaStore::acquire_upload_lease(std::string_view id,
                                                             std::string_view holder,
                                                             std::int64_t now_ms,
                                                             std::int64_t ttl_ms) {
  const bool lazy = scope_for(this) == nullptr;
  return write(
      [&](Connection& c) -> Result<UploadRecord> {
        auto taken = BERTH_TRY(c.query(
            "WITH " + lazy_commit(5) + " UPDATE uploads SET lease_holder = $2, "
            "lease_expires_at = $3 + $4 FROM lazy "
            "WHERE id = $1 AND (lease_holder = '' OR lease_holder = $2 OR lease_expires_at <= $3) "
            "RETURNING " + std::string(kUploadColumns),
            Params().text(id).text(holder).int64(now_ms).int64(ttl_ms).boolean(lazy)));
        if (taken.rows() == 1) return upload_at(taken, 0);
        // Not taken: either there is no such upload or someone else holds it.
        BERTH_TRY(select_upload(c, id));
        return fail(ErrorCode::kRangeInvalid, "another request is writing to this upload",
                    std::string(id));
      },
      Tx::kStatement);
}

Result<std::uint64_t> PostgresMetaStore::clear_upload_leases() {
  return write(
      [&](Connection& c) -> Result<std::uint64_t> {
        auto cleared = BERTH_TRY(c.query(
            "UPDATE uploads SET lease_holder = '', lease_expires_at = 0 WHERE lease_holder <> ''"));
        return static_cast<std::uint64_t>(cleared.affected());
      },
      Tx::kStatement);
}

Status PostgresMetaStore::release_upload_lease(std::string_view id, std::string_view holder,
                                               std::optional<std::uint64_t> saved_size) {
  const bool lazy = scope_for(this) == nullptr;
  return write(
      [&](Connection& c) -> Status {
        Params params;
        params.text(id).text(holder);
        if (saved_size) {
          params.int64(static_cast<std::int64_t>(*saved_size));
        } else {
          params.null(oid::kInt8);
        }
        params.boolean(lazy);
        auto released = BERTH_TRY(c.query(
            "WITH " + lazy_commit(4) + " UPDATE uploads SET lease_holder = '', "
            "lease_expires_at = 0, saved_size = coalesce($3, saved_size), "
            "parts = parts + CASE WHEN $3 > saved_size THEN 1 ELSE 0 END FROM lazy "
            "WHERE id = $1 AND lease_holder = $2",
            params));
        if (released.affected() == 1) return ok();
        // Lost the lease (it expired and was taken): nothing to give back,
        // unless the upload itself is gone.
        BERTH_TRY(select_upload(c, id));
        return ok();
      },
      Tx::kStatement);
}

Status PostgresMetaStore::delete_upload(std::string_view id) {
  return write(
      [&](Connection& c) -> Status {
        auto deleted = BERTH_TRY(c.query("DELETE FROM uploads WHERE id = $1", Params().text(id)));
        if (deleted.affected() == 0) return upload_not_found(id);
        return ok();
      },
      Tx::kStatement);
}

Status PostgresMetaStore::walk_uploads(const std::function<Status(const UploadRecord&)>& visit) {
  return walk("SELECT " + std::string(kUploadColumns) + " FROM uploads ORDER BY id",
              [&](const PgResult& rows, int row) { return visit(upload_at(rows, row)); });
}

}  // namespace berth::storage::meta::postgres
