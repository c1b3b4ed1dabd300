// BlobStoreConformance: the behaviour every BlobStore backend must show,
// written once as a value-parameterised GoogleTest suite. A backend joins
// by instantiating it with a factory, in a ~15-line file next to the
// backend (storage/blob/fs/fs_conformance_test.cpp):
//
//   INSTANTIATE_TEST_SUITE_P(Fs, BlobStoreConformance,
//                            ::testing::Values(my_factory()),
//                            blob_store_factory_name);
//
// make() is called before each test and must return a fresh, empty store
// (nullptr fails the test); teardown() (optional) runs after the store is
// destroyed, to delete temp dirs. Every test removes what it creates, and
// the fixture's TearDown fails a passing test that left blobs or uploads
// behind, as distribution's TearDownTest does.
//
// Thread-safety: GoogleTest fixtures; the tests themselves start threads.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "storage/blob/blob_store.hpp"

namespace berth::conformance {

struct BlobStoreFactory {
  std::string name;  // a GoogleTest identifier: [A-Za-z0-9_]
  std::function<std::unique_ptr<storage::blob::BlobStore>()> make;
  std::function<void()> teardown;
};

void PrintTo(const BlobStoreFactory& factory, std::ostream* os);

// Names each instantiated test after its factory.
std::string blob_store_factory_name(const ::testing::TestParamInfo<BlobStoreFactory>& info);

// A new, empty directory under $BERTH_TEST_TMPDIR (created if needed) or
// else the system temp dir. The caller removes it.
std::filesystem::path make_temp_dir(std::string_view prefix);

class BlobStoreConformance : public ::testing::TestWithParam<BlobStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  storage::blob::BlobStore& store() { return *store_; }

  std::unique_ptr<storage::blob::BlobStore> store_;
};

}  // namespace berth::conformance
