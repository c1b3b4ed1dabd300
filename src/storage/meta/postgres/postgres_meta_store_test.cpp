// Behaviour specific to the PostgreSQL backend, against the server named by
// BERTH_TEST_POSTGRES_URL (one fresh database per case): migrations when
// several processes open one database at once, refusing what fsck must not
// create, startup errors, connections the server cuts (idle, or in the
// middle of a transaction), the bounded pool, values PostgreSQL refuses,
// byte-exact large manifests and walks longer than one cursor batch.
// Shared MetaStore semantics are in tests/conformance/meta_store_suite.
// Thread-safety: GoogleTest fixtures; some cases start threads.
#include "storage/meta/postgres/pg_meta_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "storage/meta/postgres/pg_conninfo.hpp"
#include "storage/meta/postgres/pg_migrations.hpp"
#include "storage/meta/postgres/testing/test_database.hpp"

namespace berth::storage::meta::postgres {
namespace {

using testing::TestDatabase;

constexpr std::int64_t kNow = 1'700'000'000'000;

oci::Digest digest_of(int n) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", n);
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, hex);
}

ManifestRecord manifest(int n, std::string content) {
  ManifestRecord m;
  m.digest = digest_of(n);
  m.media_type = "application/vnd.oci.image.manifest.v1+json";
  m.content = std::move(content);
  m.size = m.content.size();
  m.pushed_at_ms = kNow;
  return m;
}

class PostgresMetaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::server_url_or_skip();
    if (server_.empty()) return;
    auto created = TestDatabase::create(server_);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    db_ = std::make_unique<TestDatabase>(std::move(*created));
  }

  std::unique_ptr<MetaStore> open(PostgresOptions options = {}) {
    auto store = open_postgres_meta_store(db_->url(), options);
    EXPECT_TRUE(store.has_value()) << store.error().message << " [" << store.error().detail << "]";
    return store ? std::move(*store) : nullptr;
  }

  std::int64_t count(const std::string& sql) {
    auto value = db_->sql(sql);
    EXPECT_TRUE(value.has_value()) << value.error().message;
    return value ? std::stoll(*value) : -1;
  }

  // Cuts every other connection to this database, and waits until the
  // server has let them go.
  void terminate_backends(std::string_view which = "") {
    ASSERT_TRUE(db_->sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid() " +
                         std::string(which))
                    .has_value());
    for (int i = 0; i < 500; ++i) {
      if (count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() " + std::string(which)) == 0) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "backends did not exit";
  }

  std::string server_;
  std::unique_ptr<TestDatabase> db_;
};

TEST_F(PostgresMetaStoreTest, ProcessesOpeningOneEmptyDatabaseTogetherMigrateItOnce) {
  std::vector<std::unique_ptr<MetaStore>> stores(6);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (std::size_t i = 0; i < stores.size(); ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      stores[i] = open();
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  for (const auto& store : stores) ASSERT_NE(store, nullptr);
  EXPECT_EQ(count("SELECT count(*) FROM berth_schema_migrations"), latest_schema_version());
  EXPECT_EQ(count("SELECT max(version) FROM berth_schema_migrations"), latest_schema_version());
  // Reopening migrates nothing and keeps the data.
  ASSERT_TRUE(stores[0]->ensure_repository("r", "kept", kNow).has_value());
  auto again = open();
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->get_repository("r", "kept").has_value());
}

