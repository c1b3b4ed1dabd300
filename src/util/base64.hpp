// Base64 (RFC 4648 section 4, standard alphabet) and base64url (section 5).
// Standard base64 is written and read with '=' padding, as HTTP Basic auth
// and ECR authorization tokens use it. base64url is written without padding
// (JWT style) and read with or without it.
//
// Decoders are strict: no whitespace, no characters from the other
// alphabet, no non-zero bits after the last encoded byte, so every byte
// string has exactly one accepted encoding.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth {

std::string base64_encode(std::string_view bytes);
// kInvalidArgument for bad length, bad padding or a foreign character.
Result<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);
// Padding optional. kInvalidArgument for bad input.
Result<std::string> base64url_decode(std::string_view text);

}  // namespace berth
