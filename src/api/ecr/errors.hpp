// The ECR error table: the one place where a berth Error becomes an ECR
// exception (`__type`) and an HTTP status, and where the AWS JSON 1.1 error
// body {"__type": ..., "message": ..., extra...} is rendered. Handlers
// return Errors (or EcrFailures for per-operation exceptions the domain has
// no code for); they never choose a status for a domain error themselves.
//
// Authentication failures (ErrorCode::kUnauthenticated) carry the AWS
// failure kind from auth/failure_kinds.hpp in Error::detail; the table
// maps each kind to its exception and status (IncompleteSignature is 400,
// the others 403, as AWS answers them).
//
// Protocol-level answers that have no ErrorCode (unknown or unimplemented
// operation, body too large) have their names here too, so docs/ecr.md and
// the code agree on one spelling.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/ecr/operation.hpp"
#include "util/result.hpp"

namespace berth::api::ecr {

// The X-Amz-Target names no operation of the model (or a wrong prefix).
inline constexpr std::string_view kUnknownOperation = "UnknownOperationException";
// An operation of the model that berth does not implement yet.
inline constexpr std::string_view kUnsupportedOperation = "UnsupportedOperationException";
// The request body is longer than the configured limit (HTTP 413).
inline constexpr std::string_view kRequestEntityTooLarge = "RequestEntityTooLargeException";
inline constexpr std::string_view kSerialization = "SerializationException";
inline constexpr std::string_view kInvalidParameter = "InvalidParameterException";
inline constexpr std::string_view kServerException = "ServerException";
// The caller's key is over its request rate (--rate-limit): AWS's common
// throttling error, which the SDKs retry with backoff.
inline constexpr std::string_view kThrottling = "ThrottlingException";

struct EcrErrorDescriptor {
  std::string_view type;  // the exception shape name
  int http_status = 400;
};

// The table entry for `code`; nullopt only if the table misses a code (a
// unit test proves it never does).
std::optional<EcrErrorDescriptor> find_ecr_error(ErrorCode code);

// The exception and status for an authentication failure kind (an
// Error::detail of kUnauthenticated); UnrecognizedClientException/403 for
// kinds the table does not know.
EcrErrorDescriptor ecr_auth_error(std::string_view failure_kind);

// The JSON error body: {"__type": type, "message": message, ...extra}.
std::string error_body(const EcrFailure& failure);

// ---- operation-specific exceptions, one spelling each ----
EcrFailure invalid_parameter(std::string message);
// "Invalid parameter at '<field>' failed to satisfy constraint: '<problem>'"
EcrFailure invalid_parameter_at(std::string_view field, std::string_view problem);
EcrFailure lifecycle_policy_not_found(std::string_view repository, std::string_view registry_id);
EcrFailure lifecycle_policy_preview_not_found(std::string_view repository,
                                              std::string_view registry_id);
EcrFailure lifecycle_policy_preview_in_progress(std::string_view repository,
                                                std::string_view registry_id);
// `image` as describe_image_id() prints it.
EcrFailure image_not_found(std::string_view image, std::string_view repository,
                           std::string_view registry_id);
EcrFailure image_storage_class_update_not_supported(std::string message);
// A request value the operation's rules refuse beyond the model's shape
// constraints (e.g. an unknown account setting name or value).
EcrFailure validation_failure(std::string message);

}  // namespace berth::api::ecr
