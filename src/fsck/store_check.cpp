#include "fsck/store_check.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "crypto/hasher.hpp"
#include "oci/manifest.hpp"
#include "registry/manifest_facts.hpp"

namespace berth::fsck {

namespace blob = storage::blob;
namespace meta = storage::meta;

namespace {

constexpr std::size_t kHashChunk = 1 << 20;

crypto::HashAlgorithm hash_algorithm(oci::DigestAlgorithm alg) {
  return alg == oci::DigestAlgorithm::kSha512 ? crypto::HashAlgorithm::kSha512
                                              : crypto::HashAlgorithm::kSha256;
}

oci::Digest digest_of_bytes(oci::DigestAlgorithm alg, std::string_view bytes) {
  std::string hex =
      alg == oci::DigestAlgorithm::kSha512 ? crypto::sha512_hex(bytes) : crypto::sha256_hex(bytes);
  return oci::Digest::from_hex(alg, hex);
}

struct RepoEntry {
  std::string registry;
  meta::RepositoryRecord record;
};

class Checker {
 public:
  Checker(blob::BlobStore& blobs, meta::MetaStore& meta, const CheckOptions& options)
      : blobs_(blobs), meta_(meta), options_(options) {
    now_ = options.now == std::chrono::system_clock::time_point{} ? std::chrono::system_clock::now()
                                                                  : options.now;
  }

  Result<CheckReport> run() {
    if (options_.count_blobs_first) BERTH_TRY_STATUS(count_blobs());
    BERTH_TRY_STATUS(check_blobs());
    BERTH_TRY_STATUS(check_repositories());
    BERTH_TRY_STATUS(check_links());
    BERTH_TRY_STATUS(check_uploads());
    progress("done");
    return std::move(report_);
  }

 private:
  void progress(std::string_view phase) {
    if (options_.progress) options_.progress(phase, report_.stats);
  }

  void add(Finding finding) { report_.findings.push_back(std::move(finding)); }

  Finding about(FindingKind kind, const RepoEntry* repo, oci::Digest digest, std::string subject,
                std::string message) {
    Finding f;
    f.kind = kind;
    if (repo) {
      f.registry = repo->registry;
      f.repository = repo->record.name;
      f.repository_id = repo->record.id;
    }
    f.digest = std::move(digest);
    f.subject = std::move(subject);
    f.message = std::move(message);
    return f;
  }

  // Is the blob in the blob store? Asks the store again for digests the walk
  // did not see, so a blob committed during the check is not "missing".
  Result<std::optional<std::uint64_t>> blob_size(const oci::Digest& digest) {
    if (auto it = present_.find(digest); it != present_.end()) return it->second;
    auto info = blobs_.stat(digest);
    if (info) return std::optional<std::uint64_t>(info->size);
    if (info.error().code == ErrorCode::kBlobNotFound) return std::optional<std::uint64_t>();
    return std::unexpected(info.error());
  }

  // ---- phase 0: totals for the progress display ----
  Status count_blobs() {
    progress("counting");
    return blobs_.walk([&](const blob::BlobInfo& info) -> Status {
      ++report_.stats.blobs_total;
      report_.stats.blob_bytes_total += info.size;
      return ok();
    });
  }

  // ---- phase 1: the blob store ----
  Status check_blobs() {
    progress("blobs");
    return blobs_.walk([&](const blob::BlobInfo& info) -> Status {
      ++report_.stats.blobs;
      report_.stats.blob_bytes += info.size;
      present_[info.digest] = info.size;
      if (!options_.verify_blob_content) return ok();
      auto actual = hash_blob(blobs_, info.digest, [&](std::size_t n) {
        report_.stats.bytes_hashed += n;
        progress("blobs");
      });
      if (!actual) {
        if (actual.error().code == ErrorCode::kBlobNotFound) {  // removed meanwhile
          present_.erase(info.digest);
          return ok();
        }
        Finding f = about(FindingKind::kBlobUnreadable, nullptr, info.digest, "",
                          "cannot read blob: " + actual.error().message);
        f.size = info.size;
        add(std::move(f));
      } else if (*actual != info.digest) {
        Finding f = about(FindingKind::kBlobCorrupt, nullptr, info.digest, "",
                          "bytes hash to " + actual->str());
        f.size = info.size;
        add(std::move(f));
      }
      progress("blobs");
      return ok();
    });
  }

