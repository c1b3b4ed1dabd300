// Serving the embedded console files: the page for /console and /console/,
// the assets under /console/assets/. Each answer carries the asset's ETag
// (If-None-Match gets a 304), `Cache-Control: no-cache` (browsers keep the
// file and revalidate, so a new berth binary is picked up at once), and the
// console's security headers.
//
// Thread-safety: pure functions over immutable assets.
#pragma once

#include <optional>
#include <string_view>

#include "http/message.hpp"

namespace berth::api::console {

// The answer for a GET or HEAD of `path` (/console, /console/,
// /console/assets/<name>), or nullopt when no file is there.
std::optional<http::Response> serve_static(const http::Request& request, std::string_view path);

// Whether an If-None-Match header value names `etag` (or is "*").
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace berth::api::console
