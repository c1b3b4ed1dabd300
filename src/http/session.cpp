#include "http/session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <limits>

#include "http/access_log.hpp"
#include "http/http_date.hpp"
#include "http/request_id.hpp"
#include "http/send_file.hpp"
#include "http/target.hpp"

namespace berth::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using beast_http::field;
using beast_http::status;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// A body left unread by the handler is drained when this small, so the
// connection survives (cheaper than a new TCP handshake); larger ones close it.
constexpr std::size_t kDrainLimit = 64 * 1024;
// Lingering close: after an early answer the client may still be sending;
// closing with unread input would RST the connection and destroy the answer.
constexpr std::size_t kLingerLimit = 1 << 20;
constexpr std::chrono::seconds kLingerTime{2};
// The answer to plain HTTP on a TLS listener (as Go's net/http words it).
constexpr std::string_view kPlainHttpOnTls =
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Connection: close\r\n"
    "Content-Length: 48\r\n"
    "\r\n"
    "Client sent an HTTP request to an HTTPS server.\n";

bool is_parse_error(const beast::error_code& ec) {
  static const auto& http_category =
      beast_http::make_error_code(beast_http::error::bad_target).category();
  return ec.category() == http_category && ec != beast_http::error::end_of_stream &&
         ec != beast_http::error::partial_message;
}

bool has_no_body(status s) {
  const auto code = static_cast<unsigned>(s);
  return code / 100 == 1 || s == status::no_content || s == status::not_modified;
}

Response internal_error() {
  Response res(status::internal_server_error);
  res.headers.set(field::content_type, "application/json");
  res.body = "{}";
  return res;
}

// The path part of the raw target: the query may carry signed tokens that
// have no place in a log.
std::string_view loggable_target(std::string_view target) {
  return target.substr(0, target.find('?'));
}

template <class Body>
void finish_head(beast_http::response<Body>& msg, bool keep_alive) {
  msg.set(field::server, "berth");
  msg.set(field::date, http_date_now());
  msg.keep_alive(keep_alive);
}

void set_cork(tcp::socket& socket, bool on) {
  // Holds the header back until the first file bytes join it in one segment.
  const int value = on ? 1 : 0;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

}  // namespace

void Session::launch(std::shared_ptr<ServerShared> shared, tcp::socket socket) {
  auto session = std::make_shared<Session>(std::move(shared), std::move(socket));
  if (!session->shared_->registry.add(session.get(), session)) session->stopping_ = true;
  auto executor = session->stream_.get_executor();
  auto task = session->run(session);
  asio::co_spawn(executor, std::move(task), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("http: session ended by exception: {}", e.what());
    } catch (...) {
      spdlog::error("http: session ended by unknown exception");
    }
  });
}

Session::Session(std::shared_ptr<ServerShared> shared, tcp::socket socket)
    : shared_(std::move(shared)),
      options_(shared_->options),
      stream_(std::move(socket), shared_->tls.get()),
      // Bounded: the parser keeps bytes here until a line ends, so a chunk
      // header that never ends would otherwise grow it without limit (1.4 GB
      // in 3 s over loopback). A full head plus one body read always fits.
      buffer_(options_.header_limit + kMaxBodyReadBuffer),
      body_(stream_, buffer_, options_),
      send_timer_(stream_.get_executor()) {}

Session::~Session() { shared_->registry.remove(this); }

void Session::request_stop() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (self->idle_) self->stream_.tcp().cancel();
  });
}

void Session::force_close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    self->stream_.tcp().close();
  });
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
  beast::error_code ec;
  stream_.tcp().socket().set_option(tcp::no_delay(true), ec);
  if (const auto endpoint = stream_.tcp().socket().remote_endpoint(ec); !ec) {
    remote_ = endpoint.address().to_string();
  }
  if (stream_.tls()) {
    // Kept out of the condition: g++ 12 mishandles co_await in && and ?:.
    bool secured = false;
    if (!stopping_) secured = co_await start_tls();
    if (!secured) {
      co_await close_connection();
      co_return;
    }
  }
  const auto header_limit = static_cast<std::uint32_t>(
      std::min<std::size_t>(options_.header_limit, std::numeric_limits<std::uint32_t>::max()));
  bool first = true;
  while (!stopping_) {
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(options_.body_limit);
    stream_.expires_after(first ? options_.read_timeout : options_.idle_timeout);
    first = false;
    idle_ = buffer_.size() == 0;
    auto [read_ec, unused] =
        co_await beast_http::async_read_header(stream_, buffer_, *parser_, kAsTuple);
    idle_ = false;
    if (read_ec) {
      co_await reject_head(read_ec);
      break;
    }
    if (!co_await serve_request()) break;
  }
  co_await close_connection();
}

