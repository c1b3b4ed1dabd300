#include "storage/meta/sqlite/sqlite_error.hpp"

#include <sqlite3.h>

#include <string>

namespace berth::storage::meta::sqlite {

Error from_sqlite(int rc, std::string_view context) {
  std::string detail(context);
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Error{ErrorCode::kUnavailable, "disk full", std::move(detail)};
    // LOCKED is BUSY's shared-cache twin; both clear once the holder is done.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{ErrorCode::kUnavailable, "metadata database is busy", std::move(detail)};
    // NOTADB means the file's header is not SQLite's: damage, as CORRUPT.
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error{ErrorCode::kCorruption, "metadata database is corrupt", std::move(detail)};
    default:
      return Error{ErrorCode::kInternal,
                   std::string("metadata database error: ") + sqlite3_errstr(rc),
                   std::move(detail)};
  }
}

}  // namespace berth::storage::meta::sqlite
