#include "http/access_log.hpp"

#include <boost/json.hpp>
#include <chrono>

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
  line["duration_ms"] =
      std::chrono::duration<double, std::milli>(r.duration).count();
  line["remote"] = r.remote;
  return boost::json::serialize(line);
}

}  // namespace berth::http
