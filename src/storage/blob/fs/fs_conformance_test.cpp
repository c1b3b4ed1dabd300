// Runs the shared BlobStore conformance suite over the filesystem store,
// with and without fsync, in a fresh temp dir per test.
#include "conformance/blob_store_suite.hpp"
#include "storage/blob/fs/fs_blob_store.hpp"

namespace berth::conformance {
namespace {

BlobStoreFactory fs_factory(std::string name, storage::blob::fs::FsBlobStoreOptions options) {
  auto dir = std::make_shared<std::filesystem::path>();
  auto make = [dir, options]() -> std::unique_ptr<storage::blob::BlobStore> {
    *dir = make_temp_dir("berth-fs-blob");
    auto store = storage::blob::fs::open_fs_blob_store(*dir, options);
    return store ? std::move(*store) : nullptr;
  };
  auto teardown = [dir] { std::error_code ec; std::filesystem::remove_all(*dir, ec); };
  return {std::move(name), make, teardown};
}

INSTANTIATE_TEST_SUITE_P(Fs, BlobStoreConformance,
                         ::testing::Values(fs_factory("Fsync", {.fsync = true}),
                                           fs_factory("NoFsync", {.fsync = false})),
                         blob_store_factory_name);

}  // namespace
}  // namespace berth::conformance
