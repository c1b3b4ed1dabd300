// The filesystem BlobStore: blobs are plain files under a root directory,
// laid out as documented in storage/blob/layout.hpp.
//
// Durability: with `fsync` on (the default), a committed blob's bytes and
// directory entry are on stable storage before commit() returns, and a
// save_state()d upload survives a crash. Atomicity: a blob enters blobs/
// only by rename(2), so readers see it whole or not at all. Uploads stream
// to disk and are hashed while written; no blob is ever held in memory.
//
// Thread-safety: the store is safe for concurrent use, also by several
// processes sharing one root (all coordination is through atomic renames).
// Writers and readers may outlive the store that created them.
#pragma once

#include <filesystem>
#include <memory>

#include "storage/blob/blob_store.hpp"

namespace berth::storage::blob::fs {

struct FsBlobStoreOptions {
  // fsync data and directories at save_state() and commit(). Turn off only
  // for tests or throwaway caches: a crash may then lose committed blobs.
  bool fsync = true;
};

// Opens (creating if needed) a store rooted at `root`. kInternal when the
// root cannot be created, kUnavailable when the disk is full.
Result<std::unique_ptr<BlobStore>> open_fs_blob_store(const std::filesystem::path& root,
                                                      FsBlobStoreOptions options = {});

}  // namespace berth::storage::blob::fs
