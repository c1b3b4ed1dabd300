// offload(): runs a blocking function (database, disk, fsync, libcurl) on the
// bounded blocking thread pool and resumes the awaiting coroutine on its own
// executor (the connection's strand), so I/O threads never block. Used by
// the registry core (its byte path) and by the front ends alike; the one
// piece of util that needs Boost.Asio (headers only).
//
//   auto rec = co_await offload(pool, [&] { return registry.get_manifest(...); });
//
// The function is moved to the pool and invoked exactly once there; its
// result is moved back, so move-only results such as
// Result<std::unique_ptr<T>> work. The result type must be default
// constructible and move-assignable (every berth Result is). An exception
// escaping `f` is rethrown in the awaiting coroutine. The awaiting
// coroutine's executor is kept busy (work-tracked) until it resumes.
//
// Capturing by reference is safe: the awaiting coroutine stays suspended
// until `f` has returned.
//
// g++ 12 hazard: a temporary that owns something (a lambda with an owning
// init-capture such as `[w = std::move(writer)]`, an aggregate holding a
// unique_ptr) written inside a co_await expression is destroyed twice. Name
// such a function object first and pass it with std::move:
//   auto finish = [w = std::move(writer)]() mutable { ... };
//   co_await http::offload(pool, std::move(finish));
// Lambdas that capture only references are unaffected. For the same reason
// this helper is not itself a coroutine.
//
// Thread-safety: `f` runs on a pool thread, concurrently with anything else;
// it must only touch thread-safe objects (the Registry is).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <type_traits>
#include <utility>

namespace berth {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> offload(boost::asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F&>;
  namespace asio = boost::asio;

  if constexpr (std::is_void_v<R>) {
    auto initiation = [&pool](auto handler, F fn) {
      auto work = asio::make_work_guard(asio::get_associated_executor(handler));
      asio::post(pool, [handler = std::move(handler), fn = std::move(fn),
                        work = std::move(work)]() mutable {
        std::exception_ptr error;
        try {
          fn();
        } catch (...) {
          error = std::current_exception();
        }
        auto executor = work.get_executor();
        asio::dispatch(executor, [handler = std::move(handler), error]() mutable {
          std::move(handler)(error);
        });
      });
    };
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        std::move(initiation), asio::use_awaitable, std::move(f));
  } else {
    auto initiation = [&pool](auto handler, F fn) {
      auto work = asio::make_work_guard(asio::get_associated_executor(handler));
      asio::post(pool, [handler = std::move(handler), fn = std::move(fn),
                        work = std::move(work)]() mutable {
        std::exception_ptr error;
        R result{};
        try {
          result = fn();
        } catch (...) {
          error = std::current_exception();
        }
        auto executor = work.get_executor();
        asio::dispatch(executor, [handler = std::move(handler), error,
                                  result = std::move(result)]() mutable {
          std::move(handler)(error, std::move(result));
        });
      });
    };
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
        std::move(initiation), asio::use_awaitable, std::move(f));
  }
}

}  // namespace berth
