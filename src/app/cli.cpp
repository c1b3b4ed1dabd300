#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "app/config_args.hpp"
#include "app/config_file.hpp"
#include "app/local_secrets.hpp"
#include "app/ops_options.hpp"
#include "app/serve.hpp"
#include "backup/backup_command.hpp"
#include "fsck/fsck.hpp"
#include "gc/gc_command.hpp"
#include "lifecycle/lifecycle_command.hpp"
#include "util/duration.hpp"
#include "util/test_clock.hpp"

namespace berth::app {

namespace {

std::string check_account_id(const std::string& v) {
  bool ok = v.size() == 12 && v.find_first_not_of("0123456789") == std::string::npos;
  return ok ? std::string() : std::string("must be 12 digits");
}

std::string check_region(const std::string& v) {
  bool ok = !v.empty() && v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") ==
                              std::string::npos;
  return ok ? std::string() : std::string("must be a region name such as us-east-1");
}

void add_registry_options(CLI::App& cmd, Config& c) {
  cmd.add_option("--data-dir", c.data_dir, "Directory holding blobs and the metadata database")
      ->envname("BERTH_DATA_DIR")
      ->capture_default_str();
  cmd.add_option("--account-id", c.account_id, "Account id of the default registry (12 digits)")
      ->envname("BERTH_ACCOUNT_ID")
      ->check(check_account_id)
      ->capture_default_str();
  cmd.add_option("--region", c.region, "Region of the default registry")
      ->envname("BERTH_REGION")
      ->check(check_region)
      ->capture_default_str();
}

void add_store_options(CLI::App& serve, Config& c) {
  serve.add_option("--blob-store", c.blob_store,
                   "Blob store URL: file://<path> (default file://<data-dir>) or "
                   "s3://<bucket>[/<prefix>]?endpoint=http://host:port&region=...&path-style=true"
                   "&ca-bundle=FILE (endpoint omitted: AWS; path-style default false)")
      ->envname("BERTH_BLOB_STORE");
  serve.add_option("--meta-store", c.meta_store,
                   "Metadata store URL: sqlite://<path> (default sqlite://<data-dir>/metadata.db) "
                   "or postgresql://user[:password]@host:port/dbname[?...]")
      ->envname("BERTH_META_STORE");
  serve.add_option("--blob-store-credentials", c.blob_store_credentials,
                   "File with one 'ACCESS_KEY_ID SECRET_ACCESS_KEY' line for an s3:// blob store "
                   "(default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN)")
      ->envname("BERTH_BLOB_STORE_CREDENTIALS");
  serve.add_flag("--create-bucket", c.create_bucket,
                 "Create the s3:// blob store's bucket when it does not exist (else refuse)")
      ->envname("BERTH_CREATE_BUCKET");
  serve.add_flag("--blob-redirect", c.blob_redirect,
                 "Answer /v2/ blob GETs and GetDownloadUrlForLayer with short-lived presigned URLs "
                 "of the blob store, where it can make them (s3://), instead of streaming")
      ->envname("BERTH_BLOB_REDIRECT");
}

// A duration option ("24h", "90s", "7d"; a plain number is seconds).
CLI::Option* add_duration_option(CLI::App& cmd, const std::string& name,
                                 std::chrono::milliseconds& target, const std::string& help) {
  return cmd
      .add_option_function<std::string>(
          name,
          [&target](const std::string& text) {
            auto parsed = parse_duration(text);
            if (!parsed) throw CLI::ValidationError(parsed.error().message);
            target = *parsed;
          },
          help + " (default " + format_duration(target) + ")")
      ->check([](const std::string& text) {
        auto parsed = parse_duration(text);
        return parsed ? std::string() : parsed.error().message;
      });
}

void add_gc_timing_options(CLI::App& cmd, std::chrono::milliseconds& delay,
                           std::chrono::milliseconds& upload_expiry) {
  add_duration_option(cmd, "--gc-delay", delay,
                      "Grace period: a blob is deleted only once nothing has referenced it for "
                      "this long, so a layer pushed just before its manifest is never lost")
      ->envname("BERTH_GC_DELAY");
  add_duration_option(cmd, "--upload-expiry", upload_expiry,
                      "Uploads started longer ago than this and not being written are cancelled "
                      "and their bytes freed")
      ->envname("BERTH_UPLOAD_EXPIRY");
}

void add_credentials_file_option(CLI::App& cmd, Config& c) {
  cmd.add_option("--credentials", c.credentials_file,
                 "File of 'ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]' lines (default: "
                 "generate <data-dir>/credentials once)")
      ->envname("BERTH_CREDENTIALS");
}

void add_tls_options(CLI::App& serve, Config& c) {
  CLI::Option* cert =
      serve.add_option("--tls-cert", c.tls_cert,
                       "PEM certificate chain (leaf first): serve HTTPS, TLS 1.2+, on --listen "
                       "(needs --tls-key)")
          ->envname("BERTH_TLS_CERT")
          ->check(CLI::ExistingFile);
  CLI::Option* key = serve.add_option("--tls-key", c.tls_key,
                                      "PEM private key of --tls-cert (unencrypted)")
                         ->envname("BERTH_TLS_KEY")
                         ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
}

void add_limit_options(CLI::App& serve, Config& c) {
  serve.add_option("--max-header-bytes", c.max_header_bytes,
                   "Largest request line + headers in bytes (431 beyond)")
      ->envname("BERTH_MAX_HEADER_BYTES")
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{16} << 20))
      ->capture_default_str();
  serve.add_option("--max-manifest-bytes", c.max_manifest_bytes,
                   "Largest manifest a /v2/ PUT may carry (413 SIZE_INVALID beyond; ECR "
                   "PutImage is bounded by the API model)")
      ->envname("BERTH_MAX_MANIFEST_BYTES")
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{64} << 20))
      ->capture_default_str();
  serve.add_option("--max-layer-part-bytes", c.max_layer_part_bytes,
                   "Largest decoded UploadLayerPart part (InvalidLayerPartException beyond; "
                   "at most the model's 20971520)")
      ->envname("BERTH_MAX_LAYER_PART_BYTES")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{20} << 20))
      ->capture_default_str();
  serve.add_option("--max-concurrent-uploads", c.max_concurrent_uploads,
                   "Requests writing into uploads at once, per process (beyond: /v2/ 429 "
                   "TOOMANYREQUESTS, ECR LimitExceededException)")
      ->envname("BERTH_MAX_CONCURRENT_UPLOADS")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  serve.add_option("--read-timeout", c.read_timeout_seconds,
                   "Seconds a new connection gets to send its TLS handshake and whole first "
                   "request head, and each body read gets to make progress")
      ->envname("BERTH_READ_TIMEOUT")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  serve.add_option("--idle-timeout", c.idle_timeout_seconds,
                   "Seconds a keep-alive connection gets to send its whole next request head")
      ->envname("BERTH_IDLE_TIMEOUT")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  serve.add_option("--rate-limit", c.rate_limit,
                   "Requests per second each access key may make per operation family (pull, "
                   "push, delete, other), a token bucket per process; beyond: ECR "
                   "ThrottlingException, /v2/ 429 TOOMANYREQUESTS with Retry-After (0 = off)")
      ->envname("BERTH_RATE_LIMIT")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  serve.add_option("--rate-burst", c.rate_burst,
                   "Requests a key may make at once before --rate-limit applies (0 = twice "
                   "the rate, at least 1)")
      ->envname("BERTH_RATE_BURST")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  serve.add_option("--max-repositories-per-registry", c.max_repositories_per_registry,
                   "Quota: repositories per registry (an ECR account and region; /v2/ has one); "
                   "past it: ECR LimitExceededException, /v2/ 403 DENIED (0 = no quota)")
      ->envname("BERTH_MAX_REPOSITORIES_PER_REGISTRY")
      ->capture_default_str();
  serve.add_option("--max-images-per-repository", c.max_images_per_repository,
                   "Quota: images (manifests, tagged or not) per repository (0 = no quota)")
      ->envname("BERTH_MAX_IMAGES_PER_REPOSITORY")
      ->capture_default_str();
  serve.add_option("--max-layer-parts-per-upload", c.max_layer_parts_per_upload,
                   "Quota: parts of one upload (ECR UploadLayerPart calls, /v2/ PATCH chunks) "
                   "(0 = no quota)")
      ->envname("BERTH_MAX_LAYER_PARTS_PER_UPLOAD")
      ->capture_default_str();
  serve.add_option("--storage-quota-bytes", c.storage_quota_bytes,
                   "Quota: bytes of the distinct blobs linked in a registry's repositories; "
                   "an upload or mount past it is refused (0 = no quota)")
      ->envname("BERTH_STORAGE_QUOTA_BYTES")
      ->capture_default_str();
  serve.add_option("--min-body-rate", c.min_body_rate,
                   "Slowest request body in bytes per second: after --read-timeout seconds of "
                   "slack (a burst banks at most that much), a body arriving slower is cut with "
                   "the protocol's error and the connection closed (0 = no minimum)")
      ->envname("BERTH_MIN_BODY_RATE")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 30))
      ->capture_default_str();
  serve.add_option("--max-json-depth", c.max_json_depth,
                   "Deepest JSON nesting of an ECR request body (SerializationException beyond)")
      ->envname("BERTH_MAX_JSON_DEPTH")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
}

