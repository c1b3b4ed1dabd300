// Test support for the HTTP server tests: a fixture that runs a Server on
// 127.0.0.1 (ephemeral port) with an io_context on two background threads,
// and RawClient, a blocking POSIX-socket client that sends exact bytes and
// parses responses by hand, so tests see precisely what went over the wire.
//
// Thread-safety: a RawClient belongs to one test thread; the fixture's
// methods are called from the test thread only.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/server.hpp"

namespace berth::http::testing {

struct RawResponse {
  int status = 0;
  std::string head;  // status line and header lines, without the blank line
  std::string body;
  // The first value of header `name` (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

class RawClient {
 public:
  // The receive timeout only guards against a hung test (a busy machine
  // must not fail one): every wait it bounds is expected to end far sooner.
  explicit RawClient(std::uint16_t port, int receive_timeout_ms = 60000);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends all bytes; false when the peer is gone.
  bool send(std::string_view data);
  // Reads one response. The body is read per Content-Length unless
  // `head_request` (or the status forbids a body). status 0 = no response.
  RawResponse read_response(bool head_request = false);
  // True when the server closes the connection within the receive timeout
  // (buffered, unread response bytes do not count as open).
  bool wait_closed();
  // Bytes received but not yet consumed by read_response.
  const std::string& pending() const { return buffer_; }
  void close_now();

 private:
  bool fill();  // false on EOF, error or timeout
  int fd_ = -1;
  std::string buffer_;
};

ServerOptions test_options();

class HttpServerTest : public ::testing::Test {
 protected:
  void start_server(Handler handler, ServerOptions options = test_options());
  // Stops the server and waits until the io_context has no work left, which
  // proves every session and the listener ended.
  void stop_server();
  void TearDown() override { stop_server(); }
  std::uint16_t port() const { return server_->port(); }

  boost::asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::vector<std::thread> threads_;
};

}  // namespace berth::http::testing
