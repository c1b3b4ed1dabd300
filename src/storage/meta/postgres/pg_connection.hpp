// Connection, Params and PgResult: a thin RAII layer over one libpq
// connection (PGconn).
//
// Every query goes through the extended protocol as a named prepared
// statement, prepared on first use and cached per connection by its SQL
// text, so each distinct query is parsed and planned once per connection.
// Parameters and results travel in binary format: no escaping, no text
// round trip for integers, and manifest bytes (bytea) as they are.
//
// Every failure becomes an Error through from_pg() (pg_error.hpp); the
// SQLSTATE of the last failure stays readable (last_sqlstate()) so the
// store can retry deadlocks and refine codes its contract names. Nothing
// throws.
//
// Thread-safety: a Connection and its results belong to one thread at a
// time (the pool lends each to one caller); Params and PgResult are values.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/result.hpp"

struct pg_conn;
struct pg_result;

namespace berth::storage::meta::postgres {

// Type OIDs of the values berth sends and reads (pg_type.dat).
namespace oid {
inline constexpr unsigned kBool = 16;
inline constexpr unsigned kBytea = 17;
inline constexpr unsigned kInt8 = 20;
inline constexpr unsigned kInt2 = 21;
inline constexpr unsigned kInt4 = 23;
inline constexpr unsigned kText = 25;
inline constexpr unsigned kTextArray = 1009;
inline constexpr unsigned kInt8Array = 1016;
}  // namespace oid

// Binary encodings of one-dimensional arrays (array_send / array_recv);
// exposed for unit tests.
std::string encode_text_array(std::span<const std::string> items);
std::string encode_int8_array(std::span<const std::int64_t> items);
// kCorruption when `bytes` is not a one-dimensional text array (or empty).
Result<std::vector<std::string>> decode_text_array(std::string_view bytes);

// The parameters of one query, $1, $2, ... in the order added. Their types
// are part of the prepared statement: a call site must always bind the same
// types in the same order.
class Params {
 public:
  Params& text(std::string_view value);
  Params& int64(std::int64_t value);
  Params& boolean(bool value);
  // Not copied. REQUIRES: `bytes` outlives the query.
  Params& bytea(std::string_view bytes);
  Params& null(unsigned type_oid);
  Params& text_array(std::span<const std::string> items);
  Params& int64_array(std::span<const std::int64_t> items);

  std::size_t size() const { return values_.size(); }

 private:
  friend class Connection;
  struct Value {
    unsigned type;
    bool is_null = false;
    std::string owned;
    std::string_view borrowed;  // used when non-null data lives elsewhere
    bool is_borrowed = false;
  };
  std::vector<Value> values_;
};

// A query's rows (binary format) or a command's row count.
class PgResult {
 public:
  explicit PgResult(pg_result* result);
  PgResult(PgResult&&) noexcept = default;
  PgResult& operator=(PgResult&&) noexcept = default;

  int rows() const;
  bool is_null(int row, int col) const;
  // Text or bytea, as bytes.
  std::string text(int row, int col) const;
  std::string_view view(int row, int col) const;
  // int8, int4, int2 or bool; 0 for NULL.
  std::int64_t int64(int row, int col) const;
  Result<std::vector<std::string>> text_array(int row, int col) const;
  // Rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const;

 private:
  struct Free {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Free> result_;
};

class Connection {
 public:
  // Takes ownership of a connected PGconn (see pg_conninfo.hpp).
  explicit Connection(pg_conn* conn);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs a prepared statement (prepared on first use) with binary results.
  Result<PgResult> query(std::string_view sql, const Params& params = {});
  // Runs one or more statements without parameters through the simple
  // protocol (BEGIN, COMMIT, SAVEPOINT, migration scripts).
  Status exec(std::string_view sql);

  // The SQLSTATE of the last failed call, "" after a success or a failure
  // without one (a broken connection).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // The last call failed (with or without an SQLSTATE).
  bool last_failed() const { return last_failed_; }

  // Connected and not inside a transaction: fit to go back to a pool.
  bool reusable() const;
  // Inside a transaction block (open or failed).
  bool in_transaction() const;
  // For an idle pooled connection: false when the server closed it or sent
  // something unprompted (a FATAL on shutdown). Never blocks.
  bool healthy() const;
  bool broken() const;
  int backend_pid() const;

 private:
  Result<PgResult> check(pg_result* result, std::string_view sql);
  Error fail_with(pg_result* result, std::string_view sql);

  pg_conn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  std::string last_sqlstate_;
  bool last_failed_ = false;
};

}  // namespace berth::storage::meta::postgres
