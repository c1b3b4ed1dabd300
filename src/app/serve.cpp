#include "app/serve.hpp"


#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <malloc.h>
#include <thread>
#include <vector>

#include "api/ecr/ecr_api.hpp"
#include "api/oci/oci_api.hpp"
#include "access/access_control.hpp"
#include "access/rate_limiter.hpp"
#include "api/oci/registry_auth.hpp"
#include "app/front_door.hpp"
#include "app/local_secrets.hpp"
#include "app/observability.hpp"
#include "app/ops_endpoints.hpp"
#include "app/public_url.hpp"
#include "auth/credentials.hpp"
#include "gc/schedule.hpp"
#include "lifecycle/schedule.hpp"
#include "auth/ecr_token.hpp"
#include "events/dispatcher.hpp"
#include "http/concurrency_limit.hpp"
#include "http/server.hpp"
#include "registry/registry.hpp"
#include "storage/factory/store_factory.hpp"
#include "storage/factory/store_url.hpp"
#include "storage/metered/metered_blob_store.hpp"
#include "storage/metered/metered_meta_store.hpp"
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
  const LogFormat log_format = config.log_format == "json" ? LogFormat::kJson : LogFormat::kText;
  if (auto logged = init_logging(config.log_level, log_format); !logged) {
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
  std::optional<ListenAddress> admin_listen;
  if (!config.admin_listen.empty()) {
    auto parsed = parse_listen(config.admin_listen);
    if (!parsed) {
      log::error("--admin-listen: {}", parsed.error().message);
      return 2;
    }
    admin_listen = std::move(*parsed);
  }
  std::optional<BasicCredentials> metrics_auth;
  if (!config.metrics_auth.empty()) {
    auto parsed = parse_basic_credentials(config.metrics_auth);
    if (!parsed) {
      log::error("{}", parsed.error().message);
      return 2;
    }
    metrics_auth = std::move(*parsed);
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
  std::string backend_names[2];  // meta, blob: the metrics' backend labels
  for (int i = 0; const std::string& url : {config.effective_meta_store(), config.effective_blob_store()}) {
    auto parsed = storage::factory::parse_store_url(url);
    if (!parsed) {
      log::error("{}", parsed.error().message);
      return exit_code_for(parsed.error());
    }
    backend_names[i++] = store_backend_name(parsed->scheme);
  }
  // Before the stores: the SQLite store reports its group commits into it.
  Observability observability(BERTH_VERSION);
  storage::factory::MetaStoreOpenOptions meta_options;
  meta_options.synchronous_full = config.sqlite_synchronous == "full";
  meta_options.on_group_commit = observability.stores.group_commit_observer();
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

  // Everything below reaches the stores through the metered decorators,
  // so GET /metrics times every store call the server makes.
  storage::metered::MeteredMetaStore metered_meta(**meta, backend_names[0], observability.stores);
  storage::metered::MeteredBlobStore metered_blobs(**blobs, backend_names[1],
                                                   observability.stores);

  // Webhooks: events queue on disk as the core commits changes; delivery
  // threads start with the listener and stop after the drain.
  std::unique_ptr<events::EventDispatcher> dispatcher;
  if (!config.events_config.empty()) {
    auto events_config = events::load_events_config(config.events_config);
    if (!events_config) {
      log::error("{}", events_config.error().message);
      return 2;
    }
    events::DispatcherOptions events_options;
    events_options.queue_dir = config.data_dir / "events";
    events_options.source = derive_public_url(config).url;
    events_options.user_agent = std::string("berth/") + BERTH_VERSION;
    const std::size_t endpoints = events_config->endpoints.size();
    auto opened = events::EventDispatcher::open(std::move(*events_config),
                                                std::move(events_options), observability.registry);
    if (!opened) {
      log::error("cannot open the event queues: {} {}", opened.error().message,
                 opened.error().detail);
      return 1;
    }
    dispatcher = std::move(*opened);
    log::info("events: {} webhook endpoint(s) from {}", endpoints, config.events_config.string());
  }

  registry::RegistryOptions registry_options;
  if (dispatcher) registry_options.events = dispatcher->sink();
  registry_options.allow_sparse_indexes = config.allow_sparse_indexes;
  registry_options.quotas = {config.max_repositories_per_registry,
                             config.max_images_per_repository,
                             config.max_layer_parts_per_upload, config.storage_quota_bytes};
  if (config.blob_redirect) registry_options.blob_redirect_ttl = kBlobRedirectTtl;
  asio::io_context io;
  asio::thread_pool blocking(config.blocking_threads);
  registry::Registry core(metered_blobs, metered_meta, blocking, registry_options);

  gc::GcOptions gc_options;
  gc_options.delay = config.gc_delay;
  gc_options.upload_expiry = config.upload_expiry;
  gc::GcSchedule gc_schedule(metered_blobs, metered_meta, gc_options, config.gc_interval,
                             observability.gc.observer());
  lifecycle::LifecycleSchedule lifecycle_schedule(core, metered_meta, config.lifecycle_interval,
                                                  observability.lifecycle.observer());

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
  registry_gate.credentials = *credentials;
  // One enforcement point for both front ends (repository, registry and
  // identity policies); only authenticated requests have someone to decide for.
  std::shared_ptr<access::AccessControl> access_control;
  // Per-key token buckets, off unless --rate-limit; shared by both APIs.
  std::shared_ptr<access::RateLimiter> rate_limiter;
  if (config.auth == "sigv4" && config.rate_limit > 0) {
    const double burst = config.rate_burst > 0 ? config.rate_burst : 2 * config.rate_limit;
    rate_limiter = std::make_shared<access::RateLimiter>(access::RateLimit{config.rate_limit, burst});
  }
  if (config.auth == "sigv4") {
    access_control = std::make_shared<access::AccessControl>(core);
    registry_gate.cross_account_by_policy = true;
  }

  // Shared by both front ends: a push through either API counts.
  auto upload_limit = std::make_shared<http::ConcurrencyLimit>(config.max_concurrent_uploads);
  observability.watch_uploads(*upload_limit);

  api::oci::OciApiOptions oci_options;
  oci_options.registry_id = config.default_registry_id();
  oci_options.max_manifest_size = config.max_manifest_bytes;
  oci_options.upload_limit = upload_limit;
  oci_options.auth = registry_gate;
  oci_options.access = access_control;
  oci_options.rate_limiter = rate_limiter;
  oci_options.secure_transport = config.tls();
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
  // With --blob-redirect, a presigned URL of the blob store itself (S3), as
  // ECR hands out; else (or where the store cannot presign) berth's own.
  ecr_services.blob_download_url = [downloads, public_url, redirect = config.blob_redirect,
                                    &blob_store = **blobs](const registry::RepositoryRef& repo,
                                                           const oci::Digest& digest,
                                                           std::int64_t ttl_seconds) {
    if (redirect) {
      auto url = blob_store.redirect_url(digest, std::chrono::seconds(ttl_seconds));
      if (url && url->has_value()) return std::move(**url);
    }
    std::string token = downloads->issue(
        {repo.registry, repo.name, digest.str(), now_ms() + ttl_seconds * 1000});
    return public_url + api::oci::blob_download_target(repo.name, digest.str(), token);
  };
  ecr_services.issue_registry_password = [passwords](const api::ecr::Caller& caller,
                                                     std::string_view registry_account,
                                                     std::int64_t expires_at_ms) {
    return passwords->issue({caller.access_key_id, std::string(registry_account), caller.region,
                             expires_at_ms, caller.account_id, caller.principal});
  };

  api::ecr::EcrApiOptions ecr_options;
  ecr_options.auth_mode =
      config.auth == "sigv4" ? api::ecr::EcrAuthMode::kSigV4 : api::ecr::EcrAuthMode::kNone;
  ecr_options.credentials = *credentials;
  ecr_options.body_limit = config.ecr_body_limit;
  ecr_options.max_layer_part_bytes = config.max_layer_part_bytes;
  ecr_options.max_json_depth = config.max_json_depth;
  ecr_options.upload_limit = upload_limit;
  ecr_options.access = access_control;
  ecr_options.rate_limiter = rate_limiter;
  ecr_options.secure_transport = config.tls();
  api::ecr::EcrApi ecr(core, blocking, ecr_settings, ecr_services, ecr_options);

  OpsEndpoints ops(
      observability.registry, blocking,
      [&metered_blobs, &metered_meta] { return check_stores(metered_blobs, metered_meta); },
      metrics_auth);

  api::console::ConsoleOptions console_options;
  console_options.sign_in.check_secrets = config.auth == "sigv4";
  console_options.sign_in.credentials = *credentials;
  console_options.sign_in.default_account_id = config.account_id;
  // Replicas sharing the token secret share console sessions too.
  console_options.session_secret = *secret;
  console_options.default_region = config.region;
  console_options.public_url = public_url;
  console_options.repository_uri_template = ecr_settings.repository_uri_template;
  console_options.tls = config.tls();
  // The console decides as the ECR API does, for the signed-in identity.
  console_options.access = access_control;
  api::console::ConsoleApi console(core, blocking, console_options);

  FrontDoor front_door(oci, ecr, console, &ops);

  http::ServerOptions server_options;
  server_options.listen_address = listen->host;
  server_options.port = listen->port;
  server_options.access_log = config.access_log;
  server_options.access_log_format =
      log_format == LogFormat::kJson ? http::AccessLogFormat::kJson : http::AccessLogFormat::kText;
  server_options.on_request = [&observability](const http::RequestRecord& record) {
    observability.requests.record(record);
  };
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
  // The admin listener: the operator's endpoints only, no access log (a
  // scrape every few seconds would drown it), counted in the metrics.
  std::optional<http::Server> admin;
  if (admin_listen) {
    http::ServerOptions admin_options = server_options;
    admin_options.listen_address = admin_listen->host;
    admin_options.port = admin_listen->port;
    admin_options.access_log = false;
    admin.emplace(io, admin_options, [&ops](http::Request& r) -> asio::awaitable<http::Response> {
      if (OpsEndpoints::owns(r)) co_return co_await ops.handle(r, Listener::kAdmin);
      http::Response none(http::beast_http::status::not_found);
      none.body = "not found: this listener serves /metrics, /livez and /readyz\n";
      co_return none;
    });
    if (auto started = admin->start(); !started) {
      log::error("cannot listen on {} (--admin-listen): {}{}{}", config.admin_listen,
                 started.error().message, started.error().detail.empty() ? "" : ": ",
                 started.error().detail);
      return 1;
    }
  }
  log::info("berth {} listening on {}:{}{} (public URL {}), blobs {}, metadata {}, auth {}, "
            "default registry {}",
            BERTH_VERSION, listen->host, server.port(), config.tls() ? " with TLS" : "",
            public_url, storage::factory::redact_url(config.effective_blob_store()),
            storage::factory::redact_url(config.effective_meta_store()), config.auth,
            config.default_registry_id());

  gc_schedule.start();
  lifecycle_schedule.start();
  if (dispatcher) dispatcher->start();
  // SIGTERM: /readyz turns 503 at once; the listeners keep accepting for
  // --shutdown-delay so load balancers notice, then close and drain. The
  // signal and the delay share a strand: their handlers never overlap.
  auto shutdown_strand = asio::make_strand(io);
  asio::signal_set signals(shutdown_strand, SIGINT, SIGTERM);
  asio::steady_timer shutdown_delay(shutdown_strand);
  auto stop_listening = [&] {
    // No signal wait may stay pending: io.run() returns once the drain ends.
    boost::system::error_code ignored;
    signals.cancel(ignored);
    server.stop();
    if (admin) admin->stop();
    // A watchdog outside the io_context, so an early, clean drain is not held
    // back by a pending timer; whatever remains after the grace is dropped.
    std::thread([&io, grace = config.shutdown_grace_seconds] {
      std::this_thread::sleep_for(std::chrono::seconds(grace + 1));
      io.stop();
    }).detach();
  };
  // A second signal during the delay ends it (an impatient operator, or a
  // supervisor that knows the load balancer has moved on).
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (ops.draining()) {
      log::info("signal {} received again: draining connections now", signo);
      shutdown_delay.cancel();
      return;
    }
    ops.begin_draining();
    if (config.shutdown_delay_seconds == 0) {
      log::info("signal {} received: draining connections", signo);
      stop_listening();
      return;
    }
    log::info("signal {} received: /readyz answers 503; draining connections in {}s (or at the "
              "next signal)",
              signo, config.shutdown_delay_seconds);
    shutdown_delay.expires_after(std::chrono::seconds(config.shutdown_delay_seconds));
    shutdown_delay.async_wait([&](const boost::system::error_code&) { stop_listening(); });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  unsigned threads = config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : workers) t.join();
  lifecycle_schedule.stop();
  gc_schedule.stop();
  if (dispatcher) dispatcher->stop();
  blocking.join();
  log::info("berth stopped");
  return 0;
}

}  // namespace berth::app
