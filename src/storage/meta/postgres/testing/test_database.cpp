// TestDatabase (see test_database.hpp).
// Thread-safety: see test_database.hpp.
#include "storage/meta/postgres/testing/test_database.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <random>

#include "conformance/external_backend.hpp"

namespace berth::storage::meta::postgres::testing {

namespace {

void require_server(std::string* url) {
  conformance::require_backend_env(kServerEnv, "PostgreSQL", url);
}

}  // namespace

std::string server_url_or_skip() {
  std::string url;
  require_server(&url);
  return url;
}

std::string with_database(std::string_view url, std::string_view dbname) {
  const auto sep = url.find("://");
  const auto start = sep == std::string_view::npos ? 0 : sep + 3;
  const auto query = url.find('?', start);
  const auto slash = url.find('/', start);
  const auto path = slash != std::string_view::npos && (query == std::string_view::npos || slash < query)
                        ? slash
                        : query;
  std::string out(url.substr(0, path == std::string_view::npos ? url.size() : path));
  out += "/";
  out += dbname;
  if (query != std::string_view::npos) out += url.substr(query);
  return out;
}

Result<std::string> server_sql(const std::string& url, std::string_view statement) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    return fail(ErrorCode::kUnavailable, "test server: " + why);
  }
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(conn, std::string(statement).c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::string out;
  Status done = ok();
  if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) {
    out = PQgetvalue(result, 0, 0);
  } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    done = fail(ErrorCode::kInternal, std::string("test server: ") + PQresultErrorMessage(result),
                std::string(statement));
  }
  PQclear(result);
  PQfinish(conn);
  if (!done) return std::unexpected(done.error());
  return out;
}

Result<TestDatabase> TestDatabase::create(const std::string& server_url) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  const std::string name = "berth_test_" + std::to_string(::getpid()) + "_" +
                           std::to_string(++counter) + "_" + std::to_string(rd() % 100000);
  // FILE_COPY: half the time of the default WAL_LOG for a small template.
  BERTH_TRY(server_sql(server_url, "CREATE DATABASE " + name + " STRATEGY FILE_COPY"));
  return TestDatabase(server_url, name);
}

TestDatabase::TestDatabase(std::string server_url, std::string name)
    : server_url_(std::move(server_url)),
      name_(std::move(name)),
      url_(with_database(server_url_, name_)) {}

TestDatabase::TestDatabase(TestDatabase&& other) noexcept
    : server_url_(std::move(other.server_url_)),
      name_(std::exchange(other.name_, std::string())),
      url_(std::move(other.url_)) {}

TestDatabase::~TestDatabase() {
  if (name_.empty()) return;
  auto dropped = server_sql(server_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  if (!dropped) ADD_FAILURE() << "cannot drop " << name_ << ": " << dropped.error().message;
}

Result<std::string> TestDatabase::sql(std::string_view statement) const {
  return server_sql(url_, statement);
}

}  // namespace berth::storage::meta::postgres::testing
