// ConnInfo: parsing, scrubbing and connecting (see pg_conninfo.hpp).
// Thread-safety: reentrant functions (see pg_conninfo.hpp).
#include "storage/meta/postgres/pg_conninfo.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace berth::storage::meta::postgres {

namespace {

constexpr std::string_view kScheme = "postgresql://";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The password as written between "user:" and "@" in the authority, if any.
std::string raw_password(std::string_view uri) {
  const auto sep = uri.find("://");
  if (sep == std::string_view::npos) return {};
  std::string_view rest = uri.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  const auto at = rest.rfind('@');
  if (at == std::string_view::npos) return {};
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos || colon > at) return {};
  return std::string(rest.substr(colon + 1, at - colon - 1));
}

std::string redact(std::string_view uri) {
  const std::string password = raw_password(uri);
  if (password.empty()) return std::string(uri);
  const auto sep = uri.find("://");
  const auto colon = uri.find(':', sep + 3);
  std::string out(uri.substr(0, colon + 1));
  out += "***";
  out += uri.substr(colon + 1 + password.size());
  return out;
}

struct OptionsFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

}  // namespace

std::string scrub(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out;
  for (char c : text) {
    const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
      out.replace(at, secret.size(), "***");
    }
  }
  return out;
}

Result<ConnInfo> parse_conninfo(std::string_view url) {
  ConnInfo info;
  const auto sep = url.find("://");
  std::string scheme;
  if (sep != std::string_view::npos) {
    for (char c : url.substr(0, sep)) {
      scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (scheme != "postgresql" && scheme != "postgres") {
    return fail(ErrorCode::kInvalidArgument,
                "not a PostgreSQL URL (expected postgresql://user:password@host:port/dbname)");
  }
  info.uri = std::string(kScheme) + std::string(url.substr(sep + 3));
  info.redacted = redact(url);
  const std::string password = raw_password(url);
  if (!password.empty()) {
    info.secrets.push_back(password);
    const std::string decoded = percent_decode(password);
    if (decoded != password) info.secrets.push_back(decoded);
  }

  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, OptionsFree> options(PQconninfoParse(info.uri.c_str(), &error));
  if (!options) {
    std::string why = error != nullptr ? error : "out of memory";
    if (error != nullptr) PQfreemem(error);
    // libpq may quote the URL back: show the redacted one instead.
    for (const std::string& echoed : {info.uri, std::string(url)}) {
      for (auto at = why.find(echoed); at != std::string::npos; at = why.find(echoed, at + 1)) {
        why.replace(at, echoed.size(), info.redacted);
      }
    }
    return fail(ErrorCode::kInvalidArgument, "malformed PostgreSQL URL: " + scrub(why, info.secrets));
  }
  std::string host, hostaddr, port, dbname, user;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    const std::string_view key = o->keyword;
    const std::string value = o->val != nullptr ? o->val : "";
    if (key == "host") host = value;
    if (key == "hostaddr") hostaddr = value;
    if (key == "port") port = value;
    if (key == "dbname") dbname = value;
    if (key == "user") user = value;
    // A password given as ?password=... is as secret as one in the authority.
    if (key == "password" && !value.empty() &&
        std::find(info.secrets.begin(), info.secrets.end(), value) == info.secrets.end()) {
      info.secrets.push_back(value);
    }
  }
  if (host.empty()) host = hostaddr.empty() ? "localhost" : hostaddr;
  if (port.empty()) port = "5432";
  if (dbname.empty()) dbname = user.empty() ? "(default database)" : user;
  info.target = host + ":" + port + "/" + dbname;
  return info;
}

Result<pg_conn*> connect(const ConnInfo& info) {
  // Keywords are applied in order: the URL (dbname, expanded) overrides the
  // defaults before it; client_encoding after it is not negotiable, as the
  // store sends and expects UTF-8.
  const char* keys[] = {"application_name", "connect_timeout", "dbname", "client_encoding",
                        nullptr};
  const char* values[] = {"berth", "10", info.uri.c_str(), "UTF8", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return fail(ErrorCode::kUnavailable, "cannot connect to PostgreSQL at " + info.target +
                                             ": out of memory");
  }
  if (PQstatus(conn) == CONNECTION_OK) {
    // Notices (e.g. "relation already exists, skipping") are not for stderr.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    return conn;
  }
  const std::string why = scrub(PQerrorMessage(conn), info.secrets);
  const bool wants_password = PQconnectionNeedsPassword(conn) != 0;
  PQfinish(conn);
  if (wants_password) {
    return fail(ErrorCode::kDenied, "cannot connect to PostgreSQL at " + info.target +
                                        ": the server asks for a password and the URL gives none");
  }
  ErrorCode code = ErrorCode::kUnavailable;
  if (why.find("password authentication failed") != std::string::npos ||
      why.find("no pg_hba.conf entry") != std::string::npos ||
      (why.find("role \"") != std::string::npos && why.find("does not exist") != std::string::npos)) {
    code = ErrorCode::kDenied;
  } else if (why.find("database \"") != std::string::npos &&
             why.find("does not exist") != std::string::npos) {
    code = ErrorCode::kInvalidArgument;
  }
  // libpq's message names the host, port and database it tried.
  return fail(code, "cannot connect to PostgreSQL: " + why);
}

}  // namespace berth::storage::meta::postgres
