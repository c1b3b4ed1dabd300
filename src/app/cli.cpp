#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/serve.hpp"

namespace berth::app {

namespace {

void add_serve_options(CLI::App& serve, Config& c) {
  serve.add_option("--listen", c.listen, "Address to listen on, host:port")
      ->envname("BERTH_LISTEN")
      ->capture_default_str();
  serve.add_option("--data-dir", c.data_dir, "Directory holding blobs and the metadata database")
      ->envname("BERTH_DATA_DIR")
      ->capture_default_str();
  serve.add_option("--public-url", c.public_url,
                   "URL clients reach berth at (default: http://<listen>)")
      ->envname("BERTH_PUBLIC_URL");
  serve.add_option("--log-level", c.log_level, "trace|debug|info|warn|error|off")
      ->envname("BERTH_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  serve.add_option("--auth", c.auth, "Authentication mode: none (SigV4 arrives with the ECR API)")
      ->envname("BERTH_AUTH")
      ->check(CLI::IsMember({"none"}))
      ->capture_default_str();
  serve.add_option("--account-id", c.account_id, "Account id of the default registry (12 digits)")
      ->envname("BERTH_ACCOUNT_ID")
      ->check([](const std::string& v) {
        bool ok = v.size() == 12 && v.find_first_not_of("0123456789") == std::string::npos;
        return ok ? std::string() : std::string("must be 12 digits");
      })
      ->capture_default_str();
  serve.add_option("--region", c.region, "Region of the default registry")
      ->envname("BERTH_REGION")
      ->capture_default_str();
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
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"berth: a container registry speaking OCI Distribution (and soon AWS ECR)", "berth"};
  app.require_subcommand(1);
  app.set_config("--config", "", "Read settings from a TOML/INI file (keys as flag names)");

  Config config;
  CLI::App* serve = app.add_subcommand("serve", "Run the registry server");
  add_serve_options(*serve, config);
  CLI::App* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (version->parsed()) {
    std::cout << "berth " << BERTH_VERSION << "\n";
    return 0;
  }
  if (serve->parsed()) return run_serve(config);
  return 1;
}

}  // namespace berth::app
