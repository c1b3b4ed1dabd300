#include "storage/factory/store_factory.hpp"

#include <system_error>

#include "storage/blob/fs/fs_blob_store.hpp"
#include "storage/blob/s3/s3_blob_store.hpp"
#include "storage/blob/s3/s3_credentials.hpp"
#include "storage/factory/s3_store_url.hpp"
#include "storage/factory/store_url.hpp"
#include "storage/meta/postgres/pg_meta_store.hpp"
#include "storage/meta/sqlite/sqlite_meta_store.hpp"

namespace berth::storage::factory {

namespace fs = std::filesystem;

namespace {

std::unexpected<Error> refuse(const StoreUrl& url, const std::string& why) {
  return fail(ErrorCode::kInvalidArgument, "store " + redact_url(url.text) + ": " + why);
}

// An error of a backend, prefixed with the store it concerns.
std::unexpected<Error> about(const StoreUrl& url, Error error) {
  error.message = "store " + redact_url(url.text) + ": " + error.message;
  return std::unexpected(std::move(error));
}

Status no_params(const StoreUrl& url) {
  if (url.params.empty()) return ok();
  return refuse(url, "takes no parameters (got '" + url.params.begin()->first + "')");
}

Result<std::unique_ptr<blob::BlobStore>> open_file_store(const StoreUrl& url,
                                                         const BlobStoreOpenOptions& options) {
  BERTH_TRY_STATUS(no_params(url));
  const fs::path root = url.location;
  std::error_code ec;
  if (options.must_exist && !fs::is_directory(root / "blobs", ec)) {
    return refuse(url, root.string() + " holds no blob store (no blobs/ directory)");
  }
  auto store = blob::fs::open_fs_blob_store(root, {.fsync = options.fsync});
  if (!store) return about(url, store.error());
  return store;
}

// Nothing is created unless options.create_bucket: the bucket is checked
// (one LIST) before the store is handed out.
Result<std::unique_ptr<blob::BlobStore>> open_s3_store(const StoreUrl& url,
                                                       const BlobStoreOpenOptions& options) {
  blob::s3::S3Config config = BERTH_TRY(s3_config_from_url(url));
  auto credential = options.credentials_file.empty()
                        ? blob::s3::s3_credential_from_environment()
                        : blob::s3::load_s3_credential_file(options.credentials_file);
  if (!credential) return about(url, credential.error());
  config.credential = std::move(*credential);
  blob::s3::S3StoreOptions s3_options;
  s3_options.create_bucket = options.create_bucket && !options.must_exist;
  auto store = blob::s3::open_s3_blob_store(std::move(config), s3_options);
  if (!store) return about(url, store.error());
  return store;
}

Result<std::unique_ptr<meta::MetaStore>> open_sqlite_store(const StoreUrl& url,
                                                           const MetaStoreOpenOptions& options) {
  BERTH_TRY_STATUS(no_params(url));
  const fs::path file = url.location;
  std::error_code ec;
  if (options.must_exist && !fs::is_regular_file(file, ec)) {
    return refuse(url, file.string() + " does not exist");
  }
  meta::sqlite::SqliteOptions sqlite_options;
  sqlite_options.synchronous_full = options.synchronous_full;
  sqlite_options.on_group_commit = options.on_group_commit;
  auto store = meta::sqlite::open_sqlite_meta_store(file, sqlite_options);
  if (!store) return about(url, store.error());
  return store;
}

// The URL goes to libpq whole (it judges the parameters); the backend's
// messages never carry the password.
Result<std::unique_ptr<meta::MetaStore>> open_postgres_store(const StoreUrl& url,
                                                             const MetaStoreOpenOptions& options) {
  meta::postgres::PostgresOptions pg_options;
  pg_options.must_exist = options.must_exist;
  auto store = meta::postgres::open_postgres_meta_store(url.text, pg_options);
  if (!store) return about(url, store.error());
  return store;
}

}  // namespace

std::string default_blob_store_url(const fs::path& data_dir) {
  return "file://" + data_dir.string();
}

std::string default_meta_store_url(const fs::path& data_dir) {
  return "sqlite://" + (data_dir / "metadata.db").string();
}

Result<std::unique_ptr<blob::BlobStore>> open_blob_store(std::string_view text,
                                                         const BlobStoreOpenOptions& options) {
  StoreUrl url = BERTH_TRY(parse_store_url(text));
  if (url.scheme == "file") return open_file_store(url, options);
  if (url.scheme == "s3") return open_s3_store(url, options);
  return refuse(url, "unknown blob store scheme '" + url.scheme + "' (file:// or s3://)");
}

Result<std::unique_ptr<meta::MetaStore>> open_meta_store(std::string_view text,
                                                         const MetaStoreOpenOptions& options) {
  StoreUrl url = BERTH_TRY(parse_store_url(text));
  if (url.scheme == "sqlite") return open_sqlite_store(url, options);
  if (url.scheme == "postgresql" || url.scheme == "postgres") return open_postgres_store(url, options);
  return refuse(url,
                "unknown metadata store scheme '" + url.scheme + "' (sqlite:// or postgresql://)");
}

}  // namespace berth::storage::factory
