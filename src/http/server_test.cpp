// Server tests over real sockets: routing of heads, keep-alive, HEAD,
// sendfile responses, target decoding, malformed heads, errors and shutdown.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <mutex>
#include <stdexcept>

#include "http/server_test_support.hpp"

namespace berth::http::testing {
namespace {

namespace asio = boost::asio;
using beast_http::field;
using beast_http::status;
using namespace std::chrono_literals;

Handler hello_handler() {
  return [](Request& req) -> asio::awaitable<Response> {
    Response res;
    res.headers.set(field::content_type, "text/plain");
    res.body = "hello " + req.path;
    co_return res;
  };
}

TEST_F(HttpServerTest, GetReturnsBodyWithStandardHeaders) {
  start_server(hello_handler());
  RawClient client(port());
  ASSERT_TRUE(client.send("GET /world HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto res = client.read_response();
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "hello /world");
  EXPECT_EQ(res.header("Content-Length"), "12");
  EXPECT_EQ(res.header("Content-Type"), "text/plain");
  EXPECT_EQ(res.header("Server"), "berth");
  ASSERT_TRUE(res.header("Date").has_value());
  EXPECT_TRUE(res.header("Date")->ends_with("GMT"));
}

TEST_F(HttpServerTest, KeepAliveServesHundredRequestsOnOneConnection) {
  std::atomic<int> served{0};
  start_server([&served](Request& req) -> asio::awaitable<Response> {
    ++served;
    Response res;
    res.body = std::string(req.query_param("i").value_or("?"));
    co_return res;
  });
  RawClient client(port());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(client.send("GET /k?i=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto res = client.read_response();
    ASSERT_EQ(res.status, 200) << "request " << i;
    ASSERT_EQ(res.body, std::to_string(i));
    ASSERT_FALSE(res.header("Connection").has_value());
  }
  EXPECT_EQ(served.load(), 100);
}

TEST_F(HttpServerTest, Http10KeepAliveKeepsConnectionOpen) {
  start_server(hello_handler());
  RawClient client(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    const auto res = client.read_response();
    ASSERT_EQ(res.status, 200);
    EXPECT_TRUE(res.head.starts_with("HTTP/1.0 200"));
    EXPECT_EQ(res.header("Connection"), "keep-alive");
    EXPECT_EQ(res.body, "hello /old");
  }
  // Without the header, HTTP/1.0 closes after one response.
  ASSERT_TRUE(client.send("GET /old HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(client.read_response().status, 200);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, Http11ConnectionCloseIsHonoured) {
  start_server(hello_handler());
  RawClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const auto res = client.read_response();
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("Connection"), "close");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, HeadAnnouncesLengthButSendsNoBody) {
  start_server([](Request& req) -> asio::awaitable<Response> {
    Response res;
    if (req.method == beast_http::verb::head) {
      res.head_content_length = 12345;
      res.body = "must not be sent";
    } else {
      res.body = "get-body";
    }
    co_return res;
  });
  RawClient client(port());
  ASSERT_TRUE(client.send("HEAD /blob HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto head = client.read_response(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "12345");
  // Any stray body byte would corrupt the next response on this connection.
  ASSERT_TRUE(client.send("GET /blob HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto get = client.read_response();
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "get-body");
  EXPECT_TRUE(client.pending().empty());
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char path[] = "/tmp/berth_http_test_XXXXXX";
    fd_ = ::mkstemp(path);
    path_ = path;
    EXPECT_EQ(::write(fd_, content.data(), content.size()),
              static_cast<ssize_t>(content.size()));
  }
  ~TempFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string path_;
};

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

TEST_F(HttpServerTest, FileRangeIsSentExactlyWithSendfile) {
  // Large enough to fill the socket buffer, so the EAGAIN/wait path runs.
  const std::string content = pattern(24 << 20);
  auto file = std::make_shared<TempFile>(content);
  constexpr std::uint64_t kOffset = 1234, kLength = (20 << 20) + 17;
  start_server([file](Request& req) -> asio::awaitable<Response> {
    Response res;
    res.headers.set(field::content_type, "application/octet-stream");
    res.file = FileRange{file, file->fd(), kOffset, kLength};
    co_return res;
  });
  RawClient client(port());
  for (int round = 0; round < 2; ++round) {  // the connection survives a file
    ASSERT_TRUE(client.send("GET /f HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto res = client.read_response();
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.header("Content-Length"), std::to_string(kLength));
    ASSERT_EQ(res.body.size(), kLength);
    EXPECT_TRUE(res.body == content.substr(kOffset, kLength));
  }
  ASSERT_TRUE(client.send("HEAD /f HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto head = client.read_response(true);
  EXPECT_EQ(head.header("Content-Length"), std::to_string(kLength));
  ASSERT_TRUE(client.send("GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(client.read_response().body.size(), kLength);
  EXPECT_TRUE(client.pending().empty());
}

TEST_F(HttpServerTest, DecodesQueryAndPath) {
  std::mutex mu;
  Request seen;
  start_server([&](Request& req) -> asio::awaitable<Response> {
    std::lock_guard lock(mu);
    seen.method = req.method;
    seen.target = req.target;
    seen.path = req.path;
    seen.query = req.query;
    seen.request_id = req.request_id;
    seen.remote_address = req.remote_address;
    seen.headers = req.headers;
    co_return Response(status::no_content);
  });
  RawClient client(port());
  ASSERT_TRUE(client.send(
      "GET /v2/my%20repo/tags/list?n=10&last=a%2Fb&x=a+b HTTP/1.1\r\nHost: x\r\n"
      "X-Custom: yes\r\n\r\n"));
  const auto res = client.read_response();
  EXPECT_EQ(res.status, 204);
  EXPECT_FALSE(res.header("Content-Length").has_value());
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.target, "/v2/my%20repo/tags/list?n=10&last=a%2Fb&x=a+b");
  EXPECT_EQ(seen.path, "/v2/my repo/tags/list");
  EXPECT_EQ(seen.query_param("n"), "10");
  EXPECT_EQ(seen.query_param("last"), "a/b");
  EXPECT_EQ(seen.query_param("x"), "a b");
  EXPECT_EQ(seen.header("x-custom"), "yes");
  EXPECT_EQ(seen.request_id.size(), 16u);
  EXPECT_EQ(seen.remote_address, "127.0.0.1");
}

TEST_F(HttpServerTest, BadPercentEscapeGets400) {
  std::atomic<bool> called{false};
  start_server([&](Request&) -> asio::awaitable<Response> {
    called = true;
    co_return Response();
  });
  RawClient client(port());
  ASSERT_TRUE(client.send("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.read_response().status, 400);
  EXPECT_TRUE(client.wait_closed());
  EXPECT_FALSE(called.load());
}

TEST_F(HttpServerTest, OversizedHeaderGets431AndServerSurvives) {
  auto options = test_options();
  options.header_limit = 8 * 1024;
  start_server(hello_handler(), options);
  {
    RawClient client(port());
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') +
                            "\r\n\r\n"));
    EXPECT_EQ(client.read_response().status, 431);
    EXPECT_TRUE(client.wait_closed());
  }
  RawClient again(port());
  ASSERT_TRUE(again.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(again.read_response().body, "hello /ok");
}

TEST_F(HttpServerTest, GarbageRequestGets400) {
  start_server(hello_handler());
  RawClient client(port());
  ASSERT_TRUE(client.send("THIS IS NOT HTTP\r\n\r\n"));
  EXPECT_EQ(client.read_response().status, 400);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, ThrowingHandlerGets500WithEmptyJsonAndClose) {
  start_server([](Request& req) -> asio::awaitable<Response> {
    if (req.path == "/boom") throw std::runtime_error("handler bug");
    co_return Response();
  });
  RawClient client(port());
  ASSERT_TRUE(client.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto res = client.read_response();
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body, "{}");
  EXPECT_EQ(res.header("Content-Type"), "application/json");
  EXPECT_EQ(res.header("Connection"), "close");
  EXPECT_TRUE(client.wait_closed());
  RawClient again(port());  // the server itself is unharmed
  ASSERT_TRUE(again.send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(again.read_response().status, 200);
}

TEST_F(HttpServerTest, StopClosesIdleKeepAliveConnectionPromptly) {
  auto options = test_options();
  // Neither the grace nor the idle timeout may be what closes it: both
  // outlast the client's receive timeout, which then fails the test.
  options.shutdown_grace = std::chrono::hours(1);
  options.idle_timeout = std::chrono::hours(1);
  start_server(hello_handler(), options);
  RawClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(client.read_response().status, 200);
  server_->stop();
  EXPECT_TRUE(client.wait_closed());
  stop_server();  // the io_context runs out of work: nothing is left behind
}

TEST_F(HttpServerTest, StopLetsInFlightRequestFinishThenCloses) {
  std::promise<void> entered;
  start_server([&](Request&) -> asio::awaitable<Response> {
    entered.set_value();
    asio::steady_timer timer(co_await asio::this_coro::executor, 300ms);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    Response res;
    res.body = "finished";
    co_return res;
  });
  RawClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  entered.get_future().wait();
  server_->stop();
  const auto res = client.read_response();
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "finished");
  EXPECT_EQ(res.header("Connection"), "close");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, StopForceClosesAfterGrace) {
  // The handler would run for an hour: only the forced close can end the
  // connection before the client's receive timeout. The test then ends the
  // handler itself, so the server's threads can be joined.
  std::promise<std::shared_ptr<asio::steady_timer>> started;
  std::atomic<bool> handler_finished = false;
  start_server([&](Request&) -> asio::awaitable<Response> {
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      std::chrono::hours(1));
    started.set_value(timer);
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (!ec) handler_finished = true;
    co_return Response();
  });
  RawClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto timer = started.get_future().get();
  const auto begin = std::chrono::steady_clock::now();
  server_->stop();  // grace is 1s in test_options
  EXPECT_TRUE(client.wait_closed());
  const auto waited = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(waited, 900ms);  // not before the grace
  EXPECT_FALSE(handler_finished);
  asio::post(timer->get_executor(), [timer] { timer->cancel(); });
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionTimesOut) {
  auto options = test_options();
  options.idle_timeout = std::chrono::seconds(1);
  start_server(hello_handler(), options);
  RawClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(client.read_response().status, 200);
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.wait_closed());
  const auto waited = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(waited, 800ms);  // not before the idle timeout
}

TEST_F(HttpServerTest, StartFailsWhenPortIsTaken) {
  start_server(hello_handler());
  auto options = test_options();
  options.port = port();
  Server second(io_, options, hello_handler());
  const auto started = second.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace berth::http::testing
