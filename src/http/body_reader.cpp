#include "http/body_reader.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cstdio>

namespace berth::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::size_t kReadAllStep = 16 * 1024;

Error to_error(const beast::error_code& ec) {
  if (ec == beast_http::error::body_limit) {
    return Error{ErrorCode::kLimitExceeded, "request body exceeds the server limit",
                 ec.message()};
  }
  if (ec == beast::error::timeout) {
    return Error{ErrorCode::kUnavailable, "timed out reading the request body",
                 ec.message()};
  }
  if (ec.category() == beast_http::make_error_code(beast_http::error::bad_chunk).category() &&
      ec != beast_http::error::partial_message && ec != beast_http::error::end_of_stream) {
    return Error{ErrorCode::kInvalidArgument, "malformed request body", ec.message()};
  }
  return Error{ErrorCode::kUnavailable, "client connection lost during the request body",
               ec.message()};
}

}  // namespace

void ParserBodyReader::reset(RequestParser& parser, bool expect_continue) {
  parser_ = &parser;
  expect_continue_ = expect_continue && !parser.is_done();
  error_.reset();
  slack_ = options_.read_timeout;
  waited_ = {};
  received_ = 0;
  too_slow_ = false;
}

// The minimum-rate rule is a token bucket over waiting time rather than a
// plain average since the first byte, because:
// - Only time spent waiting on the socket counts. While the handler writes
//   to disk or waits for a database, TCP backpressure stops the client, so
//   wall-clock time would blame a client for a slow server.
// - The first read_timeout of waiting is free (slack_ starts full): TCP slow
//   start, the 100-continue round trip and a client that pauses to open its
//   file must not be cut; and a client merely stalling is the read timeout's
//   business, which this leaves unchanged.
// - Banked credit is capped at read_timeout. With an uncapped average
//   (mod_reqtimeout's MinRate), a few MB sent fast would buy hours of
//   trickling; capped, a burst buys no more stall than the read timeout
//   already allows, while any client keeping pace with the minimum keeps a
//   full bucket and is never cut.
// - Body bytes count, not socket bytes: chunk framing is no progress.
// The rule is checked when a read returns, not by an earlier socket deadline:
// a Beast deadline closes the socket, and a trickling client that is still
// reading deserves the protocol's error. Every read still ends at
// read_timeout, so a body is cut at most read_timeout after its slack ran out.
bool ParserBodyReader::account(Clock::duration waited, std::size_t bytes) {
  waited_ += waited;
  received_ += bytes;
  const std::uint64_t rate = options_.min_body_rate;
  if (rate == 0) return true;
  const auto earned = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(bytes) / static_cast<double>(rate)));
  slack_ = std::min<Clock::duration>(slack_ - waited + earned, options_.read_timeout);
  return slack_ > Clock::duration::zero();
}

Error ParserBodyReader::too_slow_error() {
  too_slow_ = true;
  char detail[160];
  std::snprintf(detail, sizeof detail,
                "%llu bytes in %.1f s of waiting; the minimum is %llu bytes/s",
                static_cast<unsigned long long>(received_),
                std::chrono::duration<double>(waited_).count(),
                static_cast<unsigned long long>(options_.min_body_rate));
  return remember(Error{ErrorCode::kUnavailable, "request body arrived too slowly", detail});
}

Error ParserBodyReader::remember(Error error) {
  error_ = error;
  return error;
}

std::optional<std::uint64_t> ParserBodyReader::content_length() const {
  const auto len = parser_->content_length();
  if (len) return *len;
  // A request with neither Content-Length nor chunked coding has no body
  // (RFC 9112 section 6.3), so its length is known: zero.
  if (!parser_->chunked()) return 0;
  return std::nullopt;
}

bool ParserBodyReader::done() const { return parser_->is_done(); }

asio::awaitable<Status> ParserBodyReader::send_continue() {
  expect_continue_ = false;
  stream_.expires_after(options_.write_timeout);
  auto [ec, n] =
      co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                                 kAsTuple);
  if (ec) co_return std::unexpected(remember(to_error(ec)));
  co_return ok();
}

