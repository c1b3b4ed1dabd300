#include "api/ecr/ecr_api.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <exception>
#include <new>
#include <utility>

#include "api/ecr/errors.hpp"
#include "api/ecr/model/shape_model.hpp"
#include "api/ecr/query_form.hpp"
#include "api/ecr/sigv4_adapter.hpp"
#include "auth/sigv4.hpp"
#include "auth/sigv4_parse.hpp"
#include "crypto/hasher.hpp"
#include "crypto/ids.hpp"
#include "http/offload.hpp"
#include "util/log.hpp"

namespace berth::api::ecr {

namespace json = boost::json;
namespace asio = boost::asio;
using Verb = http::beast_http::verb;

namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.1";
constexpr std::string_view kRequestIdHeader = "x-amzn-RequestId";
constexpr std::string_view kErrorTypeHeader = "X-Amzn-ErrorType";
constexpr std::string_view kTargetHeader = "X-Amz-Target";
// Bodies above this are hashed and parsed on the blocking pool, so a 27 MiB
// UploadLayerPart does not stall the other connections of an I/O thread.
constexpr std::size_t kOffloadThreshold = 256 * 1024;

std::unexpected<EcrFailure> failure(std::string_view type, std::string message, int status = 400) {
  return std::unexpected(EcrFailure{std::string(type), std::move(message), {}, status});
}

std::unexpected<EcrFailure> failure(const Error& error) {
  return std::unexpected(to_ecr_failure(error));
}

http::Response base_response(int status, std::string body, const std::string& request_id) {
  http::Response response(static_cast<http::beast_http::status>(status));
  response.headers.set(http::beast_http::field::content_type, kContentType);
  response.headers.set(kRequestIdHeader, request_id);
  response.body = std::move(body);
  return response;
}

http::Response failure_response(const EcrFailure& f, const std::string& request_id) {
  http::Response response = base_response(f.http_status, error_body(f), request_id);
  response.headers.set(kErrorTypeHeader, f.type);
  return response;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// AWS JSON 1.1 clients send application/x-amz-json-1.1; hand-written
// clients often send application/json, and curl users nothing at all.
bool acceptable_content_type(std::string_view value) {
  std::string media = auth::ascii_lower(trim(value.substr(0, value.find(';'))));
  return media.empty() || media == "application/x-amz-json-1.1" ||
         media == "application/x-amz-json-1.0" || media == "application/json";
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

Result<json::object> parse_body(std::string_view body) {
  if (is_blank(body)) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    return fail(ErrorCode::kInvalidArgument, "Request body is not valid JSON: " + ec.message(),
                std::string(kSerialization));
  }
  if (!v.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "Request body must be a JSON object",
                std::string(kSerialization));
  }
  return std::move(v.as_object());
}

// Parsing and validation together, so a large body crosses to the blocking
// pool once.
Result<json::object> decode_and_validate(std::string_view body, const Operation& op) {
  json::object input = BERTH_TRY(parse_body(body));
  if (!op.input.empty()) BERTH_TRY_STATUS(ShapeModel::instance().validate(op.input, input));
  return input;
}

Result<json::object> query_and_validate(const QueryParameters& query, const Operation& op) {
  const ShapeModel& model = ShapeModel::instance();
  json::object input = BERTH_TRY(query_to_input(query, model, op.input));
  if (!op.input.empty()) BERTH_TRY_STATUS(model.validate(op.input, input));
  return input;
}

// With authentication off, the region (and key, for logs) still come from
// the credential scope when the client signed anyway, so `aws --region X`
// addresses registry X as it would in sigv4 mode.
Caller unauthenticated_caller(const http::Request& request, const EcrSettings& settings) {
  Caller caller{"", settings.default_account_id, settings.default_region};
  std::optional<auth::AuthorizationHeader> scope;
  if (auto value = request.header("Authorization"); !value.empty()) {
    if (auto parsed = auth::parse_authorization(value)) scope = std::move(*parsed);
  } else {
    RawTarget raw = split_raw_target(request.target);
    if (auth::has_presigned_params(raw.query)) {
      if (auto parsed = auth::parse_presigned_query(raw.query)) scope = std::move(parsed->auth);
    }
  }
  if (scope) {
    caller.access_key_id = scope->access_key_id;
    if (!scope->region.empty()) caller.region = scope->region;
  }
  return caller;
}

std::string body_hash(std::string_view body) { return crypto::sha256_hex(body); }

}  // namespace

EcrApi::EcrApi(registry::Registry& registry, asio::thread_pool& blocking, EcrSettings settings,
               EcrServices services, EcrApiOptions options)
    : registry_(registry),
      blocking_(blocking),
      settings_(std::move(settings)),
      services_(std::move(services)),
      options_(std::move(options)) {
  if (options_.auth_mode == EcrAuthMode::kSigV4 && !options_.credentials) {
    throw std::invalid_argument("EcrApi: sigv4 mode needs a credential store");
  }
}

bool EcrApi::owns(const http::Request& request) {
  if (request.path != "/") return false;
  if (request.method == Verb::post) return true;
  return request.method == Verb::get && request.query_param("Action").has_value();
}

