// Backend factories: every command (serve, fsck, gc, ...) opens its stores
// from a URL (store_url.hpp) through these two functions, so choosing a
// backend is configuration, and no command names a backend's code.
//
// Errors are one line an operator can act on: the URL (password redacted),
// what is wrong (a malformed URL, an unknown scheme, an unreachable server,
// a missing bucket, refused credentials) and nothing half-created.
//
// Thread-safety: the functions are reentrant; the stores they return are
// safe for concurrent use (see each backend).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "storage/blob/blob_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::storage::factory {

struct BlobStoreOpenOptions {
  // Refuse to create anything: the store must already exist (fsck).
  bool must_exist = false;
  // fsync on commit and save (file://). Off only for tests.
  bool fsync = true;
  // s3://: create the bucket when it does not exist (else refuse).
  bool create_bucket = false;
  // s3://: a file with one "ACCESS_KEY_ID SECRET_ACCESS_KEY" line; empty:
  // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
  std::filesystem::path credentials_file;
};

struct MetaStoreOpenOptions {
  bool must_exist = false;          // refuse to create a new database (fsck)
  bool synchronous_full = true;     // sqlite://: PRAGMA synchronous=FULL
  // sqlite://: told each group commit's size (SqliteOptions::on_group_commit).
  std::function<void(std::size_t writes)> on_group_commit;
};

// The defaults of a data directory: file://<dir> and sqlite://<dir>/metadata.db.
std::string default_blob_store_url(const std::filesystem::path& data_dir);
std::string default_meta_store_url(const std::filesystem::path& data_dir);

Result<std::unique_ptr<blob::BlobStore>> open_blob_store(std::string_view url,
                                                         const BlobStoreOpenOptions& options = {});
Result<std::unique_ptr<meta::MetaStore>> open_meta_store(std::string_view url,
                                                         const MetaStoreOpenOptions& options = {});

}  // namespace berth::storage::factory
