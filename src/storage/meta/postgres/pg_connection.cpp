// Connection, Params and PgResult over libpq (see pg_connection.hpp).
// Thread-safety: as pg_connection.hpp (one thread per Connection at a time).
#include "storage/meta/postgres/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cstdlib>
#include <cstring>

#include "storage/meta/postgres/pg_error.hpp"

namespace berth::storage::meta::postgres {

namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

std::uint64_t get_be(std::string_view bytes) {
  std::uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

// Array header: ndim, has-nulls flag, element type, then (size, lower bound)
// per dimension; an empty array has no dimensions.
std::string array_header(unsigned element_oid, std::size_t count) {
  std::string out;
  put_u32(out, count == 0 ? 0 : 1);
  put_u32(out, 0);
  put_u32(out, element_oid);
  if (count > 0) {
    put_u32(out, static_cast<std::uint32_t>(count));
    put_u32(out, 1);
  }
  return out;
}

// A short, one-line name for a statement in error details.
std::string statement_label(std::string_view sql) {
  std::string out;
  for (char c : sql.substr(0, 96)) {
    const bool space = c == '\n' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  if (sql.size() > 96) out += "...";
  return out;
}

}  // namespace

std::string encode_text_array(std::span<const std::string> items) {
  std::string out = array_header(oid::kText, items.size());
  for (const std::string& item : items) {
    put_u32(out, static_cast<std::uint32_t>(item.size()));
    out += item;
  }
  return out;
}

std::string encode_int8_array(std::span<const std::int64_t> items) {
  std::string out = array_header(oid::kInt8, items.size());
  for (std::int64_t item : items) {
    put_u32(out, 8);
    put_u64(out, static_cast<std::uint64_t>(item));
  }
  return out;
}

Result<std::vector<std::string>> decode_text_array(std::string_view bytes) {
  auto malformed = [] {
    return fail(ErrorCode::kCorruption, "metadata database returned a malformed text array");
  };
  std::vector<std::string> out;
  if (bytes.size() < 12) return malformed();
  const auto ndim = static_cast<std::int32_t>(get_be(bytes.substr(0, 4)));
  bytes.remove_prefix(12);  // ndim, flags, element type
  if (ndim == 0) return out;
  if (ndim != 1 || bytes.size() < 8) return malformed();
  const auto count = static_cast<std::int32_t>(get_be(bytes.substr(0, 4)));
  bytes.remove_prefix(8);
  if (count < 0) return malformed();
  out.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count; ++i) {
    if (bytes.size() < 4) return malformed();
    const auto len = static_cast<std::int32_t>(get_be(bytes.substr(0, 4)));
    bytes.remove_prefix(4);
    if (len < 0 || static_cast<std::size_t>(len) > bytes.size()) return malformed();  // NULL or short
    out.emplace_back(bytes.substr(0, static_cast<std::size_t>(len)));
    bytes.remove_prefix(static_cast<std::size_t>(len));
  }
  if (!bytes.empty()) return malformed();
  return out;
}

// ---- Params ----

Params& Params::text(std::string_view value) {
  values_.push_back({oid::kText, false, std::string(value)});
  return *this;
}

Params& Params::int64(std::int64_t value) {
  Value v{oid::kInt8};
  put_u64(v.owned, static_cast<std::uint64_t>(value));
  values_.push_back(std::move(v));
  return *this;
}

Params& Params::boolean(bool value) {
  values_.push_back({oid::kBool, false, std::string(1, value ? '\1' : '\0')});
  return *this;
}

Params& Params::bytea(std::string_view bytes) {
  Value v{oid::kBytea};
  v.borrowed = bytes;
  v.is_borrowed = true;
  values_.push_back(std::move(v));
  return *this;
}

Params& Params::null(unsigned type_oid) {
  values_.push_back({type_oid, true});
  return *this;
}

Params& Params::text_array(std::span<const std::string> items) {
  values_.push_back({oid::kTextArray, false, encode_text_array(items)});
  return *this;
}

Params& Params::int64_array(std::span<const std::int64_t> items) {
  values_.push_back({oid::kInt8Array, false, encode_int8_array(items)});
  return *this;
}

// ---- PgResult ----

void PgResult::Free::operator()(pg_result* r) const { PQclear(r); }

PgResult::PgResult(pg_result* result) : result_(result) {}

int PgResult::rows() const { return PQntuples(result_.get()); }

bool PgResult::is_null(int row, int col) const {
  return PQgetisnull(result_.get(), row, col) != 0;
}

std::string_view PgResult::view(int row, int col) const {
  return {PQgetvalue(result_.get(), row, col),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
}

std::string PgResult::text(int row, int col) const { return std::string(view(row, col)); }

std::int64_t PgResult::int64(int row, int col) const {
  if (is_null(row, col)) return 0;
  const std::string_view bytes = view(row, col);
  switch (bytes.size()) {
    case 8: return static_cast<std::int64_t>(get_be(bytes));
    case 4: return static_cast<std::int32_t>(get_be(bytes));
    case 2: return static_cast<std::int16_t>(get_be(bytes));
    case 1: return static_cast<unsigned char>(bytes[0]);  // bool
    default: return 0;
  }
}

Result<std::vector<std::string>> PgResult::text_array(int row, int col) const {
  if (is_null(row, col)) return std::vector<std::string>{};
  return decode_text_array(view(row, col));
}

std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_.get());
  return n == nullptr || *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

// ---- Connection ----

Connection::Connection(pg_conn* conn) : conn_(conn) {}

Connection::~Connection() { PQfinish(conn_); }

Error Connection::fail_with(pg_result* result, std::string_view sql) {
  last_failed_ = true;
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state != nullptr ? state : "";
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary != nullptr ? primary : PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  for (char& c : message) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  if (result != nullptr) PQclear(result);
  return from_pg(last_sqlstate_, message, statement_label(sql));
}

Result<PgResult> Connection::check(pg_result* result, std::string_view sql) {
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_failed_ = false;
    last_sqlstate_.clear();
    return PgResult(result);
  }
  return std::unexpected(fail_with(result, sql));
}

