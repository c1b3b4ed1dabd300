// Hex encoding of byte strings: lowercase on output, either case accepted on
// input. Used for digests, request ids and anything that must be printable.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth {

// Two lowercase hex characters per input byte.
std::string to_hex(std::string_view bytes);

// Inverse of to_hex; accepts upper and lower case. kInvalidArgument for an
// odd length or a character outside [0-9a-fA-F].
Result<std::string> from_hex(std::string_view hex);

}  // namespace berth
