// TestDatabase: one fresh PostgreSQL database per test case, on the server
// the tests were given.
//
// The server is named by BERTH_TEST_POSTGRES_URL: a postgresql:// URL of a
// role that may CREATE DATABASE, and of a database to connect to for that
// (e.g. postgres). scripts/test-backends/postgres.sh starts such a server
// in a temporary directory and prints the variable. Every case creates its
// own database (berth_test_<pid>_<n>_<random>) and drops it at the end,
// so cases are independent, may run in parallel processes (ctest -j), and
// see advisory locks (per database) of their own only.
//
// Thread-safety: create() and the destructor may run on any thread; one
// TestDatabase is used by one test.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::storage::meta::postgres::testing {

inline constexpr const char* kServerEnv = "BERTH_TEST_POSTGRES_URL";

// The server's URL, or "" after skipping the current test (or failing it
// under BERTH_REQUIRE_BACKENDS=1): the caller returns at once.
std::string server_url_or_skip();

// `url` with its database name replaced by `dbname` (query kept).
std::string with_database(std::string_view url, std::string_view dbname);

class TestDatabase {
 public:
  static Result<TestDatabase> create(const std::string& server_url);
  TestDatabase(TestDatabase&& other) noexcept;
  TestDatabase& operator=(TestDatabase&&) = delete;
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();  // drops the database (WITH (FORCE): open stores are cut off)

  const std::string& name() const { return name_; }
  // A URL of this database (same server, role and password).
  const std::string& url() const { return url_; }
  // Runs SQL as the server's role in this database; returns the first
  // column of the first row ("" when none).
  Result<std::string> sql(std::string_view statement) const;

 private:
  TestDatabase(std::string server_url, std::string name);

  std::string server_url_;
  std::string name_;  // empty once moved from
  std::string url_;
};

// Runs SQL on the server's own database (CREATE/DROP DATABASE, pg_terminate_backend).
Result<std::string> server_sql(const std::string& server_url, std::string_view statement);

}  // namespace berth::storage::meta::postgres::testing
