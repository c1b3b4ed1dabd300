#include "app/ops_options.hpp"

#include "app/ops_endpoints.hpp"

namespace berth::app {

void add_ops_options(CLI::App& serve, Config& c) {
  serve.footer(
      "Health and metrics, on --listen and --admin-listen:\n"
      "  GET /livez    200 while the process answers (Kubernetes livenessProbe)\n"
      "  GET /readyz   200 when both stores answer; 503 from SIGTERM on (readinessProbe;\n"
      "                haproxy: option httpchk GET /readyz + http-check expect status 200)\n"
      "  GET /metrics  Prometheus text format (loopback or --admin-listen, or --metrics-auth)\n"
      "README \"Running in production\" lists every metric and a probe configuration.");
  serve.add_option("--log-format", c.log_format,
                   "text: one human-readable line per event; json: one JSON object per line "
                   "(access lines carry request_id, principal, operation, status, bytes, "
                   "duration_ms). Text unless asked, on a terminal or not")
      ->envname("BERTH_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  serve.add_option("--admin-listen", c.admin_listen,
                   "host:port of a second listener serving only GET /metrics, /livez and /readyz "
                   "(metrics open to whoever reaches it unless --metrics-auth); it closes with "
                   "the main listener, after --shutdown-delay")
      ->envname("BERTH_ADMIN_LISTEN");
  serve.add_option("--metrics-auth", c.metrics_auth,
                   "USER:PASSWORD: GET /metrics needs these HTTP Basic credentials, on every "
                   "listener and from every address (default: /metrics on --listen answers "
                   "loopback clients only). Prefer BERTH_METRICS_AUTH or the config file: a flag "
                   "shows in ps")
      ->envname("BERTH_METRICS_AUTH")
      ->check([](const std::string& v) {
        auto parsed = parse_basic_credentials(v);
        return parsed ? std::string() : parsed.error().message;
      });
  serve.add_option("--events-config", c.events_config,
                   "JSON file of webhook endpoints for registry events (image pushed or deleted, "
                   "tag deleted, repository created or deleted), sent as CloudEvents 1.0 or ECR "
                   "EventBridge bodies from a queue kept in <data-dir>/events (README \"Events\")")
      ->envname("BERTH_EVENTS_CONFIG")
      ->check(CLI::ExistingFile);
  serve.add_option("--shutdown-delay", c.shutdown_delay_seconds,
                   "Seconds between SIGTERM and closing the listener, during which /readyz "
                   "answers 503 and requests are still served, so a load balancer stops sending "
                   "new ones first; then --shutdown-grace applies")
      ->envname("BERTH_SHUTDOWN_DELAY")
      ->check(CLI::Range(0u, 3600u))
      ->capture_default_str();
}

}  // namespace berth::app
