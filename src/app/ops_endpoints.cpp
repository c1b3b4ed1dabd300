#include "app/ops_endpoints.hpp"

#include <boost/asio/ip/address.hpp>
#include <cctype>

#include "crypto/hasher.hpp"
#include "http/offload.hpp"
#include "util/base64.hpp"
#include "util/log.hpp"

namespace berth::app {

namespace {

namespace beast_http = http::beast_http;

constexpr std::string_view kLivez = "/livez";
constexpr std::string_view kReadyz = "/readyz";
constexpr std::string_view kMetrics = "/metrics";
// The text exposition format's content type (version 0.0.4).
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

http::Response text_response(beast_http::status status, std::string body,
                             std::string_view operation) {
  http::Response response(status);
  response.headers.set(beast_http::field::content_type, "text/plain; charset=utf-8");
  response.headers.set(beast_http::field::cache_control, "no-store");
  response.body = std::move(body);
  response.operation = operation;
  return response;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The decoded "user:password" of an "Authorization: Basic ..." header.
std::optional<std::string> basic_pair(std::string_view header) {
  const auto space = header.find(' ');
  if (space == std::string_view::npos || !iequals(header.substr(0, space), "basic")) {
    return std::nullopt;
  }
  std::string_view encoded = header.substr(space + 1);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  auto decoded = base64_decode(encoded);
  if (!decoded) return std::nullopt;
  return std::move(*decoded);
}

}  // namespace

Result<BasicCredentials> parse_basic_credentials(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return fail(ErrorCode::kInvalidArgument, "--metrics-auth must be USER:PASSWORD");
  }
  return BasicCredentials{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

bool is_loopback_address(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (parsed.is_v6()) {
    const auto v6 = parsed.to_v6();
    if (v6.is_v4_mapped()) {
      return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).is_loopback();
    }
  }
  return parsed.is_loopback();
}

MetricsAccess check_metrics_access(const std::optional<BasicCredentials>& required,
                                   Listener listener, std::string_view remote_address,
                                   std::string_view authorization_header) {
  if (required) {
    const auto presented = basic_pair(authorization_header);
    if (!presented) return MetricsAccess::kNeedsCredentials;
    // One comparison of the whole pair, in constant time: neither part's
    // length nor content leaks through timing.
    const std::string expected = required->user + ":" + required->password;
    return crypto::constant_time_equal(*presented, expected) ? MetricsAccess::kAllowed
                                                             : MetricsAccess::kNeedsCredentials;
  }
  if (listener == Listener::kAdmin || is_loopback_address(remote_address)) {
    return MetricsAccess::kAllowed;
  }
  return MetricsAccess::kLoopbackOnly;
}

OpsEndpoints::OpsEndpoints(const metrics::Registry& registry, boost::asio::thread_pool& blocking,
                           ReadinessCheck readiness, std::optional<BasicCredentials> metrics_auth)
    : registry_(registry),
      blocking_(blocking),
      readiness_(std::move(readiness)),
      metrics_auth_(std::move(metrics_auth)) {}

bool OpsEndpoints::owns(const http::Request& request) {
  return request.path == kLivez || request.path == kReadyz || request.path == kMetrics;
}

boost::asio::awaitable<http::Response> OpsEndpoints::handle(http::Request& request,
                                                            Listener listener) {
  http::Response response;
  if (request.method != beast_http::verb::get && request.method != beast_http::verb::head) {
    response = text_response(beast_http::status::method_not_allowed, "method not allowed\n",
                             "ops:refused");
    response.headers.set(beast_http::field::allow, "GET, HEAD");
  } else if (request.path == kLivez) {
    response = text_response(beast_http::status::ok, "ok\n", "ops:livez");
  } else if (request.path == kReadyz) {
    response = co_await readyz();
  } else {
    response = co_await metrics(request, listener);
  }
  if (request.method == beast_http::verb::head) {
    response.head_content_length = response.body.size();
    response.body.clear();
  }
  co_return response;
}

boost::asio::awaitable<http::Response> OpsEndpoints::readyz() {
  if (draining()) {
    co_return text_response(beast_http::status::service_unavailable, "draining\n", "ops:readyz");
  }
  Status stores = co_await http::offload(blocking_, [this] { return readiness_(); });
  if (!stores) {
    log::warn("readyz: not ready: {}{}{}", stores.error().message,
              stores.error().detail.empty() ? "" : ": ", stores.error().detail);
    co_return text_response(beast_http::status::service_unavailable,
                            "not ready: " + stores.error().message + "\n", "ops:readyz");
  }
  co_return text_response(beast_http::status::ok, "ok\n", "ops:readyz");
}

boost::asio::awaitable<http::Response> OpsEndpoints::metrics(const http::Request& request,
                                                             Listener listener) {
  switch (check_metrics_access(metrics_auth_, listener, request.remote_address,
                               request.header("Authorization"))) {
    case MetricsAccess::kAllowed:
      break;
    case MetricsAccess::kNeedsCredentials: {
      http::Response refused =
          text_response(beast_http::status::unauthorized, "credentials required\n", "ops:metrics");
      refused.headers.set(beast_http::field::www_authenticate,
                          "Basic realm=\"berth metrics\", charset=\"UTF-8\"");
      co_return refused;
    }
    case MetricsAccess::kLoopbackOnly:
      co_return text_response(beast_http::status::forbidden,
                              "metrics are served to loopback clients only (see --metrics-auth "
                              "and --admin-listen)\n",
                              "ops:metrics");
  }
  // Reading /proc and formatting every series is a little blocking work.
  std::string text = co_await http::offload(blocking_, [this] { return registry_.render(); });
  http::Response response = text_response(beast_http::status::ok, std::move(text), "ops:metrics");
  response.headers.set(beast_http::field::content_type, kMetricsContentType);
  co_return response;
}

}  // namespace berth::app
