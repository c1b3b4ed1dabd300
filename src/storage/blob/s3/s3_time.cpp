#include "storage/blob/s3/s3_time.hpp"

#include <array>
#include <charconv>
#include <chrono>

namespace berth::storage::blob::s3 {

namespace {

std::optional<int> number(std::string_view text) {
  int value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> to_ms(int year, int month, int day, int hour, int minute,
                                  int second) {
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year), std::chrono::month(month),
                            std::chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const auto at = sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
  return duration_cast<milliseconds>(at.time_since_epoch()).count();
}

}  // namespace

std::optional<std::int64_t> parse_iso8601_ms(std::string_view t) {
  // 0123456789012345678
  // YYYY-MM-DDThh:mm:ss
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
      t[16] != ':' || t.back() != 'Z') {
    return std::nullopt;
  }
  auto year = number(t.substr(0, 4)), month = number(t.substr(5, 2)), day = number(t.substr(8, 2));
  auto hour = number(t.substr(11, 2)), minute = number(t.substr(14, 2)),
       second = number(t.substr(17, 2));
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  auto ms = to_ms(*year, *month, *day, *hour, *minute, *second);
  if (!ms) return std::nullopt;
  std::string_view fraction = t.substr(19, t.size() - 20);
  if (!fraction.empty()) {
    if (fraction[0] != '.' || fraction.size() < 2) return std::nullopt;
    fraction.remove_prefix(1);
    int millis = 0, scale = 100;
    for (char c : fraction) {
      if (c < '0' || c > '9') return std::nullopt;
      millis += (c - '0') * scale;
      scale /= 10;
    }
    *ms += millis;
  }
  return ms;
}

std::optional<std::int64_t> parse_http_date_ms(std::string_view t) {
  // 01234567890123456789012345678
  // Sat, 05 Dec 2026 07:37:17 GMT
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (t.size() != 29 || t[3] != ',' || t[4] != ' ' || t[7] != ' ' || t[11] != ' ' ||
      t[16] != ' ' || t[19] != ':' || t[22] != ':' || t.substr(25) != " GMT") {
    return std::nullopt;
  }
  int month = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (t.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  }
  auto day = number(t.substr(5, 2)), year = number(t.substr(12, 4)),
       hour = number(t.substr(17, 2)), minute = number(t.substr(20, 2)),
       second = number(t.substr(23, 2));
  if (month == 0 || !day || !year || !hour || !minute || !second) return std::nullopt;
  return to_ms(*year, month, *day, *hour, *minute, *second);
}

}  // namespace berth::storage::blob::s3
