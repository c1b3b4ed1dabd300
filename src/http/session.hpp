// Session: one accepted TCP connection, served by one coroutine on its own
// strand. On a TLS listener it first completes the handshake (or answers a
// plain-HTTP request with a 400 and closes). It reads each request head with
// limits and timeouts, hands the Handler a Request whose body streams from
// the connection, writes the Response (in-memory body, or a file range: via
// sendfile on plain TCP, via pread and encrypted writes under TLS), logs one
// access line, and loops while keep-alive holds. Leftover request bodies are
// drained when small, otherwise the connection is closed after the response.
//
// Thread-safety: the coroutine and all members live on the session strand.
// request_stop() and force_close() may be called from any thread; they post
// to the strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <memory>
#include <optional>
#include <string>

#include "http/body_reader.hpp"
#include "http/message.hpp"
#include "http/server.hpp"
#include "http/session_registry.hpp"
#include "http/stream.hpp"

namespace berth::http {

// What the listener and all its sessions share; outlives every session.
struct ServerShared {
  ServerOptions options;
  Handler handler;
  SessionRegistry registry;
  // Set when the listener speaks TLS (built by Server::start()).
  std::shared_ptr<boost::asio::ssl::context> tls;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // Registers the connection and starts serving it on the socket's executor,
  // which must be a strand of its own.
  static void launch(std::shared_ptr<ServerShared> shared,
                     boost::asio::ip::tcp::socket socket);

  Session(std::shared_ptr<ServerShared> shared, boost::asio::ip::tcp::socket socket);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Closes at once when idle; otherwise finishes the current response with
  // "Connection: close" and then closes.
  void request_stop();
  // Closes the socket now, aborting whatever is in flight.
  void force_close();

 private:
  struct Written {
    bool ok = false;
    std::uint64_t body_bytes = 0;
  };

  boost::asio::awaitable<void> run(std::shared_ptr<Session> self);
  // TLS listener only: tells TLS from plain HTTP, then handshakes. False =
  // close the connection (plain HTTP was answered with a 400).
  boost::asio::awaitable<bool> start_tls();
  // Serves the request whose head is in parser_; false = close afterwards.
  boost::asio::awaitable<bool> serve_request();
  boost::asio::awaitable<Written> write_response(beast_http::verb method, unsigned version,
                                                 bool keep_alive, Response& response);
  // Answers an unreadable request head (400/413/431) when the error allows.
  boost::asio::awaitable<void> reject_head(const boost::beast::error_code& ec);
  boost::asio::awaitable<void> close_connection();
  void log_access(const RequestRecord& record) const;
  // A request refused before any handler saw it (a malformed head).
  void log_refusal(unsigned status, std::chrono::steady_clock::time_point started);

  std::shared_ptr<ServerShared> shared_;
  const ServerOptions& options_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;  // reused across requests of the connection
  std::optional<RequestParser> parser_;
  ParserBodyReader body_;
  boost::asio::steady_timer send_timer_;
  std::string remote_;
  bool stopping_ = false;
  bool idle_ = false;    // waiting for the next request head, nothing buffered
  bool tls_up_ = false;  // the TLS handshake completed: close with close_notify
  // Unread input that may still arrive: read and drop up to this many bytes
  // before closing, so the close does not reset the connection.
  std::size_t linger_budget_ = 0;
};

}  // namespace berth::http
