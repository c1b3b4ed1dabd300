// How the console answers: JSON bodies for its API ({"error": code,
// "message": text} on failure, one table from ErrorCode to HTTP status and
// code), and the security headers every console response carries (a strict
// Content-Security-Policy that allows no inline script or style and nothing
// from another origin, no framing, no sniffing, no referrer).
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "http/message.hpp"
#include "util/result.hpp"

namespace berth::api::console {

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// Sets the headers every console response carries.
void add_security_headers(http::Response& response);

http::Response json_response(http::beast_http::status status, const boost::json::value& body);
http::Response error_response(http::beast_http::status status, std::string_view code,
                              std::string_view message);

struct ErrorMapping {
  http::beast_http::status status;
  std::string_view code;  // e.g. "NotFound"
};
// The one table: every ErrorCode to an HTTP status and a console error code.
ErrorMapping map_error(ErrorCode code);
http::Response error_response(const Error& error);

}  // namespace berth::api::console
