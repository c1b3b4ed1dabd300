// Request ids: 16 lowercase hex characters naming one request in the access
// log and in error responses. Unique enough to correlate log lines, not a
// secret: ids come from a fast per-thread PRNG, not from a CSPRNG.
//
// Thread-safety: safe from any thread (each thread owns its generator).
#pragma once

#include <string>

namespace berth::http {

std::string new_request_id();

}  // namespace berth::http
