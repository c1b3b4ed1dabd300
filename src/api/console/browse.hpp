// The console API's read and delete calls (browse.cpp), each a function of
// the request and the signed-in session. Registries are named by region
// (?region=, default: the server's); the account is always the session's.
//
//   GET    api/registries                       the account's registries
//   GET    api/repositories?region&q&match&after&limit
//   GET    api/repository?region&name           settings, URI, pull commands
//   GET    api/images?region&name&after&limit   images with tags, sizes, times
//   GET    api/image?region&name&digest         manifest, layers, referrers
//   DELETE api/image?region&name&digest         deletes the image (and tags)
//
// Thread-safety: stateless functions; registry calls run on `blocking`.
#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/console/session_store.hpp"
#include "http/message.hpp"
#include "registry/registry.hpp"

namespace berth::api::console {

struct ConsoleOptions;

struct BrowseContext {
  registry::Registry& registry;
  boost::asio::thread_pool& blocking;
  const ConsoleOptions& options;
  const ConsoleSession& session;
  const http::Request& request;
};

using BrowseHandler = boost::asio::awaitable<http::Response> (*)(const BrowseContext&);

// The handler for `method` on `route` (the path after /console/api/), or
// nullptr; `known_route` tells a wrong method from an unknown path.
BrowseHandler find_browse_handler(http::beast_http::verb method, std::string_view route,
                                  bool& known_route);

}  // namespace berth::api::console
