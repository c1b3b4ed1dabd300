// MetaStoreConformance: the behaviour every MetaStore backend must show,
// written once as a value-parameterised GoogleTest suite. A backend joins by
// instantiating it with a factory, in a short file next to the backend
// (storage/meta/sqlite/sqlite_conformance_test.cpp):
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, MetaStoreConformance,
//                            ::testing::Values(my_factory()),
//                            meta_store_factory_name);
//
// Passing meta_store_factory_name also makes the linker keep this suite's
// object file, which holds the TEST_P bodies.
//
// make() is called before each test and must return a fresh, empty store
// (nullptr fails the test, unless make() skipped it with GTEST_SKIP or
// failed it itself: external_backend.hpp); teardown() (optional) runs after
// the store is destroyed, to delete temp files or databases.
//
// open_again() (optional) opens a second handle on the store make() last
// returned, as another process would: the suite's cross-process cases
// (meta_store_shared_suite.cpp) race two handles on one store, and skip for
// a backend private to its process (memory). `transactional` says that
// in_one_commit keeps nothing of a `work` that fails (SQLite, PostgreSQL).
//
// Beyond the comments in meta_store.hpp, the suite pins down behaviour the
// interface leaves to "not found":
// - calls that add rows under a repository (link_blob, put_manifest,
//   create_upload) fail with kRepositoryNotFound for an unknown id;
// - lookups of items under an unknown repository report the item as not
//   found, and listings of it are empty;
// - checks apply in order: repository, references, tag immutability.
//
// Thread-safety: GoogleTest fixtures; some tests start threads.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "storage/meta/meta_store.hpp"

namespace berth::conformance {

struct MetaStoreFactory {
  std::string name;  // a GoogleTest identifier: [A-Za-z0-9_]
  std::function<std::unique_ptr<storage::meta::MetaStore>()> make;
  std::function<void()> teardown;
  std::function<std::unique_ptr<storage::meta::MetaStore>()> open_again;
  bool transactional = false;
};

void PrintTo(const MetaStoreFactory& factory, std::ostream* os);

// Links the cross-process cases (meta_store_shared_suite.cpp) into every
// binary that instantiates the suite; meta_store_factory_name calls it.
void link_meta_store_shared_suite();

// Names each instantiated test after its factory.
std::string meta_store_factory_name(const ::testing::TestParamInfo<MetaStoreFactory>& info);

// A new, empty directory under $BERTH_TEST_TMPDIR (created if needed) or
// else the system temp dir. The caller removes it.
std::filesystem::path make_meta_temp_dir(std::string_view prefix);

class MetaStoreConformance : public ::testing::TestWithParam<MetaStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  storage::meta::MetaStore& store() { return *store_; }
  // A second handle on store() (see open_again), kept until TearDown; skips
  // the test for a backend without one. REQUIRES: called from the test body.
  storage::meta::MetaStore* second_store();

  std::unique_ptr<storage::meta::MetaStore> second_;

  std::unique_ptr<storage::meta::MetaStore> store_;
};

}  // namespace berth::conformance
