// Authorization of ECR operations: every operation is the IAM action
// "ecr:<Operation>", decided by access::AccessControl before its handler
// runs, on the resources the input names:
//   - repositoryName (or each of DescribeRepositories' repositoryNames, or
//     the repository of a resourceArn): that repository, whose repository
//     policy applies;
//   - CreateRepository: the repository to create, governed by the
//     registry policy (with ReplicateImage and BatchImportUpstreamImage);
//   - DescribeRepositories without names: every repository of the registry
//     (arn:...:repository/*), identity policies only;
//   - GetAuthorizationToken: open to every key (its password is decided
//     request by request on /v2/);
//   - anything else (DescribeRegistry, the registry policy operations,
//     ...): the account, resource "*".
// The registry is registryId's (or the resourceArn's account), else the
// caller's own; cross-account requests therefore need a repository (or
// registry) policy that grants them.
//
// Thread-safety: pure functions plus one blocking call on the given pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <vector>

#include "access/access_control.hpp"
#include "api/ecr/operation.hpp"

namespace berth::api::ecr {

struct AuthorizationRequest {
  std::vector<access::Target> targets;
  policy::Tags request_tags;           // CreateRepository / TagResource tags
  std::vector<std::string> tag_keys;   // their keys, or UntagResource's tagKeys
};

// The targets the operation acts on, for a model-validated input.
std::expected<AuthorizationRequest, EcrFailure> authorization_request(
    const EcrContext& ctx, std::string_view operation, const boost::json::object& input);

// Decides every target on the blocking pool; the first denial becomes the
// AccessDeniedException.
boost::asio::awaitable<std::expected<void, EcrFailure>> authorize_operation(
    EcrContext& ctx, access::AccessControl& access, std::string_view operation,
    const boost::json::object& input, const access::RequestFacts& facts);

// Whether the operation's handler runs the decision itself, first thing in
// its one blocking call (EcrContext::authorize_deferred), instead of the
// dispatcher deciding in a hop of its own. Only handlers that do so may be
// named here; the dispatcher refuses an answer whose decision never ran.
bool decides_in_handler(std::string_view operation);

// The decision authorize_operation would make, as a function for the
// handler to run on the blocking pool. A denial is the kDenied Error that
// to_ecr_failure maps to AccessDeniedException, as authorize_operation's.
std::expected<EcrContext::DeferredAuthorization, EcrFailure> deferred_authorization(
    const EcrContext& ctx, access::AccessControl& access, std::string_view operation,
    const boost::json::object& input, const access::RequestFacts& facts);

}  // namespace berth::api::ecr
