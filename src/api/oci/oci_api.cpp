#include "api/oci/oci_api.hpp"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <boost/json/object.hpp>
#include <utility>

#include "api/oci/authorization.hpp"
#include "api/oci/errors.hpp"
#include "api/oci/handlers.hpp"
#include "api/oci/responses.hpp"
#include "api/oci/router.hpp"
#include "util/time.hpp"

namespace berth::api::oci {

namespace {

using Verb = http::beast_http::verb;
using Status = http::beast_http::status;

HandlerResult api_base() {
  co_return json_response(Status::ok, boost::json::object{});
}

// Runs the handler of `route` for the request's method. REQUIRES: the method
// is one of allowed_methods(route.kind).
HandlerResult run_handler(const HandlerContext& ctx, const RouteMatch& route,
                          http::Request& request) {
  const Verb method = request.method;
  const bool head = method == Verb::head;
  switch (route.kind) {
    case RouteKind::kBase:
      return api_base();
    case RouteKind::kCatalog:
      return list_catalog(ctx, route, request);
    case RouteKind::kTagsList:
      return list_tags(ctx, route, request);
    case RouteKind::kReferrers:
      return list_referrers(ctx, route, request);
    case RouteKind::kManifest:
      if (method == Verb::put) return put_manifest(ctx, route, request);
      if (method == Verb::delete_) return delete_manifest(ctx, route, request);
      return get_manifest(ctx, route, request, head);
    case RouteKind::kBlob:
      if (method == Verb::delete_) return delete_blob(ctx, route, request);
      return get_blob(ctx, route, request, head);
    case RouteKind::kUploadStart:
      return start_upload(ctx, route, request);
    case RouteKind::kUpload:
      if (method == Verb::patch) return patch_upload(ctx, route, request);
      if (method == Verb::put) return put_upload(ctx, route, request);
      if (method == Verb::delete_) return delete_upload(ctx, route, request);
      return get_upload(ctx, route, request);
    case RouteKind::kUnknown:
      break;
  }
  return [](std::string path) -> HandlerResult {
    co_return endpoint_not_found_response(path);
  }(request.path);
}

boost::asio::awaitable<http::Response> dispatch_route(const HandlerContext& ctx,
                                                      const RouteMatch& route,
                                                      http::Request& request) {
  const auto methods = allowed_methods(route.kind);
  if (std::find(methods.begin(), methods.end(), request.method) == methods.end()) {
    http::Response response = error_response(
        Error{ErrorCode::kUnsupported,
              "method " + std::string(http::beast_http::to_string(request.method)) +
                  " is not allowed on this endpoint",
              {}});
    response.headers.set(http::beast_http::field::allow, allow_header_value(route.kind));
    co_return response;
  }
  Result<http::Response> result = co_await run_handler(ctx, route, request);
  if (!result) co_return error_response(result.error());
  co_return std::move(*result);
}

// "oci:<route>.<method>", what the access log calls a /v2/ request.
std::string operation_name(RouteKind kind, Verb method) {
  std::string verb(http::beast_http::to_string(method));
  std::transform(verb.begin(), verb.end(), verb.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return "oci:" + std::string(route_name(kind)) + "." + verb;
}

// 429 for a key over its rate (--rate-limit), with the seconds until its
// bucket has a token again.
http::Response too_many_requests(double wait_seconds) {
  http::Response response(Status::too_many_requests);
  response.headers.set(http::beast_http::field::content_type, "application/json");
  response.headers.set(kApiVersionHeader, kApiVersion);
  response.headers.set(http::beast_http::field::retry_after,
                       std::to_string(static_cast<long long>(std::ceil(wait_seconds))));
  response.body = error_body("TOOMANYREQUESTS", "rate exceeded for this access key; retry later",
                             "");
  response.error_name = "TOOMANYREQUESTS";
  return response;
}

boost::asio::awaitable<http::Response> dispatch(const HandlerContext& ctx,
                                                http::Request& request) {
  Result<RouteMatch> route = parse_route(request.path);
  if (!route) co_return error_response(route.error());
  if (route->kind == RouteKind::kUnknown) co_return endpoint_not_found_response(request.path);
  http::Response response = co_await dispatch_route(ctx, *route, request);
  response.operation = operation_name(route->kind, request.method);
  co_return response;
}

}  // namespace

OciApi::OciApi(registry::Registry& registry, boost::asio::thread_pool& blocking,
               OciApiOptions options)
    : registry_(registry), blocking_(blocking), options_(std::move(options)) {}

boost::asio::awaitable<http::Response> OciApi::handle(http::Request& request) {
  auto access = authorize_registry_request(request, options_.auth);
  if (!access) {
    http::Response refused = registry_auth_failure_response(access.error(), options_.auth);
    refused.headers.set(kApiVersionHeader, kApiVersion);
    co_return refused;
  }
  HandlerContext::DeferredAuthorization deferred;
  if (options_.access && options_.auth.required && access->authenticated) {
    Result<RouteMatch> route = parse_route(request.path);
    if (route && options_.rate_limiter) {
      auto required = required_access(*route, request, access->registry_id);
      const std::string_view family = required.empty()
                                          ? std::string_view("other")
                                          : access::operation_family(required[0].any_of[0]);
      if (auto wait = options_.rate_limiter->try_take(access->access_key_id, family, now_ms())) {
        http::Response throttled = too_many_requests(*wait);
        throttled.operation = operation_name(route->kind, request.method);
        throttled.principal = access->identity.arn();
        if (request.method == Verb::head) {
          throttled.head_content_length = throttled.body.size();
          throttled.body.clear();
        }
        co_return throttled;
      }
    }
    if (route && route->kind == RouteKind::kManifest &&
        (request.method == Verb::get || request.method == Verb::head)) {
      // The pull path: decided inside the handler's blocking call.
      deferred = [&access_control = *options_.access, who = access->identity,
                  required = required_access(*route, request, access->registry_id),
                  facts = access::RequestFacts{request.remote_address,
                                               options_.secure_transport}](
                     std::optional<registry::RepositoryRecord>& repository_read) -> berth::Status {
        return authorize_now(access_control, who, required, facts, repository_read);
      };
    } else if (route) {
      berth::Status allowed = co_await authorize_request(
          *options_.access, blocking_, access->identity,
          required_access(*route, request, access->registry_id),
          access::RequestFacts{request.remote_address, options_.secure_transport});
      if (!allowed) {
        http::Response refused = error_response(allowed.error());
        refused.headers.set(kApiVersionHeader, kApiVersion);
        refused.operation = operation_name(route->kind, request.method);
        refused.principal = access->identity.arn();
        if (request.method == Verb::head) {
          refused.head_content_length = refused.body.size();
          refused.body.clear();
        }
        co_return refused;
      }
    }
  }
  http::Response response = co_await serve(request, access->registry_id, std::move(deferred));
  // For the access log: who the gate admitted, by ARN (never the password).
  if (access->authenticated) response.principal = access->identity.arn();
  co_return response;
}

boost::asio::awaitable<http::Response> OciApi::handle(http::Request& request,
                                                      std::string_view registry_id) {
  co_return co_await serve(request, registry_id, {});
}

boost::asio::awaitable<http::Response> OciApi::serve(
    http::Request& request, std::string_view registry_id,
    HandlerContext::DeferredAuthorization deferred_authorization) {
  const HandlerContext ctx{registry_, blocking_, options_, registry_id,
                           std::move(deferred_authorization)};
  http::Response response = co_await dispatch(ctx, request);
  response.headers.set(kApiVersionHeader, kApiVersion);
  // A HEAD answer announces the length of what GET would send, sends no body.
  if (request.method == Verb::head && !response.file && !response.stream) {
    if (!response.head_content_length) response.head_content_length = response.body.size();
    response.body.clear();
  }
  co_return response;
}

}  // namespace berth::api::oci
