#include "storage/meta/memory/memory_meta_store.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "util/time.hpp"

namespace berth::storage::meta::memory {

namespace {

// Ordered containers keyed by text with std::less<> so that lookups and
// "strictly after" pagination take string_views, and iteration order is the
// byte order the SQL backends produce.
template <typename V>
using TextMap = std::map<std::string, V, std::less<>>;
using TextSet = std::set<std::string, std::less<>>;

struct StoredManifest {
  ManifestRecord record;
  std::map<oci::Digest, ManifestReference> references;
};

struct Repo {
  RepositoryRecord record;
  TextMap<StoredManifest> manifests;  // by digest text
  TextMap<oci::Digest> tags;          // tag -> digest
  TextMap<TextSet> tags_by_digest;    // digest -> tags
  TextMap<TextSet> parents_by_child;  // child digest -> indexes listing it
  TextMap<TextSet> referrers;         // subject digest -> manifests
  TextMap<std::uint64_t> blob_links;  // digest -> size
  TextMap<std::string> documents;     // name -> text
};

Error repository_not_found(RepositoryId id) {
  return Error{ErrorCode::kRepositoryNotFound, "repository not found", std::to_string(id)};
}

template <typename Map>
std::vector<std::string> keys_after(const Map& map, std::string_view after, std::size_t limit) {
  std::vector<std::string> out;
  for (auto it = map.upper_bound(after); it != map.end() && out.size() < limit; ++it) {
    out.push_back(it->first);
  }
  return out;
}

class MemoryMetaStore final : public MetaStore {
 public:
  Result<RepositoryRecord> get_repository(std::string_view registry,
                                          std::string_view name) override {
    std::shared_lock lock(mu_);
    const Repo* repo = find_by_name(registry, name);
    if (repo == nullptr) {
      return fail(ErrorCode::kRepositoryNotFound, "repository not found", std::string(name));
    }
    return repo->record;
  }

  Result<EnsuredRepository> find_or_create_repository(std::string_view registry,
                                                      std::string_view name,
                                                      std::int64_t now_ms) override {
    std::unique_lock lock(mu_);
    if (const Repo* repo = find_by_name(registry, name)) return EnsuredRepository{repo->record};
    return EnsuredRepository{insert_repository(registry, name, "{}", now_ms), true};
  }

  Result<RepositoryRecord> create_repository(std::string_view registry, std::string_view name,
                                             std::string_view settings_json,
                                             std::int64_t now_ms) override {
    std::unique_lock lock(mu_);
    if (find_by_name(registry, name) != nullptr) {
      return fail(ErrorCode::kAlreadyExists, "repository already exists", std::string(name));
    }
    return insert_repository(registry, name, settings_json, now_ms);
  }

  Status update_repository_settings(RepositoryId id, std::string_view settings_json) override {
    std::unique_lock lock(mu_);
    Repo* repo = find(id);
    if (repo == nullptr) return std::unexpected(repository_not_found(id));
    repo->record.settings_json = settings_json;
    return ok();
  }

  Result<RepositoryRecord> modify_repository_settings(RepositoryId id,
                                                      const SettingsChange& change) override {
    std::unique_lock lock(mu_);
    Repo* repo = find(id);
    if (repo == nullptr) return std::unexpected(repository_not_found(id));
    repo->record.settings_json = BERTH_TRY(change(repo->record.settings_json));
    return repo->record;
  }

  Result<std::string> modify_registry_settings(std::string_view registry,
                                               const SettingsChange& change) override {
    std::unique_lock lock(mu_);
    auto [it, inserted] = registry_settings_.try_emplace(std::string(registry), "{}");
    auto next = change(it->second);
    if (!next) {
      if (inserted) registry_settings_.erase(it);
      return std::unexpected(std::move(next).error());
    }
    it->second = std::move(*next);
    return it->second;
  }

  Result<std::string> get_registry_settings(std::string_view registry) override {
    std::unique_lock lock(mu_);
    auto it = registry_settings_.find(std::string(registry));
    return it == registry_settings_.end() ? std::string("{}") : it->second;
  }

