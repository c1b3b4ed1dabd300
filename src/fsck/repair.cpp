#include "fsck/repair.hpp"

#include <optional>
#include <set>
#include <tuple>

#include "util/time.hpp"

namespace berth::fsck {

namespace blob = storage::blob;
namespace meta = storage::meta;

namespace {

// Runs one store call and records its outcome. `gone` is the not-found code
// that means someone already did it (the action then counts as done).
template <typename Call>
RepairAction act(const Finding& finding, std::string action, ErrorCode gone, Call&& call) {
  RepairAction out{finding, std::move(action), RepairOutcome::kDone, ""};
  Status status = call();
  if (!status) {
    if (status.error().code == gone) {
      out.detail = "already gone";
    } else {
      out.outcome = RepairOutcome::kFailed;
      out.detail = status.error().message;
      if (!status.error().detail.empty()) out.detail += " (" + status.error().detail + ")";
    }
  }
  return out;
}

RepairAction skip(const Finding& finding, std::string action, std::string why) {
  return RepairAction{finding, std::move(action), RepairOutcome::kSkipped, std::move(why)};
}

class Repairer {
 public:
  Repairer(blob::BlobStore& blobs, meta::MetaStore& meta) : blobs_(blobs), meta_(meta) {}

  RepairReport run(const CheckReport& report) {
    for (const Finding& f : report.findings) {
      if (std::optional<RepairAction> action = handle(f)) {
        out_.actions.push_back(std::move(*action));
      }
    }
    return std::move(out_);
  }

 private:
  // Whether (kind, repository, digest, subject) was handled already.
  bool first_time(const Finding& f, std::string_view key_kind) {
    return seen_.emplace(std::string(key_kind), f.repository_id, f.digest.str(), f.subject).second;
  }

  std::optional<RepairAction> handle(const Finding& f) {
    switch (f.kind) {
      case FindingKind::kBlobCorrupt:
        if (!first_time(f, "blob")) return std::nullopt;
        return act(f, "deleted corrupt blob " + f.digest.str(), ErrorCode::kBlobNotFound,
                   [&] { return blobs_.remove(f.digest); });
      case FindingKind::kBlobUnreadable:
        return skip(f, "left unreadable blob " + f.digest.str(),
                    "the read error may be transient; check the disk, then run fsck again");
      case FindingKind::kManifestCorrupt:
      case FindingKind::kManifestUnparsable: {
        // The manifest is the finding's digest; for these kinds there is no subject.
        if (!first_time(f, "manifest")) return std::nullopt;
        return delete_manifest(f);
      }
      case FindingKind::kManifestBlobUnlinked:
        if (!first_time(f, "link")) return std::nullopt;
        return act(f, "relinked blob " + f.digest.str() + " in " + f.repository,
                   ErrorCode::kRepositoryNotFound,
                   [&] { return meta_.link_blob(f.repository_id, f.digest, f.size, now_ms()); });
      case FindingKind::kManifestBlobMissing:
        return skip(f, "cannot restore blob " + f.digest.str(),
                    "push it to " + f.repository + " again (manifest " + f.subject + ")");
      case FindingKind::kManifestChildMissing:
        return skip(f, "cannot restore manifest " + f.digest.str(),
                    "push it to " + f.repository + " again (index " + f.subject + ")");
      case FindingKind::kManifestBlobSizeMismatch:
        return skip(f, "left manifest " + f.subject,
                    "the manifest's descriptor is what was pushed");
      case FindingKind::kTagDangling:
        return act(f, "deleted dangling tag " + f.subject + " in " + f.repository,
                   ErrorCode::kManifestNotFound,
                   [&] { return meta_.delete_tag(f.repository_id, f.subject); });
      case FindingKind::kLinkDangling:
        return act(f, "deleted dangling link to " + f.digest.str() + " in " + f.repository,
                   ErrorCode::kBlobNotFound,
                   [&] { return meta_.unlink_blob(f.repository_id, f.digest); });
      case FindingKind::kUploadStale:
        // Bytes first, as Registry::cancel_upload does: on a full disk the
        // metadata write may fail, and freeing the space is the point. A
        // record left without data is harmless (the upload reads as gone).
        return act(f, "removed stale upload " + f.subject, ErrorCode::kUploadNotFound, [&] {
          Status data = blobs_.abort_upload(f.subject);
          if (!data && data.error().code != ErrorCode::kUploadNotFound) return data;
          return meta_.delete_upload(f.subject);
        });
      case FindingKind::kUploadOrphanData:
        return act(f, "removed orphaned upload data " + f.subject, ErrorCode::kUploadNotFound,
                   [&] { return blobs_.abort_upload(f.subject); });
      case FindingKind::kUploadOrphanRecord:
        return act(f, "removed orphaned upload record " + f.subject, ErrorCode::kUploadNotFound,
                   [&] { return meta_.delete_upload(f.subject); });
      case FindingKind::kBlobUnreferenced:
      case FindingKind::kBlobCollecting:
        return std::nullopt;  // garbage collection's job, not a repair
      case FindingKind::kBlobCollectedButReferenced:
        // Stop the collection: the bytes must stay (if they are gone, the
        // references are reported on their own and a re-push heals them).
        return act(f, "cancelled the collection of referenced blob " + f.digest.str(),
                   ErrorCode::kBlobNotFound, [&] { return meta_.finish_blob_collection(f.digest); });
    }
    return std::nullopt;
  }

  RepairAction delete_manifest(const Finding& f) {
    std::string where = f.digest.str() + " in " + f.repository;
    auto tags = meta_.tags_of(f.repository_id, f.digest);
    Status deleted = meta_.delete_manifest(f.repository_id, f.digest);
    if (!deleted && deleted.error().code == ErrorCode::kReferencedByIndex) {
      // Deleting it would break the index that lists it.
      return skip(f, "left corrupt manifest " + where,
                  "index " + deleted.error().detail +
                      " lists it; delete that index, then run fsck --repair again");
    }
    RepairAction out = act(f, "deleted corrupt manifest " + where, ErrorCode::kManifestNotFound,
                           [&] { return deleted; });
    if (out.outcome == RepairOutcome::kDone && out.detail.empty() && tags && !tags->empty()) {
      out.detail = "tags removed with it:";
      for (const auto& t : *tags) out.detail += " " + t;
    }
    return out;
  }

  blob::BlobStore& blobs_;
  meta::MetaStore& meta_;
  RepairReport out_;
  std::set<std::tuple<std::string, meta::RepositoryId, std::string, std::string>> seen_;
};

}  // namespace

std::string_view to_string(RepairOutcome outcome) {
  switch (outcome) {
    case RepairOutcome::kDone:
      return "done";
    case RepairOutcome::kSkipped:
      return "skipped";
    case RepairOutcome::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string describe(const RepairAction& a) {
  std::string line(to_string(a.outcome));
  line += ": ";
  line += a.action;
  if (!a.detail.empty()) line += " (" + a.detail + ")";
  return line;
}

std::size_t RepairReport::count(RepairOutcome outcome) const {
  std::size_t n = 0;
  for (const auto& a : actions) n += a.outcome == outcome;
  return n;
}

RepairReport repair_stores(blob::BlobStore& blobs, meta::MetaStore& meta,
                           const CheckReport& report) {
  Repairer repairer(blobs, meta);
  return repairer.run(report);
}

}  // namespace berth::fsck
