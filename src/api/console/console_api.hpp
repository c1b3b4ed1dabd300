// ConsoleApi: the web console at /console, a third front end beside /v2/ and
// the ECR API over the same registry core. It serves
//   - the page and its static files (assets.hpp), embedded in the binary,
//     with ETags and a strict Content-Security-Policy (static_files.cpp);
//   - a small JSON API under /console/api/ for the page (browse.cpp):
//     sign-in and sign-out (sign_in.hpp, session_store.hpp), registries,
//     repositories with search and paging, images, an image's manifest,
//     layers and referrers, repository settings (tag mutability, the
//     lifecycle policy and its preview, lifecycle_policy.hpp), and image
//     deletion.
//
// Every API call but sign-in needs a session cookie; every state-changing
// one (sign-in included) must come from this origin, and, once signed in,
// carry the session's CSRF token (request_checks.hpp). A session sees the
// registries of its key's account, and in them what the ECR API would let
// that key see and do: the same AccessControl decides (console_access.hpp).
//
// Thread-safety: handle() runs concurrently; the session store locks itself.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "access/access_control.hpp"
#include "api/console/session_store.hpp"
#include "api/console/sign_in.hpp"
#include "http/message.hpp"
#include "registry/registry.hpp"

namespace berth::api::console {

struct ConsoleOptions {
  SignInPolicy sign_in;
  std::string default_region = "us-east-1";
  std::string public_url = "http://127.0.0.1:5000";
  // As --repository-uri-template: how pull commands name the registry host.
  std::string repository_uri_template = "{host}";
  bool tls = false;  // the listener speaks HTTPS: cookies get Secure
  SessionOptions sessions;
  // Signs session cookies (session_store.hpp): the server secret registry
  // passwords use, so replicas share sessions. Empty: a random one, good
  // for this process only.
  std::string session_secret;
  // The ECR API's enforcement point: every call is decided for the
  // session's identity (console_access.hpp). Null (--auth none): open.
  std::shared_ptr<access::AccessControl> access;
};

class ConsoleApi {
 public:
  ConsoleApi(registry::Registry& registry, boost::asio::thread_pool& blocking,
             ConsoleOptions options);
  ConsoleApi(const ConsoleApi&) = delete;
  ConsoleApi& operator=(const ConsoleApi&) = delete;

  // True for /console and everything under /console/.
  static bool owns(const http::Request& request);

  boost::asio::awaitable<http::Response> handle(http::Request& request);

 private:
  boost::asio::awaitable<http::Response> serve_api(http::Request& request);
  boost::asio::awaitable<http::Response> sign_in(http::Request& request);
  http::Response session_info(const ConsoleSession& session) const;
  http::Response with_renewed_cookie(http::Response response,
                                     const ConsoleSession& session) const;

  registry::Registry& registry_;
  boost::asio::thread_pool& blocking_;
  ConsoleOptions options_;
  SessionStore sessions_;
};

}  // namespace berth::api::console