  Status put_registry_settings(std::string_view registry, std::string_view settings_json) override {
    std::unique_lock lock(mu_);
    registry_settings_[std::string(registry)] = std::string(settings_json);
    return ok();
  }

  Status delete_repository(RepositoryId id) override {
    std::unique_lock lock(mu_);
    auto it = repos_.find(id);
    if (it == repos_.end()) return std::unexpected(repository_not_found(id));
    const std::string& registry = it->second.record.registry;
    for (const auto& [digest, size] : it->second.blob_links) {
      queue_locked(BERTH_TRY(oci::Digest::parse(digest)), now_ms(), registry);
    }
    for (const auto& [digest, stored] : it->second.manifests) {
      queue_blobs_locked(stored, registry);
    }
    auto by_registry = names_.find(it->second.record.registry);
    by_registry->second.erase(it->second.record.name);
    if (by_registry->second.empty()) names_.erase(by_registry);
    std::erase_if(uploads_, [id](const auto& entry) { return entry.second.repository == id; });
    repos_.erase(it);
    return ok();
  }

  Result<std::vector<std::string>> list_repositories(std::string_view registry,
                                                     std::string_view after,
                                                     std::size_t limit) override {
    std::shared_lock lock(mu_);
    auto it = names_.find(registry);
    if (it == names_.end()) return std::vector<std::string>{};
    return keys_after(it->second, after, limit);
  }

  Result<std::vector<RepositoryRecord>> list_repository_records(std::string_view registry,
                                                                std::string_view after,
                                                                std::size_t limit) override {
    std::shared_lock lock(mu_);
    std::vector<RepositoryRecord> out;
    auto it = names_.find(registry);
    if (it == names_.end()) return out;
    for (const std::string& name : keys_after(it->second, after, limit)) {
      out.push_back(repos_.at(it->second.find(name)->second).record);
    }
    return out;
  }

  Result<std::vector<std::string>> list_registries(std::string_view after,
                                                   std::size_t limit) override {
    std::shared_lock lock(mu_);
    TextMap<bool> all;
    for (const auto& [registry, names] : names_) all.emplace(registry, true);
    for (const auto& [registry, settings] : registry_settings_) all.emplace(registry, true);
    return keys_after(all, after, limit);
  }

  Result<std::uint64_t> count_manifests(RepositoryId id) override {
    std::shared_lock lock(mu_);
    const Repo* repo = find(id);
    if (repo == nullptr) return std::unexpected(repository_not_found(id));
    return repo->manifests.size();
  }

  Result<std::uint64_t> count_repositories(std::string_view registry) override {
    std::shared_lock lock(mu_);
    auto it = names_.find(registry);
    return it == names_.end() ? 0 : static_cast<std::uint64_t>(it->second.size());
  }

  Result<RegistryStorage> registry_storage(std::string_view registry,
                                           const oci::Digest& digest) override {
    std::shared_lock lock(mu_);
    RegistryStorage out;
    auto names = names_.find(registry);
    if (names == names_.end()) return out;
    TextMap<std::uint64_t> distinct;
    for (const auto& [name, id] : names->second) {
      for (const auto& [linked, size] : repos_.at(id).blob_links) distinct.try_emplace(linked, size);
    }
    for (const auto& [linked, size] : distinct) out.bytes += size;
    out.holds_digest = distinct.contains(digest.str());
    return out;
  }

  Status link_blob(RepositoryId id, const oci::Digest& digest, std::uint64_t size,
                   std::int64_t now_ms) override {
    std::unique_lock lock(mu_);
    Repo* repo = find(id);
    if (repo == nullptr) return std::unexpected(repository_not_found(id));
    BERTH_TRY_STATUS(refuse_tombstoned_locked(digest));
    repo->blob_links.try_emplace(digest.str(), size);  // idempotent: first size wins
    queue_locked(digest, berth::now_ms(), repo->record.registry);
    return ok();
  }

