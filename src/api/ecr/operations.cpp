// find_operation_handler (declared in operation.hpp): the one table from an
// ECR operation name to its handler. Operations of the model that are not
// listed here are answered by the protocol layer with the documented
// UnsupportedOperationException (docs/ecr.md).
//
// The operation families are written concurrently with the protocol layer;
// each family joins the table as soon as its header exists, so this file
// builds with any subset of them.
#include <algorithm>
#include <string_view>

#include "api/ecr/operation.hpp"

#if __has_include("api/ecr/image_operations.hpp")
#include "api/ecr/image_operations.hpp"
#define BERTH_ECR_HAVE_IMAGE_OPERATIONS 1
#endif
#if __has_include("api/ecr/admin_operations.hpp")
#include "api/ecr/admin_operations.hpp"
#define BERTH_ECR_HAVE_ADMIN_OPERATIONS 1
#endif

namespace berth::api::ecr {

namespace {

struct Entry {
  std::string_view name;
  OperationHandler handler;
};

// One line per operation, named as in the model.
constexpr Entry kHandlers[] = {
#ifdef BERTH_ECR_HAVE_IMAGE_OPERATIONS
    {"BatchGetImage", &BatchGetImage},
    {"BatchCheckLayerAvailability", &BatchCheckLayerAvailability},
    {"BatchDeleteImage", &BatchDeleteImage},
    {"PutImage", &PutImage},
    {"DescribeImages", &DescribeImages},
    {"ListImages", &ListImages},
    {"InitiateLayerUpload", &InitiateLayerUpload},
    {"UploadLayerPart", &UploadLayerPart},
    {"CompleteLayerUpload", &CompleteLayerUpload},
    {"GetDownloadUrlForLayer", &GetDownloadUrlForLayer},
    {"UpdateImageStorageClass", &UpdateImageStorageClass},
#endif
#ifdef BERTH_ECR_HAVE_ADMIN_OPERATIONS
    {"CreateRepository", &CreateRepository},
    {"DescribeRepositories", &DescribeRepositories},
    {"DeleteRepository", &DeleteRepository},
    {"PutImageTagMutability", &PutImageTagMutability},
    {"PutImageScanningConfiguration", &PutImageScanningConfiguration},
    {"SetRepositoryPolicy", &SetRepositoryPolicy},
    {"GetRepositoryPolicy", &GetRepositoryPolicy},
    {"DeleteRepositoryPolicy", &DeleteRepositoryPolicy},
    {"PutLifecyclePolicy", &PutLifecyclePolicy},
    {"GetLifecyclePolicy", &GetLifecyclePolicy},
    {"DeleteLifecyclePolicy", &DeleteLifecyclePolicy},
    {"StartLifecyclePolicyPreview", &StartLifecyclePolicyPreview},
    {"GetLifecyclePolicyPreview", &GetLifecyclePolicyPreview},
    {"GetRegistryPolicy", &GetRegistryPolicy},
    {"PutRegistryPolicy", &PutRegistryPolicy},
    {"DeleteRegistryPolicy", &DeleteRegistryPolicy},
    {"TagResource", &TagResource},
    {"UntagResource", &UntagResource},
    {"ListTagsForResource", &ListTagsForResource},
    {"DescribeRegistry", &DescribeRegistry},
    {"GetAuthorizationToken", &GetAuthorizationToken},
    {"PutAccountSetting", &PutAccountSetting},
    {"GetAccountSetting", &GetAccountSetting},
#endif
    // Keeps the array non-empty when no family is built yet.
    {"", nullptr},
};

}  // namespace

OperationHandler find_operation_handler(std::string_view operation) {
  if (operation.empty()) return nullptr;
  auto it = std::find_if(std::begin(kHandlers), std::end(kHandlers),
                         [&](const Entry& e) { return e.name == operation; });
  return it == std::end(kHandlers) ? nullptr : it->handler;
}

}  // namespace berth::api::ecr
