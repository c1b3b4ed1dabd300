// post_webhook: one HTTP POST of a webhook body, with one deadline for the
// whole exchange (resolve, connect, TLS handshake, send, read the answer).
// https:// URLs verify the server's certificate against the system's CAs
// and its name. The answer's body is read (at most 64 KiB) and discarded;
// only the status counts. Blocking: run it on a thread of its own.
//
// Thread-safety: a free function with its own I/O context per call.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace berth::events {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The response status; kUnavailable (detail: why) when no answer came back
// in time; kInvalidArgument for a URL that is not http(s)://host[:port]/...
Result<unsigned> post_webhook(const std::string& url, const HeaderList& headers,
                              const std::string& body, std::chrono::milliseconds timeout);

}  // namespace berth::events