  Status link_uploaded_blob(std::string_view upload_id, RepositoryId id,
                            const oci::Digest& digest, std::uint64_t size,
                            std::int64_t now_ms) override {
    std::unique_lock lock(mu_);
    Repo* repo = find(id);
    if (repo == nullptr) return std::unexpected(repository_not_found(id));
    BERTH_TRY_STATUS(refuse_tombstoned_locked(digest));
    repo->blob_links.try_emplace(digest.str(), size);
    if (auto it = uploads_.find(upload_id); it != uploads_.end()) uploads_.erase(it);
    return ok();
  }

  Result<std::uint64_t> get_blob_link(RepositoryId id, const oci::Digest& digest) override {
    std::shared_lock lock(mu_);
    const Repo* repo = find(id);
    if (repo != nullptr) {
      auto it = repo->blob_links.find(digest.str());
      if (it != repo->blob_links.end()) return it->second;
    }
    return fail(ErrorCode::kBlobNotFound, "blob not linked in repository", digest.str());
  }

  Status unlink_blob(RepositoryId id, const oci::Digest& digest) override {
    std::unique_lock lock(mu_);
    Repo* repo = find(id);
    if (repo == nullptr || repo->blob_links.erase(digest.str()) == 0) {
      return fail(ErrorCode::kBlobNotFound, "blob not linked in repository", digest.str());
    }
    queue_locked(digest, now_ms(), repo->record.registry);
    return ok();
  }

  Status put_manifest(RepositoryId id, const ManifestRecord& manifest,
                      const std::vector<ManifestReference>& references,
                      const PutManifestOptions& options) override {
    if (manifest.digest.empty()) {
      return fail(ErrorCode::kInvalidArgument, "manifest record has no digest");
    }
    std::unique_lock lock(mu_);
    Repo* repo = find(id);
    if (repo == nullptr) return std::unexpected(repository_not_found(id));
    // Every check comes before the first change, so a failure stores nothing.
    for (const ManifestReference& ref : references) {
      if (ref.kind == ReferenceKind::kManifest) {
        if (!options.allow_missing_children && !repo->manifests.contains(ref.digest.str())) {
          return fail(ErrorCode::kManifestBlobUnknown,
                      "index references a manifest that is not in the repository",
                      ref.digest.str());
        }
      } else if (!options.allow_missing_blobs && ref.required &&
                 !repo->blob_links.contains(ref.digest.str())) {
        return fail(ErrorCode::kManifestBlobUnknown,
                    "manifest references a blob that is not in the repository", ref.digest.str());
      }
    }
    for (const TagAssignment& tag : options.tags) {
      BERTH_TRY_STATUS(check_tag(*repo, tag.name, manifest.digest, tag.immutable));
    }
    const std::string& key = manifest.digest.str();
    if (!repo->manifests.contains(key)) {
      StoredManifest stored{manifest, {}};
      for (const ManifestReference& ref : references) {
        stored.references.try_emplace(ref.digest, ref);
        if (ref.kind == ReferenceKind::kManifest) {
          repo->parents_by_child[ref.digest.str()].insert(key);
        }
      }
      if (manifest.subject) repo->referrers[manifest.subject->str()].insert(key);
      repo->manifests.emplace(key, std::move(stored));
    } else {
      // A re-put restores an archived image, or one still being restored.
      ManifestRecord& existing = repo->manifests.find(key)->second.record;
      if (existing.storage_class == StorageClass::kArchive ||
          existing.last_activated_at_ms > manifest.pushed_at_ms) {
        existing.storage_class = StorageClass::kStandard;
        existing.last_activated_at_ms = manifest.pushed_at_ms;
      }
    }
    for (const TagAssignment& tag : options.tags) set_tag(*repo, tag.name, manifest.digest);
    return ok();
  }

  Result<ManifestRecord> get_manifest(RepositoryId id, const oci::Digest& digest) override {
    std::shared_lock lock(mu_);
    const StoredManifest* stored = find_manifest(id, digest);
    if (stored == nullptr) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    return stored->record;
  }

