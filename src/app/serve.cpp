#include "app/serve.hpp"


#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <malloc.h>
#include <thread>
#include <vector>

#include "api/ecr/ecr_api.hpp"
#include "api/oci/oci_api.hpp"
#include "api/oci/registry_auth.hpp"
#include "app/front_door.hpp"
#include "app/local_secrets.hpp"
#include "app/public_url.hpp"
#include "auth/credentials.hpp"
#include "gc/schedule.hpp"
#include "lifecycle/schedule.hpp"
#include "auth/ecr_token.hpp"
#include "http/concurrency_limit.hpp"
#include "http/server.hpp"
#include "registry/registry.hpp"
#include "storage/factory/store_factory.hpp"
#include "storage/factory/store_url.hpp"
#include "util/log.hpp"
#include "util/time.hpp"
#include "util/writable.hpp"

namespace berth::app {

namespace asio = boost::asio;

namespace {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

Result<ListenAddress> parse_listen(std::string_view listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "--listen must be host:port");
  }
  ListenAddress out;
  out.host = std::string(listen.substr(0, colon));
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  std::string port(listen.substr(colon + 1));
  try {
    unsigned long p = std::stoul(port);
    if (p > 65535) throw std::out_of_range("port");
    out.port = static_cast<std::uint16_t>(p);
  } catch (const std::exception&) {
    return fail(ErrorCode::kInvalidArgument, "--listen has an invalid port: " + port);
  }
  if (out.host.empty()) out.host = "0.0.0.0";
  return out;
}

// The credential store for --auth sigv4: --credentials, else the generated
// local credentials (their key id logged; the secret only in the 0600 file).
Result<std::shared_ptr<auth::CredentialStore>> load_credentials(const Config& config) {
  auto store = std::make_shared<auth::CredentialStore>();
  if (config.auth != "sigv4") return store;
  if (!config.credentials_file.empty()) {
    *store = BERTH_TRY(auth::CredentialStore::load_file(config.credentials_file, config.account_id));
    log::info("SigV4 credentials: {} access key(s) from {}", store->size(),
              config.credentials_file.string());
  } else {
    auth::Credential local =
        BERTH_TRY(load_or_create_local_credentials(config.data_dir, config.account_id));
    BERTH_TRY_STATUS(store->add(local));
    // The secret never goes to the log; `berth credentials` prints it on demand.
    log::info("SigV4 local credentials: access key {} in {} (print them for `aws configure` "
              "with: berth credentials --data-dir {})",
              local.access_key_id, (config.data_dir / kLocalCredentialsFile).string(),
              config.data_dir.string());
  }
  if (config.allow_any_access_key) {
    BERTH_TRY_STATUS(store->accept_any_key(config.account_id));
    log::warn("--allow-any-access-key: DEVELOPMENT MODE, any unknown access key is accepted "
              "WITHOUT checking its signature; never expose this server");
  }
  return store;
}

// Usage errors (a malformed store URL) exit 2, like a bad flag; a store
// that cannot be reached or used exits 1.
int exit_code_for(const Error& error) { return error.code == ErrorCode::kInvalidArgument ? 2 : 1; }

// How long a presigned blob URL lives (--blob-redirect): long enough for a
// slow client to start the download, short enough to be useless if leaked.
constexpr std::chrono::seconds kBlobRedirectTtl{600};

Result<std::string> token_secret(const Config& config) {
  if (!config.token_secret.empty()) return config.token_secret;
  return load_or_create_token_secret(config.data_dir);
}

}  // namespace