void add_serve_options(CLI::App& serve, Config& c) {
  serve.add_option("--listen", c.listen, "Address to listen on, host:port")
      ->envname("BERTH_LISTEN")
      ->capture_default_str();
  add_registry_options(serve, c);
  serve.add_option("--public-url", c.public_url,
                   "URL clients reach berth at (default: http://<listen>, https:// with TLS)")
      ->envname("BERTH_PUBLIC_URL");
  serve.add_option("--log-level", c.log_level, "trace|debug|info|warn|error|off")
      ->envname("BERTH_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  serve.add_option("--auth", c.auth,
                   "sigv4: ECR API needs SigV4, /v2/ needs the GetAuthorizationToken password; "
                   "none: no authentication")
      ->envname("BERTH_AUTH")
      ->check(CLI::IsMember({"sigv4", "none"}))
      ->capture_default_str();
  add_credentials_file_option(serve, c);
  serve.add_flag("--allow-any-access-key", c.allow_any_access_key,
                 "DEVELOPMENT ONLY: accept every unknown access key without checking its "
                 "signature (requests must still be well-formed SigV4)")
      ->envname("BERTH_ALLOW_ANY_ACCESS_KEY");
  serve.add_option("--token-secret", c.token_secret,
                   "HMAC secret (>= 16 bytes) for registry passwords and download URLs; share it "
                   "between replicas (default: <data-dir>/token-secret, created once)")
      ->envname("BERTH_TOKEN_SECRET")
      ->check([](const std::string& v) {
        return v.size() >= 16 ? std::string() : std::string("must have at least 16 bytes");
      });
  serve.add_option("--repository-uri-template", c.repository_uri_template,
                   "repositoryUri host, with {account} {region} {host}, e.g. "
                   "{account}.dkr.ecr.{region}.amazonaws.com (default: the public URL's host)")
      ->envname("BERTH_REPOSITORY_URI_TEMPLATE");
  serve.add_option("--put-image-validation", c.put_image_validation,
                   "strict: PutImage needs every referenced blob and index child; lenient: "
                   "accept manifests whose blobs or children were never pushed (for suites "
                   "that replaced an ECR mock)")
      ->envname("BERTH_PUT_IMAGE_VALIDATION")
      ->check(CLI::IsMember({"strict", "lenient"}))
      ->capture_default_str();
  serve.add_flag("--allow-sparse-indexes", c.allow_sparse_indexes,
                 "Accept image indexes whose child manifests were not all pushed (the OCI "
                 "distribution spec allows it; ECR refuses with ReferencedImagesNotFoundException "
                 "/ MANIFEST_BLOB_UNKNOWN); an index's size then counts the children present")
      ->envname("BERTH_ALLOW_SPARSE_INDEXES");
  serve.add_option("--ecr-body-limit", c.ecr_body_limit,
                   "Largest ECR API request body in bytes (413 beyond)")
      ->envname("BERTH_ECR_BODY_LIMIT")
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{1} << 32))
      ->capture_default_str();
  add_store_options(serve, c);
  add_duration_option(serve, "--gc-interval", c.gc_interval,
                      "How often the server collects garbage (unreferenced blobs past --gc-delay, "
                      "expired uploads); 0 = never (run berth gc instead)")
      ->envname("BERTH_GC_INTERVAL");
  add_gc_timing_options(serve, c.gc_delay, c.upload_expiry);
  add_duration_option(serve, "--lifecycle-interval", c.lifecycle_interval,
                      "How often the server evaluates the repositories' lifecycle policies, "
                      "expiring and archiving what they select; 0 = never (run berth lifecycle "
                      "--apply instead)")
      ->envname("BERTH_LIFECYCLE_INTERVAL");
  add_tls_options(serve, c);
  add_limit_options(serve, c);
  serve.add_option("--io-threads", c.io_threads, "Network threads (0 = one per core)")
      ->envname("BERTH_IO_THREADS")
      ->capture_default_str();
  serve.add_option("--blocking-threads", c.blocking_threads,
                   "Threads for disk and database work")
      ->envname("BERTH_BLOCKING_THREADS")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  serve.add_option("--sqlite-synchronous", c.sqlite_synchronous,
                   "full: every commit survives power loss; normal: survives process crashes")
      ->envname("BERTH_SQLITE_SYNCHRONOUS")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  serve.add_flag("--access-log,!--no-access-log", c.access_log, "One log line per request")
      ->envname("BERTH_ACCESS_LOG")
      ->capture_default_str();
  serve.add_option("--shutdown-grace", c.shutdown_grace_seconds,
                   "Seconds in-flight requests get to finish on SIGTERM")
      ->envname("BERTH_SHUTDOWN_GRACE")
      ->capture_default_str();
  add_ops_options(serve, c);
}

