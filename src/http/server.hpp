// Server: an HTTP/1.1 (and 1.0 keep-alive) listener on Boost.Beast with
// C++20 coroutines. One coroutine per connection on its own strand; each
// request head is parsed with header limits, then the Handler runs with a
// streaming BodyReader. Every read and write has a timeout. One access-log
// line per request. stop() stops accepting, lets in-flight requests finish
// until a deadline, then closes what is left. With ServerOptions::tls set the
// same listener speaks HTTPS only: each connection first completes a TLS
// handshake (bounded by read_timeout); a plain-HTTP request gets a 400 that
// says so, and is closed.
//
// Thread-safety: construct, start and stop from one thread; the io_context
// may be run by many threads.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/message.hpp"
#include "util/result.hpp"

namespace berth::http {

// PEM files for HTTPS (see tls.hpp).
struct TlsOptions {
  std::string cert_file;  // certificate chain, leaf first
  std::string key_file;   // unencrypted private key
};

// One request, as the server saw it, once its response is written: what
// metrics and a structured access log need. Views into the request and
// response; valid only during the callback.
struct RequestRecord {
  std::string_view method;
  std::string_view target;      // path and query, as received
  std::string_view operation;   // the front end's name for it ("" if none)
  std::string_view error_name;  // the protocol's error ("" on success)
  std::string_view principal;   // who the front end decided was calling ("" if anonymous)
  std::string_view request_id;
  std::string_view remote;
  unsigned status = 0;
  std::chrono::steady_clock::duration duration{};
  std::uint64_t bytes_received = 0;  // request body bytes the handler read
  std::uint64_t bytes_sent = 0;      // response body bytes written
};

enum class AccessLogFormat { kText, kJson };

struct ServerOptions {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 5000;  // 0 = pick a free port (see Server::port())
  std::size_t header_limit = 64 * 1024;  // request line + headers; 431 beyond
  // Upper bound for any request body; front ends set tighter limits per
  // route through BodyReader::read_all.
  std::uint64_t body_limit = std::uint64_t{64} << 30;
  // The whole first request head of a connection (and its TLS handshake)
  // must arrive within this; so must each read of a body.
  std::chrono::seconds read_timeout{60};
  // Slowest request body, in bytes per second, a client may keep sending;
  // 0 = no minimum. read_timeout alone only asks each read for *some*
  // progress, so a client trickling a byte at a time could hold a connection
  // (and an upload slot) forever. The rule, in ParserBodyReader, counts only
  // the time the server waits for the client and grants read_timeout of
  // slack first, so short stalls and slow starts pass. 1 KiB/s (8 kbit/s per
  // request; Apache's mod_reqtimeout asks 500 B/s) is far below any link an
  // image is pushed over, yet makes a held connection cost real bandwidth.
  std::uint64_t min_body_rate = 1024;
  std::chrono::seconds write_timeout{60};  // per write
  // A keep-alive connection's next request head (wait included) must arrive
  // within this.
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds shutdown_grace{10};
  bool access_log = true;
  AccessLogFormat access_log_format = AccessLogFormat::kText;
  // Called on the connection's strand after each response (metrics); must
  // not block.
  std::function<void(const RequestRecord&)> on_request;
  std::optional<TlsOptions> tls;  // set: HTTPS only
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Handler handler);
  ~Server();

  // Loads the TLS files (when set), binds and starts accepting.
  // kInvalidArgument when the TLS files are unusable, kUnavailable when the
  // address cannot be bound.
  Status start();
  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Stops accepting and asks every connection to finish; returns at once.
  // Connections still open after shutdown_grace are closed.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace berth::http