  Result<oci::Digest> resolve_tag(RepositoryId id, std::string_view tag) override {
    std::shared_lock lock(mu_);
    const Repo* repo = find(id);
    if (repo != nullptr) {
      auto it = repo->tags.find(tag);
      if (it != repo->tags.end()) return it->second;
    }
    return fail(ErrorCode::kManifestNotFound, "tag not found", std::string(tag));
  }

  Status put_tag(RepositoryId id, std::string_view tag, const oci::Digest& digest,
                 bool immutable_tags) override {
    if (tag.empty()) return fail(ErrorCode::kTagInvalid, "tag is empty");
    std::unique_lock lock(mu_);
    if (find_manifest(id, digest) == nullptr) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    Repo& repo = *find(id);
    BERTH_TRY_STATUS(check_tag(repo, tag, digest, immutable_tags));
    set_tag(repo, tag, digest);
    return ok();
  }

  Status delete_tag(RepositoryId id, std::string_view tag) override {
    std::unique_lock lock(mu_);
    Repo* repo = find(id);
    if (repo == nullptr || !repo->tags.contains(tag)) {
      return fail(ErrorCode::kManifestNotFound, "tag not found", std::string(tag));
    }
    auto it = repo->tags.find(tag);
    erase_from_index(repo->tags_by_digest, it->second.str(), it->first);
    repo->tags.erase(it);
    return ok();
  }

  Status delete_manifest(RepositoryId id, const oci::Digest& digest) override {
    std::unique_lock lock(mu_);
    if (find_manifest(id, digest) == nullptr) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    Repo& repo = *find(id);
    const std::string& key = digest.str();
    if (auto parents = repo.parents_by_child.find(key); parents != repo.parents_by_child.end()) {
      return fail(ErrorCode::kReferencedByIndex, "manifest is listed by an index",
                  *parents->second.begin());
    }
    erase_manifest_locked(repo, key, 0);
    return ok();
  }

  // Removes a manifest, queueing its blobs and taking its referrers (those
  // no index lists) with it, as the SQLite store does.
  void erase_manifest_locked(Repo& repo, const std::string& key, int depth) {
    std::vector<std::string> referrers;
    if (auto it = repo.referrers.find(key); it != repo.referrers.end()) {
      referrers.assign(it->second.begin(), it->second.end());
    }
    auto node = repo.manifests.extract(key);
    const StoredManifest& stored = node.mapped();
    for (const auto& [ref_digest, ref] : stored.references) {
      if (ref.kind == ReferenceKind::kManifest) {
        erase_from_index(repo.parents_by_child, ref_digest.str(), key);
      }
    }
    if (stored.record.subject) erase_from_index(repo.referrers, stored.record.subject->str(), key);
    if (auto tags = repo.tags_by_digest.find(key); tags != repo.tags_by_digest.end()) {
      for (const std::string& tag : tags->second) repo.tags.erase(tag);
      repo.tags_by_digest.erase(tags);
    }
    queue_blobs_locked(stored, repo.record.registry);
    if (depth >= kMaxReferrerDepth) return;
    for (const std::string& referrer : referrers) {
      if (!repo.manifests.contains(referrer) || repo.parents_by_child.contains(referrer)) continue;
      erase_manifest_locked(repo, referrer, depth + 1);
    }
  }

  Result<std::vector<std::string>> list_tags(RepositoryId id, std::string_view after,
                                             std::size_t limit) override {
    std::shared_lock lock(mu_);
    const Repo* repo = find(id);
    if (repo == nullptr) return std::vector<std::string>{};
    return keys_after(repo->tags, after, limit);
  }

  Result<std::vector<std::string>> tags_of(RepositoryId id, const oci::Digest& digest) override {
    std::shared_lock lock(mu_);
    const Repo* repo = find(id);
    return repo == nullptr ? std::vector<std::string>{} : tags_pointing_at(*repo, digest.str());
  }