void add_fsck_options(CLI::App& cmd, fsck::FsckOptions& o) {
  cmd.add_option("--data-dir", o.data_dir,
                 "Data directory to check (its file:// and sqlite:// stores unless "
                 "--blob-store / --meta-store name others)")
      ->envname("BERTH_DATA_DIR");
  cmd.add_option("--blob-store", o.blob_store, "Blob store URL, as for berth serve")
      ->envname("BERTH_BLOB_STORE");
  cmd.add_option("--meta-store", o.meta_store, "Metadata store URL, as for berth serve")
      ->envname("BERTH_META_STORE");
  cmd.add_option("--blob-store-credentials", o.blob_store_credentials,
                 "S3 credentials file, as for berth serve")
      ->envname("BERTH_BLOB_STORE_CREDENTIALS");
  cmd.add_flag("--repair", o.repair,
               "Delete corrupt blobs, stale uploads, dangling links and tags (never valid data)");
  cmd.add_flag("--json", o.json, "Print the summary as JSON");
  cmd.add_flag("--allow-sparse-indexes", o.allow_sparse_indexes,
               "The server accepts sparse indexes: absent index children are no finding")
      ->envname("BERTH_ALLOW_SPARSE_INDEXES");
  cmd.add_option_function<std::string>(
         "--put-image-validation",
         [&o](const std::string& mode) { o.lenient_references = mode == "lenient"; },
         "As the server's: lenient means absent blobs and children of PutImage manifests are no "
         "finding")
      ->envname("BERTH_PUT_IMAGE_VALIDATION")
      ->check(CLI::IsMember({"strict", "lenient"}));
  cmd.add_flag("!--no-verify-content", o.verify_blob_content,
               "Skip hashing blob contents (structure and references only)");
  cmd.add_option_function<std::int64_t>(
         "--stale-after",
         [&o](const std::int64_t& seconds) { o.stale_after = std::chrono::seconds(seconds); },
         "Uploads older than this many seconds are stale (default 86400)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option_function<std::string>(
         "--progress",
         [&o](const std::string& mode) {
           if (mode == "tty") o.progress = fsck::ProgressMode::kTerminal;
           else if (mode == "plain") o.progress = fsck::ProgressMode::kPlain;
           else if (mode == "none") o.progress = fsck::ProgressMode::kNone;
           else o.progress = fsck::ProgressMode::kAuto;
         },
         "auto (a live display on a terminal) | tty | plain | none")
      ->check(CLI::IsMember({"auto", "tty", "plain", "none"}));
}

