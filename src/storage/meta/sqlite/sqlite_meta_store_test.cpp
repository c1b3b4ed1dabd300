// Behaviour specific to the SQLite backend: persistence across reopen,
// schema migrations, WAL, lock contention and the SQLite error mapping.
// Shared MetaStore semantics are in tests/conformance/meta_store_suite.
#include "storage/meta/sqlite/sqlite_meta_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "conformance/meta_store_suite.hpp"
#include "storage/meta/sqlite/connection.hpp"
#include "storage/meta/sqlite/migrations.hpp"
#include "storage/meta/sqlite/sqlite_error.hpp"

namespace berth::storage::meta::sqlite {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

oci::Digest digest(char c) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, std::string(64, c));
}

ManifestRecord manifest(char c) {
  ManifestRecord m;
  m.digest = digest(c);
  m.media_type = "application/vnd.oci.image.manifest.v1+json";
  m.content = std::string("{\"m\":\"") + c + "\"}";
  m.size = m.content.size();
  m.pushed_at_ms = kNow;
  return m;
}

class SqliteMetaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = conformance::make_meta_temp_dir("berth-meta-sqlite-test");
    db_ = dir_ / "meta.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<MetaStore> open(SqliteOptions options = {}) {
    auto store = open_sqlite_meta_store(db_, options);
    EXPECT_TRUE(store.has_value()) << store.error().message << ": " << store.error().detail;
    return store ? std::move(*store) : nullptr;
  }

  // A raw connection to the same file, as another process would have.
  std::unique_ptr<Connection> raw() {
    auto conn = Connection::open(db_, {});
    EXPECT_TRUE(conn.has_value());
    return conn ? std::move(*conn) : nullptr;
  }

  std::filesystem::path dir_;
  std::filesystem::path db_;
};

TEST_F(SqliteMetaStoreTest, ReopenKeepsData) {
  RepositoryId repo;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    auto created = store->create_repository("default", "app", R"({"x":1})", kNow);
    ASSERT_TRUE(created.has_value());
    repo = created->id;
    ASSERT_TRUE(store->link_blob(repo, digest('b'), 7, kNow).has_value());
    PutManifestOptions options;
    options.tags = {{"v1"}};
    ASSERT_TRUE(
        store->put_manifest(repo, manifest('a'), {{digest('b'), ReferenceKind::kBlob, 7}}, options)
            .has_value());
    ASSERT_TRUE(store->create_upload({"up", repo, kNow}).has_value());
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto got = store->get_repository("default", "app");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, repo);
  EXPECT_EQ(got->settings_json, R"({"x":1})");
  EXPECT_EQ(store->resolve_tag(repo, "v1").value_or(oci::Digest{}), digest('a'));
  EXPECT_EQ(store->get_manifest(repo, digest('a')).value().content, manifest('a').content);
  EXPECT_EQ(store->get_blob_link(repo, digest('b')).value_or(0), 7u);
  EXPECT_TRUE(store->get_upload("up").has_value());
}

TEST_F(SqliteMetaStoreTest, MigrationsAreIdempotentOnReopen) {
  for (int i = 0; i < 3; ++i) ASSERT_NE(open(), nullptr);
  auto conn = raw();
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->query_int64("PRAGMA user_version").value_or(-1), latest_schema_version());
  EXPECT_EQ(conn->query_int64("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                              "name IN ('repositories', 'manifests', 'manifest_contents', "
                              "'manifest_refs', 'tags', 'blob_links', 'uploads')")
                .value_or(-1),
            7);
  auto violations = conn->prepare("PRAGMA foreign_key_check");
  ASSERT_TRUE(violations.has_value());
  EXPECT_FALSE(violations->step().value_or(true)) << "foreign key violations present";
}

TEST_F(SqliteMetaStoreTest, NewerSchemaIsUnsupported) {
  ASSERT_NE(open(), nullptr);
  {
    auto conn = raw();
    ASSERT_NE(conn, nullptr);
    ASSERT_TRUE(conn->exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1))
                    .has_value());
  }
  auto store = open_sqlite_meta_store(db_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnsupported);
}

TEST_F(SqliteMetaStoreTest, WalModeIsActive) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->ensure_repository("default", "app", kNow).has_value());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "meta.db-wal"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
}

TEST_F(SqliteMetaStoreTest, NotADatabaseIsCorruption) {
  std::ofstream(db_) << std::string(4096, 'x');
  auto store = open_sqlite_meta_store(db_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kCorruption);
}

TEST_F(SqliteMetaStoreTest, HeldWriteLockIsUnavailableButReadsProceed) {
  auto store = open({.synchronous_full = true, .busy_timeout_ms = 50});
  ASSERT_NE(store, nullptr);
  auto repo = store->ensure_repository("default", "app", kNow);
  ASSERT_TRUE(repo.has_value());

  auto other = raw();  // another process in the middle of a long write
  ASSERT_NE(other, nullptr);
  auto txn = Transaction::begin(*other, Transaction::Mode::kImmediate);
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE(other->exec("UPDATE repositories SET settings = '{\"locked\":1}'").has_value());

  auto write = store->link_blob(repo->id, digest('c'), 1, kNow);
  ASSERT_FALSE(write.has_value());
  EXPECT_EQ(write.error().code, ErrorCode::kUnavailable);
  // WAL: readers see the last committed state without waiting.
  auto read = store->get_repository("default", "app");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->settings_json, "{}");

  ASSERT_TRUE(txn->commit().has_value());
  EXPECT_TRUE(store->link_blob(repo->id, digest('c'), 1, kNow).has_value());
  EXPECT_EQ(store->get_repository("default", "app").value().settings_json, "{\"locked\":1}");
}