  // ---- phase 2: repositories, manifests, tags ----
  // Every registry the metadata store knows (the OCI default one and every
  // ECR account/region pair), found without being told.
  Result<std::vector<std::string>> all_registries() {
    std::vector<std::string> ids;
    for (;;) {
      auto page = BERTH_TRY(
          meta_.list_registries(ids.empty() ? std::string_view() : ids.back(), options_.page_size));
      if (page.empty()) return ids;
      ids.insert(ids.end(), page.begin(), page.end());
    }
  }

  Status check_repositories() {
    progress("manifests");
    std::vector<std::string> ids = BERTH_TRY(all_registries());
    report_.stats.registries = ids.size();
    for (const std::string& registry : ids) {
      std::string after;
      for (;;) {
        auto names = BERTH_TRY(meta_.list_repositories(registry, after, options_.page_size));
        for (const std::string& name : names) {
          auto record = meta_.get_repository(registry, name);
          if (!record) {
            if (record.error().code == ErrorCode::kRepositoryNotFound) continue;  // deleted
            return std::unexpected(record.error());
          }
          repos_.push_back(RepoEntry{registry, std::move(*record)});
        }
        if (names.size() < options_.page_size) break;
        after = names.back();
      }
    }
    report_.stats.repositories = repos_.size();
    for (const RepoEntry& repo : repos_) {
      BERTH_TRY_STATUS(check_repository(repo));
      ++report_.stats.repositories_checked;
      progress("manifests");
    }
    return ok();
  }

  Status check_repository(const RepoEntry& repo) {
    // Every manifest digest first, so children and tags are checked
    // against the complete set.
    std::vector<oci::Digest> digests;
    std::string after;
    for (;;) {
      auto page = BERTH_TRY(meta_.list_manifests(repo.record.id, after, options_.page_size));
      for (auto& summary : page) digests.push_back(summary.manifest.digest);
      if (page.size() < options_.page_size) break;
      after = page.back().manifest.digest.str();
    }
    std::unordered_set<oci::Digest> in_repo(digests.begin(), digests.end());
    for (const oci::Digest& digest : digests) {
      BERTH_TRY_STATUS(check_manifest(repo, digest, in_repo));
    }
    return check_tags(repo, in_repo);
  }

  Result<bool> manifest_exists(const RepoEntry& repo, const oci::Digest& digest,
                               const std::unordered_set<oci::Digest>& in_repo) {
    if (in_repo.contains(digest)) return true;
    auto found = meta_.get_manifest(repo.record.id, digest);  // pushed during the check?
    if (found) return true;
    if (found.error().code == ErrorCode::kManifestNotFound) return false;
    return std::unexpected(found.error());
  }

  Status check_manifest(const RepoEntry& repo, const oci::Digest& digest,
                        const std::unordered_set<oci::Digest>& in_repo) {
    auto record = meta_.get_manifest(repo.record.id, digest);
    if (!record) {
      if (record.error().code == ErrorCode::kManifestNotFound) return ok();  // deleted meanwhile
      return std::unexpected(record.error());
    }
    ++report_.stats.manifests;
    oci::Digest actual = digest_of_bytes(digest.algorithm(), record->content);
    if (actual != digest) {
      add(about(FindingKind::kManifestCorrupt, &repo, digest, "",
                "stored bytes hash to " + actual.str()));
      return ok();
    }
    auto parsed = oci::parse_manifest(record->content, record->media_type);
    if (!parsed) {
      add(about(FindingKind::kManifestUnparsable, &repo, digest, "",
                "stored bytes do not parse: " + parsed.error().message));
      return ok();
    }
    registry::ManifestFacts facts = registry::manifest_facts(*parsed, record->content, digest);
    for (const meta::ManifestReference& ref : facts.references) {
      if (ref.kind == meta::ReferenceKind::kManifest) {
        const bool may_be_absent = options_.allow_sparse_indexes || options_.lenient_references;
        if (!may_be_absent && !BERTH_TRY(manifest_exists(repo, ref.digest, in_repo))) {
          add(about(FindingKind::kManifestChildMissing, &repo, ref.digest, digest.str(),
                    "index lists a manifest the repository does not hold"));
        }
        continue;
      }
      referenced_.insert(ref.digest);
      auto size = BERTH_TRY(blob_size(ref.digest));
      if (!size) {
        // A foreign layer's bytes may live elsewhere; lenient PutImage
        // stored manifests without their blobs on purpose.
        if (!ref.required || options_.lenient_references) continue;
        add(about(FindingKind::kManifestBlobMissing, &repo, ref.digest, digest.str(),
                  "manifest names a blob the blob store does not hold; re-push it"));
        continue;
      }
      auto link = meta_.get_blob_link(repo.record.id, ref.digest);
      if (!link) {
        if (link.error().code != ErrorCode::kBlobNotFound) return std::unexpected(link.error());
        Finding f = about(FindingKind::kManifestBlobUnlinked, &repo, ref.digest, digest.str(),
                          "manifest names a blob that is not linked in the repository");
        f.size = *size;
        add(std::move(f));
      }
      if (*size != ref.size) {
        Finding f = about(FindingKind::kManifestBlobSizeMismatch, &repo, ref.digest, digest.str(),
                          "descriptor says " + std::to_string(ref.size) + " bytes, blob has " +
                              std::to_string(*size));
        f.size = *size;
        add(std::move(f));
      }
    }
    return ok();
  }

