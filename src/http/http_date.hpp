// The IMF-fixdate for the Date response header ("Sun, 06 Nov 1994 08:49:37
// GMT", RFC 9110 section 5.6.7). Formatting is locale-independent and cached
// per second, so the hot path costs one clock read.
//
// Thread-safety: safe from any thread; the returned view stays valid until
// the next call on the same thread.
#pragma once

#include <ctime>
#include <string_view>

namespace berth::http {

std::string_view http_date_now();

// Formats an arbitrary UTC time; exposed for tests.
std::string_view format_http_date(std::time_t t, char (&out)[29]);

}  // namespace berth::http