Result<std::size_t> ParserBodyReader::parse_buffered(std::span<char> out) {
  auto& body = parser_->get().body();
  body.data = out.data();
  body.size = out.size();
  beast::error_code ec;
  const std::size_t used = parser_->put(buffer_.data(), ec);
  buffer_.consume(used);
  if (ec == beast_http::error::need_buffer || ec == beast_http::error::need_more) ec = {};
  if (ec) return std::unexpected(remember(to_error(ec)));
  return out.size() - body.size;
}

asio::awaitable<Result<std::size_t>> ParserBodyReader::read_some(std::span<char> out) {
  if (error_) co_return std::unexpected(*error_);
  if (out.empty() || parser_->is_done()) co_return 0;
  if (expect_continue_) {
    auto sent = co_await send_continue();
    if (!sent) co_return std::unexpected(sent.error());
  }
  // Bytes already buffered (read together with the head, or left by an
  // earlier chunk) are parsed in place: no syscall and no executor hop.
  if (buffer_.size() > 0) {
    auto n = parse_buffered(out);
    if (n) account(Clock::duration::zero(), *n);  // credit only: nothing waited
    if (!n || *n > 0 || parser_->is_done()) co_return n;
  }
  // Beast reads only into the buffer's spare capacity, which after a head is
  // a few KiB: without this, a large upload costs one syscall per ~3 KiB.
  // Only connections that stream a body pay for the larger buffer.
  if (buffer_.capacity() < kMaxBodyReadBuffer) buffer_.reserve(kMaxBodyReadBuffer);
  for (;;) {
    auto& body = parser_->get().body();
    body.data = out.data();
    body.size = out.size();
    stream_.expires_after(options_.read_timeout);
    const auto started = Clock::now();
    auto [ec, unused] = co_await beast_http::async_read_some(stream_, buffer_, *parser_, kAsTuple);
    if (ec == beast_http::error::need_buffer) ec = {};
    if (ec) co_return std::unexpected(remember(to_error(ec)));
    const std::size_t n = out.size() - body.size;
    // A body that completes is never cut: its last bytes are already here.
    if (!account(Clock::now() - started, n) && !parser_->is_done()) {
      co_return std::unexpected(too_slow_error());
    }
    // A read may consume only framing (a chunk header); keep going until
    // body bytes arrive or the body ends.
    if (n > 0 || parser_->is_done()) co_return n;
  }
}

asio::awaitable<Result<std::string>> ParserBodyReader::read_all(std::size_t limit) {
  std::string out;
  if (const auto len = content_length()) {
    if (*len > limit) {
      co_return fail(ErrorCode::kLimitExceeded, "request body is too large",
                     std::to_string(*len) + " > " + std::to_string(limit));
    }
    out.reserve(static_cast<std::size_t>(*len));
  }
  while (!parser_->is_done()) {
    const std::size_t used = out.size();
    // One byte beyond the limit is enough to know the body is too long.
    const std::size_t room = limit - used;
    const std::size_t step = room < kReadAllStep ? room + 1 : kReadAllStep;
    out.resize(used + step);
    auto n = co_await read_some(std::span<char>(out.data() + used, step));
    if (!n) co_return std::unexpected(n.error());
    out.resize(used + *n);
    if (out.size() > limit) {
      co_return fail(ErrorCode::kLimitExceeded, "request body is too large",
                     "more than " + std::to_string(limit) + " bytes");
    }
  }
  co_return out;
}

asio::awaitable<bool> ParserBodyReader::discard_rest(std::size_t max) {
  if (parser_->is_done()) co_return !error_;
  // The client still waits for our go-ahead, so it may never send the body:
  // reading would stall, and reuse is unsafe.
  if (error_ || expect_continue_) co_return false;
  if (const auto remaining = parser_->content_length_remaining();
      remaining && *remaining > max) {
    co_return false;
  }
  std::array<char, 8192> scratch;
  std::size_t discarded = 0;
  while (!parser_->is_done()) {
    auto n = co_await read_some(scratch);
    if (!n) co_return false;
    discarded += *n;
    if (discarded > max) co_return false;
  }
  co_return true;
}

}  // namespace berth::http
