// Store URLs: how a command names its blob store and metadata store.
//
//   file://<path>              the filesystem blob store rooted at <path>
//   s3://<bucket>[/<prefix>]?endpoint=http://host:port&region=us-east-1&path-style=true
//   sqlite://<path>            the SQLite metadata store in file <path>
//   postgresql://user[:password]@host:port/dbname[?...]   (libpq's own URI)
//
// <path> is taken verbatim after "://": `file:///srv/berth` is absolute,
// `file://./data` and `file://data` are relative to the working directory.
// Query parameters are decoded from percent-encoding; a parameter given
// twice is refused.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::storage::factory {

struct StoreUrl {
  std::string scheme;    // "file", "s3", "sqlite", "postgresql"
  std::string location;  // everything between "://" and "?" (decoded)
  std::map<std::string, std::string> params;
  std::string text;      // as given (may hold a password: never log it whole)
};

// kInvalidArgument naming what is wrong: no "://", an empty location, a
// malformed or repeated parameter.
Result<StoreUrl> parse_store_url(std::string_view text);

// The URL with any password replaced by "***", for messages and logs.
std::string redact_url(std::string_view text);

}  // namespace berth::storage::factory
