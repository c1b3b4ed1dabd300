// The contract between the ECR protocol layer (ecr_api.cpp: target
// dispatch, SigV4, body limits, validation against the ShapeModel, error
// encoding) and the operation handlers (one file per operation family).
//
// A handler receives the already-validated input object and the caller's
// identity, and returns the output object (members named as in the model;
// timestamps as epoch seconds, doubles) or an EcrFailure. The protocol layer
// strips members the output shape does not declare, so handlers may be
// generous but never need to be exact about absent members.
//
// Thread-safety: handlers run concurrently on I/O threads; anything that
// blocks (every Registry call) goes through http::offload onto the
// blocking pool held by the context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "access/access_control.hpp"
#include "auth/identity.hpp"
#include "registry/registry.hpp"
#include "util/result.hpp"

namespace berth::api::ecr {

// Deployment-wide ECR settings (from the command line).
struct EcrSettings {
  std::string default_account_id = "123456789012";
  std::string default_region = "us-east-1";
  // "{account}", "{region}" and "{host}" are replaced; the default is the
  // host part of the public URL.
  std::string repository_uri_template = "{host}";
  std::string public_url = "http://127.0.0.1:5000";
  bool lenient_put_image = false;  // --put-image-validation lenient
  std::int64_t authorization_token_ttl_ms = 12LL * 3600 * 1000;
};

// Who is calling, as established by SigV4 (or the defaults when auth is off).
struct Caller {
  std::string access_key_id;
  std::string account_id;
  std::string region;
  // The key's principal and identity policy (auth/identity.hpp).
  std::string principal = "root";
  std::shared_ptr<const policy::Document> identity_policy;

  auth::Identity identity() const {
    return auth::Identity{access_key_id, account_id, principal, identity_policy};
  }
};

// An ECR error as it goes on the wire: {"__type": type, "message": ..., extra...}.
struct EcrFailure {
  std::string type;  // exception shape name, e.g. "RepositoryNotFoundException"
  std::string message;
  boost::json::object extra;  // modelled extra members (InvalidLayerPartException...)
  int http_status = 400;
};

using EcrResult = std::expected<boost::json::value, EcrFailure>;

// Services the protocol layer lends to handlers (set up in ecr_api.cpp).
struct EcrServices {
  // A time-limited URL that downloads a blob straight from berth's /v2/ API
  // (GetDownloadUrlForLayer), valid for `ttl_seconds`.
  std::function<std::string(const registry::RepositoryRef&, const oci::Digest&,
                            std::int64_t ttl_seconds)>
      blob_download_url;
  // A registry password for `docker login -u AWS` (GetAuthorizationToken)
  // for the registry of `registry_account` in the caller's region, carrying
  // the caller's identity, valid until expires_at_ms.
  std::function<std::string(const Caller&, std::string_view registry_account,
                            std::int64_t expires_at_ms)>
      issue_registry_password;
  // Runs work that outlives its request (a lifecycle policy preview) on a
  // thread that may block. Unset: posted to the blocking pool. Tests set it
  // to hold the work back.
  std::function<void(std::function<void()>)> run_in_background;
};

struct EcrContext {
  registry::Registry& registry;
  boost::asio::thread_pool& blocking;
  const EcrSettings& settings;
  const EcrServices& services;
  Caller caller;
  std::string request_id;
  // The enforcement point in sigv4 mode; null when nothing is enforced.
  access::AccessControl* access = nullptr;
  access::RequestFacts facts;

  // The access decision the dispatcher left to the handler, to run first in
  // the handler's own blocking call (operations in
  // decides_in_handler(), authorization.hpp): for a read as small as a
  // one-image BatchGetImage a separate hop to the pool cost more than the
  // decision. Empty when already decided or nothing is enforced. It hands
  // back the repository record it read, if it read one.
  using DeferredAuthorization =
      std::function<Status(std::optional<registry::RepositoryRecord>& repository_read)>;
  DeferredAuthorization deferred_authorization;
  bool deferred_authorization_ran = false;  // checked by the dispatcher

  // Runs the deferred decision, if any; call it on the blocking pool.
  Status authorize_deferred(std::optional<registry::RepositoryRecord>& repository_read) {
    deferred_authorization_ran = true;
    return deferred_authorization ? deferred_authorization(repository_read) : ok();
  }
};

// Maps a domain error to its ECR exception through the one table in
// errors.cpp. `repository` and `registry_id` fill messages the way ECR words
// them ("The repository with name 'x' does not exist in the registry with id
// '123456789012'").
EcrFailure to_ecr_failure(const Error& error, std::string_view registry_id = {},
                          std::string_view repository = {});

// Runs a handler body whose registry calls only read against one snapshot
// of the metadata (Registry::in_one_snapshot): a batch of 100 lookups then
// sees one state and opens one read transaction instead of 100.
template <typename Body>
EcrResult in_one_snapshot(EcrContext& ctx, Body&& body) {
  std::optional<EcrResult> out;
  Status done = ctx.registry.in_one_snapshot([&]() -> Status {
    out.emplace(body());
    return ok();
  });
  if (!done) return std::unexpected(to_ecr_failure(done.error()));
  return std::move(*out);
}

inline std::unexpected<EcrFailure> ecr_fail(std::string type, std::string message,
                                            int http_status = 400) {
  return std::unexpected(EcrFailure{std::move(type), std::move(message), {}, http_status});
}

// The registry (store namespace) an ECR request addresses: registryId when
// given, else the caller's account; region from the caller's credential scope.
registry::RepositoryRef repository_ref(const EcrContext& ctx, const boost::json::object& input,
                                       std::string_view repository_name);
std::string registry_id(const EcrContext& ctx, const boost::json::object& input);

using OperationHandler = boost::asio::awaitable<EcrResult> (*)(EcrContext& ctx,
                                                               const boost::json::object& input);

// nullptr when berth does not implement the operation (the protocol layer
// then answers a documented UnsupportedOperationException-style error).
OperationHandler find_operation_handler(std::string_view operation);

}  // namespace berth::api::ecr
