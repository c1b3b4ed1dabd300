// BlobStore: a content-addressed store of immutable byte sequences.
//
// A blob is addressed only by its Digest and is stored once, whatever the
// number of repositories that link it (links live in the MetaStore). Blobs
// enter the store only through an upload: bytes are appended to a staging
// area while being hashed, and commit() makes the blob visible atomically
// and durably, or not at all. Readers never observe partial content.
//
// Uploads are named by an id chosen by the caller (the registry core), made
// only of [A-Za-z0-9-]; the store rejects any other id with kUploadNotFound,
// so an id can never name a path outside the store. A default-constructed
// (empty) Digest names no blob and is rejected with kDigestInvalid.
//
// Thread-safety: a BlobStore is safe for concurrent use from many threads.
// A BlobWriter or BlobReader is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "oci/digest.hpp"
#include "util/result.hpp"

namespace berth::storage::blob {

struct BlobInfo {
  oci::Digest digest;
  std::uint64_t size = 0;
  // When the blob was last committed (ms since the epoch): a collector's
  // grace period runs from it. Filled by walk(); 0 where a call does not
  // say (stat, commit).
  std::int64_t modified_at_ms = 0;
};

// Sequential reader positioned at the offset given to BlobStore::open.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Total size of the blob (not of the remaining range).
  virtual std::uint64_t size() const = 0;
  // Reads up to out.size() bytes; returns 0 at end of blob.
  virtual Result<std::size_t> read(std::span<char> out) = 0;
  // A file descriptor positioned nowhere in particular that holds the
  // blob's bytes from file offset 0, for zero-copy sends (sendfile);
  // -1 when the backend has none. Owned by the reader.
  virtual int native_handle() const { return -1; }
};

// An in-progress upload. Appending hashes while it writes.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual std::string_view upload_id() const = 0;
  // Bytes accepted so far (the next append lands at this offset).
  virtual std::uint64_t size() const = 0;
  virtual Status append(std::span<const char> bytes) = 0;
  // Persists the data and hash state written so far, so that another writer
  // instance (possibly in another process, after a crash) can resume at
  // size(). Not a durability promise for the blob itself.
  virtual Status save_state() = 0;
  // Digest of the bytes appended so far, with the given algorithm.
  virtual Result<oci::Digest> current_digest(oci::DigestAlgorithm alg) = 0;
  // Verifies that the content hashes to `expected`, makes it durable and
  // visible under that digest, and removes the staging area.
  // Returns kDigestMismatch (and discards the upload) when the content does
  // not match. Committing a digest that already exists succeeds and keeps the
  // stored copy. After commit (success or failure) the writer is spent:
  // every later call on it returns kUploadNotFound.
  virtual Result<BlobInfo> commit(const oci::Digest& expected) = 0;
};

struct UploadInfo {
  std::string id;
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point started_at;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Returns kBlobNotFound when absent.
  virtual Result<BlobInfo> stat(const oci::Digest& digest) = 0;

  // REQUIRES: offset <= size. Returns kBlobNotFound when absent,
  // kRangeInvalid when offset > size.
  virtual Result<std::unique_ptr<BlobReader>> open(const oci::Digest& digest,
                                                   std::uint64_t offset = 0) = 0;

  // Starts an empty upload. kAlreadyExists if the id is in use.
  virtual Result<std::unique_ptr<BlobWriter>> begin_upload(std::string_view upload_id) = 0;

  // Reopens an upload at its last saved state. kUploadNotFound when absent.
  virtual Result<std::unique_ptr<BlobWriter>> resume_upload(std::string_view upload_id) = 0;

  // Returns kUploadNotFound when absent.
  virtual Result<UploadInfo> stat_upload(std::string_view upload_id) = 0;

  // Discards an upload. Removing an absent upload returns kUploadNotFound.
  virtual Status abort_upload(std::string_view upload_id) = 0;

  // Removes a blob. Removing an absent blob returns kBlobNotFound. Only the
  // garbage collector calls this, after proving the blob unreferenced.
  virtual Status remove(const oci::Digest& digest) = 0;

  // Visits every committed blob (order unspecified), with its
  // modified_at_ms; stops at the first error returned by the visitor or the
  // store.
  virtual Status walk(const std::function<Status(const BlobInfo&)>& visit) = 0;

  // Visits every upload in progress.
  virtual Status walk_uploads(const std::function<Status(const UploadInfo&)>& visit) = 0;

  // A URL from which a client may fetch the blob directly for `ttl`;
  // nullopt when the backend cannot serve redirects (the filesystem cannot).
  virtual Result<std::optional<std::string>> redirect_url(
      const oci::Digest& digest, std::chrono::seconds ttl) {
    return std::nullopt;
  }
};

}  // namespace berth::storage::blob
