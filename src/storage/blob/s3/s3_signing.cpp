#include "storage/blob/s3/s3_signing.hpp"

#include "auth/sigv4.hpp"
#include "auth/sigv4_signer.hpp"

namespace berth::storage::blob::s3 {

namespace {

constexpr std::string_view kService = "s3";

auth::Credential to_auth_credential(const S3Credential& credential) {
  auth::Credential out;
  out.access_key_id = credential.access_key_id;
  out.secret_access_key = credential.secret_access_key;
  out.session_token = credential.session_token;
  return out;
}

}  // namespace

auth::HeaderList sign_s3_request(const S3Config& config, std::string_view method,
                                 const S3Target& target, auth::HeaderList extra,
                                 std::string_view payload_sha256_hex, std::int64_t now_ms) {
  auth::SigV4Request request;
  request.method = std::string(method);
  request.raw_path = target.raw_path;
  request.raw_query = target.raw_query;
  request.headers = std::move(extra);
  request.headers.emplace_back("Host", target.host);
  request.headers.emplace_back("X-Amz-Content-Sha256", std::string(payload_sha256_hex));
  auth::SignOptions options;
  options.region = config.region;
  options.service = std::string(kService);
  options.now_ms = now_ms;
  std::string authorization =
      auth::sign_request(request, to_auth_credential(config.credential), options);
  request.headers.emplace_back("Authorization", std::move(authorization));
  return std::move(request.headers);
}

Result<std::string> presign_get(const S3Config& config, std::string_view key,
                                std::chrono::seconds ttl, std::int64_t now_ms) {
  const S3Target target = address(config, key);
  auth::PresignOptions options;
  options.method = "GET";
  options.raw_path = target.raw_path;
  options.host = target.host;
  options.region = config.region;
  options.service = std::string(kService);
  options.now_ms = now_ms;
  options.expires_seconds = ttl.count();
  std::string query =
      BERTH_TRY(auth::presign_url_query(to_auth_credential(config.credential), options));
  return target.url + "?" + query;
}

}  // namespace berth::storage::blob::s3
