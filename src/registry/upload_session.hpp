// UploadSession: one request's hold on one blob upload, from the moment it
// may append until it saves, commits, cancels or is dropped. It owns the
// store's writer and the upload's lease; front ends only co_await it.
//
//   auto session = co_await registry.open_upload(repo, id);   // takes the lease
//   co_await (*session)->append(body);     // hashes and writes on the blocking pool
//   co_await (*session)->save();           // any process may continue from here
//   co_await (*session)->commit(digest);   // validate, make durable, link, clean up
//
// The lease (MetaStore::acquire_upload_lease) is what keeps two requests,
// in one process or in many, from appending to one upload at once: a
// second open answers kRangeInvalid. It expires after kUploadLeaseTtl unless
// renewed, which append() does while it streams.
//
// release() gives the lease back and forgets what the session appended
// since the last save: the next request resumes at the saved size, which
// never claims bytes that were not written. A failed append() releases by
// itself, before it returns, so a client's immediate retry finds the upload
// free. Dropping a session that still holds the lease releases it too, but
// later (on the blocking pool): front ends release explicitly.
//
// Thread-safety: use from one coroutine at a time. The Registry must
// outlive every session it opened.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "oci/digest.hpp"
#include "registry/byte_stream.hpp"
#include "storage/blob/blob_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::registry {

class Registry;

// A request that streams renews its lease every kUploadLeaseRenewal; a
// process that dies holding one blocks the upload for at most
// kUploadLeaseTtl (a server alone on its store frees them all at start).
inline constexpr std::chrono::milliseconds kUploadLeaseTtl{15'000};
inline constexpr std::chrono::milliseconds kUploadLeaseRenewal{5'000};

struct UploadStatus {
  std::string id;
  std::uint64_t size = 0;  // bytes received; the next chunk starts here
};

class UploadSession {
 public:
  // `parts_so_far`: the upload's saved parts (UploadRecord::parts), for the
  // layer-parts quota an append checks.
  UploadSession(Registry& registry, storage::meta::RepositoryRecord repository, std::string id,
                std::string lease_holder, std::unique_ptr<storage::blob::BlobWriter> writer,
                std::uint64_t parts_so_far);
  ~UploadSession();
  UploadSession(const UploadSession&) = delete;
  UploadSession& operator=(const UploadSession&) = delete;

  const std::string& id() const { return id_; }
  // Bytes accepted so far, this request's included.
  std::uint64_t size() const;

  // Appends everything `source` yields, reading the next piece while the
  // blocking pool hashes and writes the last. Returns the bytes appended by
  // this call. On error the session is released (see above).
  boost::asio::awaitable<Result<std::uint64_t>> append(ByteSource& source);
  // Appends one part held in memory (an ECR layer part); released on error.
  boost::asio::awaitable<Status> append(std::span<const char> bytes);

  // Gives the upload back unsaved (a refused or failed chunk). The session
  // is spent afterwards.
  boost::asio::awaitable<void> release();

  // Persists what was appended, gives the lease back and keeps the writer
  // for this upload's next request. kUploadNotFound (and the data is
  // removed) when the upload was cancelled or its repository deleted
  // meanwhile. The session is spent afterwards.
  boost::asio::awaitable<Result<UploadStatus>> save();

  // Verifies the content against `digest`, makes it durable under it, links
  // it into the repository and ends the upload. kDigestMismatch ends the
  // upload too. The session is spent afterwards, whatever the outcome.
  boost::asio::awaitable<Result<storage::blob::BlobInfo>> commit(const oci::Digest& digest);

  // The digest of what was appended so far (ECR reports it on a mismatch).
  boost::asio::awaitable<Result<oci::Digest>> current_digest(oci::DigestAlgorithm alg);

 private:
  Status check_live() const;
  // Renews the lease when it is due; kRangeInvalid when it was lost.
  boost::asio::awaitable<Status> keep_lease();
  boost::asio::awaitable<Status> write(std::span<const char> bytes);

  Registry& registry_;
  storage::meta::RepositoryRecord repository_;
  std::string id_;
  std::string lease_holder_;
  std::unique_ptr<storage::blob::BlobWriter> writer_;  // null once spent
  std::chrono::steady_clock::time_point lease_renewed_at_;
  std::uint64_t parts_so_far_;
};

}  // namespace berth::registry
