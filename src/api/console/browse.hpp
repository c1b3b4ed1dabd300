// The console API's read and delete calls (browse.cpp), each a function of
// the request and the signed-in session. Registries are named by region
// (?region=, default: the server's) and account (?registryId=, default: the
// session's; another account's repositories are reachable as far as their
// repository policies let the session's identity in, console_access.hpp).
//
//   GET    api/registries                       the account's registries
//   GET    api/repositories?registryId&region&q&match&after&limit
//   GET    api/repository?registryId&region&name  settings, URI, permissions
//   GET    api/images?registryId&region&name&order&after&limit  images with tags, sizes, times
//          (order=digest, the default, or tag: one row per tag)
//   GET    api/image?registryId&region&name&digest  manifest, layers, referrers
//   DELETE api/image?registryId&region&name&digest  deletes the image (and tags)
//   PUT    api/repository/tag-mutability?registryId&region&name  {"imageTagMutability"}
//   PUT    api/repository/lifecycle-policy?registryId&region&name  {"lifecyclePolicyText"}
//   POST   api/repository/lifecycle-policy/preview?registryId&region&name  {"lifecyclePolicyText"}
//
// Each is decided by ConsoleAccess as its ECR action (console_access.hpp).
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
