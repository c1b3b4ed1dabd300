#include "events/webhook_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace berth::events {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

struct Target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // with the query
};

Result<Target> parse_target(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return fail(ErrorCode::kInvalidArgument, "not a URL: " + url);
  Target out;
  const auto scheme = parsed->scheme();
  if (scheme != "http" && scheme != "https") {
    return fail(ErrorCode::kInvalidArgument, "not an http(s) URL: " + url);
  }
  out.tls = scheme == "https";
  const auto text = [](auto view) { return std::string(view.data(), view.size()); };
  out.host = text(parsed->encoded_host());
  // An IPv6 literal is bracketed in the URL, not in the resolver.
  if (out.host.size() > 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return fail(ErrorCode::kInvalidArgument, "no host in " + url);
  out.port = parsed->has_port() ? text(parsed->port()) : (out.tls ? "443" : "80");
  out.path = text(parsed->encoded_path());
  if (out.path.empty()) out.path = "/";
  if (parsed->has_query()) out.path += "?" + text(parsed->encoded_query());
  return out;
}

template <class Stream>
asio::awaitable<Result<unsigned>> exchange(Stream& stream, beast::tcp_stream& tcp,
                                           http::request<http::string_body>& request,
                                           std::chrono::steady_clock::time_point deadline) {
  tcp.expires_at(deadline);
  auto [write_ec, written] = co_await http::async_write(stream, request, kAsTuple);
  if (write_ec) co_return fail(ErrorCode::kUnavailable, "cannot send", write_ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  tcp.expires_at(deadline);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kAsTuple);
  if (read_ec && read_ec != http::error::body_limit) {
    co_return fail(ErrorCode::kUnavailable, "no answer", read_ec.message());
  }
  co_return static_cast<unsigned>(parser.get().result_int());
}

asio::awaitable<Result<unsigned>> post(const Target& target, http::request<http::string_body> request,
                                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::tcp_stream tcp(executor);
  tcp.expires_at(deadline);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(target.host, target.port, kAsTuple);
  if (resolve_ec) co_return fail(ErrorCode::kUnavailable, "cannot resolve " + target.host, resolve_ec.message());
  auto [connect_ec, endpoint] = co_await tcp.async_connect(endpoints, kAsTuple);
  if (connect_ec) {
    co_return fail(ErrorCode::kUnavailable, "cannot connect to " + target.host + ":" + target.port,
                   connect_ec.message());
  }
  if (!target.tls) co_return co_await exchange(tcp, tcp, request, deadline);

  ssl::context context(ssl::context::tls_client);
  context.set_default_verify_paths();
  context.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), context);
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str())) {
    co_return fail(ErrorCode::kUnavailable, "cannot set the TLS server name");
  }
  stream.set_verify_callback(ssl::host_name_verification(target.host));
  lowest.expires_at(deadline);
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, kAsTuple);
  if (handshake_ec) co_return fail(ErrorCode::kUnavailable, "TLS handshake failed", handshake_ec.message());
  co_return co_await exchange(stream, lowest, request, deadline);
}

}  // namespace

Result<unsigned> post_webhook(const std::string& url, const HeaderList& headers,
                              const std::string& body, std::chrono::milliseconds timeout) {
  auto target = BERTH_TRY(parse_target(url));
  http::request<http::string_body> request(http::verb::post, target.path, 11);
  const bool default_port = target.port == (target.tls ? "443" : "80");
  request.set(http::field::host, default_port ? target.host : target.host + ":" + target.port);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  request.keep_alive(false);

  asio::io_context io;
  Result<unsigned> result = fail(ErrorCode::kUnavailable, "the request never ran");
  asio::co_spawn(io, post(target, std::move(request), timeout),
                 [&result](std::exception_ptr error, Result<unsigned> answer) {
                   if (error) {
                     result = fail(ErrorCode::kUnavailable, "webhook request failed");
                     return;
                   }
                   result = std::move(answer);
                 });
  io.run();
  return result;
}

}  // namespace berth::events
