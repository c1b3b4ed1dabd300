#include "http/send_file.hpp"

#include <sys/sendfile.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

namespace berth::http {
namespace {

namespace asio = boost::asio;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// Linux caps one sendfile call near 2 GiB; smaller calls also let other
// sessions on this thread run between pieces of a huge blob.
constexpr std::uint64_t kMaxPiece = std::uint64_t{1} << 24;

}  // namespace

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
    if (n == 0) {
      co_return fail(ErrorCode::kCorruption, "file ended before the announced length",
                     std::to_string(sent) + " of " + std::to_string(file.length));
    }
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
