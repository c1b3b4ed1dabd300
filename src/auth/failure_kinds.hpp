// The precise AWS authentication failure kinds that auth puts in
// Error::detail next to ErrorCode::kUnauthenticated (or kDenied). The ECR
// front end maps each to its `__type` (e.g. "IncompleteSignature" to
// IncompleteSignatureException); the OCI front end only needs the code.
//
// Thread-safety: constants only.
#pragma once

#include <string_view>

namespace berth::auth {

// No Authorization header and no presigned-URL parameters.
inline constexpr std::string_view kMissingAuthenticationToken = "MissingAuthenticationToken";
// Malformed header or parameters, missing parts, a required header not
// signed, a signed header absent, a bad scope format.
inline constexpr std::string_view kIncompleteSignature = "IncompleteSignature";
// Unknown access key, or a session token that does not match the key.
inline constexpr std::string_view kUnrecognizedClient = "UnrecognizedClient";
// Signature mismatch; also a scope whose service, region or date does not
// agree with the request.
inline constexpr std::string_view kInvalidSignature = "InvalidSignature";
// Request time outside the clock-skew window, or presigned URL expired.
inline constexpr std::string_view kSignatureExpired = "SignatureExpired";
// The session credentials (or an ECR registry password) have expired.
inline constexpr std::string_view kExpiredToken = "ExpiredToken";
// A registry password that is garbage or was tampered with.
inline constexpr std::string_view kInvalidToken = "InvalidToken";

}  // namespace berth::auth