void add_gc_options(CLI::App& cmd, gc::GcCommandOptions& o) {
  cmd.add_option("--data-dir", o.data_dir,
                 "Data directory whose file:// and sqlite:// stores to collect (unless "
                 "--blob-store / --meta-store name others)")
      ->envname("BERTH_DATA_DIR");
  cmd.add_option("--blob-store", o.blob_store, "Blob store URL, as for berth serve")
      ->envname("BERTH_BLOB_STORE");
  cmd.add_option("--meta-store", o.meta_store, "Metadata store URL, as for berth serve")
      ->envname("BERTH_META_STORE");
  cmd.add_option("--blob-store-credentials", o.blob_store_credentials,
                 "S3 credentials file, as for berth serve")
      ->envname("BERTH_BLOB_STORE_CREDENTIALS");
  cmd.add_flag("--apply", o.apply, "Delete (without it: report what would be deleted)");
  cmd.add_flag("--full", o.full,
               "Also walk the whole blob store for garbage the review queue never saw (a "
               "repair: slow on a large store)");
  cmd.add_flag("--json", o.json, "Print the report as one JSON document");
  cmd.add_flag("!--no-progress", o.progress, "No live progress line on a terminal");
  add_gc_timing_options(cmd, o.delay, o.upload_expiry);
}

