// ConnInfo: a postgresql:// URL checked, described and connected to, with
// its password kept out of every message.
//
// The URL is libpq's own connection URI
// (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING):
//   postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]
// `postgres://` is accepted too, and the scheme in any letter case. libpq
// parses it (parse_conninfo refuses what libpq refuses, naming why); berth
// adds defaults the URL may override (application_name=berth,
// connect_timeout=10) and forces client_encoding=UTF8.
//
// Every message these functions produce is one line and never contains the
// password, in its encoded or decoded form.
//
// Thread-safety: ConnInfo is an immutable value; the functions are
// reentrant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

struct pg_conn;

namespace berth::storage::meta::postgres {

struct ConnInfo {
  std::string uri;       // as handed to libpq (scheme normalised); holds the password
  std::string redacted;  // the URL with the password replaced by ***
  std::string target;    // "host:port/dbname" for messages (libpq defaults filled in)
  std::vector<std::string> secrets;  // the password, as written and decoded
};

// kInvalidArgument (naming what libpq found wrong) for a malformed URL.
Result<ConnInfo> parse_conninfo(std::string_view url);

// `text` on one line (newlines and tabs collapsed into single spaces,
// trailing whitespace dropped), with every secret replaced by ***.
std::string scrub(std::string_view text, const std::vector<std::string>& secrets);

// Opens one connection. The error names the target and what went wrong:
// kDenied for refused credentials (or a password the server wants and the
// URL lacks), kInvalidArgument for a database that does not exist,
// kUnavailable for everything else (refused, unreachable, timed out,
// shutting down, too many connections). The caller owns the result
// (PQfinish, or a Connection).
Result<pg_conn*> connect(const ConnInfo& info);

}  // namespace berth::storage::meta::postgres
