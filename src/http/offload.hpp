// offload(): runs a blocking function (database, disk, fsync, libcurl) on the
// bounded blocking thread pool and resumes the awaiting coroutine on its own
// executor (the connection's strand), so I/O threads never block.
//
//   auto rec = co_await http::offload(pool, [&] { return registry.get_manifest(...); });
//
// The function is moved to the pool and invoked exactly once there. Its
// result is moved back, so move-only results such as
// Result<std::unique_ptr<T>> work; the result type must be default
// constructible (Asio's co_spawn needs a placeholder on its error path),
// which every berth Result is. An exception escaping `f` is rethrown in the
// awaiting coroutine.
//
// Capturing by reference is safe: the awaiting coroutine stays suspended
// until `f` has returned.
//
// Thread-safety: `f` runs on a pool thread, concurrently with anything else;
// it must only touch thread-safe objects (the Registry is).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace berth::http {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> offload(boost::asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  if constexpr (std::is_void_v<R>) {
    co_await boost::asio::co_spawn(
        pool,
        [f = std::move(f)]() mutable -> boost::asio::awaitable<void> {
          f();
          co_return;
        },
        boost::asio::use_awaitable);
  } else {
    co_return co_await boost::asio::co_spawn(
        pool,
        [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
        boost::asio::use_awaitable);
  }
}

}  // namespace berth::http
