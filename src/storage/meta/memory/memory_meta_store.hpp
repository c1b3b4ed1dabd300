// The in-memory backend of MetaStore: the same semantics as the SQLite
// backend (both pass tests/conformance/meta_store_suite), with nothing on
// disk. The registry core's unit tests use it for speed; it is not meant
// for production data, which it loses when the process exits.
//
// Thread-safety: safe for concurrent use. One reader/writer lock guards the
// whole store, so every call is atomic. The walk_* callbacks run on a copy
// taken under the lock, so they may call back into the store.
#pragma once

#include <memory>

#include "storage/meta/meta_store.hpp"

namespace berth::storage::meta::memory {

std::unique_ptr<MetaStore> make_memory_meta_store();

}  // namespace berth::storage::meta::memory
