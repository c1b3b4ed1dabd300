#include "registry/byte_stream.hpp"

#include <algorithm>

#include "util/offload.hpp"

namespace berth::registry {

BlobStream::BlobStream(std::unique_ptr<storage::blob::BlobReader> reader, std::uint64_t length,
                       boost::asio::thread_pool& blocking)
    : reader_(std::move(reader)), length_(length), blocking_(blocking) {}

boost::asio::awaitable<Result<std::size_t>> BlobStream::read_some(std::span<char> out) {
  const std::uint64_t remaining = length_ - delivered_;
  if (remaining == 0 || out.empty()) co_return std::size_t{0};
  const std::span<char> want = out.first(static_cast<std::size_t>(
      std::min<std::uint64_t>(out.size(), remaining)));
  Result<std::size_t> n = co_await offload(blocking_, [&] { return reader_->read(want); });
  if (!n) co_return std::unexpected(std::move(n).error());
  if (*n == 0) {
    co_return fail(ErrorCode::kCorruption, "blob ended before its recorded size",
                   std::to_string(delivered_) + " of " + std::to_string(length_) + " bytes");
  }
  delivered_ += *n;
  co_return *n;
}

}  // namespace berth::registry
