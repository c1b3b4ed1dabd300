#include "registry/quotas.hpp"

#include <string>

namespace berth::registry {

namespace meta = storage::meta;

// AWS's LimitExceededException names the quota and its value; /v2/ clients
// show the message as is, so one wording serves both.
Error quota_exceeded(std::string_view quota, std::uint64_t value, std::string detail) {
  return Error{ErrorCode::kQuotaExceeded,
               "The operation did not succeed because it would exceed the service quota '" +
                   std::string(quota) + "' of " + std::to_string(value) + ".",
               std::move(detail)};
}

namespace {

Status exceeded(std::string_view quota, std::uint64_t value, std::string detail) {
  return std::unexpected(quota_exceeded(quota, value, std::move(detail)));
}

}  // namespace

Status check_layer_parts_quota(const Quotas& quotas, std::uint64_t parts_so_far,
                               std::string_view upload_id) {
  if (quotas.max_layer_parts_per_upload == 0 || parts_so_far < quotas.max_layer_parts_per_upload) {
    return ok();
  }
  return exceeded("layer parts per upload", quotas.max_layer_parts_per_upload,
                  std::string(upload_id));
}

Status check_repository_quota(meta::MetaStore& meta, const Quotas& quotas,
                              std::string_view registry, std::string_view name) {
  if (quotas.max_repositories_per_registry == 0) return ok();
  const std::uint64_t count = BERTH_TRY(meta.count_repositories(registry));
  if (count < quotas.max_repositories_per_registry) return ok();
  return exceeded("repositories per registry", quotas.max_repositories_per_registry, std::string(name));
}

Status check_image_quota(meta::MetaStore& meta, const Quotas& quotas,
                         const meta::RepositoryRecord& repo, const oci::Digest& digest) {
  if (quotas.max_images_per_repository == 0) return ok();
  const std::uint64_t count = BERTH_TRY(meta.count_manifests(repo.id));
  if (count < quotas.max_images_per_repository) return ok();
  // Only at the quota is the extra lookup paid.
  auto existing = meta.get_manifest(repo.id, digest);
  if (existing) return ok();
  if (existing.error().code != ErrorCode::kManifestNotFound) {
    return std::unexpected(std::move(existing).error());
  }
  return exceeded("images per repository", quotas.max_images_per_repository, repo.name);
}

Status check_storage_quota(meta::MetaStore& meta, const Quotas& quotas,
                           const meta::RepositoryRecord& repo, const oci::Digest& digest,
                           std::uint64_t size) {
  if (quotas.storage_quota_bytes == 0) return ok();
  auto linked = meta.get_blob_link(repo.id, digest);
  if (linked) return ok();  // the common re-push: one lookup, no sum
  if (linked.error().code != ErrorCode::kBlobNotFound) {
    return std::unexpected(std::move(linked).error());
  }
  const auto used = BERTH_TRY(meta.registry_storage(repo.registry, digest));
  if (used.holds_digest) return ok();  // stored once already: no new bytes
  const std::uint64_t limit = quotas.storage_quota_bytes;
  if (used.bytes <= limit && size <= limit - used.bytes) return ok();
  return exceeded("storage bytes per registry", limit, digest.str());
}

}  // namespace berth::registry
