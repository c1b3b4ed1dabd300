#include "util/result.hpp"

namespace berth {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNameInvalid: return "name_invalid";
    case ErrorCode::kTagInvalid: return "tag_invalid";
    case ErrorCode::kDigestInvalid: return "digest_invalid";
    case ErrorCode::kRepositoryNotFound: return "repository_not_found";
    case ErrorCode::kRepositoryNotEmpty: return "repository_not_empty";
    case ErrorCode::kManifestNotFound: return "manifest_not_found";
    case ErrorCode::kManifestInvalid: return "manifest_invalid";
    case ErrorCode::kManifestBlobUnknown: return "manifest_blob_unknown";
    case ErrorCode::kBlobNotFound: return "blob_not_found";
    case ErrorCode::kUploadNotFound: return "upload_not_found";
    case ErrorCode::kDigestMismatch: return "digest_mismatch";
    case ErrorCode::kSizeInvalid: return "size_invalid";
    case ErrorCode::kRangeInvalid: return "range_invalid";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kTagImmutable: return "tag_immutable";
    case ErrorCode::kReferencedByIndex: return "referenced_by_index";
    case ErrorCode::kImageArchived: return "image_archived";
    case ErrorCode::kLimitExceeded: return "limit_exceeded";
    case ErrorCode::kQuotaExceeded: return "quota_exceeded";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kDenied: return "denied";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace berth
