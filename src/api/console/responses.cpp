#include "api/console/responses.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace berth::api::console {

namespace json = boost::json;
using Status = http::beast_http::status;

void add_security_headers(http::Response& response) {
  response.headers.set("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("X-Frame-Options", "DENY");
  response.headers.set("Referrer-Policy", "no-referrer");
}

http::Response json_response(Status status, const json::value& body) {
  http::Response response(status);
  response.headers.set(http::beast_http::field::content_type, "application/json");
  // API answers are per user and change: never cached, by anyone.
  response.headers.set(http::beast_http::field::cache_control, "no-store");
  add_security_headers(response);
  response.body = json::serialize(body);
  return response;
}

http::Response error_response(Status status, std::string_view code, std::string_view message) {
  http::Response response =
      json_response(status, json::object{{"error", code}, {"message", message}});
  response.error_name = std::string(code);
  return response;
}

ErrorMapping map_error(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNameInvalid:
    case ErrorCode::kTagInvalid:
    case ErrorCode::kDigestInvalid:
    case ErrorCode::kManifestInvalid:
    case ErrorCode::kManifestBlobUnknown:
    case ErrorCode::kDigestMismatch:
    case ErrorCode::kSizeInvalid:
    case ErrorCode::kRangeInvalid:
    case ErrorCode::kInvalidArgument:
      return {Status::bad_request, "InvalidRequest"};
    case ErrorCode::kRepositoryNotFound:
      return {Status::not_found, "RepositoryNotFound"};
    case ErrorCode::kManifestNotFound:
      return {Status::not_found, "ImageNotFound"};
    case ErrorCode::kBlobNotFound:
    case ErrorCode::kUploadNotFound:
      return {Status::not_found, "NotFound"};
    case ErrorCode::kRepositoryNotEmpty:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kTagImmutable:
    case ErrorCode::kReferencedByIndex:
    case ErrorCode::kImageArchived:
      return {Status::conflict, "Conflict"};
    case ErrorCode::kLimitExceeded:
      return {Status::too_many_requests, "LimitExceeded"};
    case ErrorCode::kQuotaExceeded:
      return {Status::forbidden, "QuotaExceeded"};
    case ErrorCode::kUnauthenticated:
      return {Status::unauthorized, "Unauthenticated"};
    case ErrorCode::kDenied:
      // As the ECR API names it: the message is AWS's "User: … is not authorized …".
      return {Status::forbidden, "AccessDeniedException"};
    case ErrorCode::kUnsupported:
      return {Status::not_implemented, "Unsupported"};
    case ErrorCode::kUnavailable:
      return {Status::service_unavailable, "Unavailable"};
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
      return {Status::internal_server_error, "InternalError"};
  }
  return {Status::internal_server_error, "InternalError"};
}

http::Response error_response(const Error& error) {
  const ErrorMapping mapping = map_error(error.code);
  std::string message = error.message;
  // Internal details stay in the log, not in a page.
  if (mapping.status == Status::internal_server_error) message = "Internal error";
  return error_response(mapping.status, mapping.code, message);
}

}  // namespace berth::api::console
