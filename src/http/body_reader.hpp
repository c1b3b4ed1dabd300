// ParserBodyReader: the BodyReader the server hands to handlers. It pulls the
// request body from the connection's Stream (plain or TLS) through its Beast
// parser (buffer_body), so bytes land straight in the caller's buffer and no
// body is ever held whole unless the handler asks for read_all. It also sends "100 Continue" the first time
// a body read is needed, and drains leftovers so the connection can be reused.
//
// Thread-safety: belongs to one session; use only on that session's strand.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <optional>

#include "http/message.hpp"
#include "http/server.hpp"
#include "http/stream.hpp"

namespace berth::http {

using RequestParser = beast_http::request_parser<beast_http::buffer_body>;

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

 private:
  boost::asio::awaitable<Status> send_continue();
  // Feeds already-buffered bytes to the parser without an I/O round trip.
  Result<std::size_t> parse_buffered(std::span<char> out);
  Error remember(Error error);

  Stream& stream_;
  boost::beast::flat_buffer& buffer_;
  const ServerOptions& options_;
  RequestParser* parser_ = nullptr;
  bool expect_continue_ = false;
  std::optional<Error> error_;  // sticky: once broken, every read fails alike
};

}  // namespace berth::http
