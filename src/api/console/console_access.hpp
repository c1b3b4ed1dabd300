// What a console session may see and do: every console call is decided by
// the AccessControl the ECR API uses, for the session's identity, as the
// ECR operation that would do the same thing:
//
//   repository list              ecr:DescribeRepositories, per repository
//                                (the ones denied are left out of the page)
//   a repository's page          ecr:DescribeRepositories
//     its lifecycle policy       ecr:GetLifecyclePolicy  } shown as "not
//     its repository policy      ecr:GetRepositoryPolicy } permitted" if denied
//   its images                   ecr:DescribeImages or ecr:ListImages
//   an image, manifest, layers   ecr:BatchGetImage
//   deleting an image            ecr:BatchDeleteImage
//   changing tag mutability      ecr:PutImageTagMutability
//   saving a lifecycle policy    ecr:PutLifecyclePolicy
//   previewing one               ecr:StartLifecyclePolicyPreview and
//                                ecr:GetLifecyclePolicyPreview (the console
//                                does both of the ECR calls' work at once)
//
// The repository may be another account's (?registryId=): the decision is
// then the ECR API's cross-account one, so only what that account's
// repository policies grant the caller is listed or reachable, and a
// repository that does not exist there is refused like one that does.
//
// A refusal is the kDenied Error of AccessControl, with AWS's
// AccessDeniedException message. Without an AccessControl (--auth none: the
// APIs decide nothing either) everything is allowed.
//
// Thread-safety: as AccessControl; these block, so call them on the
// blocking pool.
#pragma once

#include <span>
#include <string_view>

#include "access/access_control.hpp"
#include "api/console/session_store.hpp"
#include "http/message.hpp"
#include "registry/registry.hpp"
#include "registry/types.hpp"
#include "util/result.hpp"

namespace berth::api::console {

namespace actions {
inline constexpr std::string_view kDescribeRepositories = "ecr:DescribeRepositories";
inline constexpr std::string_view kDescribeImages = "ecr:DescribeImages";
inline constexpr std::string_view kListImages = "ecr:ListImages";
inline constexpr std::string_view kBatchGetImage = "ecr:BatchGetImage";
inline constexpr std::string_view kBatchDeleteImage = "ecr:BatchDeleteImage";
inline constexpr std::string_view kGetRepositoryPolicy = "ecr:GetRepositoryPolicy";
inline constexpr std::string_view kGetLifecyclePolicy = "ecr:GetLifecyclePolicy";
inline constexpr std::string_view kPutImageTagMutability = "ecr:PutImageTagMutability";
inline constexpr std::string_view kPutLifecyclePolicy = "ecr:PutLifecyclePolicy";
inline constexpr std::string_view kDeleteLifecyclePolicy = "ecr:DeleteLifecyclePolicy";
inline constexpr std::string_view kStartLifecyclePolicyPreview = "ecr:StartLifecyclePolicyPreview";
inline constexpr std::string_view kGetLifecyclePolicyPreview = "ecr:GetLifecyclePolicyPreview";
}  // namespace actions

class ConsoleAccess {
 public:
  // `access` null: everything is allowed. `secure_transport`: the listener
  // speaks TLS (aws:SecureTransport).
  ConsoleAccess(access::AccessControl* access, const ConsoleSession& session,
                const http::Request& request, bool secure_transport);

  // ok() when any of `actions` is allowed on the repository.
  Status authorize(std::span<const std::string_view> actions,
                   const registry::RepositoryRef& repository) const;
  Status authorize(std::string_view action, const registry::RepositoryRef& repository) const;

  // Whether a listed repository may be described, decided from the
  // record's own settings (no second read). A store failure counts as no.
  bool may_describe(const registry::RepositoryRecord& record) const;

 private:
  access::AccessControl* access_;
  auth::Identity who_;
  access::RequestFacts facts_;
};

}  // namespace berth::api::console
