#include "api/oci/errors.hpp"

#include <boost/json.hpp>
#include <string>

namespace berth::api::oci {

namespace {

using Status = http::beast_http::status;

constexpr std::string_view kJsonContentType = "application/json";

}  // namespace

std::optional<OciErrorDescriptor> find_oci_error(ErrorCode code) {
  // No default: -Wswitch flags a new ErrorCode that is missing here.
  switch (code) {
    case ErrorCode::kNameInvalid: return OciErrorDescriptor{"NAME_INVALID", Status::bad_request};
    case ErrorCode::kTagInvalid: return OciErrorDescriptor{"TAG_INVALID", Status::bad_request};
    case ErrorCode::kDigestInvalid:
      return OciErrorDescriptor{"DIGEST_INVALID", Status::bad_request};
    case ErrorCode::kRepositoryNotFound:
      return OciErrorDescriptor{"NAME_UNKNOWN", Status::not_found};
    case ErrorCode::kRepositoryNotEmpty: return OciErrorDescriptor{"DENIED", Status::conflict};
    case ErrorCode::kManifestNotFound:
      return OciErrorDescriptor{"MANIFEST_UNKNOWN", Status::not_found};
    case ErrorCode::kManifestInvalid:
      return OciErrorDescriptor{"MANIFEST_INVALID", Status::bad_request};
    case ErrorCode::kManifestBlobUnknown:
      return OciErrorDescriptor{"MANIFEST_BLOB_UNKNOWN", Status::bad_request};
    case ErrorCode::kBlobNotFound: return OciErrorDescriptor{"BLOB_UNKNOWN", Status::not_found};
    case ErrorCode::kUploadNotFound:
      return OciErrorDescriptor{"BLOB_UPLOAD_UNKNOWN", Status::not_found};
    case ErrorCode::kDigestMismatch:
      return OciErrorDescriptor{"DIGEST_INVALID", Status::bad_request};
    case ErrorCode::kSizeInvalid: return OciErrorDescriptor{"SIZE_INVALID", Status::bad_request};
    case ErrorCode::kRangeInvalid:
      return OciErrorDescriptor{"BLOB_UPLOAD_INVALID", Status::range_not_satisfiable};
    case ErrorCode::kAlreadyExists: return OciErrorDescriptor{"DENIED", Status::conflict};
    // ECR's registry answers a push over an immutable tag with TAG_INVALID.
    case ErrorCode::kTagImmutable: return OciErrorDescriptor{"TAG_INVALID", Status::bad_request};
    // The spec's DELETE of a manifest fails only with 400, 404 or 405:
    // deleting a child an index still lists is a request to change (400).
    case ErrorCode::kReferencedByIndex: return OciErrorDescriptor{"DENIED", Status::bad_request};
    // ECR: "Archived images cannot be pulled. Requests to pull the archived
    // image will fail with a 404 error."
    case ErrorCode::kImageArchived:
      return OciErrorDescriptor{"MANIFEST_UNKNOWN", Status::not_found};
    case ErrorCode::kLimitExceeded:
      return OciErrorDescriptor{"SIZE_INVALID", Status::payload_too_large};
    // A quota is a refusal, not a size the client got wrong: DENIED, with
    // the quota named in the message (rates are TOOMANYREQUESTS elsewhere).
    case ErrorCode::kQuotaExceeded: return OciErrorDescriptor{"DENIED", Status::forbidden};
    case ErrorCode::kInvalidArgument:
      return OciErrorDescriptor{"UNSUPPORTED", Status::bad_request};
    case ErrorCode::kUnauthenticated:
      return OciErrorDescriptor{"UNAUTHORIZED", Status::unauthorized};
    case ErrorCode::kDenied: return OciErrorDescriptor{"DENIED", Status::forbidden};
    case ErrorCode::kUnsupported:
      return OciErrorDescriptor{"UNSUPPORTED", Status::method_not_allowed};
    case ErrorCode::kUnavailable:
      return OciErrorDescriptor{"UNAVAILABLE", Status::service_unavailable};
    case ErrorCode::kCorruption:
      return OciErrorDescriptor{"UNKNOWN", Status::internal_server_error};
    case ErrorCode::kInternal:
      return OciErrorDescriptor{"UNKNOWN", Status::internal_server_error};
  }
  return std::nullopt;
}

OciErrorDescriptor oci_error_for(ErrorCode code) {
  return find_oci_error(code).value_or(
      OciErrorDescriptor{"UNKNOWN", Status::internal_server_error});
}

std::string error_body(std::string_view code, std::string_view message,
                       std::string_view detail) {
  boost::json::object entry;
  entry["code"] = code;
  entry["message"] = message;
  if (!detail.empty()) entry["detail"] = detail;
  boost::json::array errors;
  errors.push_back(std::move(entry));
  boost::json::object root;
  root["errors"] = std::move(errors);
  return boost::json::serialize(root);
}

http::Response error_response(const Error& error) {
  const OciErrorDescriptor descriptor = oci_error_for(error.code);
  http::Response response(descriptor.status);
  response.headers.set(http::beast_http::field::content_type, kJsonContentType);
  response.body = error_body(descriptor.code, error.message, error.detail);
  response.error_name = descriptor.code;
  return response;
}

http::Response endpoint_not_found_response(std::string_view path) {
  http::Response response(Status::not_found);
  response.headers.set(http::beast_http::field::content_type, kJsonContentType);
  response.body = error_body("UNSUPPORTED", "no such endpoint", path);
  response.error_name = "UNSUPPORTED";
  return response;
}

}  // namespace berth::api::oci
