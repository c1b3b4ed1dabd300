#include "http/access_log.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>

namespace berth::http {

std::string access_log_json(const RequestRecord& r) {
  boost::json::object line;
  line["msg"] = "request";
  line["request_id"] = r.request_id;
  line["method"] = r.method;
  line["target"] = r.target;
  if (!r.operation.empty()) line["operation"] = r.operation;
  line["status"] = r.status;
  if (!r.error_name.empty()) line["error"] = r.error_name;
  if (!r.principal.empty()) line["principal"] = r.principal;
  line["bytes_in"] = r.bytes_received;
  line["bytes_out"] = r.bytes_sent;
  line["remote"] = r.remote;
  std::string text = boost::json::serialize(line);
  // Boost.JSON writes every double in exponent form ("1.508605E0"); a
  // duration reads better, and is as exact as the clock, in microseconds.
  const double ms = std::chrono::duration<double, std::milli>(r.duration).count();
  char duration[48];
  std::snprintf(duration, sizeof duration, ",\"duration_ms\":%.3f}", ms);
  text.pop_back();  // the object's closing brace
  text += duration;
  return text;
}

}  // namespace berth::http
