// The handlers of the OCI endpoints, one family per file (blobs.cpp,
// uploads.cpp, manifests.cpp, tags.cpp, catalog.cpp, referrers.cpp), and the
// small context they share. Internal to berth_api_oci: OciApi dispatches to
// them after routing.
//
// A handler receives the context, the matched route (name already
// validated) and the request, and returns a Response or an Error; OciApi
// renders Errors through the table in errors.cpp. No handler touches SQL or
// the filesystem: everything goes through the Registry, blocking calls
// through http::offload on the context's pool.
//
// Thread-safety: the context holds references to thread-safe objects; a
// handler call uses its Request from one coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <optional>
#include <string_view>

#include "api/oci/oci_api.hpp"
#include "api/oci/router.hpp"
#include "http/message.hpp"
#include "registry/registry.hpp"
#include "util/result.hpp"

namespace berth::api::oci {

struct HandlerContext {
  registry::Registry& registry;
  boost::asio::thread_pool& blocking;
  const OciApiOptions& options;
  std::string_view registry_id;  // the registry this request addresses
  // The access decision OciApi::handle left to the handler, to run first
  // in the handler's own blocking call: on the hottest route (manifest
  // GET/HEAD) a separate hop to the pool cost more than the decision.
  // Empty when already decided or nothing applies.
  // It hands back the repository record it read, if it read one.
  using DeferredAuthorization =
      std::function<berth::Status(std::optional<registry::RepositoryRecord>& repository_read)>;
  DeferredAuthorization deferred_authorization;

  // Runs the deferred decision, if any; call it on the blocking pool.
  berth::Status authorize_deferred(
      std::optional<registry::RepositoryRecord>& repository_read) const {
    return deferred_authorization ? deferred_authorization(repository_read) : ok();
  }

  registry::RepositoryRef repository(std::string_view name) const {
    return registry::RepositoryRef{std::string(registry_id), std::string(name)};
  }
};

using HandlerResult = boost::asio::awaitable<Result<http::Response>>;

// blobs.cpp
HandlerResult get_blob(const HandlerContext& ctx, const RouteMatch& route,
                       http::Request& request, bool head);
HandlerResult delete_blob(const HandlerContext& ctx, const RouteMatch& route,
                          http::Request& request);

// uploads.cpp
HandlerResult start_upload(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request);
HandlerResult patch_upload(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request);
HandlerResult put_upload(const HandlerContext& ctx, const RouteMatch& route,
                         http::Request& request);
HandlerResult get_upload(const HandlerContext& ctx, const RouteMatch& route,
                         http::Request& request);
HandlerResult delete_upload(const HandlerContext& ctx, const RouteMatch& route,
                            http::Request& request);

// manifests.cpp
HandlerResult get_manifest(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request, bool head);
HandlerResult put_manifest(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request);
HandlerResult delete_manifest(const HandlerContext& ctx, const RouteMatch& route,
                              http::Request& request);

// tags.cpp
HandlerResult list_tags(const HandlerContext& ctx, const RouteMatch& route,
                        http::Request& request);

// catalog.cpp
HandlerResult list_catalog(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request);

// referrers.cpp
HandlerResult list_referrers(const HandlerContext& ctx, const RouteMatch& route,
                             http::Request& request);

}  // namespace berth::api::oci
