#include "api/ecr/errors.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <utility>

#include "auth/failure_kinds.hpp"

namespace berth::api::ecr {

namespace {

struct Entry {
  ErrorCode code;
  EcrErrorDescriptor descriptor;
};

// THE table. Choices that the model leaves open are explained inline and in
// docs/ecr.md; handlers that know a more precise exception (e.g. PutImage's
// ReferencedImagesNotFoundException for a missing index child) return an
// EcrFailure of their own instead.
constexpr Entry kTable[] = {
    {ErrorCode::kNameInvalid, {kInvalidParameter, 400}},
    {ErrorCode::kTagInvalid, {kInvalidParameter, 400}},
    {ErrorCode::kDigestInvalid, {kInvalidParameter, 400}},
    {ErrorCode::kRepositoryNotFound, {"RepositoryNotFoundException", 400}},
    {ErrorCode::kRepositoryNotEmpty, {"RepositoryNotEmptyException", 400}},
    {ErrorCode::kManifestNotFound, {"ImageNotFoundException", 400}},
    // ECR answers an unparsable or inconsistent manifest with
    // InvalidParameterException ("Invalid parameter at 'ImageManifest' ...").
    {ErrorCode::kManifestInvalid, {kInvalidParameter, 400}},
    {ErrorCode::kManifestBlobUnknown, {"LayersNotFoundException", 400}},
    {ErrorCode::kBlobNotFound, {"LayersNotFoundException", 400}},
    {ErrorCode::kUploadNotFound, {"UploadNotFoundException", 400}},
    {ErrorCode::kDigestMismatch, {"InvalidLayerException", 400}},
    // A declared size that does not match the bytes: the layer is invalid.
    {ErrorCode::kSizeInvalid, {"InvalidLayerException", 400}},
    // Out-of-order part or an upload another request is writing to; the
    // layer-part handler adds lastValidByteReceived and friends.
    {ErrorCode::kRangeInvalid, {"InvalidLayerPartException", 400}},
    {ErrorCode::kAlreadyExists, {"RepositoryAlreadyExistsException", 400}},
    {ErrorCode::kTagImmutable, {"ImageTagAlreadyExistsException", 400}},
    // No exception of the model says "listed by an index"; BatchDeleteImage
    // reports it per item (ImageReferencedByManifestList). Anywhere else it
    // is a request the caller must change: InvalidParameterException.
    {ErrorCode::kReferencedByIndex, {kInvalidParameter, 400}},
    // The model's exception for an archived image; BatchGetImage reports it
    // per item instead (ImageInaccessible).
    {ErrorCode::kImageArchived, {"ImageArchivedException", 400}},
    {ErrorCode::kLimitExceeded, {"LimitExceededException", 400}},
    // ECR's service quotas (repositories, images, layer parts) answer so.
    {ErrorCode::kQuotaExceeded, {"LimitExceededException", 400}},
    {ErrorCode::kInvalidArgument, {kInvalidParameter, 400}},
    // Refined by Error::detail through ecr_auth_error().
    {ErrorCode::kUnauthenticated, {"UnrecognizedClientException", 403}},
    // AWS JSON services answer IAM denials with HTTP 400 (DynamoDB, ECR).
    {ErrorCode::kDenied, {"AccessDeniedException", 400}},
    {ErrorCode::kUnsupported, {kUnsupportedOperation, 400}},
    {ErrorCode::kUnavailable, {kServerException, 500}},
    {ErrorCode::kCorruption, {kServerException, 500}},
    {ErrorCode::kInternal, {kServerException, 500}},
};

struct AuthEntry {
  std::string_view kind;
  EcrErrorDescriptor descriptor;
};

// AWS common errors: IncompleteSignature is a malformed request (400);
// every other authentication failure is 403. A stale or future timestamp is
// reported as InvalidSignatureException with a "Signature expired" message,
// which is what AWS JSON services send.
constexpr AuthEntry kAuthTable[] = {
    {auth::kMissingAuthenticationToken, {"MissingAuthenticationTokenException", 403}},
    {auth::kIncompleteSignature, {"IncompleteSignatureException", 400}},
    {auth::kUnrecognizedClient, {"UnrecognizedClientException", 403}},
    {auth::kInvalidSignature, {"InvalidSignatureException", 403}},
    {auth::kSignatureExpired, {"InvalidSignatureException", 403}},
    {auth::kExpiredToken, {"ExpiredTokenException", 403}},
    {auth::kInvalidToken, {"UnrecognizedClientException", 403}},
};

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// ECR's own wording for the repository errors, when we know the names.
std::string repository_message(ErrorCode code, std::string_view registry_id,
                               std::string_view repository) {
  switch (code) {
    case ErrorCode::kRepositoryNotFound:
      return "The repository with name " + quoted(repository) +
             " does not exist in the registry with id " + quoted(registry_id);
    case ErrorCode::kRepositoryNotEmpty:
      return "The repository with name " + quoted(repository) + " in registry with id " +
             quoted(registry_id) + " cannot be deleted because it still contains images";
    case ErrorCode::kAlreadyExists:
      return "The repository with name " + quoted(repository) +
             " already exists in the registry with id " + quoted(registry_id);
    default:
      return {};
  }
}

}  // namespace

std::optional<EcrErrorDescriptor> find_ecr_error(ErrorCode code) {
  for (const auto& entry : kTable) {
    if (entry.code == code) return entry.descriptor;
  }
  return std::nullopt;
}

EcrErrorDescriptor ecr_auth_error(std::string_view failure_kind) {
  for (const auto& entry : kAuthTable) {
    if (entry.kind == failure_kind) return entry.descriptor;
  }
  return {"UnrecognizedClientException", 403};
}

EcrFailure to_ecr_failure(const Error& error, std::string_view registry_id,
                          std::string_view repository) {
  EcrErrorDescriptor descriptor =
      find_ecr_error(error.code).value_or(EcrErrorDescriptor{kServerException, 500});
  if (error.code == ErrorCode::kUnauthenticated) descriptor = ecr_auth_error(error.detail);
  // The shape model reports a JSON type mismatch as SerializationException,
  // which is what AWS answers for a body it cannot deserialize.
  if (error.code == ErrorCode::kInvalidArgument && error.detail == kSerialization) {
    descriptor.type = kSerialization;
  }

  EcrFailure failure;
  failure.type = std::string(descriptor.type);
  failure.http_status = descriptor.http_status;
  if (!repository.empty()) failure.message = repository_message(error.code, registry_id, repository);
  if (failure.message.empty()) failure.message = error.message;
  if (failure.message.empty()) failure.message = std::string(to_string(error.code));
  return failure;
}

std::string error_body(const EcrFailure& failure) {
  boost::json::object body;
  body["__type"] = failure.type;
  body["message"] = failure.message;
  // Modelled extras (InvalidLayerPartException's lastValidByteReceived...)
  // never override the two protocol members.
  for (const auto& [key, value] : failure.extra) {
    if (key != "__type" && key != "message") body[key] = value;
  }
  return boost::json::serialize(body);
}

namespace {
EcrFailure named(std::string_view type, std::string message) {
  return EcrFailure{std::string(type), std::move(message), {}, 400};
}
std::string in_registry(std::string_view repository, std::string_view registry_id) {
  return "for the repository with name " + quoted(repository) + " in the registry with id " +
         quoted(registry_id);
}
}  // namespace

EcrFailure invalid_parameter(std::string message) {
  return named(kInvalidParameter, std::move(message));
}

EcrFailure invalid_parameter_at(std::string_view field, std::string_view problem) {
  return invalid_parameter("Invalid parameter at " + quoted(field) +
                           " failed to satisfy constraint: " + quoted(problem));
}

EcrFailure lifecycle_policy_not_found(std::string_view repository, std::string_view registry_id) {
  return named("LifecyclePolicyNotFoundException",
               "Lifecycle policy does not exist " + in_registry(repository, registry_id));
}

EcrFailure lifecycle_policy_preview_not_found(std::string_view repository,
                                              std::string_view registry_id) {
  return named("LifecyclePolicyPreviewNotFoundException",
               "There is no lifecycle policy preview " + in_registry(repository, registry_id));
}

EcrFailure lifecycle_policy_preview_in_progress(std::string_view repository,
                                                std::string_view registry_id) {
  return named("LifecyclePolicyPreviewInProgressException",
               "The previous lifecycle policy preview request has not completed " +
                   in_registry(repository, registry_id) + "; wait and try again");
}

EcrFailure image_not_found(std::string_view image, std::string_view repository,
                           std::string_view registry_id) {
  return named("ImageNotFoundException",
               "The image with imageId " + std::string(image) +
                   " does not exist within the repository with name " + quoted(repository) +
                   " in the registry with id " + quoted(registry_id));
}

EcrFailure image_storage_class_update_not_supported(std::string message) {
  return named("ImageStorageClassUpdateNotSupportedException", std::move(message));
}

EcrFailure validation_failure(std::string message) {
  return named("ValidationException", std::move(message));
}

}  // namespace berth::api::ecr
