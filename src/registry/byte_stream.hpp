// The two directions bytes take through the core, as awaitable streams:
//
// - ByteSource: what an upload appends from (a request body). The front end
//   adapts its connection to it; the core pulls.
// - BlobStream: a blob's bytes for a response, pulled piece by piece. Each
//   read runs on the core's blocking pool (a disk read, an S3 GET), so a
//   blob is never held whole in memory, whatever the backend.
//
// Thread-safety: one coroutine at a time per stream.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <span>

#include "storage/blob/blob_store.hpp"
#include "util/result.hpp"

namespace berth::registry {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to out.size() bytes; 0 once the source is exhausted. Errors
  // are the source's (a client gone: kUnavailable; too much: kLimitExceeded).
  virtual boost::asio::awaitable<Result<std::size_t>> read_some(std::span<char> out) = 0;
};

// Exactly `length` bytes of a blob, from the offset it was opened at.
class BlobStream {
 public:
  BlobStream(std::unique_ptr<storage::blob::BlobReader> reader, std::uint64_t length,
             boost::asio::thread_pool& blocking);
  BlobStream(const BlobStream&) = delete;
  BlobStream& operator=(const BlobStream&) = delete;

  std::uint64_t length() const { return length_; }
  // Fills up to out.size() bytes of what remains; 0 at the end. kCorruption
  // when the blob ends before `length` (the store lost bytes).
  boost::asio::awaitable<Result<std::size_t>> read_some(std::span<char> out);

 private:
  std::unique_ptr<storage::blob::BlobReader> reader_;
  std::uint64_t length_;
  std::uint64_t delivered_ = 0;
  boost::asio::thread_pool& blocking_;
};

// A file range the server can send zero-copy; `owner` keeps the descriptor
// open until the send is over.
struct BlobFile {
  std::shared_ptr<void> owner;
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// What answering a blob GET takes: one of a file range (the filesystem
// store), a stream (every other store) or a URL to send the client to
// (--blob-redirect on a store that can presign).
struct BlobContent {
  storage::blob::BlobInfo info;  // the whole blob
  std::optional<BlobFile> file;
  std::shared_ptr<BlobStream> stream;
  std::string redirect_url;  // "" unless redirecting
};

}  // namespace berth::registry
