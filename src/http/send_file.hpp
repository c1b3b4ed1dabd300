// Sending a file range as a response body. On plain TCP the range goes out
// zero-copy with sendfile(2): the kernel copies page-cache pages to the
// socket, and when the socket buffer is full we wait for writability on the
// I/O thread instead of blocking it. Under TLS the bytes must be encrypted in
// user space, so the range is read with pread(2) in 256 KiB pieces and each
// piece written through the TLS stream.
//
// Thread-safety: call only from the coroutine that owns the stream (its
// strand); `timer` must belong to the same strand and be otherwise idle.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>

#include "http/message.hpp"
#include "http/stream.hpp"
#include "util/result.hpp"

namespace berth::http {

// Sends exactly file.length bytes starting at file.offset, by sendfile or,
// under TLS, by pread + write. Each wait for the peer is bounded by
// `write_timeout`. Returns the bytes sent; kUnavailable on timeout, socket or
// read error, kCorruption when the file is shorter than the range (the
// caller already promised a Content-Length, so the connection must be closed
// either way).
boost::asio::awaitable<Result<std::uint64_t>> send_file_range(
    Stream& stream, boost::asio::steady_timer& timer, const FileRange& file,
    std::chrono::seconds write_timeout);

// Sends exactly body.length bytes pulled from body.read_some, reading the
// next piece while the last is written. Returns the bytes sent;
// kUnavailable on timeout or socket error, the source's error when it
// fails, kCorruption when it ends early.
boost::asio::awaitable<Result<std::uint64_t>> send_stream_body(Stream& stream,
                                                               const StreamBody& body,
                                                               std::chrono::seconds write_timeout);

// The sendfile path alone, on a plain TCP socket.
boost::asio::awaitable<Result<std::uint64_t>> send_file_range(
    boost::asio::ip::tcp::socket& socket, boost::asio::steady_timer& timer,
    const FileRange& file, std::chrono::seconds write_timeout);

}  // namespace berth::http