  Status check_tags(const RepoEntry& repo, const std::unordered_set<oci::Digest>& in_repo) {
    std::string after;
    for (;;) {
      auto tags = BERTH_TRY(meta_.list_tags(repo.record.id, after, options_.page_size));
      for (const std::string& tag : tags) {
        ++report_.stats.tags;
        auto target = meta_.resolve_tag(repo.record.id, tag);
        if (!target) {
          if (target.error().code == ErrorCode::kManifestNotFound) continue;  // deleted meanwhile
          return std::unexpected(target.error());
        }
        if (!BERTH_TRY(manifest_exists(repo, *target, in_repo))) {
          add(about(FindingKind::kTagDangling, &repo, *target, tag,
                    "tag names a manifest the repository does not hold"));
        }
      }
      if (tags.size() < options_.page_size) break;
      after = tags.back();
    }
    return ok();
  }

  // ---- phase 3: links against the blob store, unreferenced blobs ----
  Status check_links() {
    progress("links");
    std::vector<oci::Digest> referenced;
    // Collected first: the callback must not call back into the store.
    BERTH_TRY_STATUS(meta_.walk_referenced_blobs([&](const oci::Digest& d) -> Status {
      referenced.push_back(d);
      return ok();
    }));
    for (const oci::Digest& d : referenced) {
      referenced_.insert(d);
      if (BERTH_TRY(blob_size(d))) continue;
      // Missing: which repositories link it? (Manifests naming it were
      // reported in phase 2.)
      for (const RepoEntry& repo : repos_) {
        auto link = meta_.get_blob_link(repo.record.id, d);
        if (link) {
          Finding f = about(FindingKind::kLinkDangling, &repo, d, "",
                            "repository links a blob the blob store does not hold");
          f.size = *link;
          add(std::move(f));
        } else if (link.error().code != ErrorCode::kBlobNotFound) {
          return std::unexpected(link.error());
        }
      }
    }
    report_.stats.referenced_blobs = referenced_.size();
    // Sorted, so reports are stable.
    std::map<oci::Digest, std::uint64_t> unreferenced;
    for (const auto& [digest, size] : present_) {
      if (!referenced_.contains(digest)) unreferenced.emplace(digest, size);
    }
    for (const auto& [digest, size] : unreferenced) {
      Finding f = about(FindingKind::kBlobUnreferenced, nullptr, digest, "",
                        "no repository links it and no manifest names it (GC reclaims it)");
      f.size = size;
      add(std::move(f));
    }
    return check_collections();
  }

  // Blobs a collector tombstoned: normal while a collection runs or after a
  // crash interrupted one (`berth gc` finishes it); never while referenced.
  Status check_collections() {
    std::string after;
    for (;;) {
      auto page = BERTH_TRY(meta_.blob_tombstones(after, options_.page_size));
      if (page.empty()) return ok();
      for (const oci::Digest& d : page) {
        if (referenced_.contains(d)) {
          add(about(FindingKind::kBlobCollectedButReferenced, nullptr, d, "",
                    "the collector is deleting a blob that is referenced"));
        } else {
          add(about(FindingKind::kBlobCollecting, nullptr, d, "",
                    "a collection is deleting it (berth gc --apply finishes an interrupted one)"));
        }
      }
      after = page.back().str();
    }
  }

