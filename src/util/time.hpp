// Wall-clock time as integer milliseconds since the Unix epoch, and the two
// textual forms berth emits: RFC 3339 (JSON bodies, ECR timestamps) and the
// HTTP IMF-fixdate (Date / Last-Modified headers). Both are UTC with
// seconds precision; sub-second milliseconds are dropped, not rounded.
// Instants outside years 0000..9999 are clamped to that range.
//
// now_ms() is the registry's clock: every time berth records or compares
// (push and pull times, storage-class changes, lifecycle ages, leases, the
// collector's grace period) comes from it. It is the system clock, unless a
// test installed a test clock (util/test_clock.hpp, refused outside test
// mode). system_now_ms() is always the system clock, for what must agree
// with the rest of the world (SigV4 request dates).
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace berth {

// The registry's clock, in milliseconds since the epoch: the system clock,
// or the test clock when one is installed.
std::int64_t now_ms();

// std::chrono::system_clock now, in milliseconds since the epoch.
std::int64_t system_now_ms();

// "2026-11-28T06:57:00Z".
std::string format_rfc3339(std::int64_t ms);

// "Sat, 28 Nov 2026 06:57:00 GMT" (RFC 9110 section 5.6.7).
std::string format_http_date(std::int64_t ms);

}  // namespace berth
