// Registry operations on storage classes (ECR's archive): pulls that refuse
// archived images, UpdateImageStorageClass's archive and restore, and the
// lifecycle runner's guarded actions. Also image_status.hpp.
#include <algorithm>

#include "registry/image_status.hpp"
#include "registry/registry.hpp"
#include "util/time.hpp"

namespace berth::registry {

namespace meta = storage::meta;

ImageStatus image_status(const ManifestRecord& manifest, std::int64_t now_ms) {
  if (manifest.storage_class == StorageClass::kArchive) return ImageStatus::kArchived;
  if (manifest.last_activated_at_ms > now_ms) return ImageStatus::kActivating;
  return ImageStatus::kActive;
}

std::string_view to_string(ImageStatus status) {
  switch (status) {
    case ImageStatus::kActive: return "ACTIVE";
    case ImageStatus::kArchived: return "ARCHIVED";
    case ImageStatus::kActivating: return "ACTIVATING";
  }
  return "ACTIVE";
}

Result<ManifestRecord> Registry::pull_manifest(const RepositoryRef& repo,
                                               const oci::Reference& reference, bool record_pull) {
  auto record = BERTH_TRY(find_repository(repo));
  return pull_manifest(record, reference, record_pull);
}

Result<ManifestRecord> Registry::pull_manifest(const RepositoryRecord& repo,
                                               const oci::Reference& reference, bool record_pull) {
  auto manifest = BERTH_TRY(get_manifest(repo, reference, /*record_pull=*/false));
  const std::int64_t now = now_ms();
  switch (image_status(manifest, now)) {
    case ImageStatus::kArchived:
      return fail(ErrorCode::kImageArchived,
                  "The image with digest '" + manifest.digest.str() +
                      "' is archived and cannot be pulled; restore it first",
                  manifest.digest.str());
    case ImageStatus::kActivating:
      return fail(ErrorCode::kImageArchived,
                  "The image with digest '" + manifest.digest.str() +
                      "' is being restored from the archive and cannot be pulled yet",
                  manifest.digest.str());
    case ImageStatus::kActive:
      break;
  }
  if (record_pull) {
    pulls_.note(repo.id, manifest.digest, now);
    manifest.last_pulled_at_ms = now;
  }
  return manifest;
}

Result<ManifestRecord> Registry::update_storage_class(const RepositoryRef& repo,
                                                      const oci::Reference& reference,
                                                      StorageClass target) {
  auto record = BERTH_TRY(find_repository(repo));
  auto manifest = BERTH_TRY(get_manifest(record, reference, /*record_pull=*/false));
  const std::int64_t now = now_ms();
  const ImageStatus status = image_status(manifest, now);
  if (target == StorageClass::kArchive) {
    if (status == ImageStatus::kArchived) return manifest;
    if (status == ImageStatus::kActivating) {
      return fail(ErrorCode::kUnsupported,
                  "The image is being restored from the archive; archive it once it is active",
                  manifest.digest.str());
    }
    BERTH_TRY_STATUS(meta_.set_storage_class(record.id, manifest.digest, target, now));
  } else {
    if (status != ImageStatus::kArchived) return manifest;
    BERTH_TRY_STATUS(
        meta_.set_storage_class(record.id, manifest.digest, target, now + kRestoreDuration.count()));
  }
  return meta_.get_manifest(record.id, manifest.digest);
}

namespace {

// Runs `act` in one commit if the image is still as expected; false when
// it is not (or went, or an index holds it back).
Result<bool> guarded(meta::MetaStore& meta, meta::RepositoryId repo, const oci::Digest& digest,
                     const ImageExpectation& expected, const std::function<Status()>& act) {
  bool done = false;
  Status ran = meta.in_one_commit([&]() -> Status {
    auto manifest = meta.get_manifest(repo, digest);
    if (!manifest) {
      return manifest.error().code == ErrorCode::kManifestNotFound
                 ? ok()
                 : Status(std::unexpected(manifest.error()));
    }
    if (manifest->storage_class != expected.storage_class) return ok();
    auto tags = BERTH_TRY(meta.tags_of(repo, digest));
    if (tags != expected.tags) return ok();
    Status acted = act();
    if (!acted) {
      return acted.error().code == ErrorCode::kReferencedByIndex ? ok() : acted;
    }
    done = true;
    return ok();
  });
  if (!ran) return std::unexpected(ran.error());
  return done;
}

}  // namespace

Result<bool> Registry::expire_image(const RepositoryRef& repo, const oci::Digest& digest,
                                    const ImageExpectation& expected) {
  auto record = BERTH_TRY(find_repository(repo));
  const bool expired = BERTH_TRY(guarded(meta_, record.id, digest, expected,
                                         [&] { return meta_.delete_manifest(record.id, digest); }));
  if (expired) {
    emit({RegistryEvent::Kind::kImageDeleted, RegistryEvent::Cause::kLifecycle, repo.registry,
          repo.name, digest.str(), "", "", 0});
  }
  return expired;
}

Result<bool> Registry::archive_image(const RepositoryRef& repo, const oci::Digest& digest,
                                     const ImageExpectation& expected, std::int64_t at_ms) {
  auto record = BERTH_TRY(find_repository(repo));
  return guarded(meta_, record.id, digest, expected, [&] {
    return meta_.set_storage_class(record.id, digest, StorageClass::kArchive, at_ms);
  });
}

Result<std::vector<std::string>> Registry::registries(std::string_view after, std::size_t limit) {
  return meta_.list_registries(after, limit);
}

Result<std::optional<std::string>> Registry::repository_document(const RepositoryRef& repo,
                                                                 std::string_view name) {
  auto record = BERTH_TRY(find_repository(repo));
  return meta_.get_repository_document(record.id, name);
}

Result<std::string> Registry::modify_repository_document(const RepositoryRef& repo,
                                                         std::string_view name,
                                                         const SettingsChange& change) {
  auto record = BERTH_TRY(find_repository(repo));
  return meta_.modify_repository_document(record.id, name, change);
}

}  // namespace berth::registry
