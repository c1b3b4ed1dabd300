#include "http/send_file.hpp"

#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace berth::http {
namespace {

namespace asio = boost::asio;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// Linux caps one sendfile call near 2 GiB; smaller calls also let other
// sessions on this thread run between pieces of a huge blob.
constexpr std::uint64_t kMaxPiece = std::uint64_t{1} << 24;
// Under TLS: bytes read and encrypted per step.
constexpr std::size_t kCopyPiece = 256 * 1024;

Result<std::uint64_t> short_file(std::uint64_t sent, std::uint64_t length) {
  return fail(ErrorCode::kCorruption, "file ended before the announced length",
              std::to_string(sent) + " of " + std::to_string(length));
}

asio::awaitable<Result<std::uint64_t>> copy_file_range_to(Stream& stream, const FileRange& file,
                                                          std::chrono::seconds write_timeout) {
  std::vector<char> piece(static_cast<std::size_t>(std::min<std::uint64_t>(file.length, kCopyPiece)));
  std::uint64_t sent = 0;
  while (sent < file.length) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(file.length - sent, piece.size()));
    const ssize_t n = ::pread(file.fd, piece.data(), want, static_cast<off_t>(file.offset + sent));
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      co_return fail(ErrorCode::kUnavailable, "reading the response body failed",
                     std::strerror(err));
    }
    if (n == 0) co_return short_file(sent, file.length);
    stream.expires_after(write_timeout);
    auto [ec, written] = co_await asio::async_write(
        stream, asio::buffer(piece.data(), static_cast<std::size_t>(n)), kAsTuple);
    if (ec) {
      co_return fail(ErrorCode::kUnavailable, "connection lost while sending", ec.message());
    }
    sent += static_cast<std::uint64_t>(n);
  }
  co_return sent;
}

// Reads from `body` until `buffer` is full or `want` bytes came.
asio::awaitable<Result<std::size_t>> fill_from(const StreamBody& body, std::span<char> buffer) {
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    Result<std::size_t> n = co_await body.read_some(buffer.subspan(filled));
    if (!n) co_return std::unexpected(std::move(n).error());
    if (*n == 0) break;
    filled += *n;
  }
  co_return filled;
}

asio::awaitable<boost::system::error_code> write_piece(Stream& stream, std::span<const char> piece,
                                                       std::chrono::seconds write_timeout) {
  stream.expires_after(write_timeout);
  auto [ec, written] =
      co_await asio::async_write(stream, asio::buffer(piece.data(), piece.size()), kAsTuple);
  co_return ec;
}

}  // namespace

asio::awaitable<Result<std::uint64_t>> send_stream_body(Stream& stream, const StreamBody& body,
                                                        std::chrono::seconds write_timeout) {
  using namespace asio::experimental::awaitable_operators;
  const std::size_t piece_size =
      static_cast<std::size_t>(std::min<std::uint64_t>(body.length, kCopyPiece));
  std::vector<char> first(piece_size), second(piece_size);
  std::span<char> filling(first), sending(second);
  std::uint64_t sent = 0;
  auto want = [&](std::uint64_t already) {
    return filling.first(
        static_cast<std::size_t>(std::min<std::uint64_t>(body.length - already, piece_size)));
  };
  Result<std::size_t> filled = co_await fill_from(body, want(0));
  if (!filled) co_return std::unexpected(std::move(filled).error());
  while (*filled > 0) {
    std::swap(filling, sending);
    const std::span<const char> piece = sending.first(*filled);
    const std::uint64_t after = sent + piece.size();
    // The next piece is fetched (often from another machine) while this one
    // goes out. Named first: g++ 12 and temporaries inside co_await.
    auto writing = write_piece(stream, piece, write_timeout);
    auto reading = fill_from(body, want(after));
    auto [ec, next] = co_await (std::move(writing) && std::move(reading));
    if (ec) co_return fail(ErrorCode::kUnavailable, "connection lost while sending", ec.message());
    sent = after;
    if (!next) co_return std::unexpected(std::move(next).error());
    filled = std::move(next);
  }
  if (sent < body.length) co_return short_file(sent, body.length);
  co_return sent;
}

asio::awaitable<Result<std::uint64_t>> send_file_range(Stream& stream, asio::steady_timer& timer,
                                                       const FileRange& file,
                                                       std::chrono::seconds write_timeout) {
  if (stream.tls()) co_return co_await copy_file_range_to(stream, file, write_timeout);
  co_return co_await send_file_range(stream.tcp().socket(), timer, file, write_timeout);
}

asio::awaitable<Result<std::uint64_t>> send_file_range(asio::ip::tcp::socket& socket,
                                                       asio::steady_timer& timer,
                                                       const FileRange& file,
                                                       std::chrono::seconds write_timeout) {
  using namespace asio::experimental::awaitable_operators;
  boost::system::error_code ec;
  // Asio normally flips the descriptor to non-blocking lazily; sendfile on a
  // blocking socket would stall the whole I/O thread.
  socket.native_non_blocking(true, ec);
  if (ec) co_return fail(ErrorCode::kUnavailable, "socket unusable", ec.message());

  off_t offset = static_cast<off_t>(file.offset);
  std::uint64_t sent = 0;
  while (sent < file.length) {
    const std::size_t piece = static_cast<std::size_t>(std::min(file.length - sent, kMaxPiece));
    const ssize_t n = ::sendfile(socket.native_handle(), file.fd, &offset, piece);
    if (n > 0) {
      sent += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) co_return short_file(sent, file.length);
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EAGAIN && err != EWOULDBLOCK) {
      co_return fail(ErrorCode::kUnavailable, "sendfile failed", std::strerror(err));
    }
    timer.expires_after(write_timeout);
    auto ready = co_await (socket.async_wait(asio::socket_base::wait_write, kAsTuple) ||
                           timer.async_wait(kAsTuple));
    if (ready.index() == 1) {
      co_return fail(ErrorCode::kUnavailable, "timed out sending the response body");
    }
    if (auto [wait_ec] = std::get<0>(ready); wait_ec) {
      co_return fail(ErrorCode::kUnavailable, "connection lost while sending",
                     wait_ec.message());
    }
  }
  co_return sent;
}

}  // namespace berth::http
