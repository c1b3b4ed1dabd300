#include "app/serve.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <thread>
#include <vector>

#include "api/oci/oci_api.hpp"
#include "app/front_door.hpp"
#include "http/server.hpp"
#include "registry/registry.hpp"
#include "storage/blob/fs/fs_blob_store.hpp"
#include "storage/meta/sqlite/sqlite_meta_store.hpp"
#include "util/log.hpp"

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

}  // namespace

int run_serve(const Config& config) {
  if (auto logged = init_logging(config.log_level); !logged) {
    spdlog::error("{}", logged.error().message);
    return 2;
  }
  auto listen = parse_listen(config.listen);
  if (!listen) {
    spdlog::error("{}", listen.error().message);
    return 2;
  }
  std::error_code fs_ec;
  std::filesystem::create_directories(config.data_dir, fs_ec);
  if (fs_ec) {
    spdlog::error("cannot create data directory {}: {}", config.data_dir.string(), fs_ec.message());
    return 1;
  }

  auto blobs = storage::blob::open_fs_blob_store(config.data_dir);
  if (!blobs) {
    spdlog::error("cannot open blob store: {}", blobs.error().message);
    return 1;
  }
  storage::meta::SqliteOptions sqlite_options;
  sqlite_options.synchronous_full = config.sqlite_synchronous == "full";
  auto meta = storage::meta::open_sqlite_meta_store(config.data_dir / "metadata.db", sqlite_options);
  if (!meta) {
    spdlog::error("cannot open metadata store: {}", meta.error().message);
    return 1;
  }

  registry::Registry core(**blobs, **meta);
  asio::io_context io;
  asio::thread_pool blocking(config.blocking_threads);

  api::oci::OciApiOptions oci_options;
  oci_options.registry_id = config.default_registry_id();
  api::oci::OciApi oci(core, blocking, oci_options);
  FrontDoor front_door(oci);

  http::ServerOptions server_options;
  server_options.listen_address = listen->host;
  server_options.port = listen->port;
  server_options.access_log = config.access_log;
  server_options.shutdown_grace = std::chrono::seconds(config.shutdown_grace_seconds);
  http::Server server(io, server_options,
                      [&front_door](http::Request& r) { return front_door.handle(r); });
  if (auto started = server.start(); !started) {
    spdlog::error("cannot listen on {}: {}", config.listen, started.error().message);
    return 1;
  }
  std::string public_url =
      config.public_url.empty() ? "http://" + config.listen : config.public_url;
  spdlog::info("berth {} listening on {}:{} (public URL {}), data in {}", BERTH_VERSION,
               listen->host, server.port(), public_url, config.data_dir.string());

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {} received: draining connections", signo);
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
  blocking.join();
  spdlog::info("berth stopped");
  return 0;
}

}  // namespace berth::app
