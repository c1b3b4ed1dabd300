// Handlers of the ECR operations that administer repositories and the
// registry: repositories (repositories.cpp), policies (policies.cpp),
// lifecycle policies and their previews (lifecycle_operations.cpp),
// resource tags (resource_tags.cpp), DescribeRegistry and
// GetAuthorizationToken (registry_operations.cpp), account settings
// (account_settings.cpp). Each has the
// OperationHandler signature of operation.hpp and the API's own name.
//
// Thread-safety: as for every handler (operation.hpp).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "api/ecr/operation.hpp"

namespace berth::api::ecr {

#define BERTH_ECR_HANDLER(name) \
  boost::asio::awaitable<EcrResult> name(EcrContext& ctx, const boost::json::object& input)

BERTH_ECR_HANDLER(CreateRepository);
BERTH_ECR_HANDLER(DescribeRepositories);
BERTH_ECR_HANDLER(DeleteRepository);
BERTH_ECR_HANDLER(PutImageTagMutability);
BERTH_ECR_HANDLER(PutImageScanningConfiguration);

BERTH_ECR_HANDLER(SetRepositoryPolicy);
BERTH_ECR_HANDLER(GetRepositoryPolicy);
BERTH_ECR_HANDLER(DeleteRepositoryPolicy);
BERTH_ECR_HANDLER(PutLifecyclePolicy);
BERTH_ECR_HANDLER(GetLifecyclePolicy);
BERTH_ECR_HANDLER(DeleteLifecyclePolicy);
BERTH_ECR_HANDLER(StartLifecyclePolicyPreview);
BERTH_ECR_HANDLER(GetLifecyclePolicyPreview);
BERTH_ECR_HANDLER(GetRegistryPolicy);
BERTH_ECR_HANDLER(PutRegistryPolicy);
BERTH_ECR_HANDLER(DeleteRegistryPolicy);

BERTH_ECR_HANDLER(TagResource);
BERTH_ECR_HANDLER(UntagResource);
BERTH_ECR_HANDLER(ListTagsForResource);

BERTH_ECR_HANDLER(DescribeRegistry);
BERTH_ECR_HANDLER(PutAccountSetting);
BERTH_ECR_HANDLER(GetAccountSetting);
BERTH_ECR_HANDLER(GetAuthorizationToken);

#undef BERTH_ECR_HANDLER

}  // namespace berth::api::ecr
