// Stream: the byte stream of one accepted connection, either plain TCP or
// TLS over TCP (OpenSSL through beast::ssl_stream). It is an Asio
// AsyncReadStream/AsyncWriteStream, so Beast's HTTP parser and writer, and
// asio::async_write, run over either kind unchanged. Timeouts always live on
// the TCP layer (tcp()), which also serves socket options, cancel and close;
// in TLS mode tls() exposes the handshake and the close_notify shutdown.
//
// Thread-safety: none of its own. A Stream belongs to one session and is used
// only on that session's strand (the socket's executor).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <utility>
#include <variant>

namespace berth::http {

class Stream {
 public:
  using Tcp = boost::beast::tcp_stream;
  using Tls = boost::beast::ssl_stream<Tcp>;
  using executor_type = Tcp::executor_type;

  // A TLS connection when `tls` is set (nothing is sent until
  // tls()->async_handshake), else plain TCP.
  // REQUIRES: `*tls` outlives the Stream.
  Stream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls)
      : stream_(make(std::move(socket), tls)) {}

  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  executor_type get_executor() noexcept { return tcp().get_executor(); }

  // The TCP layer: timeouts, socket options, cancel, close.
  Tcp& tcp() noexcept {
    if (Tls* t = std::get_if<Tls>(&stream_)) return t->next_layer();
    return std::get<Tcp>(stream_);
  }
  // The TLS layer, or nullptr on a plain connection.
  Tls* tls() noexcept { return std::get_if<Tls>(&stream_); }

  // Sets the deadline of every operation started from now on (the Beast
  // tcp_stream rule: an expired deadline closes the socket).
  void expires_after(std::chrono::steady_clock::duration d) { tcp().expires_after(d); }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBufferSequence& b) {
          if (Tls* t = tls()) {
            t->async_read_some(b, std::move(handler));
          } else {
            std::get<Tcp>(stream_).async_read_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& b) {
          if (Tls* t = tls()) {
            t->async_write_some(b, std::move(handler));
          } else {
            std::get<Tcp>(stream_).async_write_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

 private:
  static std::variant<Tcp, Tls> make(boost::asio::ip::tcp::socket socket,
                                     boost::asio::ssl::context* tls) {
    if (tls) return std::variant<Tcp, Tls>(std::in_place_type<Tls>, Tcp(std::move(socket)), *tls);
    return std::variant<Tcp, Tls>(std::in_place_type<Tcp>, std::move(socket));
  }

  std::variant<Tcp, Tls> stream_;
};

}  // namespace berth::http
