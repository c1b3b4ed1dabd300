#include "util/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace berth {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ms;
};

// Longest suffixes first, so "ms" is not read as "m".
constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000},
                           {"d", 86'400'000}};

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto invalid = [&] {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(text) +
                    "' is not a duration (a number with ms, s, m, h or d; plain numbers are "
                    "seconds)");
  };
  std::int64_t scale = 1000;
  std::string_view number = text;
  for (const Unit& unit : kUnits) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      scale = unit.ms;
      number = text.substr(0, text.size() - unit.suffix.size());
      break;
    }
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size() || value < 0) return invalid();
  if (value > std::numeric_limits<std::int64_t>::max() / scale) return invalid();
  return std::chrono::milliseconds(value * scale);
}

std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  for (auto it = std::rbegin(kUnits); it != std::rend(kUnits); ++it) {
    if (ms != 0 && ms % it->ms == 0) return std::to_string(ms / it->ms) + std::string(it->suffix);
  }
  return std::to_string(ms) + "ms";
}

}  // namespace berth
