// The access log line of a request as one JSON object (--log-format json):
//   {"msg":"request","request_id":"…","method":"GET","target":"/v2/…",
//    "operation":"oci:manifest.get","status":200,"error":"…","principal":"…",
//    "bytes_in":0,"bytes_out":1234,"duration_ms":0.21,"remote":"127.0.0.1"}
// The logger's JSON formatter adds "time" and "level" (util/log.hpp).
// Targets are logged as loggable_target leaves them (no signatures or
// tokens); secrets never reach a RequestRecord.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

#include "http/server.hpp"

namespace berth::http {

std::string access_log_json(const RequestRecord& record);

}  // namespace berth::http
