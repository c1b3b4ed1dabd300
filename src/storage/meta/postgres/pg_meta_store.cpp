// PostgresMetaStore: opening, the thread scopes of in_one_commit() and
// in_one_snapshot(), walks, and lock_store(). The SQL of each area is in
// its own file (see pg_meta_store_impl.hpp).
//
// Thread-safety: as the store (pg_meta_store_impl.hpp): safe for concurrent use.
#include "storage/meta/postgres/pg_meta_store.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <random>
#include <thread>
#include <utility>

#include "storage/meta/postgres/pg_conninfo.hpp"
#include "storage/meta/postgres/pg_migrations.hpp"
#include "storage/meta/postgres/pg_meta_store_impl.hpp"

namespace berth::storage::meta::postgres {

// ---- shared helpers ----

void backoff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  const int cap_ms = std::min(1 << std::min(attempt, 6), 50);
  std::uniform_int_distribution<int> pick(1, cap_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(pick(rng)));
}

Result<oci::Digest> digest_at(const PgResult& rows, int row, int col) {
  std::string text = rows.text(row, col);
  auto digest = oci::Digest::parse(text);
  if (!digest) {
    return fail(ErrorCode::kCorruption, "metadata database holds a malformed digest", text);
  }
  return std::move(*digest);
}

std::int64_t sql_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, kMax));
}

// ---- thread scopes ----

namespace {

thread_local CallScope* t_scope = nullptr;

// Binds a scope to this thread for one `work` call.
class BindThread {
 public:
  explicit BindThread(CallScope* scope) : saved_(std::exchange(t_scope, scope)) {}
  ~BindThread() { t_scope = saved_; }
  BindThread(const BindThread&) = delete;
  BindThread& operator=(const BindThread&) = delete;

 private:
  CallScope* saved_;
};

}  // namespace

CallScope* scope_for(const PostgresMetaStore* store) {
  return t_scope != nullptr && t_scope->store == store ? t_scope : nullptr;
}

Status PostgresMetaStore::in_one_commit(const std::function<Status()>& work) {
  if (scope_for(this) != nullptr) return work();  // nested: join (or, in a snapshot, run as is)
  for (int attempt = 1;; ++attempt) {
    std::string state;
    {
      auto lease = BERTH_TRY(pool_->acquire());
      Connection& c = *lease;
      BERTH_TRY_STATUS(c.exec("BEGIN ISOLATION LEVEL SERIALIZABLE"));
      CallScope scope{this, &c, /*writing=*/true};
      Status done;
      {
        BindThread bound(&scope);
        done = work();
      }
      // The transaction's own failure wins over whatever `work` made of it:
      // nothing of this attempt can be kept.
      if (scope.failure) {
        done = std::unexpected(*scope.failure);
        state = scope.failure_sqlstate;
      }
      if (done) {
        if (Status committed = c.exec("COMMIT"); !committed) {
          state = c.last_sqlstate();
          done = std::unexpected(std::move(committed).error());
        }
      } else if (c.in_transaction()) {
        (void)c.exec("ROLLBACK");
      }
      if (done || !is_retryable(state) || attempt >= kMaxAttempts) return done;
    }
    backoff(attempt);
  }
}