TEST_F(PostgresMetaStoreTest, MustExistRefusesAnEmptyDatabaseAndCreatesNothing) {
  auto store = open_postgres_meta_store(db_->url(), {.must_exist = true});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(store.error().message.find("no berth metadata"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(count("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE n.nspname = 'public'"),
            0);
  ASSERT_NE(open(), nullptr);
  EXPECT_TRUE(open_postgres_meta_store(db_->url(), {.must_exist = true}).has_value());
}

TEST_F(PostgresMetaStoreTest, ASchemaNewerThanTheCodeIsRefused) {
  ASSERT_NE(open(), nullptr);
  ASSERT_TRUE(db_->sql("INSERT INTO berth_schema_migrations (version, name) VALUES (999, 'future')")
                  .has_value());
  auto store = open_postgres_meta_store(db_->url());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnsupported);
}

TEST_F(PostgresMetaStoreTest, WrongPasswordsAndMissingDatabasesAreNamedNotShown) {
  auto info = parse_conninfo(db_->url());
  ASSERT_TRUE(info.has_value());
  std::string wrong = db_->url();
  ASSERT_FALSE(info->secrets.empty()) << "the test server's URL has no password";
  wrong.replace(wrong.find(info->secrets[0]), info->secrets[0].size(), "not-the-password");
  auto denied = open_postgres_meta_store(wrong);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code, ErrorCode::kDenied) << denied.error().message;
  EXPECT_EQ(denied.error().message.find("not-the-password"), std::string::npos);
  EXPECT_NE(denied.error().message.find("password authentication failed"), std::string::npos)
      << denied.error().message;

  auto missing = open_postgres_meta_store(testing::with_database(db_->url(), "no_such_db"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument) << missing.error().message;
  EXPECT_NE(missing.error().message.find("no_such_db"), std::string::npos);
  EXPECT_EQ(missing.error().message.find(info->secrets[0]), std::string::npos);
}

TEST_F(PostgresMetaStoreTest, IdleConnectionsTheServerCutAreReplaced) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto repo = store->ensure_repository("r", "app", kNow);
  ASSERT_TRUE(repo.has_value());
  // Several idle pooled connections, all cut (a server restart looks the same).
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { EXPECT_TRUE(store->get_repository("r", "app").has_value()); });
  }
  for (auto& thread : threads) thread.join();
  terminate_backends();
  for (int i = 0; i < 8; ++i) {
    auto again = store->get_repository("r", "app");
    ASSERT_TRUE(again.has_value()) << again.error().message;
  }
  EXPECT_TRUE(store->put_manifest(repo->id, manifest(1, "{}"), {}, {}).has_value());
}

TEST_F(PostgresMetaStoreTest, AConnectionCutInsideOneCommitKeepsNothingAndTheStoreRecovers) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto repo = store->ensure_repository("r", "app", kNow);
  ASSERT_TRUE(repo.has_value());
  Status cut = store->in_one_commit([&]() -> Status {
    if (auto s = store->put_manifest(repo->id, manifest(1, "{\"a\":1}"), {}, {}); !s) return s;
    if (auto s = store->put_tag(repo->id, "v1", digest_of(1), false); !s) return s;
    // The process dies, or the network fails, before the commit.
    terminate_backends("AND state LIKE 'idle in transaction%'");
    return store->put_tag(repo->id, "v2", digest_of(1), false);
  });
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().code, ErrorCode::kUnavailable) << cut.error().message;
  EXPECT_FALSE(store->get_manifest(repo->id, digest_of(1)).has_value());
  EXPECT_FALSE(store->resolve_tag(repo->id, "v1").has_value());
  EXPECT_EQ(count("SELECT count(*) FROM manifests") + count("SELECT count(*) FROM tags") +
                count("SELECT count(*) FROM manifest_contents"),
            0);
  EXPECT_TRUE(store->put_manifest(repo->id, manifest(1, "{\"a\":1}"), {}, {}).has_value());
}

