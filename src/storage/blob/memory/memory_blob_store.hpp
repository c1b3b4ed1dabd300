// An in-memory BlobStore with the same observable semantics as the
// filesystem store (it passes the same conformance suite), for fast unit
// tests of the layers above. Blobs and uploads live in maps guarded by one
// mutex; nothing survives the process. save_state() records the size and
// hash state that resume_upload() returns to, discarding later appends,
// exactly as the filesystem store does after a crash.
//
// Thread-safety: the store is safe for concurrent use. Readers and writers
// may outlive the store (they share its state). native_handle() is -1.
#pragma once

#include <memory>

#include "storage/blob/blob_store.hpp"

namespace berth::storage::blob::memory {

std::unique_ptr<BlobStore> make_memory_blob_store();

}  // namespace berth::storage::blob::memory
