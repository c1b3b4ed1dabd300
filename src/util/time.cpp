#include "util/time.hpp"

#include <chrono>
#include <cstdio>

#include "util/test_clock.hpp"

namespace berth {

namespace {

struct CivilTime {
  int year;
  unsigned month;    // 1..12
  unsigned day;      // 1..31
  unsigned weekday;  // 0 = Sunday
  int hour;
  int minute;
  int second;
};

// Four-digit years only: both formats have a fixed-width year field.
constexpr std::int64_t kMinMs = -62167219200000;   // 0000-01-01T00:00:00Z
constexpr std::int64_t kMaxMs = 253402300799999;   // 9999-12-31T23:59:59.999Z

CivilTime to_civil(std::int64_t ms) {
  using namespace std::chrono;
  ms = ms < kMinMs ? kMinMs : (ms > kMaxMs ? kMaxMs : ms);
  // floor, not truncation, so instants before 1970 land in the right second.
  sys_time<milliseconds> tp{milliseconds{ms}};
  auto day_point = floor<days>(tp);
  year_month_day ymd{day_point};
  hh_mm_ss hms{floor<seconds>(tp - day_point)};
  return CivilTime{static_cast<int>(ymd.year()),
                   static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day()),
                   weekday{day_point}.c_encoding(),
                   static_cast<int>(hms.hours().count()),
                   static_cast<int>(hms.minutes().count()),
                   static_cast<int>(hms.seconds().count())};
}

}  // namespace

std::int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t now_ms() {
  if (auto frozen = test_clock_now_ms()) return *frozen;
  return system_now_ms();
}

std::string format_rfc3339(std::int64_t ms) {
  CivilTime t = to_civil(ms);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", t.year, t.month, t.day,
                        t.hour, t.minute, t.second);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string format_http_date(std::int64_t ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  CivilTime t = to_civil(ms);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[t.weekday],
                        t.day, kMonths[t.month - 1], t.year, t.hour, t.minute, t.second);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace berth
