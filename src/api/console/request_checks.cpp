#include "api/console/request_checks.hpp"

#include <cctype>

#include "crypto/hasher.hpp"

namespace berth::api::console {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string cookie_attributes(bool secure) {
  // Path=/console: the cookie never rides along with /v2/ or ECR requests.
  std::string attributes = "; Path=/console; HttpOnly; SameSite=Strict";
  if (secure) attributes += "; Secure";
  return attributes;
}
}  // namespace

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::string session_cookie(std::string_view value, bool secure) {
  return std::string(kSessionCookie) + "=" + std::string(value) + cookie_attributes(secure);
}

std::string cleared_session_cookie(bool secure) {
  return std::string(kSessionCookie) + "=" + cookie_attributes(secure) +
         "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
}

bool is_state_changing(boost::beast::http::verb method) {
  using boost::beast::http::verb;
  return method == verb::post || method == verb::put || method == verb::patch ||
         method == verb::delete_;
}

std::string origin_of(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return {};
  const std::size_t host_end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin = lower(url.substr(0, host_end));
  // The default port is left out of an Origin header.
  if (origin.starts_with("http://") && origin.ends_with(":80")) origin.resize(origin.size() - 3);
  if (origin.starts_with("https://") && origin.ends_with(":443")) origin.resize(origin.size() - 4);
  return origin;
}

bool same_origin(std::string_view origin, std::string_view public_url, std::string_view host,
                 bool tls) {
  origin = trim(origin);
  if (origin.empty() || origin == "null") return false;
  const std::string claimed = origin_of(origin);
  if (claimed.empty()) return false;
  if (claimed == origin_of(public_url)) return true;
  if (host.empty()) return false;
  return claimed == origin_of(std::string(tls ? "https://" : "http://") + std::string(trim(host)));
}

bool csrf_token_matches(std::string_view header_value, std::string_view session_token) {
  header_value = trim(header_value);
  if (header_value.empty() || session_token.empty()) return false;
  return crypto::constant_time_equal(header_value, session_token);
}

}  // namespace berth::api::console
