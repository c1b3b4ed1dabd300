// Runs the shared MetaStore conformance suite over the PostgreSQL backend,
// against the server named by BERTH_TEST_POSTGRES_URL (skipped without it,
// failed under BERTH_REQUIRE_BACKENDS=1), with a fresh database per test
// case (testing/test_database.hpp); the cross-process cases open a second
// store, with its own pool, on the same database.
// Thread-safety: GoogleTest fixtures (some suite cases start threads).
#include <memory>

#include "conformance/meta_store_suite.hpp"
#include "storage/meta/postgres/pg_meta_store.hpp"
#include "storage/meta/postgres/testing/test_database.hpp"

namespace berth::conformance {
namespace {

namespace pg = storage::meta::postgres;

std::unique_ptr<storage::meta::MetaStore> open_store(const std::string& url) {
  pg::PostgresOptions options;
  options.max_connections = 12;
  options.shared_lock_wait = std::chrono::milliseconds(200);  // the lock test waits it out
  auto store = pg::open_postgres_meta_store(url, options);
  if (!store) {
    ADD_FAILURE() << store.error().message << ": " << store.error().detail;
    return nullptr;
  }
  return std::move(*store);
}

MetaStoreFactory postgres_factory() {
  auto database = std::make_shared<std::unique_ptr<pg::testing::TestDatabase>>();
  auto make = [database]() -> std::unique_ptr<storage::meta::MetaStore> {
    const std::string server = pg::testing::server_url_or_skip();
    if (server.empty()) return nullptr;
    auto created = pg::testing::TestDatabase::create(server);
    if (!created) {
      ADD_FAILURE() << created.error().message;
      return nullptr;
    }
    *database = std::make_unique<pg::testing::TestDatabase>(std::move(*created));
    return open_store((*database)->url());
  };
  auto open_again = [database]() -> std::unique_ptr<storage::meta::MetaStore> {
    return *database ? open_store((*database)->url()) : nullptr;
  };
  auto teardown = [database] { database->reset(); };
  return {"Postgres", make, teardown, open_again, /*transactional=*/true};
}

INSTANTIATE_TEST_SUITE_P(Postgres, MetaStoreConformance, ::testing::Values(postgres_factory()),
                         meta_store_factory_name);

}  // namespace
}  // namespace berth::conformance