void add_backup_options(CLI::App& cmd, backup::BackupCommandOptions& o) {
  cmd.add_option("--data-dir", o.data_dir,
                 "Data directory to back up (its file:// and sqlite:// stores, credentials and "
                 "token secret, unless --blob-store / --meta-store name other stores)")
      ->envname("BERTH_DATA_DIR");
  cmd.add_option("--blob-store", o.blob_store, "Blob store URL, as for berth serve")
      ->envname("BERTH_BLOB_STORE");
  cmd.add_option("--meta-store", o.meta_store,
                 "Metadata store URL, as for berth serve (sqlite:// only: back PostgreSQL up "
                 "with pg_dump)")
      ->envname("BERTH_META_STORE");
  cmd.add_option("--blob-store-credentials", o.blob_store_credentials,
                 "S3 credentials file, as for berth serve")
      ->envname("BERTH_BLOB_STORE_CREDENTIALS");
  cmd.add_option("--to", o.to,
                 "Directory of the backup: a data directory berth serve can run on; a later "
                 "backup into it copies only new blobs")
      ->required();
  cmd.add_flag("--json", o.json, "Print the report as one JSON document");
  cmd.add_flag("!--no-progress", o.progress, "No live progress line on a terminal");
}

void add_lifecycle_options(CLI::App& cmd, lifecycle::LifecycleCommandOptions& o) {
  cmd.add_option("--data-dir", o.data_dir,
                 "Data directory whose file:// and sqlite:// stores to use (unless "
                 "--blob-store / --meta-store name others)")
      ->envname("BERTH_DATA_DIR");
  cmd.add_option("--blob-store", o.blob_store, "Blob store URL, as for berth serve")
      ->envname("BERTH_BLOB_STORE");
  cmd.add_option("--meta-store", o.meta_store, "Metadata store URL, as for berth serve")
      ->envname("BERTH_META_STORE");
  cmd.add_option("--blob-store-credentials", o.blob_store_credentials,
                 "S3 credentials file, as for berth serve")
      ->envname("BERTH_BLOB_STORE_CREDENTIALS");
  cmd.add_flag("--apply", o.apply,
               "Expire and archive (without it: report what the policies would do)");
  cmd.add_flag("--json", o.json, "Print the report as one JSON document");
}

// The test clock (util/test_clock.hpp): TEST ONLY, from the environment,
// and only with the explicit switch; never a flag. A BERTH_TEST_CLOCK
// without BERTH_TEST_MODE=1 stops every command, so it cannot be left on
// by accident.
Status install_test_clock_from_env() {
  const char* file = std::getenv("BERTH_TEST_CLOCK");
  if (file == nullptr || *file == '\0') return ok();
  const char* mode = std::getenv("BERTH_TEST_MODE");
  if (mode == nullptr || std::string_view(mode) != "1") {
    return fail(ErrorCode::kInvalidArgument,
                "BERTH_TEST_CLOCK is for tests only and needs BERTH_TEST_MODE=1; unset it");
  }
  BERTH_TRY_STATUS(install_test_clock(file));
  std::cerr << "berth: TEST MODE: the registry clock reads " << file
            << " (BERTH_TEST_CLOCK); never run this way in production\n";
  return ok();
}

