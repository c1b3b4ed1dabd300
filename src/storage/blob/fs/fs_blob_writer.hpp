// FsBlobWriter: one upload of the filesystem store, streaming appended
// bytes into uploads/<id>/data with write(2) while hashing them.
//
// Hashing: a SHA-256 hasher runs on every append and its state goes into
// the `state` file at save_state(). SHA-512 is not kept running, because
// almost no client pushes SHA-512 digests; current_digest(kSha512) and a
// commit against a SHA-512 digest re-read the data file instead, in
// bounded chunks.
//
// Thread-safety: used by one thread at a time. Internal to the fs backend;
// callers see only BlobWriter.
#pragma once

#include <memory>

#include "crypto/hasher.hpp"
#include "storage/blob/blob_store.hpp"
#include "storage/blob/fs/fs_blob_store.hpp"
#include "storage/blob/fs/posix_file.hpp"
#include "storage/blob/fs/upload_state.hpp"
#include "storage/blob/layout.hpp"
#include "storage/blob/upload_id.hpp"

namespace berth::storage::blob::fs {

// What every object of one store shares; writers and readers hold it so
// they stay valid after the store is destroyed.
struct FsContext {
  Layout layout;
  FsBlobStoreOptions options;
};

class FsBlobWriter final : public BlobWriter {
 public:
  // Creates uploads/<id>/ with an empty data file and the start time,
  // nothing synced (the first save_state() makes it durable). kAlreadyExists
  // when the id is taken.
  static Result<std::unique_ptr<BlobWriter>> begin(std::shared_ptr<const FsContext> context,
                                                   UploadId id);
  // Reopens at the last saved state, truncating anything appended after
  // it; re-hashes the whole data file when the state is missing or does not
  // fit the data. kUploadNotFound when there is no data file.
  static Result<std::unique_ptr<BlobWriter>> resume(std::shared_ptr<const FsContext> context,
                                                    UploadId id);

  FsBlobWriter(const FsBlobWriter&) = delete;
  FsBlobWriter& operator=(const FsBlobWriter&) = delete;
  ~FsBlobWriter() override = default;

  std::string_view upload_id() const override { return id_.str(); }
  std::uint64_t size() const override { return size_; }
  Status append(std::span<const char> bytes) override;
  Status save_state() override;
  Result<oci::Digest> current_digest(oci::DigestAlgorithm alg) override;
  Result<BlobInfo> commit(const oci::Digest& expected) override;

 private:
  FsBlobWriter(std::shared_ptr<const FsContext> context, UploadId id, UniqueFd data,
               std::uint64_t size, crypto::Hasher sha256);

  Status check_live() const;
  // Removes the upload and spends the writer.
  void discard();
  Result<BlobInfo> move_into_place(const oci::Digest& digest);

  std::shared_ptr<const FsContext> context_;
  UploadId id_;
  UniqueFd data_;  // invalid once the writer is spent
  std::uint64_t size_;
  crypto::Hasher sha256_;
  bool upload_dir_durable_ = false;  // uploads/ has been synced since begin or resume
};

// Reads and decodes uploads/<id>/state: kUploadNotFound when absent,
// kCorruption when unreadable as a state.
Result<UploadState> load_upload_state(const Layout& layout, const UploadId& id);

// The SHA-256 or SHA-512 hash of the first `length` bytes of `fd`, read
// with pread in bounded chunks. kCorruption if the file is shorter.
Result<crypto::Hasher> hash_file_prefix(int fd, crypto::HashAlgorithm alg, std::uint64_t length);

}  // namespace berth::storage::blob::fs
