// Logging facade: one process-wide logger writing to stderr, configured once
// at startup by init_logging. Call sites use berth::log::info(...) and its
// siblings, which are spdlog's own functions with fmt-style format strings
// checked at compile time, so the facade adds no cost or indirection. Code
// includes this header, never spdlog directly, so the choice stays in one
// place.
//
// Thread-safety: the log functions are safe from any thread. init_logging
// swaps spdlog's default logger, which callers reach through a raw pointer,
// so it must not race with logging: call it at startup, before other
// threads exist (tests may call it again while single-threaded).
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

#include "util/result.hpp"

namespace berth {

enum class LogFormat {
  kText,  // 2026-11-28T06:57:00.123Z [info] message
  kJson,  // {"time":"2026-11-28T06:57:00.123Z","level":"info","msg":"message"}
};

// Installs the stderr logger with UTC timestamps in `format`. In JSON, one
// object per line; a message that is itself a JSON object starting with a
// "msg" member (the access log's structured lines) has its members merged
// in after time and level, any other message becomes "msg". `level` is one of
// trace|debug|info|warn|error|off. kInvalidArgument for anything else,
// leaving the current logger untouched.
Status init_logging(std::string_view level, LogFormat format = LogFormat::kText);

namespace log {

using spdlog::critical;
using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::trace;
using spdlog::warn;

}  // namespace log

}  // namespace berth
