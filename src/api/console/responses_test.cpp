#include "api/console/responses.hpp"

#include <gtest/gtest.h>

namespace berth::api::console {
namespace {

TEST(ConsoleErrors, EveryErrorCodeHasAStatusAndACode) {
  for (ErrorCode code : kAllErrorCodes) {
    ErrorMapping m = map_error(code);
    EXPECT_GE(static_cast<int>(m.status), 400) << to_string(code);
    EXPECT_FALSE(m.code.empty()) << to_string(code);
  }
  EXPECT_EQ(map_error(ErrorCode::kRepositoryNotFound).status, http::beast_http::status::not_found);
  EXPECT_EQ(map_error(ErrorCode::kReferencedByIndex).status, http::beast_http::status::conflict);
}

TEST(ConsoleErrors, InternalDetailsStayOutOfThePage) {
  http::Response r = error_response(Error{ErrorCode::kInternal, "sqlite said /var/lib/x", ""});
  EXPECT_EQ(r.body.find("sqlite"), std::string::npos);
  EXPECT_EQ(r.status, http::beast_http::status::internal_server_error);
}

TEST(ConsoleErrors, ResponsesCarryTheSecurityHeaders) {
  http::Response r = json_response(http::beast_http::status::ok, boost::json::object{});
  EXPECT_EQ(std::string(r.headers["Content-Security-Policy"]), kContentSecurityPolicy);
  EXPECT_EQ(std::string(r.headers["X-Content-Type-Options"]), "nosniff");
  EXPECT_EQ(std::string(r.headers["Cache-Control"]), "no-store");
  EXPECT_NE(kContentSecurityPolicy.find("script-src 'self'"), std::string_view::npos);
  EXPECT_EQ(kContentSecurityPolicy.find("unsafe-inline"), std::string_view::npos);
}

}  // namespace
}  // namespace berth::api::console
