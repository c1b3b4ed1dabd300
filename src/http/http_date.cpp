#include "http/http_date.hpp"

#include <chrono>

namespace berth::http {
namespace {

void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::string_view format_http_date(std::time_t t, char (&out)[29]) {
  static constexpr char kDays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::tm tm{};
  gmtime_r(&t, &tm);
  char* p = out;
  for (int i = 0; i < 3; ++i) *p++ = kDays[tm.tm_wday * 3 + i];
  *p++ = ',';
  *p++ = ' ';
  put2(p, tm.tm_mday);
  p += 2;
  *p++ = ' ';
  for (int i = 0; i < 3; ++i) *p++ = kMonths[tm.tm_mon * 3 + i];
  *p++ = ' ';
  const int year = tm.tm_year + 1900;
  put2(p, year / 100);
  put2(p + 2, year % 100);
  p += 4;
  *p++ = ' ';
  put2(p, tm.tm_hour);
  p[2] = ':';
  put2(p + 3, tm.tm_min);
  p[5] = ':';
  put2(p + 6, tm.tm_sec);
  p += 8;
  *p++ = ' ';
  *p++ = 'G';
  *p++ = 'M';
  *p++ = 'T';
  return {out, static_cast<std::size_t>(p - out)};
}

std::string_view http_date_now() {
  struct Cache {
    std::time_t second = -1;
    char text[29];
    std::string_view view;
  };
  thread_local Cache cache;
  const std::time_t now =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != cache.second) {
    cache.view = format_http_date(now, cache.text);
    cache.second = now;
  }
  return cache.view;
}

}  // namespace berth::http
