// Zero-copy transmission of a file range to a TCP socket with sendfile(2).
// The kernel copies page-cache pages to the socket; when the socket buffer is
// full we wait for writability on the I/O thread instead of blocking it.
//
// Thread-safety: call only from the coroutine that owns the socket (its
// strand); `timer` must belong to the same strand and be otherwise idle.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>

#include "http/message.hpp"
#include "util/result.hpp"

namespace berth::http {

// Sends exactly file.length bytes starting at file.offset. Each wait for
// writability is bounded by `write_timeout`. Returns the bytes sent;
// kUnavailable on timeout or socket error, kCorruption when the file is
// shorter than the range (the caller already promised a Content-Length, so
// the connection must be closed either way).
boost::asio::awaitable<Result<std::uint64_t>> send_file_range(
    boost::asio::ip::tcp::socket& socket, boost::asio::steady_timer& timer,
    const FileRange& file, std::chrono::seconds write_timeout);

}  // namespace berth::http