  Result<std::vector<ManifestSummary>> list_manifests(RepositoryId id,
                                                      std::string_view after_digest,
                                                      std::size_t limit) override {
    std::shared_lock lock(mu_);
    std::vector<ManifestSummary> page;
    const Repo* repo = find(id);
    if (repo == nullptr) return page;
    for (auto it = repo->manifests.upper_bound(after_digest);
         it != repo->manifests.end() && page.size() < limit; ++it) {
      ManifestSummary summary;
      summary.manifest = it->second.record;
      summary.manifest.content.clear();
      summary.tags = tags_pointing_at(*repo, it->first);
      page.push_back(std::move(summary));
    }
    return page;
  }

  Result<std::vector<ManifestRecord>> list_referrers(RepositoryId id,
                                                     const oci::Digest& subject) override {
    std::shared_lock lock(mu_);
    std::vector<ManifestRecord> out;
    const Repo* repo = find(id);
    if (repo == nullptr) return out;
    auto it = repo->referrers.find(subject.str());
    if (it == repo->referrers.end()) return out;
    for (const std::string& digest : it->second) {
      out.push_back(repo->manifests.find(digest)->second.record);
    }
    return out;
  }

  Result<std::vector<oci::Digest>> parents_of(RepositoryId id, const oci::Digest& child) override {
    std::shared_lock lock(mu_);
    std::vector<oci::Digest> out;
    const Repo* repo = find(id);
    if (repo == nullptr) return out;
    auto it = repo->parents_by_child.find(child.str());
    if (it == repo->parents_by_child.end()) return out;
    for (const std::string& parent : it->second) {
      out.push_back(repo->manifests.find(parent)->second.record.digest);
    }
    return out;
  }

  Status set_storage_class(RepositoryId id, const oci::Digest& digest, StorageClass target,
                           std::int64_t at_ms) override {
    std::unique_lock lock(mu_);
    if (find_manifest(id, digest) == nullptr) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    Repo& repo = *find(id);
    if (target == StorageClass::kArchive) {
      if (auto parents = repo.parents_by_child.find(digest.str());
          parents != repo.parents_by_child.end()) {
        for (const std::string& parent : parents->second) {
          if (repo.manifests.at(parent).record.storage_class == StorageClass::kStandard) {
            return fail(ErrorCode::kReferencedByIndex, "manifest is listed by an index", parent);
          }
        }
      }
    }
    set_class_locked(repo, digest.str(), target, at_ms, 0);
    return ok();
  }

  // Moves a manifest and its referrers (those no index lists), as the
  // SQLite store does.
  void set_class_locked(Repo& repo, const std::string& key, StorageClass target,
                        std::int64_t at_ms, int depth) {
    ManifestRecord& record = repo.manifests.at(key).record;
    record.storage_class = target;
    (target == StorageClass::kArchive ? record.last_archived_at_ms
                                      : record.last_activated_at_ms) = at_ms;
    if (depth >= kMaxReferrerDepth) return;
    auto it = repo.referrers.find(key);
    if (it == repo.referrers.end()) return;
    for (const std::string& referrer : it->second) {
      if (repo.parents_by_child.contains(referrer)) continue;
      set_class_locked(repo, referrer, target, at_ms, depth + 1);
    }
  }

