#include "util/log.hpp"

#include <memory>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace berth {

namespace {

// spdlog::level::from_str accepts extra spellings ("warning", "err",
// "critical") and maps unknown words to "off"; our config surface is the
// documented six words and a typo must not silence the log.
Result<spdlog::level::level_enum> parse_level(std::string_view level) {
  using spdlog::level::level_enum;
  if (level == "trace") return level_enum::trace;
  if (level == "debug") return level_enum::debug;
  if (level == "info") return level_enum::info;
  if (level == "warn") return level_enum::warn;
  if (level == "error") return level_enum::err;
  if (level == "off") return level_enum::off;
  return fail(ErrorCode::kInvalidArgument,
              "unknown log level \"" + std::string(level.substr(0, 40)) +
                  "\" (expected trace, debug, info, warn, error or off)");
}

}  // namespace

Status init_logging(std::string_view level) {
  auto parsed = BERTH_TRY(parse_level(level));
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("berth", std::move(sink));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ [%l] %v", spdlog::pattern_time_type::utc);
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));
  return ok();
}

}  // namespace berth
