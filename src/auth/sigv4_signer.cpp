#include "auth/sigv4_signer.hpp"

#include <algorithm>

namespace berth::auth {

namespace {

bool has_header(const HeaderList& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return ascii_lower(h.first) == lower_name; });
}

std::string header_value(const HeaderList& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (ascii_lower(name) == lower_name) return value;
  }
  return {};
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

// Steps 1-5 of reference_sigv-create-signed-request.html, header form.
std::string sign_request(SigV4Request& request, const Credential& credential,
                         const SignOptions& options) {
  if (!has_header(request.headers, "x-amz-date")) {
    request.headers.emplace_back("X-Amz-Date", format_amz_date(options.now_ms));
  }
  if (credential.session_token && !has_header(request.headers, "x-amz-security-token")) {
    request.headers.emplace_back("X-Amz-Security-Token", *credential.session_token);
  }
  std::string amz_date = trim(header_value(request.headers, "x-amz-date"));
  std::string date = amz_date.substr(0, 8);

  std::vector<std::string> names;
  for (const auto& [name, value] : request.headers) {
    std::string lower = ascii_lower(name);
    if (lower != "authorization") names.push_back(std::move(lower));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  std::string payload = has_header(request.headers, "x-amz-content-sha256")
                            ? trim(header_value(request.headers, "x-amz-content-sha256"))
                            : request.payload_sha256_hex;
  std::string signed_names = signed_headers_string(names);
  std::string creq = canonical_request(
      request.method, canonical_uri(request.raw_path, path_style_for(options.service)),
      canonical_query(request.raw_query, false), canonical_headers(request.headers, names),
      signed_names, payload);
  std::string scope = credential_scope(date, options.region, options.service);
  std::string sig =
      signature(signing_key(credential.secret_access_key, date, options.region, options.service),
                string_to_sign(amz_date, scope, creq));

  std::string out(kSigV4Algorithm);
  out += " Credential=" + credential.access_key_id + "/" + scope;
  out += ", SignedHeaders=" + signed_names;
  out += ", Signature=" + sig;
  return out;
}

// Query-string authentication, sigv4-query-string-auth.html: the X-Amz-*
// parameters join the canonical query; X-Amz-Signature is appended last.
Result<std::string> presign_url_query(const Credential& credential, const PresignOptions& options) {
  if (options.expires_seconds < 1 || options.expires_seconds > kMaxPresignExpiresSeconds) {
    return fail(ErrorCode::kInvalidArgument, "presigned URL expiry must be 1 to 604800 seconds");
  }
  std::string amz_date = format_amz_date(options.now_ms);
  std::string date = amz_date.substr(0, 8);
  std::string scope = credential_scope(date, options.region, options.service);

  std::string query = options.raw_query;
  auto add = [&query](std::string_view key, std::string_view value) {
    if (!query.empty()) query.push_back('&');
    query += uri_encode(key, false);
    query.push_back('=');
    query += uri_encode(value, false);
  };
  add("X-Amz-Algorithm", kSigV4Algorithm);
  add("X-Amz-Credential", credential.access_key_id + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(options.expires_seconds));
  add("X-Amz-SignedHeaders", "host");
  if (credential.session_token) add("X-Amz-Security-Token", *credential.session_token);

  HeaderList headers = {{"host", options.host}};
  std::vector<std::string> names = {"host"};
  std::string creq = canonical_request(
      options.method, canonical_uri(options.raw_path, path_style_for(options.service)),
      canonical_query(query, /*drop_signature=*/true), canonical_headers(headers, names),
      signed_headers_string(names), kUnsignedPayload);
  std::string sig =
      signature(signing_key(credential.secret_access_key, date, options.region, options.service),
                string_to_sign(amz_date, scope, creq));
  add("X-Amz-Signature", sig);
  return query;
}

}  // namespace berth::auth
