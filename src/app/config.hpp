// Config: every setting of `berth serve`, from flags, BERTH_* environment
// variables and an optional config file (flags win over environment, which
// wins over the file). Parsing lives in cli.cpp; this is the plain value.
//
// Thread-safety: a plain value, read-only once serving starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "storage/factory/store_factory.hpp"

namespace berth::app {

struct Config {
  std::string listen = "127.0.0.1:5000";   // host:port
  std::filesystem::path data_dir = "./data";
  std::string public_url;                  // "" = http(s)://<listen>
  std::string log_level = "info";
  unsigned io_threads = 0;                 // 0 = one per core
  unsigned blocking_threads = 8;
  std::string sqlite_synchronous = "full"; // full | normal

  // ---- stores (storage/factory/store_url.hpp) ----
  std::string blob_store;   // "" = file://<data-dir>
  std::string meta_store;   // "" = sqlite://<data-dir>/metadata.db
  std::filesystem::path blob_store_credentials;  // S3: "KEY SECRET"; "" = AWS_* env
  bool create_bucket = false;                    // S3: create a missing bucket
  bool blob_redirect = false;                    // blob GETs answer with presigned URLs

  // ---- garbage collection (src/gc) ----
  std::chrono::milliseconds gc_interval{std::chrono::hours(1)};  // 0 = off
  std::chrono::milliseconds gc_delay{std::chrono::hours(24)};
  std::chrono::milliseconds upload_expiry{std::chrono::hours(24 * 7)};
  // ---- lifecycle policies (src/lifecycle) ----
  std::chrono::milliseconds lifecycle_interval{std::chrono::hours(1)};  // 0 = off
  bool access_log = true;
  unsigned shutdown_grace_seconds = 10;

  // ---- operations: logs, metrics, health (app/ops_options.cpp) ----
  std::string log_format = "text";  // text | json
  std::string admin_listen;         // host:port for /metrics and health; "" = none
  std::string metrics_auth;         // USER:PASSWORD for /metrics; "" = loopback/admin only
  // Seconds between SIGTERM and closing the listener, /readyz answering 503
  // meanwhile, so load balancers stop routing before connections drain.
  unsigned shutdown_delay_seconds = 0;
  // Webhooks (src/events/config.hpp); "" = none.
  std::filesystem::path events_config;

  // ---- TLS: both or neither ----
  std::string tls_cert;  // PEM certificate chain; set = HTTPS only
  std::string tls_key;   // PEM private key (unencrypted)

  // ---- limits ----
  std::uint64_t max_header_bytes = 64 * 1024;          // request head; 431 beyond
  std::uint64_t max_manifest_bytes = 4 << 20;          // /v2/ manifest PUT; 413 beyond
  std::uint64_t max_layer_part_bytes = 20 << 20;       // UploadLayerPart, decoded
  unsigned max_concurrent_uploads = 256;               // requests writing uploads at once
  unsigned read_timeout_seconds = 60;                  // first request head, each body read
  unsigned idle_timeout_seconds = 60;                  // keep-alive wait for the next head
  std::uint64_t min_body_rate = 1024;                  // request body bytes/s; 0 = off
  unsigned max_json_depth = 64;                        // ECR request JSON nesting
  double rate_limit = 0;   // requests/s per access key and operation family; 0 = off
  double rate_burst = 0;   // bucket size; 0 = twice rate_limit (at least 1)
  // Quotas per registry (registry/quotas.hpp); 0 = off.
  std::uint64_t max_repositories_per_registry = 100000;  // ECR's default
  std::uint64_t max_images_per_repository = 100000;      // ECR's default
  std::uint64_t max_layer_parts_per_upload = 4200;       // ECR's default
  std::uint64_t storage_quota_bytes = 0;                 // berth's own

  // ---- authentication and ECR ----
  std::string auth = "sigv4";              // sigv4 | none
  // ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID] per line; "" = the
  // generated <data-dir>/credentials.
  std::filesystem::path credentials_file;
  // DEVELOPMENT ONLY: accept any access key without checking its signature.
  bool allow_any_access_key = false;
  // HMAC secret for registry passwords and download URLs (>= 16 bytes);
  // "" = <data-dir>/token-secret, created once.
  std::string token_secret;
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
  // "{account}", "{region}", "{host}"; "" = "{host}" (the public URL's host).
  std::string repository_uri_template;
  std::string put_image_validation = "strict";  // strict | lenient
  // Accept indexes whose children were not all pushed, on both APIs.
  bool allow_sparse_indexes = false;
  std::uint64_t ecr_body_limit = std::uint64_t{32} << 20;

  // The registry id the OCI front end serves by default: "<account>:<region>",
  // the same store namespace api/ecr/context.cpp derives for ECR callers.
  std::string default_registry_id() const { return account_id + ":" + region; }
  std::string effective_blob_store() const {
    return blob_store.empty() ? storage::factory::default_blob_store_url(data_dir) : blob_store;
  }
  std::string effective_meta_store() const {
    return meta_store.empty() ? storage::factory::default_meta_store_url(data_dir) : meta_store;
  }
  bool tls() const { return !tls_cert.empty(); }
  // public_url, or http(s)://<listen> when unset; never with a trailing '/'.
  std::string effective_public_url() const {
    std::string url = public_url.empty() ? (tls() ? "https://" : "http://") + listen : public_url;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    return url;
  }
};

}  // namespace berth::app
