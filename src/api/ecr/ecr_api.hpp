// EcrApi: the AWS ECR API (AWS JSON 1.1) over the registry core. One call
// of handle() serves one request, in this order:
//
//   1. an UploadLayerPart takes a slot of options.upload_limit
//      (LimitExceededException when none is free); read the body, bounded
//      by options.body_limit (413 beyond it);
//   2. authenticate: in sigv4 mode the request must carry a valid SigV4
//      signature (Authorization header or presigned query) whose payload
//      hash matches the body; the Caller's account is the access key's
//      owner and its region the credential scope's. In none mode the
//      Caller is the default account, in the scope's region when an
//      Authorization header is present and parsable, else the default;
//   3. find the operation: `X-Amz-Target:
//      AmazonEC2ContainerRegistry_V20150921.<Op>` for `POST /`, or
//      `Action=<Op>` for the query form (query_form.hpp);
//   4. decode the input (JSON object no deeper than options.max_json_depth,
//      else SerializationException; empty body = {}) and validate it against
//      the model (ShapeModel); an UploadLayerPart part larger than
//      options.max_layer_part_bytes is an InvalidLayerPartException;
//   5. in sigv4 mode, take a token of the key's bucket for the
//      operation's family (options.rate_limiter; ThrottlingException when
//      empty), then authorize the operation as the action
//      "ecr:<Operation>" on the resources it names (authorization.hpp,
//      access/access_control.hpp): AccessDeniedException when refused;
//      without an AccessControl, a caller reaches only its own account;
//   6. run the handler (operations.cpp's table) and shape its output.
//
// Every answer carries `x-amzn-RequestId` (a UUID) and Content-Type
// application/x-amz-json-1.1. Failures are rendered by errors.hpp:
// {"__type", "message", extras}, `X-Amzn-ErrorType`, 400 (500 for
// ServerException, 403 for most authentication failures, 413 for a body
// over the limit). docs/ecr.md lists every protocol-level answer.
//
// Thread-safety: handle() may run concurrently for many connections; an
// EcrApi is immutable after construction (the CredentialStore it points to
// is itself thread-safe).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <memory>

#include "access/access_control.hpp"
#include "access/rate_limiter.hpp"
#include "api/ecr/operation.hpp"
#include "auth/credentials.hpp"
#include "http/concurrency_limit.hpp"
#include "http/message.hpp"
#include "registry/registry.hpp"

namespace berth::api::ecr {

enum class EcrAuthMode { kNone, kSigV4 };

struct EcrApiOptions {
  EcrAuthMode auth_mode = EcrAuthMode::kSigV4;
  // REQUIRES: non-null in kSigV4 mode. Shared with the /v2/ gate's issuer.
  std::shared_ptr<const auth::CredentialStore> credentials;
  // Accepted distance between the signature's timestamp and now (AWS: 15 min).
  std::int64_t max_skew_ms = 15 * 60 * 1000;
  // UploadLayerPart carries up to 20 MiB, i.e. ~27 MiB of base64 in JSON.
  std::uint64_t body_limit = std::uint64_t{32} << 20;
  // Largest decoded UploadLayerPart part; the model's own cap is 20 MiB.
  std::uint64_t max_layer_part_bytes = std::uint64_t{20} << 20;
  // Deepest nesting of the request's JSON body (objects and arrays).
  std::size_t max_json_depth = 64;
  // UploadLayerPart requests in flight at once (null: no limit); may be
  // shared with the /v2/ front end.
  std::shared_ptr<http::ConcurrencyLimit> upload_limit;
  // Decides every request in sigv4 mode (null: a caller reaches only its
  // own account's registries, with full access). Shared with /v2/.
  std::shared_ptr<access::AccessControl> access;
  // The listener speaks TLS (aws:SecureTransport).
  bool secure_transport = false;
  // Per-key request rates (null: unlimited); ThrottlingException beyond.
  std::shared_ptr<access::RateLimiter> rate_limiter;
};

class EcrApi {
 public:
  EcrApi(registry::Registry& registry, boost::asio::thread_pool& blocking, EcrSettings settings,
         EcrServices services, EcrApiOptions options);

  EcrApi(const EcrApi&) = delete;
  EcrApi& operator=(const EcrApi&) = delete;

  // True for requests the ECR API owns: `POST /`, and `GET /` (or HEAD)
  // with an Action query parameter (the query form).
  static bool owns(const http::Request& request);

  // Serves a request for which owns() is true.
  boost::asio::awaitable<http::Response> handle(http::Request& request);

 private:
  boost::asio::awaitable<EcrResult> serve(http::Request& request, std::string& operation,
                                          Caller& caller, const std::string& request_id);
  void describe_for_log(http::Response& response, const Caller& caller,
                        const std::string& request_id) const;

  registry::Registry& registry_;
  boost::asio::thread_pool& blocking_;
  EcrSettings settings_;
  EcrServices services_;
  EcrApiOptions options_;
};

}  // namespace berth::api::ecr
