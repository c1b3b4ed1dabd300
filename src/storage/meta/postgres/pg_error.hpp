// from_pg: the one place where PostgreSQL's failures become berth Errors.
//
// PostgreSQL reports every failure with a five-character SQLSTATE
// (https://www.postgresql.org/docs/15/errcodes-appendix.html); a failure
// without one (the connection broke, libpq ran out of memory) has an empty
// SQLSTATE. from_pg maps the SQLSTATE's meaning, not its text, onto the
// domain ErrorCodes: a unique violation is kAlreadyExists, a lost or
// refused connection, a full disk, a deadlock or a serialization failure is
// kUnavailable, damaged data is kCorruption, everything else kInternal.
// Callers refine a code where their contract gives it a specific meaning
// (a foreign-key violation inserting an upload means kRepositoryNotFound).
//
// is_retryable() names the failures a transaction may simply run again:
// serialization failures (40001) and deadlocks (40P01).
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "util/result.hpp"

namespace berth::storage::meta::postgres {

// SQLSTATEs the store branches on.
namespace sqlstate {
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kForeignKeyViolation = "23503";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";
inline constexpr std::string_view kLockNotAvailable = "55P03";
inline constexpr std::string_view kQueryCanceled = "57014";
}  // namespace sqlstate

// An Error for a failed statement or connection. `sqlstate` may be empty (no
// server answer); `message` is PostgreSQL's primary message (or libpq's);
// `context` says what the store was doing and goes to Error::detail with
// the SQLSTATE.
Error from_pg(std::string_view sqlstate, std::string_view message, std::string_view context);

// True for the failures after which running the same transaction again may
// succeed: serialization failures and deadlocks.
bool is_retryable(std::string_view sqlstate);

// True when the SQLSTATE (or its absence) means the connection itself is
// unusable: class 08 (connection exception), 57P01..57P03 (the server is
// shutting down or starting), or no SQLSTATE at all.
bool is_connection_failure(std::string_view sqlstate);

}  // namespace berth::storage::meta::postgres
