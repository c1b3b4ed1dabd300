// Registry operations that administer repositories and images as a whole,
// which the ECR API exposes and the OCI API does not.
#include "registry/registry.hpp"
#include "util/time.hpp"

namespace berth::registry {

namespace meta = storage::meta;

Result<meta::RepositoryRecord> Registry::create_repository(const RepositoryRef& repo,
                                                           std::string_view settings_json) {
  BERTH_TRY_STATUS(oci::validate_repository_name(repo.name));
  meta::RepositoryRecord created;
  // The count and the creation in one commit: see quotas.hpp.
  BERTH_TRY_STATUS(meta_.in_one_commit([&]() -> Status {
    // An existing name is kAlreadyExists (below), whatever the count.
    auto existing = meta_.get_repository(repo.registry, repo.name);
    if (!existing && existing.error().code == ErrorCode::kRepositoryNotFound) {
      BERTH_TRY_STATUS(check_repository_quota(meta_, options_.quotas, repo.registry, repo.name));
    }
    created = BERTH_TRY(meta_.create_repository(repo.registry, repo.name, settings_json, now_ms()));
    return ok();
  }));
  emit({RegistryEvent::Kind::kRepositoryCreated, RegistryEvent::Cause::kApi, repo.registry,
        repo.name, "", "", "", 0});
  return created;
}

Status Registry::update_repository_settings(const RepositoryRef& repo,
                                            std::string_view settings_json) {
  auto record = BERTH_TRY(find_repository(repo));
  return meta_.update_repository_settings(record.id, settings_json);
}

Result<meta::RepositoryRecord> Registry::modify_repository_settings(const RepositoryRef& repo,
                                                                    const SettingsChange& change) {
  auto record = BERTH_TRY(find_repository(repo));
  return meta_.modify_repository_settings(record.id, change);
}

Result<meta::RepositoryRecord> Registry::delete_repository(const RepositoryRef& repo, bool force) {
  auto record = BERTH_TRY(find_repository(repo));
  if (!force) {
    auto count = BERTH_TRY(meta_.count_manifests(record.id));
    if (count > 0) {
      return fail(ErrorCode::kRepositoryNotEmpty,
                  "The repository with name '" + repo.name +
                      "' cannot be deleted because it still contains images",
                  repo.name);
    }
  }
  // Blob bytes stay for the collector: other repositories may link them.
  BERTH_TRY_STATUS(meta_.delete_repository(record.id));
  emit({RegistryEvent::Kind::kRepositoryDeleted, RegistryEvent::Cause::kApi, repo.registry,
        repo.name, "", "", "", 0});
  {
    // Parked writers of this repository's uploads would otherwise outlive it.
    std::lock_guard lock(parked_mu_);
    for (auto it = parked_.begin(); it != parked_.end();) {
      auto upload = meta_.get_upload(it->first);
      // Only a record that is really gone (deleted with the repository)
      // means the writer is orphaned; a failed read says nothing.
      if (!upload && upload.error().code == ErrorCode::kUploadNotFound) {
        (void)blobs_.abort_upload(it->first);
        it = parked_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return record;
}

Result<std::vector<meta::RepositoryRecord>> Registry::list_repository_records(
    std::string_view registry, std::string_view after, std::size_t limit) {
  return meta_.list_repository_records(registry, after, limit);
}

Result<std::vector<meta::ManifestSummary>> Registry::list_images(const RepositoryRef& repo,
                                                                 std::string_view after_digest,
                                                                 std::size_t limit) {
  auto record = BERTH_TRY(find_repository(repo));
  (void)pulls_.flush();  // listings report pull times
  return meta_.list_manifests(record.id, after_digest, limit);
}

Result<std::vector<std::string>> Registry::tags_of(const RepositoryRef& repo,
                                                   const oci::Digest& digest) {
  auto record = BERTH_TRY(find_repository(repo));
  return meta_.tags_of(record.id, digest);
}

Result<std::string> Registry::registry_settings(std::string_view registry) {
  return meta_.get_registry_settings(registry);
}

Status Registry::update_registry_settings(std::string_view registry,
                                          std::string_view settings_json) {
  return meta_.put_registry_settings(registry, settings_json);
}

Result<std::string> Registry::modify_registry_settings(std::string_view registry,
                                                       const SettingsChange& change) {
  return meta_.modify_registry_settings(registry, change);
}

Status Registry::untag_image(const RepositoryRef& repo, std::string_view tag) {
  auto record = BERTH_TRY(find_repository(repo));
  std::string image_deleted;  // the digest, when the image went with its last tag
  // One commit: otherwise a tag added to the image between reading its tags
  // and deleting it would be deleted with it.
  BERTH_TRY_STATUS(meta_.in_one_commit([&]() -> Status {
    image_deleted.clear();
    auto digest = BERTH_TRY(meta_.resolve_tag(record.id, tag));
    auto tags = BERTH_TRY(meta_.tags_of(record.id, digest));
    if (tags.size() > 1) return meta_.delete_tag(record.id, tag);
    // The last tag: the image goes too, unless an index still needs it.
    auto parents = BERTH_TRY(meta_.parents_of(record.id, digest));
    if (!parents.empty()) {
      return fail(ErrorCode::kReferencedByIndex, "image is referenced by an image index",
                  parents.front().str());
    }
    BERTH_TRY_STATUS(meta_.delete_manifest(record.id, digest));
    image_deleted = digest.str();
    return ok();
  }));
  emit({RegistryEvent::Kind::kTagDeleted, RegistryEvent::Cause::kApi, repo.registry, repo.name,
        "", std::string(tag), "", 0});
  if (!image_deleted.empty()) {
    emit({RegistryEvent::Kind::kImageDeleted, RegistryEvent::Cause::kApi, repo.registry,
          repo.name, image_deleted, std::string(tag), "", 0});
  }
  return ok();
}

}  // namespace berth::registry