Status PostgresMetaStore::in_one_snapshot(const std::function<Status()>& work) {
  if (scope_for(this) != nullptr) return work();
  auto lease = BERTH_TRY(pool_->acquire());
  Connection& c = *lease;
  BERTH_TRY_STATUS(c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  CallScope scope{this, &c, /*writing=*/false};
  Status done;
  {
    BindThread bound(&scope);
    done = work();
  }
  if (scope.failure) done = std::unexpected(*scope.failure);
  if (c.in_transaction()) {
    Status ended = c.exec(done ? "COMMIT" : "ROLLBACK");
    if (done && !ended) return ended;
  }
  return done;
}

// ---- walks ----

Status PostgresMetaStore::walk(std::string_view select_sql,
                               const std::function<Status(const PgResult&, int)>& visit) {
  // A cursor in a snapshot: constant memory however many rows, and the
  // connection is idle between batches, so `visit` may use the store (in a
  // scope, this very connection).
  constexpr std::string_view kBatch = "1000";
  auto stream = [&](Connection& c, int depth) -> Status {
    const std::string cursor = "berth_walk_" + std::to_string(depth);
    BERTH_TRY_STATUS(
        c.exec("DECLARE " + cursor + " NO SCROLL CURSOR FOR " + std::string(select_sql)));
    const std::string fetch = "FETCH " + std::string(kBatch) + " FROM " + cursor;
    for (;;) {
      auto rows = BERTH_TRY(c.query(fetch));
      if (rows.rows() == 0) break;
      for (int i = 0; i < rows.rows(); ++i) {
        if (Status visited = visit(rows, i); !visited) {
          (void)c.exec("CLOSE " + cursor);
          return visited;
        }
      }
    }
    return c.exec("CLOSE " + cursor);
  };
  if (CallScope* scope = scope_for(this)) {
    if (scope->failure) return std::unexpected(*scope->failure);
    Connection& c = *scope->conn;
    ++scope->cursors;
    Status walked = stream(c, scope->cursors);
    --scope->cursors;
    if (!walked && c.last_failed()) scope->note_failure(walked.error(), c.last_sqlstate());
    return walked;
  }
  auto lease = BERTH_TRY(pool_->acquire());
  Connection& c = *lease;
  BERTH_TRY_STATUS(c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  Status walked = stream(c, 1);
  Status ended = c.exec(walked ? "COMMIT" : "ROLLBACK");
  if (!walked) return walked;
  return ended;
}

// ---- opening ----

Result<std::unique_ptr<MetaStore>> open_postgres_meta_store(std::string_view url,
                                                            const PostgresOptions& options) {
  ConnInfo info = BERTH_TRY(parse_conninfo(url));
  auto raw = BERTH_TRY(connect(info));
  auto first = std::make_unique<Connection>(raw);
  auto migrated = migrate(*first, {.must_exist = options.must_exist});
  if (!migrated) {
    Error error = std::move(migrated).error();
    error.message = scrub(error.message, info.secrets);
    return std::unexpected(std::move(error));
  }
  auto pool =
      std::make_unique<ConnectionPool>(std::move(info), options.max_connections,
                                       options.connection_wait);
  pool->adopt(std::move(first));
  return std::unique_ptr<MetaStore>(
      std::make_unique<PostgresMetaStore>(std::move(pool), options));
}

PostgresMetaStore::PostgresMetaStore(std::unique_ptr<ConnectionPool> pool,
                                     const PostgresOptions& options)
    : pool_(std::move(pool)), options_(options) {}

// ---- the whole store ----

namespace {

// A session-level advisory lock, held as long as its connection is open.
class AdvisoryLock final : public StoreLock {
 public:
  explicit AdvisoryLock(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}

 private:
  std::unique_ptr<Connection> conn_;  // closing it releases the lock
};

}  // namespace

Result<std::unique_ptr<StoreLock>> PostgresMetaStore::lock_store(StoreLockMode mode) {
  // Its own connection, outside the pool: the lock lives exactly as long as
  // the session, and a pooled connection is shared by many calls.
  auto raw = BERTH_TRY(connect(pool_->info()));
  auto conn = std::make_unique<Connection>(raw);
  const std::string& target = pool_->info().target;
  if (mode == StoreLockMode::kExclusive) {
    auto got =
        BERTH_TRY(conn->query("SELECT pg_try_advisory_lock($1)", Params().int64(kStoreLockKey)));
    if (got.int64(0, 0) == 0) {
      return fail(ErrorCode::kUnavailable,
                  "metadata database " + target + " is in use by a running berth serve");
    }
  } else {
    BERTH_TRY_STATUS(conn->exec("SET lock_timeout = " +
                                std::to_string(std::max<std::int64_t>(
                                    1, options_.shared_lock_wait.count()))));
    auto got = conn->query("SELECT pg_advisory_lock_shared($1)", Params().int64(kStoreLockKey));
    if (!got) {
      if (conn->last_sqlstate() == sqlstate::kLockNotAvailable) {
        return fail(ErrorCode::kUnavailable,
                    "metadata database " + target + " is in use by berth fsck --repair");
      }
      return std::unexpected(std::move(got).error());
    }
    BERTH_TRY_STATUS(conn->exec("RESET lock_timeout"));
  }
  return std::unique_ptr<StoreLock>(std::make_unique<AdvisoryLock>(std::move(conn)));
}

}  // namespace berth::storage::meta::postgres
