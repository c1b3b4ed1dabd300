#include "storage/meta/sqlite/connection.hpp"

#include <sqlite3.h>

#include <limits>
#include <utility>

#include "storage/meta/sqlite/sqlite_error.hpp"
#include "util/writable.hpp"

namespace berth::storage::meta::sqlite {

namespace {

Error stmt_error(sqlite3_stmt* stmt, int rc) {
  sqlite3* db = sqlite3_db_handle(stmt);
  std::string context = sqlite3_errmsg(db);
  if (const char* sql = sqlite3_sql(stmt)) {
    context += " in: ";
    context += sql;
  }
  return from_sqlite(rc, context);
}

}  // namespace

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (in_use_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // A default string_view has no data pointer, which SQLite would bind as
  // NULL (and "x > NULL" matches nothing): it is the empty string here.
  const char* data = text.data() != nullptr ? text.data() : "";
  int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob needs a non-null pointer, or SQLite stores NULL.
  static const char kEmpty = 0;
  const char* data = bytes.empty() ? &kEmpty : bytes.data();
  int rc = sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_STATIC);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return std::unexpected(stmt_error(stmt_, bind_rc_));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(stmt_error(stmt_, rc));
}

Status Statement::run() {
  BERTH_TRY(step());
  return ok();
}

std::int64_t Statement::column_int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::column_text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

std::string Statement::column_blob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(n));
}

bool Statement::column_is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& file,
                                                     const ConnectionOptions& options) {
  // SQLite's memory statistics take a process-wide mutex on every
  // allocation, which every connection's every query contends on; berth
  // never reads them. Only possible before SQLite initialises, hence once,
  // here (a failure just means something initialised it first).
  static const bool memstatus_off = [] {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)memstatus_off;
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string context = "open " + file.string();
    if (db != nullptr) {
      context += ": ";
      context += sqlite3_errmsg(db);
      sqlite3_close_v2(db);
    }
    // "unable to open database file" says nothing an operator can act on.
    if (std::string why = why_not_writable(file); !why.empty()) context += " (" + why + ")";
    return std::unexpected(from_sqlite(rc, context));
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);

  // journal_mode is persistent in the file, but asking on every connection
  // is cheap and guarantees WAL even for a file created by someone else.
  {
    auto mode = BERTH_TRY(conn->prepare("PRAGMA journal_mode=WAL"));
    auto stepped = mode.step();
    if (!stepped) {
      // A read-only file or directory opens, then fails here.
      if (std::string why = why_not_writable(file); !why.empty()) {
        return fail(ErrorCode::kUnavailable, "cannot write the metadata database: " + why,
                    file.string());
      }
      return std::unexpected(stepped.error());
    }
    if (!*stepped || mode.column_text(0) != "wal") {
      return fail(ErrorCode::kUnsupported, "metadata database cannot use WAL mode", file.string());
    }
  }
  BERTH_TRY_STATUS(conn->exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                       : "PRAGMA synchronous=NORMAL"));
  BERTH_TRY_STATUS(conn->exec("PRAGMA foreign_keys=ON"));
  if (options.read_only) BERTH_TRY_STATUS(conn->exec("PRAGMA query_only=ON"));
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, slot] : cache_) sqlite3_finalize(slot.stmt);
  sqlite3_close_v2(db_);
}

Status Connection::exec(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec needs a terminator
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return ok();
  std::string context = message != nullptr ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  context += " in: ";
  context += text.substr(0, 200);
  return std::unexpected(from_sqlite(rc, context));
}

Result<Statement> Connection::prepare(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail(ErrorCode::kInternal, "SQL text too long");
  }
  auto [it, inserted] = cache_.try_emplace(std::string(sql));
  CachedStatement& slot = it->second;
  if (!inserted && !slot.in_use) {
    slot.in_use = true;
    return Statement(slot.stmt, &slot.in_use);
  }
  sqlite3_stmt* stmt = nullptr;
  unsigned flags = inserted ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr);
  if (rc != SQLITE_OK || stmt == nullptr) {
    if (inserted) cache_.erase(it);
    return std::unexpected(
        error(rc == SQLITE_OK ? SQLITE_MISUSE : rc, "prepare " + std::string(sql.substr(0, 200))));
  }
  if (!inserted) return Statement(stmt, nullptr);  // nested use: private copy
  slot.stmt = stmt;
  slot.in_use = true;
  return Statement(stmt, &slot.in_use);
}

Result<std::int64_t> Connection::query_int64(std::string_view sql) {
  auto stmt = BERTH_TRY(prepare(sql));
  if (!BERTH_TRY(stmt.step())) {
    return fail(ErrorCode::kInternal, "query returned no row", std::string(sql));
  }
  return stmt.column_int64(0);
}

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Error Connection::error(int rc, std::string_view what) const {
  std::string context(what);
  context += ": ";
  context += sqlite3_errmsg(db_);
  return from_sqlite(rc, context);
}

// ---- Transaction ----

Result<Transaction> Transaction::begin(Connection& conn, Mode mode) {
  BERTH_TRY_STATUS(conn.exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&conn);
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

Transaction::~Transaction() {
  // SQLite may already have rolled back on its own (e.g. SQLITE_FULL);
  // a second ROLLBACK would only report "no transaction is active".
  if (conn_ != nullptr && conn_->in_transaction()) (void)conn_->exec("ROLLBACK");
}

// ---- Savepoint ----

namespace {
constexpr std::string_view kSavepointBegin = "SAVEPOINT berth_call";
constexpr std::string_view kSavepointRelease = "RELEASE berth_call";
constexpr std::string_view kSavepointRollback = "ROLLBACK TO berth_call; RELEASE berth_call";
}  // namespace

Result<Savepoint> Savepoint::begin(Connection& conn) {
  BERTH_TRY_STATUS(conn.exec(kSavepointBegin));
  return Savepoint(&conn);
}

Savepoint::Savepoint(Savepoint&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}

Savepoint::~Savepoint() {
  if (conn_ != nullptr && conn_->in_transaction()) (void)conn_->exec(kSavepointRollback);
}

Status Savepoint::release() { return std::exchange(conn_, nullptr)->exec(kSavepointRelease); }

Status Savepoint::rollback() { return std::exchange(conn_, nullptr)->exec(kSavepointRollback); }

Status Transaction::commit() {
  Connection* conn = std::exchange(conn_, nullptr);
  auto status = conn->exec("COMMIT");
  if (!status && conn->in_transaction()) (void)conn->exec("ROLLBACK");
  return status;
}

}  // namespace berth::storage::meta::sqlite
