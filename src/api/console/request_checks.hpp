// The console's defences around a session, as pure functions over header
// values so they are tested without a server:
//   - the session cookie: its value read from a Cookie header, and the
//     Set-Cookie lines that set and clear it (HttpOnly, SameSite=Strict,
//     Path=/console, Secure under TLS);
//   - cross-site request forgery: a state-changing request (POST, PUT,
//     PATCH, DELETE) must come from a page of this origin (its Origin
//     header names the public URL's origin or the Host it was sent to) and,
//     once signed in, carry the session's CSRF token in X-CSRF-Token.
//     SameSite=Strict already keeps the cookie off cross-site requests;
//     these two checks hold even where a browser ignores it.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>  // boost/beast/http/verb.hpp streams without including it
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

namespace berth::api::console {

inline constexpr std::string_view kSessionCookie = "berth_console";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// The value of cookie `name` in a Cookie header ("a=1; b=2"); nullopt when
// absent.
std::optional<std::string_view> cookie_value(std::string_view cookie_header,
                                             std::string_view name);

// Set-Cookie values: the session cookie (a browser-session cookie: the
// server expires the session itself), and one that deletes it.
std::string session_cookie(std::string_view value, bool secure);
std::string cleared_session_cookie(bool secure);

bool is_state_changing(boost::beast::http::verb method);

// "scheme://host[:port]" of a URL, lower-cased; "" when it has no scheme.
std::string origin_of(std::string_view url);

// Whether `origin` (the request's Origin header) is this server's: the
// public URL's origin, or `scheme://<host header>` with the scheme the
// listener speaks. An absent or "null" Origin is not.
bool same_origin(std::string_view origin, std::string_view public_url, std::string_view host,
                 bool tls);

// Whether the X-CSRF-Token value is the session's (constant time).
bool csrf_token_matches(std::string_view header_value, std::string_view session_token);

}  // namespace berth::api::console
