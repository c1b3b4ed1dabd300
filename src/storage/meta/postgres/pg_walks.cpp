// PostgresMetaStore: the walks garbage collection uses over the whole
// store (walk_uploads, with the uploads, is in pg_uploads.cpp).
#include "storage/meta/postgres/pg_meta_store_impl.hpp"

namespace berth::storage::meta::postgres {

Status PostgresMetaStore::walk_referenced_blobs(
    const std::function<Status(const oci::Digest&)>& visit) {
  return walk(
      "SELECT digest FROM blob_links UNION SELECT ref_digest FROM manifest_refs WHERE kind = 'blob'",
      [&](const PgResult& rows, int row) -> Status {
        auto digest = BERTH_TRY(digest_at(rows, row, 0));
        return visit(digest);
      });
}

}  // namespace berth::storage::meta::postgres
