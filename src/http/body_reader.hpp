// ParserBodyReader: the BodyReader the server hands to handlers. It pulls the
// request body from the connection's Stream (plain or TLS) through its Beast
// parser (buffer_body), so bytes land straight in the caller's buffer and no
// body is ever held whole unless the handler asks for read_all. It also sends "100 Continue" the first time
// a body read is needed, and drains leftovers so the connection can be reused.
// It enforces ServerOptions::min_body_rate: a body that arrives too slowly
// fails like a timed-out read (kUnavailable), and the connection is closed.
//
// Thread-safety: belongs to one session; use only on that session's strand.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <optional>

#include "http/message.hpp"
#include "http/server.hpp"
#include "http/stream.hpp"

namespace berth::http {

using RequestParser = beast_http::request_parser<beast_http::buffer_body>;

// The most a body read asks the socket for at once.
inline constexpr std::size_t kMaxBodyReadBuffer = 64 * 1024;

class ParserBodyReader final : public BodyReader {
 public:
  ParserBodyReader(Stream& stream, boost::beast::flat_buffer& buffer,
                   const ServerOptions& options)
      : stream_(stream), buffer_(buffer), options_(options) {}
  ParserBodyReader(const ParserBodyReader&) = delete;
  ParserBodyReader& operator=(const ParserBodyReader&) = delete;

  // Binds to the parser of the next request, whose head has been read.
  void reset(RequestParser& parser, bool expect_continue);

  boost::asio::awaitable<Result<std::size_t>> read_some(std::span<char> out) override;
  boost::asio::awaitable<Result<std::string>> read_all(std::size_t limit) override;
  std::optional<std::uint64_t> content_length() const override;
  bool done() const override;

  // Reads and discards the rest of the body when at most `max` bytes remain.
  // Returns true when the body is complete and the connection is reusable;
  // false means the caller must close after responding.
  boost::asio::awaitable<bool> discard_rest(std::size_t max);

  // True when the stream is in an unknown state (read error, limit, timeout).
  bool failed() const { return error_.has_value(); }
  // True when the body was cut for arriving below min_body_rate; error()
  // then says how slow it was.
  bool too_slow() const { return too_slow_; }
  const std::optional<Error>& error() const { return error_; }
  // Body bytes handed to the handler so far.
  std::uint64_t body_bytes() const { return received_; }

 private:
  boost::asio::awaitable<Status> send_continue();
  // Feeds already-buffered bytes to the parser without an I/O round trip.
  Result<std::size_t> parse_buffered(std::span<char> out);
  Error remember(Error error);
  // Books a read that waited `waited` and produced `bytes` body bytes;
  // false when the body has fallen below the minimum rate.
  bool account(std::chrono::steady_clock::duration waited, std::size_t bytes);
  Error too_slow_error();

  Stream& stream_;
  boost::beast::flat_buffer& buffer_;
  const ServerOptions& options_;
  RequestParser* parser_ = nullptr;
  bool expect_continue_ = false;
  std::optional<Error> error_;  // sticky: once broken, every read fails alike
  // Minimum-rate bookkeeping for the current body (see account()). slack_ is
  // how much more waiting the body has earned: it starts at read_timeout,
  // shrinks by each wait, grows by 1/min_body_rate second per byte, and is
  // capped at read_timeout.
  std::chrono::steady_clock::duration slack_{};
  std::chrono::steady_clock::duration waited_{};  // total, for the message
  std::uint64_t received_ = 0;                    // body bytes, for the message
  bool too_slow_ = false;
};

}  // namespace berth::http
