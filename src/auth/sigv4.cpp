#include "auth/sigv4.hpp"

#include <algorithm>

#include "crypto/hasher.hpp"
#include "util/time.hpp"

namespace berth::auth {

namespace {

constexpr std::string_view kContentSha256 = "x-amz-content-sha256";
constexpr std::string_view kSecurityToken = "x-amz-security-token";

std::unexpected<Error> auth_failure(std::string_view kind, std::string message) {
  return fail(ErrorCode::kUnauthenticated, std::move(message), std::string(kind));
}

// Values of every header named `lower_name` (case-insensitive).
std::vector<std::string_view> header_values(const HeaderList& headers,
                                            std::string_view lower_name) {
  std::vector<std::string_view> out;
  for (const auto& [name, value] : headers) {
    if (name.size() == lower_name.size() && ascii_lower(name) == lower_name) {
      out.push_back(value);
    }
  }
  return out;
}

// The header's single value; IncompleteSignature if it is repeated.
Result<std::optional<std::string>> single_header(const HeaderList& headers,
                                                 std::string_view lower_name) {
  auto values = header_values(headers, lower_name);
  if (values.empty()) return std::optional<std::string>();
  if (values.size() > 1) {
    return auth_failure(kIncompleteSignature,
                        "header " + std::string(lower_name) + " appears more than once");
  }
  std::string_view v = values.front();
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::optional<std::string>(std::string(v));
}

bool is_signed(const std::vector<std::string>& signed_headers, std::string_view name) {
  return std::binary_search(signed_headers.begin(), signed_headers.end(), name);
}

std::string skew_text(std::int64_t ms) { return std::to_string(ms / 60000) + " min."; }

// What the two authentication forms have in common once parsed.
struct SignedParts {
  AuthorizationHeader auth;
  std::string amz_date;  // the RequestDateTime of the string to sign
  std::int64_t signed_at_ms = 0;
  std::optional<std::string> security_token;
  bool presigned = false;
  std::int64_t expires_seconds = 0;
};

// The Authorization-header form. The timestamp is X-Amz-Date, else Date
// (reference_sigv-create-signed-request.html, "Add the signature": "the
// date ... in the x-amz-date header or the date header").
Result<SignedParts> parts_from_header(const SigV4Request& request, std::string_view value) {
  SignedParts parts;
  parts.auth = BERTH_TRY(parse_authorization(value));
  auto amz_date = BERTH_TRY(single_header(request.headers, "x-amz-date"));
  if (amz_date) {
    if (!is_signed(parts.auth.signed_headers, "x-amz-date")) {
      return auth_failure(kIncompleteSignature, "x-amz-date must be a signed header");
    }
    parts.signed_at_ms = BERTH_TRY(parse_amz_date(*amz_date));
    parts.amz_date = *amz_date;
  } else {
    auto date = BERTH_TRY(single_header(request.headers, "date"));
    if (!date) {
      return auth_failure(kIncompleteSignature,
                          "Authorization header requires existence of either a 'X-Amz-Date' "
                          "or a 'Date' header.");
    }
    if (!is_signed(parts.auth.signed_headers, "date")) {
      return auth_failure(kIncompleteSignature, "date must be a signed header");
    }
    parts.signed_at_ms = BERTH_TRY(parse_http_date(*date));
    parts.amz_date = format_amz_date(parts.signed_at_ms);
  }
  parts.security_token = BERTH_TRY(single_header(request.headers, kSecurityToken));
  return parts;
}

// The presigned-URL form (sigv4-query-string-auth.html).
Result<SignedParts> parts_from_query(const SigV4Request& request) {
  auto params = BERTH_TRY(parse_presigned_query(request.raw_query));
  SignedParts parts;
  parts.auth = std::move(params.auth);
  parts.amz_date = std::move(params.amz_date);
  parts.signed_at_ms = BERTH_TRY(parse_amz_date(parts.amz_date));
  parts.security_token = std::move(params.security_token);
  parts.presigned = true;
  parts.expires_seconds = params.expires_seconds;
  return parts;
}

// Which headers must be signed, and that the signed ones exist.
Status check_signed_header_rules(const SigV4Request& request,
                                 const std::vector<std::string>& signed_headers) {
  if (!is_signed(signed_headers, "host")) {
    return auth_failure(kIncompleteSignature, "host must be a signed header");
  }
  for (const auto& name : signed_headers) {
    if (header_values(request.headers, name).empty()) {
      return auth_failure(kIncompleteSignature,
                          "signed header " + name + " is not present in the request");
    }
  }
  for (const auto& [raw_name, value] : request.headers) {
    std::string name = ascii_lower(raw_name);
    if (name.starts_with("x-amz-") && name != kContentSha256 && !is_signed(signed_headers, name)) {
      return auth_failure(kIncompleteSignature, "header " + name +
                                                    " is present but not signed; every x-amz-* "
                                                    "header must be listed in SignedHeaders");
    }
  }
  return ok();
}

// Scope checks (Step 3's CredentialScope read back): service, region, date.
Status check_scope(const SignedParts& parts, const VerifyOptions& options) {
  const auto& auth = parts.auth;
  if (std::find(options.services.begin(), options.services.end(), auth.service) ==
      options.services.end()) {
    return auth_failure(kInvalidSignature,
                        "Credential should be scoped to correct service: '" +
                            (options.services.empty() ? std::string() : options.services[0]) +
                            "'.");
  }
  if (options.region && auth.region != *options.region) {
    return auth_failure(kInvalidSignature, "Credential should be scoped to a valid region: '" +
                                               *options.region + "'.");
  }
  if (parts.amz_date.compare(0, 8, auth.date) != 0) {
    return auth_failure(kInvalidSignature,
                        "Date in Credential scope does not match YYYYMMDD "
                        "from ISO-8601 version of date from HTTP: '" +
                            parts.amz_date.substr(0, 8) + "' != '" + auth.date + "'");
  }
  return ok();
}

Status check_time(const SignedParts& parts, const VerifyOptions& options, std::int64_t now) {
  std::string now_text = format_amz_date(now);
  if (parts.signed_at_ms > now + options.max_skew_ms) {
    return auth_failure(kSignatureExpired,
                        "Signature not yet current: " + parts.amz_date + " is still later than " +
                            format_amz_date(now + options.max_skew_ms) + " (" + now_text + " + " +
                            skew_text(options.max_skew_ms) + ")");
  }
  if (parts.presigned) {
    if (now > parts.signed_at_ms + parts.expires_seconds * 1000) {
      return auth_failure(kSignatureExpired, "Request has expired: signed at " + parts.amz_date +
                                                 " for " + std::to_string(parts.expires_seconds) +
                                                 " s, now " + now_text);
    }
    return ok();
  }
  if (parts.signed_at_ms < now - options.max_skew_ms) {
    return auth_failure(kSignatureExpired,
                        "Signature expired: " + parts.amz_date + " is now earlier than " +
                            format_amz_date(now - options.max_skew_ms) + " (" + now_text + " - " +
                            skew_text(options.max_skew_ms) + ")");
  }
  return ok();
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return true;
}

struct PayloadChoice {
  std::string signed_hash;  // the last line of the canonical request
  // A presigned request may have been signed either the S3 way
  // (UNSIGNED-PAYLOAD) or over the body's hash, as botocore's SigV4QueryAuth
  // does for other services; this is the second candidate.
  std::optional<std::string> alternative_hash;
  std::optional<std::string> declared;
};

Result<PayloadChoice> choose_payload_hash(const SigV4Request& request, const SignedParts& parts,
                                          const VerifyOptions& options) {
  PayloadChoice choice;
  auto header = BERTH_TRY(single_header(request.headers, kContentSha256));
  if (header) {
    if (is_hex64(*header)) {
      choice.declared = ascii_lower(*header);
    } else if (*header != kUnsignedPayload) {
      return auth_failure(kIncompleteSignature,
                          "x-amz-content-sha256 must be a hex SHA-256 or UNSIGNED-PAYLOAD "
                          "(streaming payloads are not supported)");
    } else if (!parts.presigned && !options.allow_unsigned_payload) {
      return auth_failure(kIncompleteSignature, "unsigned payloads are not accepted here");
    }
    choice.signed_hash = *header;
  } else if (parts.presigned) {
    choice.signed_hash = kUnsignedPayload;
    if (!request.payload_sha256_hex.empty()) choice.alternative_hash = request.payload_sha256_hex;
  } else {
    if (request.payload_sha256_hex.empty()) {
      return fail(ErrorCode::kInternal, "SigV4 verification needs the payload hash");
    }
    choice.signed_hash = request.payload_sha256_hex;
  }
  return choice;
}

// The session-token and expiry rules for a known credential.
Status check_credential(const Credential& credential, const SignedParts& parts, std::int64_t now) {
  if (credential.session_token) {
    if (!parts.security_token ||
        !crypto::constant_time_equal(*parts.security_token, *credential.session_token)) {
      return auth_failure(kUnrecognizedClient,
                          "The security token included in the request is invalid.");
    }
  } else if (parts.security_token) {
    return auth_failure(kUnrecognizedClient,
                        "The security token included in the request is invalid.");
  }
  if (credential.expires_at_ms && now >= *credential.expires_at_ms) {
    return auth_failure(kExpiredToken, "The security token included in the request is expired");
  }
  return ok();
}

}  // namespace

PathStyle path_style_for(std::string_view service) {
  return service == "s3" ? PathStyle::kS3 : PathStyle::kNormalized;
}

Result<VerifiedRequest> verify(const SigV4Request& request, const CredentialStore& store,
                               const VerifyOptions& options) {
  // The system clock, never the test clock: clients sign with the real time.
  const std::int64_t now = options.now_ms ? *options.now_ms : system_now_ms();

  auto authorization = header_values(request.headers, "authorization");
  bool presigned = has_presigned_params(request.raw_query);
  if (authorization.empty() && !presigned) {
    return auth_failure(kMissingAuthenticationToken,
                        "Missing Authentication Token: no Authorization header and no "
                        "X-Amz-* query parameters");
  }
  if (authorization.size() > 1) {
    return auth_failure(kIncompleteSignature, "Authorization header appears more than once");
  }
  if (!authorization.empty() && presigned) {
    return auth_failure(kIncompleteSignature,
                        "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                        "parameter or the Authorization header should be specified");
  }
  SignedParts parts = presigned ? BERTH_TRY(parts_from_query(request))
                                : BERTH_TRY(parts_from_header(request, authorization.front()));

  BERTH_TRY_STATUS(check_signed_header_rules(request, parts.auth.signed_headers));
  BERTH_TRY_STATUS(check_scope(parts, options));
  BERTH_TRY_STATUS(check_time(parts, options, now));
  PayloadChoice payload = BERTH_TRY(choose_payload_hash(request, parts, options));

  VerifiedRequest verified;
  verified.access_key_id = parts.auth.access_key_id;
  verified.region = parts.auth.region;
  verified.service = parts.auth.service;
  verified.declared_payload_hash = payload.declared;
  verified.signed_at_ms = parts.signed_at_ms;
  verified.presigned = parts.presigned;

  auto credential = store.lookup(parts.auth.access_key_id);
  if (!credential) {
    if (!store.development_mode()) return std::unexpected(std::move(credential).error());
    verified.account_id = store.default_account_id();
    verified.development_mode = true;
    return verified;
  }
  BERTH_TRY_STATUS(check_credential(*credential, parts, now));

  // Steps 1-4 of reference_sigv-create-signed-request.html, recomputed.
  const auto& auth = parts.auth;
  std::string key =
      signing_key(credential->secret_access_key, auth.date, auth.region, auth.service);
  auto expected_signature = [&](const std::string& payload_hash) {
    std::string creq = canonical_request(
        request.method, canonical_uri(request.raw_path, path_style_for(auth.service)),
        canonical_query(request.raw_query, /*drop_signature=*/parts.presigned),
        canonical_headers(request.headers, auth.signed_headers),
        signed_headers_string(auth.signed_headers), payload_hash);
    std::string sts = string_to_sign(
        parts.amz_date, credential_scope(auth.date, auth.region, auth.service), creq);
    return signature(key, sts);
  };
  bool matches = crypto::constant_time_equal(expected_signature(payload.signed_hash), auth.signature);
  if (!matches && payload.alternative_hash) {
    matches = crypto::constant_time_equal(expected_signature(*payload.alternative_hash),
                                          auth.signature);
  }
  if (!matches) {
    std::string message =
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method.";
    // SigV4 signs the query sorted and encoded; a client that signs it as
    // written (curl 7.x --aws-sigv4) only matches when it was sent that way.
    if (!parts.presigned && !request.raw_query.empty() &&
        canonical_query(request.raw_query, false) != request.raw_query) {
      message +=
          " Note: the query string is not in canonical form (parameters sorted by name, "
          "percent-encoded); clients that sign it as written, such as curl 7.x --aws-sigv4, "
          "must send it that way, e.g. ?Action=...&imageIds...&repositoryName=...";
    }
    return auth_failure(kInvalidSignature, message);
  }
  verified.account_id = credential->account_id;
  verified.principal = credential->principal;
  verified.identity_policy = credential->identity_policy;
  return verified;
}

}  // namespace berth::auth