  Result<std::optional<std::string>> get_repository_document(RepositoryId id,
                                                             std::string_view name) override {
    std::shared_lock lock(mu_);
    const Repo* repo = find(id);
    if (repo == nullptr) return std::unexpected(repository_not_found(id));
    auto it = repo->documents.find(name);
    if (it == repo->documents.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Result<std::string> modify_repository_document(RepositoryId id, std::string_view name,
                                                 const SettingsChange& change) override {
    std::unique_lock lock(mu_);
    Repo* repo = find(id);
    if (repo == nullptr) return std::unexpected(repository_not_found(id));
    auto it = repo->documents.find(name);
    std::string next =
        BERTH_TRY(change(it == repo->documents.end() ? std::string() : it->second));
    if (next.empty()) {
      if (it != repo->documents.end()) repo->documents.erase(it);
    } else {
      repo->documents[std::string(name)] = next;
    }
    return next;
  }

  Status record_pull(RepositoryId id, const oci::Digest& digest, std::int64_t now_ms) override {
    std::unique_lock lock(mu_);
    StoredManifest* stored = find_manifest(id, digest);
    if (stored == nullptr) {
      return fail(ErrorCode::kManifestNotFound, "manifest not found", digest.str());
    }
    stored->record.last_pulled_at_ms = now_ms;
    return ok();
  }

  Status record_pulls(const std::vector<PullRecord>& pulls) override {
    std::unique_lock lock(mu_);
    for (const auto& pull : pulls) {
      StoredManifest* stored = find_manifest(pull.repository, pull.digest);
      if (stored != nullptr) {
        stored->record.last_pulled_at_ms = std::max(stored->record.last_pulled_at_ms, pull.at_ms);
      }
    }
    return ok();
  }

  Status create_upload(const UploadRecord& upload) override {
    std::unique_lock lock(mu_);
    if (find(upload.repository) == nullptr) {
      return std::unexpected(repository_not_found(upload.repository));
    }
    if (!uploads_.try_emplace(upload.id, upload).second) {
      return fail(ErrorCode::kAlreadyExists, "upload id already in use", upload.id);
    }
    return ok();
  }

  Result<UploadRecord> get_upload(std::string_view id) override {
    std::shared_lock lock(mu_);
    auto it = uploads_.find(id);
    if (it == uploads_.end()) {
      return fail(ErrorCode::kUploadNotFound, "upload not found", std::string(id));
    }
    return it->second;
  }

  Result<UploadRecord> acquire_upload_lease(std::string_view id, std::string_view holder,
                                            std::int64_t now_ms, std::int64_t ttl_ms) override {
    std::unique_lock lock(mu_);
    auto it = uploads_.find(id);
    if (it == uploads_.end()) {
      return fail(ErrorCode::kUploadNotFound, "upload not found", std::string(id));
    }
    UploadRecord& record = it->second;
    if (!record.lease_holder.empty() && record.lease_holder != holder &&
        record.lease_expires_at_ms > now_ms) {
      return fail(ErrorCode::kRangeInvalid, "another request is writing to this upload",
                  std::string(id));
    }
    record.lease_holder = std::string(holder);
    record.lease_expires_at_ms = now_ms + ttl_ms;
    return record;
  }

  Result<std::uint64_t> clear_upload_leases() override {
    std::unique_lock lock(mu_);
    std::uint64_t cleared = 0;
    for (auto& [id, record] : uploads_) {
      if (record.lease_holder.empty()) continue;
      record.lease_holder.clear();
      record.lease_expires_at_ms = 0;
      ++cleared;
    }
    return cleared;
  }

  Status release_upload_lease(std::string_view id, std::string_view holder,
                              std::optional<std::uint64_t> saved_size) override {
    std::unique_lock lock(mu_);
    auto it = uploads_.find(id);
    if (it == uploads_.end()) {
      return fail(ErrorCode::kUploadNotFound, "upload not found", std::string(id));
    }
    UploadRecord& record = it->second;
    if (record.lease_holder != holder) return ok();
    record.lease_holder.clear();
    record.lease_expires_at_ms = 0;
    if (saved_size) {
      if (*saved_size > record.saved_size) ++record.parts;
      record.saved_size = *saved_size;
    }
    return ok();
  }

  Status delete_upload(std::string_view id) override {
    std::unique_lock lock(mu_);
    auto it = uploads_.find(id);
    if (it == uploads_.end()) {
      return fail(ErrorCode::kUploadNotFound, "upload not found", std::string(id));
    }
    uploads_.erase(it);
    return ok();
  }

  Status walk_uploads(const std::function<Status(const UploadRecord&)>& visit) override {
    std::vector<UploadRecord> snapshot;
    {
      std::shared_lock lock(mu_);
      for (const auto& [id, upload] : uploads_) snapshot.push_back(upload);
    }
    for (const UploadRecord& upload : snapshot) BERTH_TRY_STATUS(visit(upload));
    return ok();
  }

  Status walk_referenced_blobs(const std::function<Status(const oci::Digest&)>& visit) override {
    std::set<oci::Digest> snapshot;
    {
      std::shared_lock lock(mu_);
      for (const auto& [id, repo] : repos_) {
        for (const auto& [digest, size] : repo.blob_links) {
          snapshot.insert(BERTH_TRY(oci::Digest::parse(digest)));
        }
        for (const auto& [digest, stored] : repo.manifests) {
          for (const auto& [ref_digest, ref] : stored.references) {
            if (ref.kind == ReferenceKind::kBlob) snapshot.insert(ref_digest);
          }
        }
      }
    }
    for (const oci::Digest& digest : snapshot) BERTH_TRY_STATUS(visit(digest));
    return ok();
  }

  Result<bool> blob_referenced(const oci::Digest& digest) override {
    std::shared_lock lock(mu_);
    return referenced_locked(digest);
  }

  Status queue_blob_review(const oci::Digest& digest, std::int64_t since_ms,
                           std::string_view registry) override {
    std::unique_lock lock(mu_);
    queue_locked(digest, since_ms, registry);
    return ok();
  }

  Result<std::vector<BlobReview>> due_blob_reviews(std::int64_t due_ms, std::string_view after,
                                                   std::size_t limit) override {
    std::shared_lock lock(mu_);
    std::vector<BlobReview> out;
    for (auto it = reviews_.upper_bound(after); it != reviews_.end() && out.size() < limit; ++it) {
      if (it->second.since_ms <= due_ms) out.push_back(it->second);
    }
    return out;
  }

  Result<BlobVerdict> claim_blob(const oci::Digest& digest, std::int64_t due_ms) override {
    std::unique_lock lock(mu_);
    auto it = reviews_.find(digest.str());
    if (it == reviews_.end() || it->second.since_ms > due_ms) return BlobVerdict::kKeep;
    reviews_.erase(it);
    if (referenced_locked(digest)) return BlobVerdict::kKeep;
    for (auto& [id, repo] : repos_) repo.blob_links.erase(digest.str());
    tombstones_.emplace(digest.str(), true);
    return BlobVerdict::kCollect;
  }

  Status finish_blob_collection(const oci::Digest& digest) override {
    std::unique_lock lock(mu_);
    tombstones_.erase(digest.str());
    return ok();
  }

  Result<std::vector<oci::Digest>> blob_tombstones(std::string_view after,
                                                   std::size_t limit) override {
    std::shared_lock lock(mu_);
    std::vector<oci::Digest> out;
    for (const std::string& key : keys_after(tombstones_, after, limit)) {
      out.push_back(BERTH_TRY(oci::Digest::parse(key)));
    }
    return out;
  }

  Result<bool> acquire_job_lease(std::string_view job, std::string_view holder,
                                 std::int64_t now_ms, std::int64_t ttl_ms) override {
    std::unique_lock lock(mu_);
    auto [it, inserted] = job_leases_.try_emplace(std::string(job));
    if (!inserted && it->second.first != holder && it->second.second > now_ms) return false;
    it->second = {std::string(holder), now_ms + ttl_ms};
    return true;
  }

  Status release_job_lease(std::string_view job, std::string_view holder) override {
    std::unique_lock lock(mu_);
    if (auto it = job_leases_.find(job); it != job_leases_.end() && it->second.first == holder) {
      job_leases_.erase(it);
    }
    return ok();
  }

 private:
  static constexpr int kMaxReferrerDepth = 8;

  void queue_locked(const oci::Digest& digest, std::int64_t since_ms, std::string_view registry) {
    auto [it, inserted] = reviews_.try_emplace(digest.str());
    it->second.digest = digest;
    it->second.since_ms = std::max(it->second.since_ms, since_ms);
    it->second.registry = std::string(registry);
  }

  void queue_blobs_locked(const StoredManifest& stored, std::string_view registry) {
    for (const auto& [ref_digest, ref] : stored.references) {
      if (ref.kind == ReferenceKind::kBlob) queue_locked(ref_digest, now_ms(), registry);
    }
  }

  bool referenced_locked(const oci::Digest& digest) const {
    for (const auto& [id, repo] : repos_) {
      for (const auto& [key, stored] : repo.manifests) {
        auto ref = stored.references.find(digest);
        if (ref != stored.references.end() && ref->second.kind == ReferenceKind::kBlob) {
          return true;
        }
      }
    }
    return false;
  }

  Status refuse_tombstoned_locked(const oci::Digest& digest) const {
    if (!tombstones_.contains(digest.str())) return ok();
    return fail(ErrorCode::kUnavailable, "the blob is being garbage-collected; upload it again",
                digest.str());
  }

  // ---- helpers; REQUIRES: mu_ held (shared for const, exclusive otherwise) ----

  Repo* find(RepositoryId id) {
    auto it = repos_.find(id);
    return it == repos_.end() ? nullptr : &it->second;
  }

  const Repo* find_by_name(std::string_view registry, std::string_view name) {
    auto by_registry = names_.find(registry);
    if (by_registry == names_.end()) return nullptr;
    auto it = by_registry->second.find(name);
    return it == by_registry->second.end() ? nullptr : find(it->second);
  }

  StoredManifest* find_manifest(RepositoryId id, const oci::Digest& digest) {
    Repo* repo = find(id);
    if (repo == nullptr) return nullptr;
    auto it = repo->manifests.find(digest.str());
    return it == repo->manifests.end() ? nullptr : &it->second;
  }

  RepositoryRecord insert_repository(std::string_view registry, std::string_view name,
                                     std::string_view settings_json, std::int64_t now_ms) {
    RepositoryRecord record{next_id_++, std::string(registry), std::string(name), now_ms,
                            std::string(settings_json)};
    names_[record.registry][record.name] = record.id;
    repos_[record.id].record = record;
    return record;
  }

  static Status check_tag(const Repo& repo, std::string_view tag, const oci::Digest& digest,
                          bool immutable_tags) {
    auto it = repo.tags.find(tag);
    if (immutable_tags && it != repo.tags.end()) {
      return fail(ErrorCode::kTagImmutable, "tag already exists and is immutable",
                  std::string(tag));
    }
    return ok();
  }

  static void set_tag(Repo& repo, std::string_view tag, const oci::Digest& digest) {
    auto [it, inserted] = repo.tags.try_emplace(std::string(tag), digest);
    if (!inserted) {
      if (it->second == digest) return;
      erase_from_index(repo.tags_by_digest, it->second.str(), tag);
      it->second = digest;
    }
    repo.tags_by_digest[digest.str()].insert(std::string(tag));
  }

  static std::vector<std::string> tags_pointing_at(const Repo& repo, std::string_view digest) {
    auto it = repo.tags_by_digest.find(digest);
    if (it == repo.tags_by_digest.end()) return {};
    return {it->second.begin(), it->second.end()};
  }

  static void erase_from_index(TextMap<TextSet>& index, std::string_view key,
                               std::string_view value) {
    auto it = index.find(key);
    if (it == index.end()) return;
    if (auto v = it->second.find(value); v != it->second.end()) it->second.erase(v);
    if (it->second.empty()) index.erase(it);
  }

  std::shared_mutex mu_;
  RepositoryId next_id_ = 1;              // guarded by mu_
  std::map<RepositoryId, Repo> repos_;    // guarded by mu_
  TextMap<TextMap<RepositoryId>> names_;  // registry -> name -> id; guarded by mu_
  TextMap<UploadRecord> uploads_;         // guarded by mu_
  std::map<std::string, std::string> registry_settings_;  // guarded by mu_
  TextMap<BlobReview> reviews_;                            // guarded by mu_
  TextMap<bool> tombstones_;                               // guarded by mu_
  TextMap<std::pair<std::string, std::int64_t>> job_leases_;  // holder, expiry; guarded by mu_
};

}  // namespace

std::unique_ptr<MetaStore> make_memory_meta_store() { return std::make_unique<MemoryMetaStore>(); }

}  // namespace berth::storage::meta::memory
