// OpsEndpoints: the operator's endpoints, next to the APIs on the main
// listener and alone on --admin-listen:
//
//   GET /livez    200 "ok" while the process answers HTTP at all.
//   GET /readyz   200 "ok" when both stores answer a cheap call; 503
//                 "draining" once SIGTERM arrived, 503 "not ready: <store>"
//                 when a store fails (the detail goes to the log only).
//   GET /metrics  the Prometheus text format (metrics/metrics.hpp).
//
// Who may read /metrics (check_metrics_access): with --metrics-auth
// USER:PASSWORD, anyone presenting those HTTP Basic credentials, on either
// listener, and nobody else; without it, loopback clients of the main
// listener and every client of the admin listener (its address is the
// operator's choice of who can reach it). The health endpoints are open:
// they reveal nothing but "ok".
//
// Thread-safety: handle() runs concurrently; begin_draining() from any
// thread.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "metrics/metrics.hpp"
#include "util/result.hpp"

namespace berth::app {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// "USER:PASSWORD" (the password may hold ':'); kInvalidArgument when either
// part is empty.
Result<BasicCredentials> parse_basic_credentials(std::string_view text);

enum class Listener { kMain, kAdmin };

enum class MetricsAccess {
  kAllowed,
  kNeedsCredentials,  // 401 with a Basic challenge
  kLoopbackOnly,      // 403: no credentials configured, client not loopback
};

// 127.0.0.0/8, ::1 and IPv4-mapped loopback, as Session reports addresses.
bool is_loopback_address(std::string_view address);

MetricsAccess check_metrics_access(const std::optional<BasicCredentials>& required,
                                   Listener listener, std::string_view remote_address,
                                   std::string_view authorization_header);

class OpsEndpoints {
 public:
  // Blocking: asks each store one cheap question; runs on the blocking pool.
  // An error names the store that failed.
  using ReadinessCheck = std::function<Status()>;

  OpsEndpoints(const metrics::Registry& registry, boost::asio::thread_pool& blocking,
               ReadinessCheck readiness, std::optional<BasicCredentials> metrics_auth);

  // GET or HEAD (or any method: refused with 405) of one of the three paths.
  static bool owns(const http::Request& request);

  boost::asio::awaitable<http::Response> handle(http::Request& request, Listener listener);

  // From now on /readyz answers 503 (SIGTERM: the load balancer should stop
  // sending new work while in-flight requests finish).
  void begin_draining() { draining_.store(true, std::memory_order_relaxed); }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

 private:
  boost::asio::awaitable<http::Response> readyz();
  boost::asio::awaitable<http::Response> metrics(const http::Request& request, Listener listener);

  const metrics::Registry& registry_;
  boost::asio::thread_pool& blocking_;
  ReadinessCheck readiness_;
  std::optional<BasicCredentials> metrics_auth_;
  std::atomic<bool> draining_{false};
};

}  // namespace berth::app
