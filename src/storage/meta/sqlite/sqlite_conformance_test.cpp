// Runs the shared MetaStore conformance suite over the SQLite backend, with
// a fresh database file (WAL) in its own temp directory for every test; the
// cross-process cases open the same file a second time.
#include <filesystem>
#include <memory>

#include "conformance/meta_store_suite.hpp"
#include "storage/meta/sqlite/sqlite_meta_store.hpp"

namespace berth::conformance {
namespace {

MetaStoreFactory sqlite_factory() {
  auto dir = std::make_shared<std::filesystem::path>();
  auto make = [dir]() -> std::unique_ptr<storage::meta::MetaStore> {
    *dir = make_meta_temp_dir("berth-meta-sqlite");
    // synchronous=NORMAL: the suite tests semantics, not fsync; the
    // 20k-tag test would otherwise spend its time in fsync.
    auto store = storage::meta::sqlite::open_sqlite_meta_store(
        *dir / "meta.db", {.synchronous_full = false, .busy_timeout_ms = 5000});
    if (!store) {
      ADD_FAILURE() << store.error().message << ": " << store.error().detail;
      return nullptr;
    }
    return std::move(*store);
  };
  auto teardown = [dir] {
    std::error_code ec;
    if (!dir->empty()) std::filesystem::remove_all(*dir, ec);
  };
  // Another store on the same file: what a second process on this host opens.
  auto open_again = [dir]() -> std::unique_ptr<storage::meta::MetaStore> {
    auto store = storage::meta::sqlite::open_sqlite_meta_store(
        *dir / "meta.db", {.synchronous_full = false, .busy_timeout_ms = 5000});
    if (!store) {
      ADD_FAILURE() << store.error().message << ": " << store.error().detail;
      return nullptr;
    }
    return std::move(*store);
  };
  return {"Sqlite", make, teardown, open_again, /*transactional=*/true};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MetaStoreConformance, ::testing::Values(sqlite_factory()),
                         meta_store_factory_name);

}  // namespace
}  // namespace berth::conformance
