// Durations as operators write them on a command line or in a config file:
// a number with an optional unit, "500ms", "90" or "90s", "15m", "24h", "7d".
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth {

// kInvalidArgument for anything else (a negative number, an unknown unit,
// an overflow).
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest exact form: "24h", "90s", "1500ms".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace berth
