#include "app/ops_endpoints.hpp"

#include <gtest/gtest.h>

#include "util/base64.hpp"

namespace berth::app {
namespace {

std::string basic(std::string_view pair) { return "Basic " + base64_encode(pair); }

TEST(OpsEndpoints, MetricsCredentialsAreUserColonPassword) {
  auto parsed = parse_basic_credentials("prom:s3cr:et");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->user, "prom");
  EXPECT_EQ(parsed->password, "s3cr:et");  // the first ':' separates
  EXPECT_FALSE(parse_basic_credentials("prom").has_value());
  EXPECT_FALSE(parse_basic_credentials(":pw").has_value());
  EXPECT_FALSE(parse_basic_credentials("prom:").has_value());
}

TEST(OpsEndpoints, LoopbackAddressesAsSessionsReportThem) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.8.9.10"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback_address("10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("::ffff:10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("fe80::1"));
  EXPECT_FALSE(is_loopback_address(""));
  EXPECT_FALSE(is_loopback_address("localhost"));  // never a name: sessions give addresses
}

TEST(OpsEndpoints, WithoutCredentialsTheMainListenerServesLoopbackOnly) {
  const std::optional<BasicCredentials> none;
  EXPECT_EQ(check_metrics_access(none, Listener::kMain, "127.0.0.1", ""), MetricsAccess::kAllowed);
  EXPECT_EQ(check_metrics_access(none, Listener::kMain, "192.0.2.7", ""),
            MetricsAccess::kLoopbackOnly);
  // Credentials the server does not expect do not open it either.
  EXPECT_EQ(check_metrics_access(none, Listener::kMain, "192.0.2.7", basic("a:b")),
            MetricsAccess::kLoopbackOnly);
  // The admin listener's address is the operator's choice of audience.
  EXPECT_EQ(check_metrics_access(none, Listener::kAdmin, "192.0.2.7", ""),
            MetricsAccess::kAllowed);
}

TEST(OpsEndpoints, WithCredentialsEveryClientMustPresentThem) {
  const std::optional<BasicCredentials> required = BasicCredentials{"prom", "pw:1"};
  for (Listener listener : {Listener::kMain, Listener::kAdmin}) {
    for (std::string_view remote : {"127.0.0.1", "192.0.2.7"}) {
      EXPECT_EQ(check_metrics_access(required, listener, remote, ""),
                MetricsAccess::kNeedsCredentials);
      EXPECT_EQ(check_metrics_access(required, listener, remote, basic("prom:pw:1")),
                MetricsAccess::kAllowed);
      EXPECT_EQ(check_metrics_access(required, listener, remote, "basic " + base64_encode("prom:pw:1")),
                MetricsAccess::kAllowed);  // the scheme is case-insensitive
      EXPECT_EQ(check_metrics_access(required, listener, remote, basic("prom:pw:2")),
                MetricsAccess::kNeedsCredentials);
      EXPECT_EQ(check_metrics_access(required, listener, remote, basic("prom:pw")),
                MetricsAccess::kNeedsCredentials);
      EXPECT_EQ(check_metrics_access(required, listener, remote, "Bearer prom:pw:1"),
                MetricsAccess::kNeedsCredentials);
      EXPECT_EQ(check_metrics_access(required, listener, remote, "Basic !!!"),
                MetricsAccess::kNeedsCredentials);
    }
  }
}

TEST(OpsEndpoints, OwnsOnlyItsThreePaths) {
  http::Request request;
  for (std::string_view path : {"/metrics", "/livez", "/readyz"}) {
    request.path = path;
    EXPECT_TRUE(OpsEndpoints::owns(request)) << path;
  }
  for (std::string_view path : {"/", "/metrics/", "/v2/", "/readyz2", "/health"}) {
    request.path = path;
    EXPECT_FALSE(OpsEndpoints::owns(request)) << path;
  }
}

}  // namespace
}  // namespace berth::app