Result<PgResult> Connection::query(std::string_view sql, const Params& params) {
  const int n = static_cast<int>(params.values_.size());
  std::string key(sql);
  auto found = prepared_.find(key);
  if (found == prepared_.end()) {
    std::vector<Oid> types;
    types.reserve(params.values_.size());
    for (const auto& v : params.values_) types.push_back(v.type);
    std::string name = "berth_" + std::to_string(prepared_.size() + 1);
    BERTH_TRY(check(PQprepare(conn_, name.c_str(), key.c_str(), n, types.data()), sql));
    found = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  std::vector<const char*> values(params.values_.size());
  std::vector<int> lengths(params.values_.size());
  std::vector<int> formats(params.values_.size(), 1);
  for (std::size_t i = 0; i < params.values_.size(); ++i) {
    const auto& v = params.values_[i];
    if (v.is_null) continue;
    const std::string_view bytes = v.is_borrowed ? v.borrowed : std::string_view(v.owned);
    // libpq wants a non-null pointer for a non-null value, even when empty.
    values[i] = bytes.data() != nullptr ? bytes.data() : "";
    lengths[i] = static_cast<int>(bytes.size());
  }
  return check(PQexecPrepared(conn_, found->second.c_str(), n, values.data(), lengths.data(),
                              formats.data(), /*resultFormat=*/1),
               sql);
}

Status Connection::exec(std::string_view sql) {
  std::string text(sql);
  BERTH_TRY(check(PQexec(conn_, text.c_str()), sql));
  return ok();
}

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool Connection::in_transaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

bool Connection::reusable() const {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool Connection::healthy() const {
  if (!reusable()) return false;
  // libpq keeps its socket non-blocking, and berth never LISTENs: any input
  // on an idle connection is the server saying goodbye (a FATAL message on
  // shutdown or pg_terminate_backend, or end-of-file).
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  return ::poll(&fd, 1, 0) == 0;
}

int Connection::backend_pid() const { return PQbackendPID(conn_); }

}  // namespace berth::storage::meta::postgres