// The credential `berth credentials` prints: the first key of --credentials
// when given (what the server then accepts), else the data directory's
// local key, generated on first use as `berth serve` would.
Result<auth::Credential> credential_to_print(const Config& c) {
  if (!c.credentials_file.empty()) {
    auto store = BERTH_TRY(auth::CredentialStore::load_file(c.credentials_file, c.account_id));
    auto all = store.list();
    if (all.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "credentials file " + c.credentials_file.string() + " lists no access key");
    }
    if (all.size() > 1) {
      std::cerr << "# " << c.credentials_file.string() << " lists " << all.size()
                << " keys; printing the first (" << all.front().access_key_id << ")\n";
    }
    return all.front();
  }
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) {
    return fail(ErrorCode::kUnavailable,
                "cannot create data directory " + c.data_dir.string() + ": " + ec.message());
  }
  return load_or_create_local_credentials(c.data_dir, c.account_id);
}

// `berth credentials`: the key as ready-to-paste commands.
int print_credentials(const Config& c, const std::string& format) {
  auto credential = credential_to_print(c);
  if (!credential) {
    std::cerr << "berth credentials: " << credential.error().message << "\n";
    return 1;
  }
  if (format == "env") {
    std::cout << "export AWS_ACCESS_KEY_ID=" << credential->access_key_id << "\n"
              << "export AWS_SECRET_ACCESS_KEY=" << credential->secret_access_key << "\n"
              << "export AWS_DEFAULT_REGION=" << c.region << "\n";
  } else {
    std::cout << "aws configure set aws_access_key_id " << credential->access_key_id << "\n"
              << "aws configure set aws_secret_access_key " << credential->secret_access_key
              << "\n"
              << "aws configure set region " << c.region << "\n";
  }
  return 0;
}

}  // namespace

namespace {

// Every command's options, for checking and applying --config entries.
std::vector<CommandOptions> command_options(CLI::App& app) {
  std::vector<CommandOptions> out;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    CommandOptions command;
    command.name = sub->get_name();
    for (const CLI::Option* opt : sub->get_options()) {
      for (const std::string& name : opt->get_lnames()) {
        if (name == "help" || name == "config") continue;
        command.options[name] = opt->get_envname();
        command.is_flag[name] = opt->get_expected_min() == 0;
      }
    }
    out.push_back(std::move(command));
  }
  return out;
}

std::string command_list(CLI::App& app) {
  std::string out;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    out += (out.empty() ? "" : ", ") + sub->get_name();
  }
  return out;
}

bool has_subcommand(CLI::App& app, const std::string& name) {
  auto all = app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == name; });
  return !all.empty();
}

