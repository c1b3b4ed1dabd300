// UpdateImageStorageClass: moves one image between ECR's storage classes.
// ARCHIVE archives it (and its referrers) at once: it stays listed and
// described (imageStatus ARCHIVED) but refuses pulls on both APIs. STANDARD
// restores it: ACTIVATING for registry::kRestoreDuration, then ACTIVE.
// Asking for the class an image already has (or is being restored to)
// changes nothing and answers its status.
// ImageStorageClassUpdateNotSupportedException: archiving an image an
// image index of the standard class lists (archive the index first, as
// ECR's lifecycle rules require), or one whose restore is under way.
//
// Runs whole on the blocking pool.
#include <boost/json.hpp>

#include "api/ecr/errors.hpp"
#include "api/ecr/image_ids.hpp"
#include "api/ecr/image_operations.hpp"
#include "http/offload.hpp"
#include "registry/image_status.hpp"
#include "util/time.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

EcrResult update_image_storage_class(EcrContext& ctx, const json::object& input) {
  const std::string name(string_member(input, "repositoryName").value_or(""));
  const registry::RepositoryRef repo = repository_ref(ctx, input, name);
  const std::string id_of_registry = registry_id(ctx, input);
  const json::value* image_id = input.if_contains("imageId");
  const ImageId raw = image_id != nullptr ? read_image_id(*image_id) : ImageId{};
  auto checked = check_image_id(raw);
  if (!checked) return std::unexpected(invalid_parameter(checked.error().reason));
  const auto target = string_member(input, "targetStorageClass") == "ARCHIVE"
                          ? registry::StorageClass::kArchive
                          : registry::StorageClass::kStandard;
  const oci::Reference reference = checked->tag ? oci::Reference::of_tag(*checked->tag)
                                                : oci::Reference::of_digest(*checked->digest);
  if (checked->tag && checked->digest) {
    // Both given: they must name the same image.
    auto found = ctx.registry.get_manifest(repo, reference, /*record_pull=*/false);
    if (found && found->digest != *checked->digest) {
      return std::unexpected(image_not_found(describe_image_id(raw), name, id_of_registry));
    }
  }
  auto updated = ctx.registry.update_storage_class(repo, reference, target);
  if (!updated) {
    const Error& e = updated.error();
    switch (e.code) {
      case ErrorCode::kManifestNotFound:
        return std::unexpected(image_not_found(describe_image_id(raw), name, id_of_registry));
      case ErrorCode::kReferencedByIndex:
        return std::unexpected(image_storage_class_update_not_supported(
            "The image is referenced by the image index '" + e.detail +
            "'; archive the image index first"));
      case ErrorCode::kUnsupported:
        return std::unexpected(image_storage_class_update_not_supported(e.message));
      default:
        return std::unexpected(to_ecr_failure(e, id_of_registry, name));
    }
  }
  json::object out;
  out["registryId"] = id_of_registry;
  out["repositoryName"] = name;
  out["imageId"] = image_id_json(updated->digest, checked->tag.value_or(""));
  out["imageStatus"] = registry::to_string(registry::image_status(*updated, now_ms()));
  return json::value(std::move(out));
}

}  // namespace

boost::asio::awaitable<EcrResult> UpdateImageStorageClass(EcrContext& ctx,
                                                          const json::object& input) {
  co_return co_await http::offload(ctx.blocking,
                                   [&] { return update_image_storage_class(ctx, input); });
}

}  // namespace berth::api::ecr