asio::awaitable<bool> Session::start_tls() {
  // One deadline for telling TLS from HTTP and for the whole handshake, so a
  // client that trickles its ClientHello cannot hold the connection.
  stream_.expires_after(options_.read_timeout);
  idle_ = true;  // nothing received yet: a shutdown may cancel at once
  auto [detect_ec, is_tls] = co_await beast::async_detect_ssl(stream_.tcp(), buffer_, kAsTuple);
  idle_ = false;
  if (detect_ec || stopping_) co_return false;
  if (!is_tls) {
    const auto started = std::chrono::steady_clock::now();
    stream_.expires_after(options_.write_timeout);
    auto [write_ec, n] = co_await asio::async_write(
        stream_.tcp(), asio::buffer(kPlainHttpOnTls.data(), kPlainHttpOnTls.size()), kAsTuple);
    if (!write_ec) linger_budget_ = kLingerLimit;
    log_refusal(400, started);
    co_return false;
  }
  // The bytes detect_ssl read are the start of the ClientHello.
  auto [handshake_ec, used] = co_await stream_.tls()->async_handshake(
      asio::ssl::stream_base::server, buffer_.data(), kAsTuple);
  if (handshake_ec) {
    spdlog::debug("http: TLS handshake with {} failed: {}", remote_, handshake_ec.message());
    co_return false;
  }
  buffer_.consume(used);
  tls_up_ = true;
  co_return true;
}

asio::awaitable<bool> Session::serve_request() {
  const auto started = std::chrono::steady_clock::now();
  auto& head = parser_->get();
  Request req;
  req.method = head.method();
  req.target = std::string(head.target());
  const unsigned version = head.version();
  bool keep_alive = parser_->keep_alive();
  const bool expect_continue =
      version >= 11 && beast::iequals(head[field::expect], "100-continue");
  auto target = parse_target(req.target);
  // Moving the fields out avoids copying every header; the parser keeps its
  // framing state (length, chunking) outside the fields.
  req.headers = std::move(static_cast<beast_http::fields&>(head));
  req.request_id = new_request_id();
  req.remote_address = remote_;
  body_.reset(*parser_, expect_continue);
  req.body = &body_;

  Response res;
  bool threw = false;
  if (!target) {
    res = Response(status::bad_request);
    keep_alive = false;
  } else {
    req.path = std::move(target->path);
    req.query = std::move(target->query);
    try {
      res = co_await shared_->handler(req);
    } catch (const std::exception& e) {
      spdlog::error("http: handler threw for {} {} id={}: {}",
                    beast_http::to_string(req.method), loggable_target(req.target),
                    req.request_id, e.what());
      threw = true;
    } catch (...) {
      spdlog::error("http: handler threw a non-exception for {} {} id={}",
                    beast_http::to_string(req.method), loggable_target(req.target),
                    req.request_id);
      threw = true;
    }
  }
  if (threw) {
    res = internal_error();
    keep_alive = false;
  }
  if (stopping_) keep_alive = false;
  if (keep_alive && !parser_->is_done()) keep_alive = co_await body_.discard_rest(kDrainLimit);
  if (body_.failed()) keep_alive = false;
  if (body_.too_slow()) {
    // Logged even without the access log: an operator tuning --min-body-rate
    // needs to see whom it cut, and why.
    const Error& error = *body_.error();
    spdlog::warn("http: {} {} id={} remote={}: {} ({}); closing the connection",
                 beast_http::to_string(req.method), loggable_target(req.target), req.request_id,
                 remote_, error.message, error.detail);
  }
  if (!parser_->is_done()) {
    const auto remaining = parser_->content_length_remaining();
    linger_budget_ = remaining && !body_.failed()
                         ? static_cast<std::size_t>(std::min<std::uint64_t>(*remaining, kLingerLimit))
                         : kLingerLimit;
  }

  const auto code = static_cast<unsigned>(res.status);
  const Written written = co_await write_response(req.method, version, keep_alive, res);
  RequestRecord record;
  record.method = beast_http::to_string(req.method);
  record.target = loggable_target(req.target);
  record.operation = res.operation;
  record.error_name = res.error_name;
  record.principal = res.principal;
  record.request_id = res.request_id.empty() ? std::string_view(req.request_id)
                                              : std::string_view(res.request_id);
  record.remote = remote_;
  record.status = code;
  record.duration = std::chrono::steady_clock::now() - started;
  record.bytes_received = body_.body_bytes();
  record.bytes_sent = written.body_bytes;
  if (options_.on_request) options_.on_request(record);
  log_access(record);
  co_return keep_alive && written.ok && !stopping_;
}

