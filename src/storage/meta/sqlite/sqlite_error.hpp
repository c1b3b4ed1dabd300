// from_sqlite: the one place where SQLite result codes become berth Errors.
//
// Every SQLite failure in the metadata backend passes through this function,
// so the mapping from storage condition to domain meaning lives in one table:
// a full disk or a lock held past the busy timeout is kUnavailable (retrying
// later can succeed), a damaged file is kCorruption, and anything else is a
// bug or an environment problem reported as kInternal. Expected outcomes
// (not-found, already-exists, ...) are never derived from SQLite codes; the
// store checks for them explicitly inside its transactions.
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

#include "util/result.hpp"

namespace berth::storage::meta::sqlite {

// `rc` may be a primary or an extended result code. `context` says what was
// being done (and, when known, SQLite's own message); it becomes the detail.
Error from_sqlite(int rc, std::string_view context);

}  // namespace berth::storage::meta::sqlite
