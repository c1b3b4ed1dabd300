// from_pg: SQLSTATE -> ErrorCode (see pg_error.hpp).
// Thread-safety: pure functions.
#include "storage/meta/postgres/pg_error.hpp"

#include <string>

namespace berth::storage::meta::postgres {

namespace {

bool in_class(std::string_view sqlstate, std::string_view cls) {
  return sqlstate.size() == 5 && sqlstate.substr(0, 2) == cls;
}

}  // namespace

bool is_retryable(std::string_view sqlstate) {
  return sqlstate == sqlstate::kSerializationFailure || sqlstate == sqlstate::kDeadlockDetected;
}

bool is_connection_failure(std::string_view sqlstate) {
  return sqlstate.empty() || in_class(sqlstate, "08") || sqlstate == "57P01" ||
         sqlstate == "57P02" || sqlstate == "57P03";
}

Error from_pg(std::string_view sqlstate, std::string_view message, std::string_view context) {
  std::string detail;
  if (!sqlstate.empty()) {
    detail = "SQLSTATE ";
    detail += sqlstate;
  }
  if (!context.empty()) {
    if (!detail.empty()) detail += ": ";
    detail += context;
  }
  auto error = [&](ErrorCode code, std::string_view what) {
    std::string text(what);
    if (!message.empty()) {
      text += ": ";
      text += message;
    }
    return Error{code, std::move(text), std::move(detail)};
  };

  if (sqlstate == sqlstate::kUniqueViolation) {
    return error(ErrorCode::kAlreadyExists, "metadata database: already exists");
  }
  if (sqlstate == sqlstate::kSerializationFailure) {
    return error(ErrorCode::kUnavailable, "metadata database: concurrent change, try again");
  }
  if (sqlstate == sqlstate::kDeadlockDetected) {
    return error(ErrorCode::kUnavailable, "metadata database: deadlock, try again");
  }
  if (is_connection_failure(sqlstate)) {
    return error(ErrorCode::kUnavailable, "metadata database unavailable");
  }
  // 53: insufficient resources (disk full, out of memory, too many
  // connections); 55P03: a lock wait timed out; 57014: statement timeout or
  // cancel. All clear up on their own or with an operator's help.
  if (in_class(sqlstate, "53") || sqlstate == sqlstate::kLockNotAvailable ||
      sqlstate == sqlstate::kQueryCanceled) {
    return error(ErrorCode::kUnavailable, "metadata database busy or out of resources");
  }
  // 28: invalid authorization (wrong password, no such role).
  if (in_class(sqlstate, "28")) {
    return error(ErrorCode::kDenied, "metadata database refused the credentials");
  }
  // 3D000: the database named in the URL does not exist.
  if (sqlstate == "3D000") {
    return error(ErrorCode::kInvalidArgument, "metadata database does not exist");
  }
  // 22: data exceptions (text that is not valid UTF-8, a number out of
  // range); 23: other integrity violations the caller did not expect.
  if (in_class(sqlstate, "22") || in_class(sqlstate, "23")) {
    return error(ErrorCode::kInvalidArgument, "metadata database rejected a value");
  }
  // XX001 data_corrupted, XX002 index_corrupted.
  if (sqlstate == "XX001" || sqlstate == "XX002") {
    return error(ErrorCode::kCorruption, "metadata database is corrupt");
  }
  return error(ErrorCode::kInternal, "metadata database error");
}

}  // namespace berth::storage::meta::postgres