asio::awaitable<EcrResult> EcrApi::serve(http::Request& request, std::string& operation,
                                         Caller& caller, const std::string& request_id) {
  // 1. The body, bounded. Content-Length lets us refuse before reading.
  std::string body;
  if (request.body) {
    if (auto length = request.body->content_length(); length && *length > options_.body_limit) {
      co_return failure(kRequestEntityTooLarge,
                        "Request body of " + std::to_string(*length) + " bytes exceeds the limit of " +
                            std::to_string(options_.body_limit) + " bytes",
                        413);
    }
    auto read = co_await request.body->read_all(options_.body_limit);
    if (!read) {
      if (read.error().code == ErrorCode::kLimitExceeded) {
        co_return failure(kRequestEntityTooLarge,
                          "Request body exceeds the limit of " +
                              std::to_string(options_.body_limit) + " bytes",
                          413);
      }
      co_return failure(read.error());
    }
    body = std::move(*read);
  }

  // 2. Who is calling.
  if (options_.auth_mode == EcrAuthMode::kSigV4) {
    // No co_await inside ?: — g++ 12 miscompiles it (both arms run).
    std::string hash;
    if (body.size() > kOffloadThreshold) {
      hash = co_await http::offload(blocking_, [&] { return body_hash(body); });
    } else {
      hash = body_hash(body);
    }
    auto verified = auth::verify(to_sigv4_request(request, hash), *options_.credentials,
                                 auth::VerifyOptions{.max_skew_ms = options_.max_skew_ms});
    if (!verified) co_return failure(verified.error());
    // The signature covered the declared hash; the body must match it.
    if (verified->declared_payload_hash && *verified->declared_payload_hash != hash) {
      co_return failure("InvalidSignatureException",
                        "The provided 'x-amz-content-sha256' header does not match what was "
                        "computed.",
                        403);
    }
    caller = Caller{verified->access_key_id, verified->account_id, verified->region};
  } else {
    caller = unauthenticated_caller(request, settings_);
  }

  // 3. Which operation.
  const ShapeModel& model = ShapeModel::instance();
  const std::string_view target = request.header(kTargetHeader);
  const bool query_form = target.empty() && request.query_param("Action").has_value();
  if (query_form) {
    operation = std::string(*request.query_param("Action"));
  } else {
    if (target.empty()) {
      co_return failure(kUnknownOperation, "Missing X-Amz-Target header");
    }
    const std::string prefix = std::string(model.target_prefix()) + ".";
    if (!target.starts_with(prefix)) {
      co_return failure(kUnknownOperation,
                        "X-Amz-Target '" + std::string(target) + "' does not name an operation "
                        "of " + std::string(model.target_prefix()));
    }
    operation = std::string(target.substr(prefix.size()));
  }
  const Operation* op = model.find_operation(operation);
  if (!op) co_return failure(kUnknownOperation, "Unknown operation " + operation);

  // 4. The input, checked against the model before any handler sees it.
  Result<json::object> input;
  if (query_form) {
    input = query_and_validate(request.query, *op);
  } else {
    if (!acceptable_content_type(request.header("Content-Type"))) {
      co_return failure(kSerialization, "Content-Type must be " + std::string(kContentType));
    }
    if (body.size() > kOffloadThreshold) {
      input = co_await http::offload(blocking_, [&] { return decode_and_validate(body, *op); });
    } else {
      input = decode_and_validate(body, *op);
    }
  }
  if (!input) co_return failure(input.error());
  body = {};  // the handler works on the decoded input only

  // 5. The handler.
  OperationHandler handler = find_operation_handler(operation);
  if (!handler) {
    co_return failure(kUnsupportedOperation, "berth does not implement " + operation + " yet");
  }
  EcrContext ctx{registry_, blocking_, settings_, services_, caller, request_id};
  EcrResult result = co_await handler(ctx, *input);
  if (!result) co_return result;
  if (op->output.empty() || !result->is_object()) co_return json::value(json::object{});
  model.shape_output(op->output, *result);
  co_return result;
}

asio::awaitable<http::Response> EcrApi::handle(http::Request& request) {
  const std::string request_id = crypto::new_uuid();
  std::string operation;
  Caller caller;
  EcrResult result;
  try {
    result = co_await serve(request, operation, caller, request_id);
  } catch (const std::exception& e) {
    // A bug (or bad_alloc): answer in the protocol rather than with the
    // session's bare 500, so SDKs show a request id to report.
    log::error("ecr {} request {} failed with an exception: {}", operation, request_id, e.what());
    result = std::unexpected(EcrFailure{std::string(kServerException),
                                        "Internal error (request id " + request_id + ")", {}, 500});
  }
  if (!result) {
    log::debug("ecr {} account={} region={} id={} amzn-id={} -> {} {}: {}", operation,
               caller.account_id, caller.region, request.request_id, request_id,
               result.error().http_status, result.error().type, result.error().message);
    co_return failure_response(result.error(), request_id);
  }
  log::debug("ecr {} account={} region={} id={} amzn-id={} -> 200", operation,
             caller.account_id, caller.region, request.request_id, request_id);
  co_return base_response(200, json::serialize(*result), request_id);
}

}  // namespace berth::api::ecr