TEST(SqliteErrorTest, MapsResultCodes) {
  EXPECT_EQ(from_sqlite(SQLITE_FULL, "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(from_sqlite(SQLITE_FULL, "x").message, "disk full");
  EXPECT_EQ(from_sqlite(SQLITE_BUSY, "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(from_sqlite(SQLITE_BUSY_SNAPSHOT, "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(from_sqlite(SQLITE_CORRUPT, "x").code, ErrorCode::kCorruption);
  EXPECT_EQ(from_sqlite(SQLITE_CORRUPT_INDEX, "x").code, ErrorCode::kCorruption);
  EXPECT_EQ(from_sqlite(SQLITE_ERROR, "x").code, ErrorCode::kInternal);
  EXPECT_EQ(from_sqlite(SQLITE_CONSTRAINT_FOREIGNKEY, "x").code, ErrorCode::kInternal);
  EXPECT_EQ(from_sqlite(SQLITE_IOERR_FSYNC, "ctx").detail, "ctx");
}

}  // namespace
}  // namespace berth::storage::meta::sqlite

namespace berth::storage::meta::sqlite {
namespace {

class SqliteInOneCommitTest : public SqliteMetaStoreTest {
 protected:
  void SetUp() override {
    SqliteMetaStoreTest::SetUp();
    store_ = open();
    ASSERT_NE(store_, nullptr);
    auto created = store_->create_repository("default", "app", "{}", kNow);
    ASSERT_TRUE(created.has_value());
    repo_ = created->id;
  }
  void TearDown() override {
    store_.reset();
    SqliteMetaStoreTest::TearDown();
  }
  std::unique_ptr<MetaStore> store_;
  RepositoryId repo_ = 0;
};

TEST_F(SqliteInOneCommitTest, CallsInsideSeeEachOtherAndCommitTogether) {
  Status done = store_->in_one_commit([&]() -> Status {
    BERTH_TRY_STATUS(store_->link_blob(repo_, digest('a'), 1, kNow));
    // A read inside sees the write before it, though it is not committed.
    EXPECT_EQ(store_->get_blob_link(repo_, digest('a')).value_or(0), 1u);
    // A call that fails inside rolls back only itself.
    EXPECT_FALSE(store_->unlink_blob(repo_, digest('z')).has_value());
    // Nested: joins the outer commit.
    return store_->in_one_commit([&] { return store_->link_blob(repo_, digest('b'), 2, kNow); });
  });
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_EQ(store_->get_blob_link(repo_, digest('a')).value_or(0), 1u);
  EXPECT_EQ(store_->get_blob_link(repo_, digest('b')).value_or(0), 2u);
}

TEST_F(SqliteInOneCommitTest, AFailedWorkKeepsNothing) {
  Status done = store_->in_one_commit([&]() -> Status {
    BERTH_TRY_STATUS(store_->link_blob(repo_, digest('a'), 1, kNow));
    BERTH_TRY_STATUS(store_->delete_repository(repo_));
    return fail(ErrorCode::kInternal, "the caller gives up");
  });
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(store_->get_repository("default", "app").has_value());
  EXPECT_FALSE(store_->get_blob_link(repo_, digest('a')).has_value());
}

TEST_F(SqliteInOneCommitTest, OtherWritersWaitAndOtherReadersSeeTheStateBefore) {
  std::atomic<bool> other_done = false;
  std::thread other;
  Status done = store_->in_one_commit([&]() -> Status {
    BERTH_TRY_STATUS(store_->link_blob(repo_, digest('a'), 1, kNow));
    other = std::thread([&] {
      // A reader on another thread sees only committed state...
      EXPECT_FALSE(store_->get_blob_link(repo_, digest('a')).has_value());
      // ...and a writer waits for the commit.
      EXPECT_TRUE(store_->link_blob(repo_, digest('b'), 2, kNow).has_value());
      other_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(other_done.load());
    return ok();
  });
  other.join();
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(other_done.load());
  EXPECT_TRUE(store_->get_blob_link(repo_, digest('a')).has_value());
  EXPECT_TRUE(store_->get_blob_link(repo_, digest('b')).has_value());
}

TEST_F(SqliteInOneCommitTest, ReadsInOneSnapshotSeeOneStateWhileOthersWrite) {
  ASSERT_TRUE(store_->link_blob(repo_, digest('a'), 1, kNow).has_value());
  Status done = store_->in_one_snapshot([&]() -> Status {
    EXPECT_TRUE(store_->get_blob_link(repo_, digest('a')).has_value());
    // Another thread commits meanwhile; this snapshot does not see it.
    std::thread([&] {
      EXPECT_TRUE(store_->link_blob(repo_, digest('b'), 2, kNow).has_value());
    }).join();
    EXPECT_FALSE(store_->get_blob_link(repo_, digest('b')).has_value());
    return ok();
  });
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_TRUE(store_->get_blob_link(repo_, digest('b')).has_value());
}

}  // namespace
}  // namespace berth::storage::meta::sqlite
