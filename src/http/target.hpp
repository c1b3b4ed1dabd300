// Request-target parsing: splits an HTTP request-target into its
// percent-decoded path and its decoded query parameters. Query strings follow
// application/x-www-form-urlencoded rules ('+' is a space); paths do not.
// Pure functions of their input, no I/O.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace berth::http {

struct ParsedTarget {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
};

// Decodes %XX escapes (and '+' as space when `plus_is_space`). Fails with
// kInvalidArgument on a malformed escape or an encoded NUL, which no
// legitimate client sends and which would truncate C strings downstream.
Result<std::string> percent_decode(std::string_view in, bool plus_is_space);

// Accepts origin-form ("/a/b?x=1"), absolute-form ("http://h/a?x=1", reduced
// to its path and query) and asterisk-form ("*"). kInvalidArgument otherwise.
Result<ParsedTarget> parse_target(std::string_view target);

}  // namespace berth::http