// --config is read by config_args.cpp before CLI11 parses; this option only
// documents it in --help.
void document_config_option(CLI::App& cmd, std::string& unused) {
  cmd.add_option("--config", unused,
                 "Settings file (TOML: key = value, keys named like the long flags, top level or "
                 "under [<command>]); flags and BERTH_* variables win over it (env: BERTH_CONFIG)");
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"berth: a container registry speaking OCI Distribution (/v2/) and the AWS ECR API, "
               "with a web console at /console",
               "berth"};
  app.require_subcommand(1);
  std::string config_unused;
  document_config_option(app, config_unused);

  Config config;
  CLI::App* serve = app.add_subcommand("serve", "Run the registry server");
  add_serve_options(*serve, config);
  document_config_option(*serve, config_unused);

  Config credentials_config;
  std::string format = "aws";
  CLI::App* credentials = app.add_subcommand(
      "credentials",
      "Print the access key the server accepts (from --credentials, else the local credentials "
      "of a data directory, generated on first use) as `aws configure set` lines, or as "
      "environment variables with --format env");
  add_registry_options(*credentials, credentials_config);
  add_credentials_file_option(*credentials, credentials_config);
  credentials->add_option("--format", format, "aws | env")
      ->check(CLI::IsMember({"aws", "env"}))
      ->capture_default_str();
  document_config_option(*credentials, config_unused);

  gc::GcCommandOptions gc_options;
  CLI::App* gc_cmd = app.add_subcommand(
      "gc",
      "Collect garbage now, online (servers keep serving): blobs no repository has referenced "
      "for --gc-delay, and uploads abandoned for --upload-expiry. A dry run unless --apply; "
      "exit 0 done, 1 some items failed, 2 cannot run");
  add_gc_options(*gc_cmd, gc_options);
  document_config_option(*gc_cmd, config_unused);

  lifecycle::LifecycleCommandOptions lifecycle_options;
  CLI::App* lifecycle_cmd = app.add_subcommand(
      "lifecycle",
      "Evaluate every repository's lifecycle policy now, online (servers keep serving), as the "
      "server does every --lifecycle-interval. A dry run listing what would be expired and "
      "archived unless --apply; exit 0 done, 1 some repositories failed, 2 cannot run");
  add_lifecycle_options(*lifecycle_cmd, lifecycle_options);
  document_config_option(*lifecycle_cmd, config_unused);

  backup::BackupCommandOptions backup_options;
  CLI::App* backup_cmd = app.add_subcommand(
      "backup",
      "Copy a store, online (servers keep serving), into a directory berth serve can run on: "
      "the metadata as of one instant, then every blob it references, each verified. Exit 0 "
      "done, 1 some blobs could not be copied, 2 cannot run");
  add_backup_options(*backup_cmd, backup_options);
  document_config_option(*backup_cmd, config_unused);

  fsck::FsckOptions fsck_options;
  CLI::App* fsck_cmd = app.add_subcommand(
      "fsck", "Check a data directory: blob hashes, references, tags, uploads (read-only unless "
              "--repair); exit 0 clean, 1 corruption, 2 cannot check");
  add_fsck_options(*fsck_cmd, fsck_options);
  document_config_option(*fsck_cmd, config_unused);
  CLI::App* version = app.add_subcommand("version", "Print the version");

  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto line = take_config_option(std::move(args));
  if (!line) {
    std::cerr << "berth: " << line.error().message << "\n";
    return 2;
  }
  if (!line->config) {
    if (const char* env = std::getenv("BERTH_CONFIG"); env != nullptr && *env != '\0') {
      line->config = env;
    }
  }
  const std::string command = command_word(line->args);
  const bool asks_help = std::any_of(line->args.begin(), line->args.end(), [](const auto& a) {
    return a == "--help" || a == "-h" || a == "--help-all";
  });
  if (!command.empty() && !has_subcommand(app, command)) {
    std::cerr << "berth: unknown command '" << command << "'; the commands are "
              << command_list(app) << " (berth --help)\n";
    return 2;
  }
  if (command.empty() && !asks_help) {
    std::cerr << "berth: a command is required: " << command_list(app) << " (berth --help)\n";
    return 2;
  }
  if (line->config && !command.empty()) {
    auto entries = read_config_file(*line->config);
    if (!entries) {
      std::cerr << "berth: " << entries.error().message << "\n";
      return 2;
    }
    auto applied = apply_config(line->args, *entries, *line->config, command,
                                command_options(app), [](const char* n) { return std::getenv(n); });
    if (!applied) {
      std::cerr << "berth: " << applied.error().message << "\n";
      return 2;
    }
    line->args = std::move(*applied);
  }

  try {
    std::vector<std::string> reversed(line->args.rbegin(), line->args.rend());
    app.parse(reversed);  // CLI11 takes a vector in reverse order
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2, as scripts (and `berth fsck`'s contract) expect;
    // --help and --version still exit 0.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (version->parsed()) {
    std::cout << "berth " << BERTH_VERSION << "\n";
    return 0;
  }
  if (auto clock = install_test_clock_from_env(); !clock) {
    std::cerr << "berth: " << clock.error().message << "\n";
    return 2;
  }
  if (credentials->parsed()) return print_credentials(credentials_config, format);
  if (serve->parsed()) return run_serve(config);
  if (fsck_cmd->parsed()) return fsck::run_fsck(fsck_options);
  if (gc_cmd->parsed()) return gc::run_gc(gc_options, stdout, stderr);
  if (lifecycle_cmd->parsed()) return lifecycle::run_lifecycle(lifecycle_options, stdout, stderr);
  if (backup_cmd->parsed()) return backup::run_backup(backup_options, stdout, stderr);
  return 1;
}

}  // namespace berth::app
