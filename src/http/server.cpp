#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/session.hpp"
#include "http/tls.hpp"

namespace berth::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// Out of descriptors: back off briefly instead of spinning on accept.
constexpr std::chrono::milliseconds kAcceptBackoff{50};

}  // namespace

// The listener. The acceptor and the grace timer live on one strand so that
// stop() (called from a non-I/O thread) never touches them concurrently with
// the accept coroutine.
struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io_context, ServerOptions options, Handler handler)
      : io(io_context),
        strand(asio::make_strand(io_context)),
        acceptor(strand),
        grace_timer(strand),
        shared(std::make_shared<ServerShared>()) {
    shared->options = std::move(options);
    shared->handler = std::move(handler);
  }

  asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self);
  void arm_grace_timer();

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::steady_timer grace_timer;
  std::shared_ptr<ServerShared> shared;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

asio::awaitable<void> Server::Impl::accept_loop(std::shared_ptr<Impl> self) {
  asio::steady_timer backoff(strand);
  for (;;) {
    // Each connection gets its own strand: the io_context may run on many
    // threads, and a session's handlers must never run concurrently.
    tcp::socket socket(asio::make_strand(io));
    auto [ec] = co_await acceptor.async_accept(socket, kAsTuple);
    if (ec) {
      if (!acceptor.is_open() || ec == asio::error::operation_aborted) break;
      spdlog::warn("http: accept failed: {}", ec.message());
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
          ec == asio::error::no_memory) {
        backoff.expires_after(kAcceptBackoff);
        co_await backoff.async_wait(kAsTuple);
      }
      continue;
    }
    Session::launch(shared, std::move(socket));
  }
}

void Server::Impl::arm_grace_timer() {
  // Runs on the strand. If the last session left before we got here, its
  // on_empty callback already ran, so there is nothing left to wait for.
  if (shared->registry.size() == 0) return;
  grace_timer.expires_after(shared->options.shutdown_grace);
  grace_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // cancelled: every session finished in time
    const auto left = self->shared->registry.live();
    if (!left.empty()) {
      spdlog::warn("http: closing {} connection(s) still open after the shutdown grace",
                   left.size());
    }
    for (const auto& session : left) session->force_close();
  });
}

Server::Server(asio::io_context& io, ServerOptions options, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handler))) {}

Server::~Server() { stop(); }

Status Server::start() {
  if (impl_->started) return fail(ErrorCode::kInternal, "server already started");
  const auto& options = impl_->shared->options;
  if (options.tls) {
    auto context = make_tls_context(*options.tls);
    if (!context) return std::unexpected(std::move(context).error());
    impl_->shared->tls = std::move(*context);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.listen_address, ec);
  if (ec) {
    return fail(ErrorCode::kInvalidArgument, "invalid listen address", options.listen_address);
  }
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = options.listen_address + ":" + std::to_string(options.port);
  auto& acceptor = impl_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return fail(ErrorCode::kUnavailable, "cannot open listening socket", ec.message());
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    acceptor.close();
    return fail(ErrorCode::kUnavailable, "cannot bind " + where, ec.message());
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    acceptor.close();
    return fail(ErrorCode::kUnavailable, "cannot listen on " + where, ec.message());
  }
  impl_->port = acceptor.local_endpoint(ec).port();
  impl_->started = true;
  asio::co_spawn(impl_->strand, impl_->accept_loop(impl_), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("http: accept loop ended by exception: {}", e.what());
    }
  });
  spdlog::info("http: listening on {}:{}{}", options.listen_address, impl_->port,
               options.tls ? " (TLS)" : "");
  return ok();
}

std::uint16_t Server::port() const { return impl_->port; }

void Server::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  auto impl = impl_;
  asio::post(impl->strand, [impl] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
  std::weak_ptr<Impl> weak = impl;
  const auto sessions = impl->shared->registry.begin_stop([weak] {
    if (auto impl = weak.lock()) {
      asio::post(impl->strand, [impl] { impl->grace_timer.cancel(); });
    }
  });
  for (const auto& session : sessions) session->request_stop();
  asio::post(impl->strand, [impl] { impl->arm_grace_timer(); });
}

}  // namespace berth::http
