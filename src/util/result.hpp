// Result<T> and Error: how every layer of berth reports failure.
//
// An Error carries a domain meaning (ErrorCode), never a protocol status:
// the OCI and ECR front ends each translate codes to their wire format in
// one table. Backends translate their native errors (errno, SQLite codes)
// into an Error at their lowest edge.
//
// Thread-safety: plain values; safe to copy across threads.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace berth {

enum class ErrorCode {
  kNameInvalid,
  kTagInvalid,
  kDigestInvalid,
  kRepositoryNotFound,
  kRepositoryNotEmpty,
  kManifestNotFound,
  kManifestInvalid,
  kManifestBlobUnknown,
  kBlobNotFound,
  kUploadNotFound,
  kDigestMismatch,
  kSizeInvalid,
  kRangeInvalid,
  kAlreadyExists,
  kTagImmutable,
  kReferencedByIndex,
  // The image is in the archive storage class, or being restored from it,
  // and cannot be pulled until it is active again.
  kImageArchived,
  kLimitExceeded,
  // A configured quota (repositories per registry, images per repository,
  // layer parts per upload, storage per registry) would be exceeded; the
  // message names the quota and its value. Not a size or a rate:
  // kLimitExceeded is a request too large for the server.
  kQuotaExceeded,
  kInvalidArgument,
  kUnauthenticated,
  kDenied,
  kUnsupported,
  kUnavailable,
  kCorruption,
  kInternal,
};

// Every ErrorCode, for tests that prove a protocol table is complete.
inline constexpr ErrorCode kAllErrorCodes[] = {
    ErrorCode::kNameInvalid,        ErrorCode::kTagInvalid,
    ErrorCode::kDigestInvalid,      ErrorCode::kRepositoryNotFound,
    ErrorCode::kRepositoryNotEmpty,
    ErrorCode::kManifestNotFound,   ErrorCode::kManifestInvalid,
    ErrorCode::kManifestBlobUnknown, ErrorCode::kBlobNotFound,
    ErrorCode::kUploadNotFound,     ErrorCode::kDigestMismatch,
    ErrorCode::kSizeInvalid,        ErrorCode::kRangeInvalid,
    ErrorCode::kAlreadyExists,      ErrorCode::kTagImmutable,
    ErrorCode::kReferencedByIndex,  ErrorCode::kLimitExceeded,
    ErrorCode::kInvalidArgument,    ErrorCode::kUnauthenticated,
    ErrorCode::kDenied,             ErrorCode::kUnsupported,
    ErrorCode::kUnavailable,        ErrorCode::kCorruption,
    ErrorCode::kInternal,           ErrorCode::kImageArchived,
    ErrorCode::kQuotaExceeded,
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // Machine-readable extra context (e.g. the offending digest); may be empty.
  std::string detail;
};

template <typename T>
using Result = std::expected<T, Error>;

// Result for operations that produce nothing on success.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message,
                                   std::string detail = {}) {
  return std::unexpected<Error>(
      Error{code, std::move(message), std::move(detail)});
}

inline Status ok() { return {}; }

}  // namespace berth

// Propagates the error of a Result/Status expression, else yields its value.
// Statement-expressions are a GNU extension that g++ and clang both accept.
#define BERTH_TRY(expr)                                          \
  ({                                                             \
    auto&& berth_try_result_ = (expr);                           \
    if (!berth_try_result_)                                      \
      return std::unexpected(std::move(berth_try_result_).error()); \
    std::move(berth_try_result_).value();                        \
  })

#define BERTH_TRY_STATUS(expr)                                   \
  do {                                                           \
    auto&& berth_try_result_ = (expr);                           \
    if (!berth_try_result_)                                      \
      return std::unexpected(std::move(berth_try_result_).error()); \
  } while (0)

// BERTH_TRY_STATUS for coroutines (co_return instead of return).
#define BERTH_CO_TRY_STATUS(expr)                                   \
  do {                                                              \
    auto&& berth_try_result_ = (expr);                              \
    if (!berth_try_result_)                                         \
      co_return std::unexpected(std::move(berth_try_result_).error()); \
  } while (0)
