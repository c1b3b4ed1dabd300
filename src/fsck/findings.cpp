#include "fsck/findings.hpp"

namespace berth::fsck {

std::string_view to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::kBlobCorrupt:
      return "blob_corrupt";
    case FindingKind::kBlobUnreadable:
      return "blob_unreadable";
    case FindingKind::kBlobUnreferenced:
      return "blob_unreferenced";
    case FindingKind::kManifestCorrupt:
      return "manifest_corrupt";
    case FindingKind::kManifestUnparsable:
      return "manifest_unparsable";
    case FindingKind::kManifestBlobMissing:
      return "manifest_blob_missing";
    case FindingKind::kManifestBlobUnlinked:
      return "manifest_blob_unlinked";
    case FindingKind::kManifestBlobSizeMismatch:
      return "manifest_blob_size_mismatch";
    case FindingKind::kManifestChildMissing:
      return "manifest_child_missing";
    case FindingKind::kTagDangling:
      return "tag_dangling";
    case FindingKind::kLinkDangling:
      return "link_dangling";
    case FindingKind::kUploadStale:
      return "upload_stale";
    case FindingKind::kUploadOrphanData:
      return "upload_orphan_data";
    case FindingKind::kUploadOrphanRecord:
      return "upload_orphan_record";
    case FindingKind::kBlobCollecting:
      return "blob_collecting";
    case FindingKind::kBlobCollectedButReferenced:
      return "blob_collected_but_referenced";
  }
  return "unknown";
}

Severity severity_of(FindingKind kind) {
  switch (kind) {
    case FindingKind::kBlobUnreferenced:
    case FindingKind::kBlobCollecting:
    case FindingKind::kUploadStale:
    case FindingKind::kUploadOrphanData:
    case FindingKind::kUploadOrphanRecord:
      return Severity::kInfo;
    case FindingKind::kManifestBlobSizeMismatch:
      return Severity::kWarning;
    default:
      return Severity::kCorruption;
  }
}

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCorruption:
      return "corruption";
  }
  return "unknown";
}

std::string describe(const Finding& f) {
  std::string line(to_string(f.severity()));
  line += ' ';
  line += to_string(f.kind);
  if (!f.repository.empty()) {
    line += " repository=";
    line += f.repository;
    if (!f.registry.empty()) line += " (registry " + f.registry + ")";
  }
  if (!f.digest.empty()) line += " digest=" + f.digest.str();
  if (!f.subject.empty()) {
    switch (f.kind) {
      case FindingKind::kTagDangling:
        line += " tag=";
        break;
      case FindingKind::kUploadStale:
      case FindingKind::kUploadOrphanData:
      case FindingKind::kUploadOrphanRecord:
        line += " upload=";
        break;
      default:
        line += " manifest=";
        break;
    }
    line += f.subject;
  }
  if (!f.message.empty()) line += ": " + f.message;
  return line;
}

std::size_t CheckReport::count(FindingKind kind) const {
  std::size_t n = 0;
  for (const auto& f : findings) n += f.kind == kind;
  return n;
}

std::size_t CheckReport::count(Severity severity) const {
  std::size_t n = 0;
  for (const auto& f : findings) n += f.severity() == severity;
  return n;
}

std::vector<Finding> CheckReport::corruption() const {
  std::vector<Finding> out;
  for (const auto& f : findings) {
    if (f.severity() == Severity::kCorruption) out.push_back(f);
  }
  return out;
}

std::map<std::string, std::size_t> CheckReport::counts_by_kind() const {
  std::map<std::string, std::size_t> out;
  for (const auto& f : findings) ++out[std::string(to_string(f.kind))];
  return out;
}

}  // namespace berth::fsck