  // ---- phase 4: uploads, both sides ----
  Status check_uploads() {
    progress("uploads");
    std::map<std::string, blob::UploadInfo> data;
    BERTH_TRY_STATUS(blobs_.walk_uploads([&](const blob::UploadInfo& info) -> Status {
      data.emplace(info.id, info);
      return ok();
    }));
    std::map<std::string, meta::UploadRecord> records;
    BERTH_TRY_STATUS(meta_.walk_uploads([&](const meta::UploadRecord& record) -> Status {
      records.emplace(record.id, record);
      return ok();
    }));
    const auto orphan_age = std::min(options_.orphan_grace, options_.stale_after);
    std::set<std::string> ids;
    for (const auto& [id, info] : data) ids.insert(id);
    for (const auto& [id, record] : records) ids.insert(id);
    report_.stats.uploads = ids.size();
    for (const std::string& id : ids) {
      auto d = data.find(id);
      auto r = records.find(id);
      std::optional<std::chrono::system_clock::time_point> started;
      if (d != data.end()) started = d->second.started_at;
      if (r != records.end()) {
        auto at = std::chrono::system_clock::time_point(
            std::chrono::milliseconds(r->second.started_at_ms));
        started = started ? std::min(*started, at) : at;
      }
      auto age = std::chrono::duration_cast<std::chrono::seconds>(now_ - *started);
      Finding f;
      f.subject = id;
      f.size = d != data.end() ? d->second.size : 0;
      if (r != records.end()) {
        f.repository_id = r->second.repository;
        for (const RepoEntry& repo : repos_) {
          if (repo.record.id == r->second.repository) {
            f.registry = repo.registry;
            f.repository = repo.record.name;
          }
        }
      }
      std::string age_text = "started " + std::to_string(age.count()) + " s ago";
      if (d == data.end()) {
        if (age < orphan_age) continue;  // begin_upload may be between its two steps
        f.kind = FindingKind::kUploadOrphanRecord;
        f.message = "metadata record with no upload data, " + age_text;
      } else if (r == records.end()) {
        if (age < orphan_age) continue;
        f.kind = FindingKind::kUploadOrphanData;
        f.message = "upload data with no metadata record, " + age_text;
      } else {
        if (age < options_.stale_after) continue;
        f.kind = FindingKind::kUploadStale;
        f.message = "upload " + age_text + ", " + std::to_string(f.size) + " bytes received";
      }
      add(std::move(f));
    }
    return ok();
  }

  blob::BlobStore& blobs_;
  meta::MetaStore& meta_;
  const CheckOptions& options_;
  std::chrono::system_clock::time_point now_;
  CheckReport report_;
  std::unordered_map<oci::Digest, std::uint64_t> present_;
  std::unordered_set<oci::Digest> referenced_;
  std::vector<RepoEntry> repos_;
};

}  // namespace

Result<oci::Digest> hash_blob(blob::BlobStore& blobs, const oci::Digest& digest,
                              const std::function<void(std::size_t)>& on_bytes) {
  auto reader = BERTH_TRY(blobs.open(digest, 0));
  crypto::Hasher hasher(hash_algorithm(digest.algorithm()));
  std::vector<char> buf(kHashChunk);
  std::uint64_t total = 0;
  const std::uint64_t size = reader->size();
  for (;;) {
    std::size_t n = BERTH_TRY(reader->read(buf));
    if (n == 0) break;
    hasher.update(buf.data(), n);
    total += n;
    if (on_bytes) on_bytes(n);
  }
  if (total != size) {
    return fail(ErrorCode::kCorruption, "blob ended early",
                std::to_string(total) + " of " + std::to_string(size) + " bytes read");
  }
  return oci::Digest::from_hex(digest.algorithm(), hasher.hex_digest());
}

Result<CheckReport> check_stores(blob::BlobStore& blobs, meta::MetaStore& meta,
                                 const CheckOptions& options) {
  Checker checker(blobs, meta, options);
  return checker.run();
}

}  // namespace berth::fsck
