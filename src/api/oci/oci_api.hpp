// OciApi: the OCI distribution API v1.1 (/v2/...) over the registry core.
// It routes a request (router.hpp), runs the handler of that endpoint
// (blobs, uploads, manifests, tags, catalog, referrers), turns any Error into
// the OCI error JSON through the one table in errors.cpp, and stamps every
// response with "Docker-Distribution-API-Version: registry/2.0".
//
// Registry calls that may block run on the blocking thread pool through
// http::offload; request bodies (blob chunks) stream from the connection
// straight into the upload's BlobWriter on the calling coroutine.
//
// Thread-safety: handle() may run concurrently for many connections (the
// Registry is thread-safe); each call uses its Request from one coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "access/access_control.hpp"
#include "access/rate_limiter.hpp"
#include "api/oci/registry_auth.hpp"
#include "http/concurrency_limit.hpp"
#include "http/message.hpp"
#include "registry/registry.hpp"

namespace berth::api::oci {

struct OciApiOptions {
  std::string registry_id;  // which registry /v2/ serves (RepositoryRef.registry)
  std::uint64_t max_manifest_size = 4 << 20;  // PUT manifest body; 413 SIZE_INVALID beyond
  // Requests writing into an upload at once (PATCH, PUT, POST ?digest=);
  // beyond it they get 429 TOOMANYREQUESTS. Null: no limit. May be shared
  // with other front ends of the process.
  std::shared_ptr<http::ConcurrencyLimit> upload_limit;
  std::size_t max_page_size = 10000;  // cap for n in tags/list and _catalog
  // The authentication gate and per-request registry selection
  // (registry_auth.hpp); by default nothing is required and only the Host
  // can select another registry.
  RegistryAuthSettings auth;
  // Decides each authenticated request (authorization.hpp) when the gate
  // requires authentication; null: nothing beyond the gate. Shared with the
  // ECR API.
  std::shared_ptr<access::AccessControl> access;
  bool secure_transport = false;  // the listener speaks TLS (aws:SecureTransport)
  // Per-key request rates (null: unlimited): 429 TOOMANYREQUESTS with
  // Retry-After beyond. May be shared with the ECR API.
  std::shared_ptr<access::RateLimiter> rate_limiter;
};

class OciApi {
 public:
  OciApi(registry::Registry& registry, boost::asio::thread_pool& blocking,
         OciApiOptions options);

  OciApi(const OciApi&) = delete;
  OciApi& operator=(const OciApi&) = delete;

  // Serves every request whose path is /v2 or starts with /v2/: runs the
  // authentication gate, decides the request for the password's identity
  // (403 DENIED when refused), then serves the registry it selects.
  boost::asio::awaitable<http::Response> handle(http::Request& request);
  // The same in another registry (e.g. chosen per request by an
  // authentication gate). The id must outlive the call.
  boost::asio::awaitable<http::Response> handle(http::Request& request,
                                                std::string_view registry_id);

 private:
  // `deferred_authorization`: an access decision the handler runs in its
  // own blocking call (handlers.hpp); empty: none left to make.
  boost::asio::awaitable<http::Response> serve(http::Request& request,
                                               std::string_view registry_id,
                                               std::function<berth::Status(
                                                   std::optional<registry::RepositoryRecord>&)>
                                                   deferred_authorization);

  registry::Registry& registry_;
  boost::asio::thread_pool& blocking_;
  OciApiOptions options_;
};

}  // namespace berth::api::oci
