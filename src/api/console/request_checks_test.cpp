#include "api/console/request_checks.hpp"

#include <gtest/gtest.h>

namespace berth::api::console {
namespace {

using boost::beast::http::verb;

TEST(ConsoleCookies, FindsTheSessionCookieAmongOthers) {
  EXPECT_EQ(cookie_value("berth_console=abc", "berth_console"), "abc");
  EXPECT_EQ(cookie_value("a=1; berth_console=abc; b=2", "berth_console"), "abc");
  EXPECT_EQ(cookie_value("a=1;berth_console=\"abc\"", "berth_console"), "abc");
  EXPECT_EQ(cookie_value("xberth_console=abc", "berth_console"), std::nullopt);
  EXPECT_EQ(cookie_value("berth_console_old=abc", "berth_console"), std::nullopt);
  EXPECT_EQ(cookie_value("", "berth_console"), std::nullopt);
  EXPECT_EQ(cookie_value("garbage; ;=;", "berth_console"), std::nullopt);
}

TEST(ConsoleCookies, SessionCookieIsHttpOnlyStrictAndScopedToTheConsole) {
  const std::string plain = session_cookie("abc", false);
  EXPECT_EQ(plain, "berth_console=abc; Path=/console; HttpOnly; SameSite=Strict");
  const std::string tls = session_cookie("abc", true);
  EXPECT_NE(tls.find("; Secure"), std::string::npos);
  EXPECT_NE(tls.find("HttpOnly"), std::string::npos);
}

TEST(ConsoleCookies, ClearingExpiresTheCookieWithTheSameScope) {
  const std::string cleared = cleared_session_cookie(true);
  EXPECT_TRUE(cleared.starts_with("berth_console=;"));
  EXPECT_NE(cleared.find("Max-Age=0"), std::string::npos);
  EXPECT_NE(cleared.find("Path=/console"), std::string::npos);
  EXPECT_NE(cleared.find("Secure"), std::string::npos);
}

TEST(ConsoleCsrf, StateChangingMethods) {
  EXPECT_TRUE(is_state_changing(verb::post));
  EXPECT_TRUE(is_state_changing(verb::put));
  EXPECT_TRUE(is_state_changing(verb::patch));
  EXPECT_TRUE(is_state_changing(verb::delete_));
  EXPECT_FALSE(is_state_changing(verb::get));
  EXPECT_FALSE(is_state_changing(verb::head));
}

TEST(ConsoleCsrf, OriginOfUrls) {
  EXPECT_EQ(origin_of("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
  EXPECT_EQ(origin_of("https://Registry.Example.com/console/x?y"), "https://registry.example.com");
  EXPECT_EQ(origin_of("https://registry.example.com:443"), "https://registry.example.com");
  EXPECT_EQ(origin_of("http://registry.example.com:80/"), "http://registry.example.com");
  EXPECT_EQ(origin_of("registry.example.com"), "");
}

TEST(ConsoleCsrf, SameOriginAcceptsThePublicUrlOrTheHostItWasSentTo) {
  EXPECT_TRUE(same_origin("http://127.0.0.1:5000", "http://127.0.0.1:5000", "", false));
  EXPECT_TRUE(same_origin("http://localhost:5000", "http://127.0.0.1:5000", "localhost:5000", false));
  EXPECT_TRUE(same_origin("https://reg.example", "https://reg.example:443/", "other", true));
  // Another site, a scheme downgrade, or no Origin at all: refused.
  EXPECT_FALSE(same_origin("http://evil.example", "http://127.0.0.1:5000", "127.0.0.1:5000", false));
  EXPECT_FALSE(same_origin("http://127.0.0.1:5000", "https://127.0.0.1:5000", "127.0.0.1:5000", true));
  EXPECT_FALSE(same_origin("", "http://127.0.0.1:5000", "127.0.0.1:5000", false));
  EXPECT_FALSE(same_origin("null", "http://127.0.0.1:5000", "127.0.0.1:5000", false));
  EXPECT_FALSE(same_origin("http://127.0.0.1:5000.evil.example", "http://127.0.0.1:5000",
                           "127.0.0.1:5000", false));
}

TEST(ConsoleCsrf, TokenMustMatchExactly) {
  EXPECT_TRUE(csrf_token_matches("abcdef", "abcdef"));
  EXPECT_TRUE(csrf_token_matches(" abcdef ", "abcdef"));
  EXPECT_FALSE(csrf_token_matches("abcdeg", "abcdef"));
  EXPECT_FALSE(csrf_token_matches("abcde", "abcdef"));
  EXPECT_FALSE(csrf_token_matches("", "abcdef"));
  EXPECT_FALSE(csrf_token_matches("", ""));
}

}  // namespace
}  // namespace berth::api::console