asio::awaitable<Session::Written> Session::write_response(beast_http::verb method,
                                                          unsigned version, bool keep_alive,
                                                          Response& res) {
  const bool bodiless_status = has_no_body(res.status);
  const bool send_body = method != beast_http::verb::head && !bodiless_status;
  std::uint64_t length = res.file     ? res.file->length
                         : res.stream ? res.stream->length
                                      : res.body.size();
  if (method == beast_http::verb::head && res.head_content_length) {
    length = *res.head_content_length;
  }

  if (send_body && !res.file && !res.stream) {
    // Header and body leave in one gathered write.
    beast_http::response<beast_http::string_body> msg(res.status, version, std::move(res.body),
                                                      std::move(res.headers));
    finish_head(msg, keep_alive);
    msg.content_length(length);
    stream_.expires_after(options_.write_timeout);
    auto [ec, n] = co_await beast_http::async_write(stream_, msg, kAsTuple);
    co_return Written{!ec, ec ? 0 : length};
  }

  beast_http::response<beast_http::empty_body> msg(res.status, version,
                                                   beast_http::empty_body::value_type{},
                                                   std::move(res.headers));
  finish_head(msg, keep_alive);
  if (!bodiless_status) msg.content_length(length);
  if (send_body && res.stream && res.stream->length > 0) {
    stream_.expires_after(options_.write_timeout);
    auto [ec, n] = co_await beast_http::async_write(stream_, msg, kAsTuple);
    if (ec) co_return Written{false, 0};
    auto sent = co_await send_stream_body(stream_, *res.stream, options_.write_timeout);
    if (!sent) {
      spdlog::warn("http: streamed response aborted: {} ({})", sent.error().message,
                   sent.error().detail);
      co_return Written{false, 0};
    }
    co_return Written{true, *sent};
  }
  const bool send_file = send_body && res.file && res.file->length > 0;
  // Corking only helps sendfile; TLS records are built in user space.
  const bool cork = send_file && !stream_.tls();
  if (cork) set_cork(stream_.tcp().socket(), true);
  stream_.expires_after(options_.write_timeout);
  auto [ec, n] = co_await beast_http::async_write(stream_, msg, kAsTuple);
  if (ec || !send_file) {
    if (cork) set_cork(stream_.tcp().socket(), false);
    co_return Written{!ec, 0};
  }
  auto sent = co_await send_file_range(stream_, send_timer_, *res.file, options_.write_timeout);
  if (cork) set_cork(stream_.tcp().socket(), false);
  if (!sent) {
    spdlog::warn("http: file response aborted: {} ({})", sent.error().message,
                 sent.error().detail);
    co_return Written{false, 0};
  }
  co_return Written{true, *sent};
}

asio::awaitable<void> Session::reject_head(const beast::error_code& ec) {
  status code;
  if (ec == beast_http::error::header_limit) {
    code = status::request_header_fields_too_large;
  } else if (ec == beast_http::error::body_limit) {
    code = status::payload_too_large;
  } else if (is_parse_error(ec)) {
    code = status::bad_request;
  } else {
    co_return;  // timeout, disconnect or shutdown: nobody to answer
  }
  const auto started = std::chrono::steady_clock::now();
  linger_budget_ = kLingerLimit;
  Response res(code);
  // The head is unusable, so the version is unknown: answer as HTTP/1.1.
  co_await write_response(beast_http::verb::get, 11, false, res);
  log_refusal(static_cast<unsigned>(code), started);
}

asio::awaitable<void> Session::close_connection() {
  auto& tcp_stream = stream_.tcp();
  auto& socket = tcp_stream.socket();
  if (!socket.is_open()) co_return;
  if (tls_up_ && !stopping_) {
    // close_notify, so the peer can tell the end from a truncation. Waiting
    // for the peer's own close_notify is bounded; an expired deadline closes
    // the socket.
    tls_up_ = false;
    tcp_stream.expires_after(kLingerTime);
    co_await stream_.tls()->async_shutdown(kAsTuple);  // any outcome: we close next
    if (!socket.is_open()) co_return;
  }
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  if (linger_budget_ > 0 && !ec && !stopping_) {
    // Raw bytes, TLS or not: they are only read to be dropped.
    tcp_stream.expires_after(kLingerTime);
    std::size_t discarded = buffer_.size();
    while (discarded < linger_budget_) {
      buffer_.clear();
      const std::size_t want = std::min<std::size_t>(64 * 1024, linger_budget_ - discarded);
      auto [read_ec, n] = co_await tcp_stream.async_read_some(buffer_.prepare(want), kAsTuple);
      if (read_ec) break;
      discarded += n;
    }
  }
  tcp_stream.close();
}

void Session::log_refusal(unsigned status, std::chrono::steady_clock::time_point started) {
  RequestRecord record;
  record.method = "-";
  record.target = "-";
  record.request_id = "-";
  record.remote = remote_;
  record.status = status;
  record.duration = std::chrono::steady_clock::now() - started;
  if (options_.on_request) options_.on_request(record);
  log_access(record);
}

void Session::log_access(const RequestRecord& r) const {
  if (!options_.access_log) return;
  if (options_.access_log_format == AccessLogFormat::kJson) {
    spdlog::info("{}", access_log_json(r));
    return;
  }
  const std::chrono::duration<double, std::milli> elapsed = r.duration;
  spdlog::info("{} {} {} {} {:.3f}ms{}{}{}{}{}{} id={} remote={}", r.method, r.target, r.status,
               r.bytes_sent, elapsed.count(), r.operation.empty() ? "" : " op=", r.operation,
               r.error_name.empty() ? "" : " error=", r.error_name,
               r.principal.empty() ? "" : " principal=", r.principal, r.request_id, r.remote);
}

}  // namespace berth::http
