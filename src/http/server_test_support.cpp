#include "http/server_test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>

namespace berth::http::testing {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string> RawResponse::header(std::string_view name) const {
  std::string_view rest = head;
  while (!rest.empty()) {
    const auto eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !iequal(line.substr(0, colon), name)) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return std::string(value);
  }
  return std::nullopt;
}

RawClient::RawClient(std::uint16_t port, int receive_timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{receive_timeout_ms / 1000, (receive_timeout_ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ADD_FAILURE() << "connect failed: errno " << errno;
  }
}

RawClient::~RawClient() { close_now(); }

void RawClient::close_now() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawClient::send(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawClient::fill() {
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

RawResponse RawClient::read_response(bool head_request) {
  RawResponse res;
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return res;
  }
  res.head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  // "HTTP/1.1 200 OK"
  if (res.head.size() >= 12) {
    std::from_chars(res.head.data() + 9, res.head.data() + 12, res.status);
  }
  const bool bodiless = head_request || res.status / 100 == 1 || res.status == 204 ||
                        res.status == 304;
  std::size_t length = 0;
  if (const auto cl = res.header("Content-Length"); cl && !bodiless) {
    std::from_chars(cl->data(), cl->data() + cl->size(), length);
  }
  while (buffer_.size() < length) {
    if (!fill()) {
      ADD_FAILURE() << "connection ended inside a response body";
      res.status = 0;
      return res;
    }
  }
  res.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return res;
}

bool RawClient::wait_closed() {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return true;
    return errno == ECONNRESET;  // EAGAIN here means the receive timeout hit
  }
}

ServerOptions test_options() {
  ServerOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.read_timeout = std::chrono::seconds(5);
  options.write_timeout = std::chrono::seconds(5);
  options.idle_timeout = std::chrono::seconds(5);
  options.shutdown_grace = std::chrono::seconds(1);
  options.access_log = false;
  return options;
}

void HttpServerTest::start_server(Handler handler, ServerOptions options) {
  server_ = std::make_unique<Server>(io_, std::move(options), std::move(handler));
  const auto started = server_->start();
  ASSERT_TRUE(started.has_value()) << started.error().message;
  ASSERT_NE(server_->port(), 0);
  for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
}

void HttpServerTest::stop_server() {
  if (!server_) return;
  server_->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  server_.reset();
}

}  // namespace berth::http::testing
