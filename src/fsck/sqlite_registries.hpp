// The registry ids present in a SQLite metadata database, for the store
// checker's RegistryLister: the MetaStore interface lists repositories only
// per registry, and fsck must find every registry (the OCI default one and
// any ECR account/region pair) without being told.
//
// Opens its own connection with query_only set, so it cannot write.
//
// Thread-safety: the returned lister opens a connection per call; it may be
// called from any thread.
#pragma once

#include <filesystem>

#include "fsck/store_check.hpp"

namespace berth::fsck {

// A lister reading `SELECT DISTINCT registry FROM repositories` from
// `db_file`. Errors are those of opening or querying the database.
RegistryLister sqlite_registry_lister(std::filesystem::path db_file);

}  // namespace berth::fsck