int run_serve(const Config& config) {
  // glibc gives every thread its own malloc arena; two are plenty for a
  // server whose buffers are per connection, and idle memory drops by a
  // fifth (measured in docs/performance.md).
  mallopt(M_ARENA_MAX, 2);
  if (auto logged = init_logging(config.log_level); !logged) {
    log::error("{}", logged.error().message);
    return 2;
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    log::error("--tls-cert and --tls-key go together: give both or neither");
    return 2;
  }
  auto listen = parse_listen(config.listen);
  if (!listen) {
    log::error("{}", listen.error().message);
    return 2;
  }
  std::error_code fs_ec;
  std::filesystem::create_directories(config.data_dir, fs_ec);
  if (fs_ec) {
    log::error("cannot create data directory {}: {}", config.data_dir.string(), fs_ec.message());
    return 1;
  }
  if (std::string why = why_not_writable(config.data_dir); !why.empty()) {
    log::error("cannot serve from data directory {}: {}", config.data_dir.string(), why);
    return 1;
  }

  // Nothing half-created: both URLs are checked before either store is
  // opened, and the metadata store (a server that may be down, or refuse
  // the password) opens before the blob store creates anything.
  for (const std::string& url : {config.effective_meta_store(), config.effective_blob_store()}) {
    if (auto parsed = storage::factory::parse_store_url(url); !parsed) {
      log::error("{}", parsed.error().message);
      return exit_code_for(parsed.error());
    }
  }
  storage::factory::MetaStoreOpenOptions meta_options;
  meta_options.synchronous_full = config.sqlite_synchronous == "full";
  auto meta = storage::factory::open_meta_store(config.effective_meta_store(), meta_options);
  if (!meta) {
    log::error("cannot open the metadata store: {}", meta.error().message);
    return exit_code_for(meta.error());
  }
  storage::factory::BlobStoreOpenOptions blob_options;
  blob_options.create_bucket = config.create_bucket;
  blob_options.credentials_file = config.blob_store_credentials;
  auto blobs = storage::factory::open_blob_store(config.effective_blob_store(), blob_options);
  if (!blobs) {
    log::error("cannot open the blob store: {}", blobs.error().message);
    return exit_code_for(blobs.error());
  }

  // Alone on the store: every upload lease belongs to a process that died
  // (this one's previous run, usually), so clients resuming after a crash
  // need not wait for the leases to expire.
  if (auto alone = (*meta)->lock_store(storage::meta::StoreLockMode::kExclusive)) {
    auto cleared = (*meta)->clear_upload_leases();
    if (cleared && *cleared > 0) log::info("freed {} upload lease(s) left by a stopped process", *cleared);
  }
  // Held for the process's lifetime: `berth fsck --repair` refuses to run
  // beside a server.
  auto store_lock = (*meta)->lock_store(storage::meta::StoreLockMode::kShared);
  if (!store_lock) {
    log::error("cannot serve: {}", store_lock.error().message);
    return 1;
  }

  registry::RegistryOptions registry_options;
  registry_options.allow_sparse_indexes = config.allow_sparse_indexes;
  if (config.blob_redirect) registry_options.blob_redirect_ttl = kBlobRedirectTtl;
  asio::io_context io;
  asio::thread_pool blocking(config.blocking_threads);
  registry::Registry core(**blobs, **meta, blocking, registry_options);

  gc::GcOptions gc_options;
  gc_options.delay = config.gc_delay;
  gc_options.upload_expiry = config.upload_expiry;
  gc::GcSchedule gc_schedule(**blobs, **meta, gc_options, config.gc_interval);
  lifecycle::LifecycleSchedule lifecycle_schedule(core, **meta, config.lifecycle_interval);

  auto credentials = load_credentials(config);
  if (!credentials) {
    log::error("cannot load credentials: {}", credentials.error().message);
    return 2;
  }
  auto secret = token_secret(config);
  if (!secret) {
    log::error("cannot load the token secret: {}", secret.error().message);
    return 1;
  }
  const PublicUrl derived = derive_public_url(config);
  if (!derived.warning.empty()) log::warn("{}", derived.warning);
  const std::string& public_url = derived.url;
  auto passwords = std::make_shared<const auth::EcrTokenSigner>(*secret);
  auto downloads = std::make_shared<const api::oci::DownloadTokenSigner>(*secret);

  api::oci::RegistryAuthSettings registry_gate;
  registry_gate.required = config.auth == "sigv4";
  registry_gate.default_registry_id = config.default_registry_id();
  registry_gate.realm = public_url;
  registry_gate.passwords = passwords;
  registry_gate.downloads = downloads;

  // Shared by both front ends: a push through either API counts.
  auto upload_limit = std::make_shared<http::ConcurrencyLimit>(config.max_concurrent_uploads);

  api::oci::OciApiOptions oci_options;
  oci_options.registry_id = config.default_registry_id();
  oci_options.max_manifest_size = config.max_manifest_bytes;
  oci_options.upload_limit = upload_limit;
  oci_options.auth = registry_gate;
  api::oci::OciApi oci(core, blocking, oci_options);

  api::ecr::EcrSettings ecr_settings;
  ecr_settings.default_account_id = config.account_id;
  ecr_settings.default_region = config.region;
  if (!config.repository_uri_template.empty()) {
    ecr_settings.repository_uri_template = config.repository_uri_template;
  }
  ecr_settings.public_url = public_url;
  ecr_settings.lenient_put_image = config.put_image_validation == "lenient";
  ecr_settings.authorization_token_ttl_ms = auth::kEcrTokenLifetimeMs;

  api::ecr::EcrServices ecr_services;
  ecr_services.blob_download_url = [downloads, public_url](const registry::RepositoryRef& repo,
                                                          const oci::Digest& digest,
                                                          std::int64_t ttl_seconds) {
    std::string token = downloads->issue(
        {repo.registry, repo.name, digest.str(), now_ms() + ttl_seconds * 1000});
    return public_url + api::oci::blob_download_target(repo.name, digest.str(), token);
  };
  ecr_services.issue_registry_password = [passwords](const api::ecr::Caller& caller,
                                                     std::int64_t expires_at_ms) {
    return passwords->issue({caller.access_key_id, caller.account_id, caller.region, expires_at_ms});
  };

  api::ecr::EcrApiOptions ecr_options;
  ecr_options.auth_mode =
      config.auth == "sigv4" ? api::ecr::EcrAuthMode::kSigV4 : api::ecr::EcrAuthMode::kNone;
  ecr_options.credentials = *credentials;
  ecr_options.body_limit = config.ecr_body_limit;
  ecr_options.max_layer_part_bytes = config.max_layer_part_bytes;
  ecr_options.max_json_depth = config.max_json_depth;
  ecr_options.upload_limit = upload_limit;
  api::ecr::EcrApi ecr(core, blocking, ecr_settings, ecr_services, ecr_options);

  api::console::ConsoleOptions console_options;
  console_options.sign_in.check_secrets = config.auth == "sigv4";
  console_options.sign_in.credentials = *credentials;
  console_options.sign_in.default_account_id = config.account_id;
  console_options.default_region = config.region;
  console_options.public_url = public_url;
  console_options.repository_uri_template = ecr_settings.repository_uri_template;
  console_options.tls = config.tls();
  api::console::ConsoleApi console(core, blocking, console_options);

  FrontDoor front_door(oci, ecr, console);

  http::ServerOptions server_options;
  server_options.listen_address = listen->host;
  server_options.port = listen->port;
  server_options.access_log = config.access_log;
  server_options.shutdown_grace = std::chrono::seconds(config.shutdown_grace_seconds);
  server_options.header_limit = static_cast<std::size_t>(config.max_header_bytes);
  server_options.read_timeout = std::chrono::seconds(config.read_timeout_seconds);
  server_options.idle_timeout = std::chrono::seconds(config.idle_timeout_seconds);
  server_options.min_body_rate = config.min_body_rate;
  if (config.tls()) server_options.tls = http::TlsOptions{config.tls_cert, config.tls_key};
  http::Server server(io, server_options,
                      [&front_door](http::Request& r) { return front_door.handle(r); });
  if (auto started = server.start(); !started) {
    const Error& error = started.error();
    log::error("cannot listen on {}: {}{}{}", config.listen, error.message,
               error.detail.empty() ? "" : ": ", error.detail);
    return error.code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  log::info("berth {} listening on {}:{}{} (public URL {}), blobs {}, metadata {}, auth {}, "
            "default registry {}",
            BERTH_VERSION, listen->host, server.port(), config.tls() ? " with TLS" : "",
            public_url, storage::factory::redact_url(config.effective_blob_store()),
            storage::factory::redact_url(config.effective_meta_store()), config.auth,
            config.default_registry_id());

  gc_schedule.start();
  lifecycle_schedule.start();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::info("signal {} received: draining connections", signo);
    server.stop();
    // A watchdog outside the io_context, so an early, clean drain is not held
    // back by a pending timer; whatever remains after the grace is dropped.
    std::thread([&io, grace = config.shutdown_grace_seconds] {
      std::this_thread::sleep_for(std::chrono::seconds(grace + 1));
      io.stop();
    }).detach();
  });

  unsigned threads = config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : workers) t.join();
  lifecycle_schedule.stop();
  gc_schedule.stop();
  blocking.join();
  log::info("berth stopped");
  return 0;
}

}  // namespace berth::app
