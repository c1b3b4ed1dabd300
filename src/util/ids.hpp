// Request ids: short, printable tags that correlate the log lines of one
// request. They are unique within a process for practical purposes and
// cheap (no syscall, no lock after a thread's first call), but NOT
// unpredictable: never use them as secrets or as upload ids (see
// crypto/ids.hpp for those).
//
// Thread-safety: safe to call from any thread; each thread has its own
// generator.
#pragma once

#include <string>

namespace berth {

// 16 lowercase hex characters.
std::string new_request_id();

}  // namespace berth