TEST_F(PostgresMetaStoreTest, ThePoolStaysWithinItsBound) {
  PostgresOptions options;
  options.max_connections = 2;
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  auto repo = store->ensure_repository("r", "app", kNow);
  ASSERT_TRUE(repo.has_value());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (!store->link_blob(repo->id, digest_of(t * 100 + i), 1, kNow)) ++failures;
        if (!store->get_blob_link(repo->id, digest_of(t * 100 + i))) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  // This query's own connection, plus the pool's.
  EXPECT_LE(count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"), 3);
}

TEST_F(PostgresMetaStoreTest, ValuesPostgresRefusesAreInvalidArgumentsNotBrokenStores) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  // Not UTF-8: SQLite would store it, PostgreSQL's text refuses it. Names
  // are validated long before the store; the store must still answer sanely.
  auto bad = store->ensure_repository("r", "bad\xff", kNow);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument) << bad.error().message;
  Status in_commit = store->in_one_commit([&]() -> Status {
    auto inner = store->create_repository("r", std::string("nul\0", 4), "{}", kNow);
    EXPECT_FALSE(inner.has_value());
    return store->ensure_repository("r", "fine", kNow).has_value() ? ok() : fail(ErrorCode::kInternal, "x");
  });
  EXPECT_TRUE(in_commit.has_value()) << in_commit.error().message;
  EXPECT_TRUE(store->get_repository("r", "fine").has_value());
}

TEST_F(PostgresMetaStoreTest, LargeManifestsComeBackByteExact) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto repo = store->ensure_repository("r", "app", kNow);
  ASSERT_TRUE(repo.has_value());
  std::string bytes(4 << 20, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 256);
  PutManifestOptions options;
  options.tags = {{"big", false}};
  ASSERT_TRUE(store->put_manifest(repo->id, manifest(7, bytes), {}, options).has_value());
  auto by_tag = store->get_manifest_by_tag(repo->id, "big");
  ASSERT_TRUE(by_tag.has_value());
  EXPECT_EQ(by_tag->digest, digest_of(7));
  EXPECT_TRUE(by_tag->content == bytes);
  EXPECT_EQ(by_tag->size, bytes.size());
}

TEST_F(PostgresMetaStoreTest, WalksStreamPastOneBatchAndMayCallBack) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto repo = store->ensure_repository("r", "app", kNow);
  ASSERT_TRUE(repo.has_value());
  ASSERT_TRUE(db_->sql("INSERT INTO blob_links (repository_id, digest, size, created_at) "
                       "SELECT " + std::to_string(repo->id) +
                       ", 'sha256:' || lpad(to_hex(g), 64, '0'), g, 0 "
                       "FROM generate_series(1, 2500) AS g")
                  .has_value());
  ASSERT_TRUE(db_->sql("INSERT INTO uploads (id, repository_id, started_at) "
                       "SELECT 'u' || g, " + std::to_string(repo->id) +
                       ", 0 FROM generate_series(1, 1200) AS g")
                  .has_value());
  std::set<std::string> seen;
  Status walked = store->walk_referenced_blobs([&](const oci::Digest& d) -> Status {
    seen.insert(d.str());
    if (seen.size() % 500 == 0) return store->get_blob_link(repo->id, d).has_value() ? ok() : fail(ErrorCode::kInternal, "lookup");
    return ok();
  });
  ASSERT_TRUE(walked.has_value()) << walked.error().message;
  EXPECT_EQ(seen.size(), 2500u);
  std::size_t uploads = 0;
  ASSERT_TRUE(store->walk_uploads([&](const UploadRecord& u) -> Status {
                     ++uploads;
                     return store->delete_upload(u.id);
                   })
                  .has_value());
  EXPECT_EQ(uploads, 1200u);
  EXPECT_EQ(count("SELECT count(*) FROM uploads"), 0);
  // Inside a snapshot, the walk shares the snapshot's connection.
  std::size_t in_snapshot = 0;
  ASSERT_TRUE(store->in_one_snapshot([&]() -> Status {
                     return store->walk_referenced_blobs([&](const oci::Digest&) -> Status {
                       ++in_snapshot;
                       return ok();
                     });
                   })
                  .has_value());
  EXPECT_EQ(in_snapshot, 2500u);
}

}  // namespace
}  // namespace berth::storage::meta::postgres
