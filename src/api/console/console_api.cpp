#include "api/console/console_api.hpp"

#include <boost/json/parse.hpp>
#include <exception>
#include <stdexcept>
#include <utility>

#include "api/console/browse.hpp"
#include "api/console/request_checks.hpp"
#include "api/console/responses.hpp"
#include "api/console/static_files.hpp"
#include "crypto/hasher.hpp"
#include "util/log.hpp"
#include "util/time.hpp"

namespace berth::api::console {

namespace asio = boost::asio;
namespace json = boost::json;
using Verb = http::beast_http::verb;
using HttpStatus = http::beast_http::status;

namespace {
constexpr std::string_view kApiPrefix = "/console/api/";
constexpr std::string_view kSessionRoute = "session";
// A sign-in body holds two short strings.
constexpr std::size_t kSignInBodyLimit = 4096;

std::string session_secret(const ConsoleOptions& options) {
  return options.session_secret.empty() ? crypto::random_bytes(32) : options.session_secret;
}

IdentityCheck identity_check(const SignInPolicy& policy) {
  return [policy](const auth::Identity& signed_in) -> std::optional<auth::Identity> {
    auto now_is = recheck_sign_in(policy, signed_in, now_ms());
    if (!now_is) return std::nullopt;
    return std::move(*now_is);
  };
}

std::string json_string(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
}  // namespace

ConsoleApi::ConsoleApi(registry::Registry& registry, asio::thread_pool& blocking,
                       ConsoleOptions options)
    : registry_(registry),
      blocking_(blocking),
      options_(std::move(options)),
      sessions_(session_secret(options_), options_.sessions, identity_check(options_.sign_in)) {
  if (options_.sign_in.check_secrets && !options_.sign_in.credentials) {
    throw std::invalid_argument("ConsoleApi: checking secrets needs a credential store");
  }
}

bool ConsoleApi::owns(const http::Request& request) {
  return request.path == "/console" || request.path.starts_with("/console/");
}

asio::awaitable<http::Response> ConsoleApi::handle(http::Request& request) {
  http::Response response;
  try {
    if (request.path.starts_with(kApiPrefix)) {
      response = co_await serve_api(request);
    } else if (request.method != Verb::get && request.method != Verb::head) {
      response = error_response(HttpStatus::method_not_allowed, "MethodNotAllowed",
                                "The console's pages are read with GET");
    } else if (auto file = serve_static(request, request.path)) {
      response = std::move(*file);
    } else {
      response = error_response(HttpStatus::not_found, "NotFound", "No such console page");
    }
  } catch (const std::exception& e) {
    log::error("console {} {} failed with an exception: {}", http::beast_http::to_string(request.method), request.path,
               e.what());
    response = error_response(HttpStatus::internal_server_error, "InternalError",
                              "Internal error (request id " + request.request_id + ")");
  }
  if (response.operation.empty()) response.operation = "console";
  co_return response;
}

asio::awaitable<http::Response> ConsoleApi::serve_api(http::Request& request) {
  const std::string_view route = std::string_view(request.path).substr(kApiPrefix.size());
  const bool changes_state = is_state_changing(request.method);
  // A page of another site may make a browser send a request here; only
  // pages of this origin may change anything (sign-in included: no login
  // CSRF either).
  if (changes_state &&
      !same_origin(request.header("Origin"), options_.public_url, request.header("Host"),
                   options_.tls)) {
    co_return error_response(HttpStatus::forbidden, "CrossOriginRefused",
                             "State-changing console requests must come from the console's own "
                             "pages (the Origin header is missing or names another site)");
  }
  if (route == kSessionRoute && request.method == Verb::post) co_return co_await sign_in(request);

  std::optional<ConsoleSession> session;
  if (auto id = cookie_value(request.header("Cookie"), kSessionCookie); id && !id->empty()) {
    session = sessions_.touch(*id, now_ms());
  }
  bool known_route = route == kSessionRoute;
  BrowseHandler handler = nullptr;
  if (!known_route) handler = find_browse_handler(request.method, route, known_route);
  if (!known_route) {
    co_return error_response(HttpStatus::not_found, "NotFound", "No such console API call");
  }
  if (!session) {
    http::Response refused = error_response(HttpStatus::unauthorized, "SignedOut",
                                            "Not signed in, or the session has expired");
    refused.headers.set(http::beast_http::field::set_cookie, cleared_session_cookie(options_.tls));
    co_return refused;
  }
  if (changes_state && !csrf_token_matches(request.header(kCsrfHeader), session->csrf_token)) {
    co_return error_response(HttpStatus::forbidden, "CsrfTokenInvalid",
                             "The request does not carry this session's CSRF token");
  }
  if (route == kSessionRoute) {
    if (request.method == Verb::get) co_return with_renewed_cookie(session_info(*session), *session);
    if (request.method == Verb::delete_) {
      sessions_.remove(session->cookie, now_ms());
      http::Response response(HttpStatus::no_content);
      add_security_headers(response);
      response.headers.set(http::beast_http::field::set_cookie,
                           cleared_session_cookie(options_.tls));
      response.headers.set(http::beast_http::field::cache_control, "no-store");
      co_return response;
    }
    co_return error_response(HttpStatus::method_not_allowed, "MethodNotAllowed",
                             "api/session takes GET, POST and DELETE");
  }
  if (handler == nullptr) {
    co_return error_response(HttpStatus::method_not_allowed, "MethodNotAllowed",
                             "This console API call does not take " +
                                 std::string(http::beast_http::to_string(request.method)));
  }
  http::Response response =
      co_await handler(BrowseContext{registry_, blocking_, options_, *session, request});
  response.principal = session->access_key_id;
  co_return with_renewed_cookie(std::move(response), *session);
}

asio::awaitable<http::Response> ConsoleApi::sign_in(http::Request& request) {
  std::string body;
  if (request.body) {
    auto read = co_await request.body->read_all(kSignInBodyLimit);
    if (!read) {
      co_return error_response(HttpStatus::bad_request, "InvalidRequest",
                               "The sign-in request is too large or was cut short");
    }
    body = std::move(*read);
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    co_return error_response(HttpStatus::bad_request, "InvalidRequest",
                             "Sign in with a JSON object {accessKeyId, secretAccessKey}");
  }
  const std::string key = json_string(parsed.as_object(), "accessKeyId");
  const std::string secret = json_string(parsed.as_object(), "secretAccessKey");
  Result<auth::Identity> who = check_sign_in(options_.sign_in, key, secret, now_ms());
  if (!who) {
    log::info("console sign-in refused from {}", request.remote_address);
    co_return error_response(HttpStatus::unauthorized, "SignInRefused", who.error().message);
  }
  // A fresh id at every sign-in: an id planted before it is worthless.
  if (auto old = cookie_value(request.header("Cookie"), kSessionCookie)) {
    sessions_.remove(*old, now_ms());
  }
  ConsoleSession session = sessions_.create(*who, now_ms());
  log::info("console sign-in: access key {} ({}) from {}", key, who->arn(), request.remote_address);
  http::Response response = session_info(session);
  response.headers.set(http::beast_http::field::set_cookie,
                       session_cookie(session.cookie, options_.tls));
  response.principal = key;
  co_return response;
}

http::Response ConsoleApi::with_renewed_cookie(http::Response response,
                                              const ConsoleSession& session) const {
  // The session's last use moved: the browser keeps the newer cookie.
  if (session.cookie_renewed && !response.headers.count(http::beast_http::field::set_cookie)) {
    response.headers.set(http::beast_http::field::set_cookie,
                         session_cookie(session.cookie, options_.tls));
  }
  return response;
}

http::Response ConsoleApi::session_info(const ConsoleSession& session) const {
  json::object info;
  info["accessKeyId"] = session.access_key_id;
  info["accountId"] = session.account_id;
  // Which principal's permissions the console shows (a user/ or role/ key
  // may see less than its account holds).
  info["principalArn"] = session.identity().arn();
  info["csrfToken"] = session.csrf_token;
  info["defaultRegion"] = options_.default_region;
  info["publicUrl"] = options_.public_url;
  info["idleTimeoutSeconds"] = sessions_.options().idle_timeout_ms / 1000;
  return json_response(HttpStatus::ok, info);
}

}  // namespace berth::api::console
