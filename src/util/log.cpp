#include "util/log.hpp"

#include <memory>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>

#include "util/time.hpp"

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

constexpr std::string_view kStructuredPrefix = "{\"msg\":";

// One JSON object per line (see log.hpp).
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    std::string time = format_rfc3339(ms);  // ...:SSZ
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
    time.replace(time.size() - 1, 1, millis);
    const auto level_name = spdlog::level::to_string_view(msg.level);
    const std::string_view level(level_name.data(), level_name.size());
    const std::string_view text(msg.payload.data(), msg.payload.size());
    std::string line = "{\"time\":\"" + time + "\",\"level\":\"" + std::string(level) + "\"";
    // Only berth's own structured lines are merged: they start with a "msg"
    // member. Any other text, even one that looks like an object, is escaped
    // into "msg", so a line is always one valid object.
    if (text.starts_with(kStructuredPrefix) && text.back() == '}') {
      line += "," + std::string(text.substr(1, text.size() - 2));
    } else {
      line += ",\"msg\":\"" + json_escape(text) + "\"";
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static std::string json_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    return out;
  }
};

}  // namespace

Status init_logging(std::string_view level, LogFormat format) {
  auto parsed = BERTH_TRY(parse_level(level));
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("berth", std::move(sink));
  if (format == LogFormat::kJson) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
    logger->set_level(parsed);
    spdlog::set_default_logger(std::move(logger));
    return ok();
  }
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ [%l] %v", spdlog::pattern_time_type::utc);
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));
  return ok();
}

}  // namespace berth
