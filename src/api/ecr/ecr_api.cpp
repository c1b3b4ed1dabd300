#include "api/ecr/ecr_api.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <exception>
#include <new>
#include <utility>

#include "api/ecr/authorization.hpp"
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
#include "util/time.hpp"

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
constexpr std::string_view kUploadLayerPart = "UploadLayerPart";

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

Result<json::object> parse_body(std::string_view body, std::size_t max_depth) {
  if (is_blank(body)) return json::object{};
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = max_depth;
  json::value v = json::parse(body, ec, {}, options);
  if (ec == json::error::too_deep) {
    return fail(ErrorCode::kInvalidArgument,
                "Request body nests JSON deeper than " + std::to_string(max_depth) + " levels",
                std::string(kSerialization));
  }
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
// The account a request addresses explicitly: registryId, or the account of
// a resourceArn; "" when it names none (the caller's own is meant).
std::string foreign_account(const json::object& input) {
  if (const auto* id = input.if_contains("registryId"); id && id->is_string()) {
    return std::string(id->as_string());
  }
  if (const auto* arn = input.if_contains("resourceArn"); arn && arn->is_string()) {
    // arn:aws:ecr:<region>:<account>:repository/<name>
    std::string_view text = arn->as_string();
    for (int skip = 0; skip < 4; ++skip) {
      auto colon = text.find(':');
      if (colon == std::string_view::npos) return {};
      text.remove_prefix(colon + 1);
    }
    return std::string(text.substr(0, text.find(':')));
  }
  return {};
}

Result<json::object> decode_and_validate(std::string_view body, const Operation& op,
                                        std::size_t max_json_depth) {
  json::object input = BERTH_TRY(parse_body(body, max_json_depth));
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

// Whether the request names UploadLayerPart, judged from the head alone (the
// body has not been read yet).
bool names_upload_layer_part(const http::Request& request) {
  const std::string_view target = request.header(kTargetHeader);
  if (!target.empty()) {
    const std::size_t dot = target.rfind('.');
    return dot != std::string_view::npos && target.substr(dot + 1) == kUploadLayerPart;
  }
  return request.query_param("Action") == kUploadLayerPart;
}

// The decoded size of the (model-validated, so well-formed) base64 part.
std::uint64_t layer_part_size(const json::object& input) {
  const json::value* blob = input.if_contains("layerPartBlob");
  if (blob == nullptr || !blob->is_string()) return 0;
  const std::string_view text = blob->get_string();
  const std::uint64_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  const std::uint64_t full = text.size() / 4 * 3;
  return full > padding ? full - padding : 0;
}

std::string string_or_empty(const json::object& input, std::string_view key) {
  const json::value* v = input.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// InvalidLayerPartException for a part over the limit, with the modelled
// members; lastValidByteReceived says where the upload stands (the part was
// not appended), so the client can resend smaller parts from there.
asio::awaitable<EcrFailure> layer_part_too_large(EcrContext& ctx, const json::object& input,
                                                 std::uint64_t size, std::uint64_t limit) {
  const std::string name = string_or_empty(input, "repositoryName");
  const std::string upload_id = string_or_empty(input, "uploadId");
  const registry::RepositoryRef repo = repository_ref(ctx, input, name);
  Result<registry::UploadStatus> status = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.upload_status(repo, upload_id); });
  std::int64_t last_valid = -1;
  if (status) {
    last_valid = static_cast<std::int64_t>(status->size) - 1;
  } else if (const json::value* first = input.if_contains("partFirstByte");
             first && first->is_int64()) {
    last_valid = first->get_int64() - 1;
  }
  EcrFailure f{"InvalidLayerPartException",
               "The layer part holds " + std::to_string(size) +
                   " bytes, more than this registry accepts in one part (" +
                   std::to_string(limit) + ")",
               {},
               400};
  f.extra["registryId"] = registry_id(ctx, input);
  f.extra["repositoryName"] = name;
  f.extra["uploadId"] = upload_id;
  f.extra["lastValidByteReceived"] = last_valid;
  co_return f;
}

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
  // 1. A slot for writing into an upload, then the body, bounded.
  // Content-Length lets us refuse before reading.
  std::optional<http::ConcurrencyLimit::Permit> upload_slot;
  if (options_.upload_limit && names_upload_layer_part(request)) {
    upload_slot = options_.upload_limit->try_acquire();
    if (!upload_slot) {
      co_return failure("LimitExceededException",
                        "Too many layer uploads in progress on this registry (at most " +
                            std::to_string(options_.upload_limit->max()) +
                            " at once); retry later");
    }
  }
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
    caller = Caller{verified->access_key_id, verified->account_id, verified->region,
                    verified->principal, verified->identity_policy};
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

  // An operation berth does not implement is answered before its input is
  // decoded: some of their patterns backtrack badly (fuzz/regressions).
  OperationHandler handler = find_operation_handler(operation);
  if (!handler) {
    co_return failure(kUnsupportedOperation, "berth does not implement " + operation + " yet");
  }

  // 4. The input, checked against the model before any handler sees it.
  Result<json::object> input;
  if (query_form) {
    input = query_and_validate(request.query, *op);
  } else {
    if (!acceptable_content_type(request.header("Content-Type"))) {
      co_return failure(kSerialization, "Content-Type must be " + std::string(kContentType));
    }
    const std::size_t depth = options_.max_json_depth;
    if (body.size() > kOffloadThreshold) {
      input = co_await http::offload(blocking_,
                                     [&] { return decode_and_validate(body, *op, depth); });
    } else {
      input = decode_and_validate(body, *op, depth);
    }
  }
  if (!input) co_return failure(input.error());
  body = {};  // the handler works on the decoded input only

  // 5. May the caller do it?
  EcrContext ctx{registry_, blocking_, settings_, services_, caller, request_id};
  ctx.facts = access::RequestFacts{request.remote_address, options_.secure_transport};
  if (options_.auth_mode == EcrAuthMode::kSigV4 && options_.rate_limiter) {
    const std::string action = "ecr:" + operation;
    if (auto wait = options_.rate_limiter->try_take(caller.access_key_id,
                                                    access::operation_family(action), now_ms())) {
      co_return failure(kThrottling, "Rate exceeded");
    }
  }
  if (options_.auth_mode == EcrAuthMode::kSigV4) {
    if (options_.access) {
      ctx.access = options_.access.get();
      if (decides_in_handler(operation)) {
        auto deferred =
            deferred_authorization(ctx, *options_.access, operation, *input, ctx.facts);
        if (!deferred) co_return std::unexpected(std::move(deferred).error());
        ctx.deferred_authorization = std::move(*deferred);
      } else {
        auto allowed =
            co_await authorize_operation(ctx, *options_.access, operation, *input, ctx.facts);
        if (!allowed) co_return std::unexpected(std::move(allowed).error());
      }
    } else if (auto foreign = foreign_account(*input);
               !foreign.empty() && foreign != caller.account_id) {
      // Without an AccessControl nothing can grant cross-account access.
      co_return std::unexpected(to_ecr_failure(Error{
          ErrorCode::kDenied,
          "User: " + caller.identity().arn() + " is not authorized to perform: ecr:" + operation +
              " on a resource of account " + foreign +
              " because no resource-based policy allows the ecr:" + operation + " action",
          {}}));
    }
  }

  // 6. The handler.
  if (operation == kUploadLayerPart) {
    if (const std::uint64_t size = layer_part_size(*input); size > options_.max_layer_part_bytes) {
      EcrFailure refused =
          co_await layer_part_too_large(ctx, *input, size, options_.max_layer_part_bytes);
      co_return std::unexpected(std::move(refused));
    }
  }
  EcrResult result = co_await handler(ctx, *input);
  if (ctx.deferred_authorization && !ctx.deferred_authorization_ran &&
      (result || result.error().http_status < 500)) {
    // A handler named by decides_in_handler that answered without the
    // decision: a bug, and its answer must not reach a caller nobody
    // authorized. (A store failure before the handler got that far is
    // answered as it is.)
    log::error("ecr {} request {}: the handler never ran its access decision", operation,
               request_id);
    co_return std::unexpected(EcrFailure{std::string(kServerException),
                                         "Internal error (request id " + request_id + ")", {}, 500});
  }
  if (!result) co_return result;
  if (op->output.empty() || !result->is_object()) co_return json::value(json::object{});
  model.shape_output(op->output, *result);
  co_return result;
}

// The access log's request id is the one the client sees (x-amzn-RequestId);
// its principal is the access key whose signature was checked: none with
// --auth none, where the key is only the client's claim.
void EcrApi::describe_for_log(http::Response& response, const Caller& caller,
                              const std::string& request_id) const {
  response.request_id = request_id;
  // The identity's ARN (never a secret), as AWS's own logs name callers.
  if (!caller.access_key_id.empty()) response.principal = caller.identity().arn();
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
    http::Response response = failure_response(result.error(), request_id);
    response.operation = "ecr:" + (operation.empty() ? std::string("?") : operation);
    response.error_name = result.error().type;
    describe_for_log(response, caller, request_id);
    co_return response;
  }
  log::debug("ecr {} account={} region={} id={} amzn-id={} -> 200", operation,
             caller.account_id, caller.region, request.request_id, request_id);
  http::Response response = base_response(200, json::serialize(*result), request_id);
  response.operation = "ecr:" + operation;
  describe_for_log(response, caller, request_id);
  co_return response;
}

}  // namespace berth::api::ecr
