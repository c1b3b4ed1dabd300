#include "fsck/fsck.hpp"

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <system_error>

#include "fsck/repair.hpp"
#include "fsck/report_json.hpp"
#include "fsck/store_check.hpp"
#include "storage/blob/faulty/faulty_blob_store.hpp"
#include "storage/meta/faulty/faulty_meta_store.hpp"
#include "storage/factory/store_factory.hpp"
#include "storage/factory/store_url.hpp"

namespace berth::fsck {

namespace fs = std::filesystem;

namespace {

// Human output prints at most this many info findings of each kind (the
// JSON lists them all).
constexpr std::size_t kMaxInfoLinesPerKind = 50;

struct OpenStores {
  std::unique_ptr<storage::blob::BlobStore> blobs;
  std::unique_ptr<storage::meta::MetaStore> meta;
  // --repair: the exclusive hold that keeps `berth serve` out meanwhile.
  std::unique_ptr<storage::meta::StoreLock> repair_lock;
  // The read-only guards, when not repairing; null otherwise.
  std::unique_ptr<storage::blob::BlobStore> guarded_blobs;
  std::unique_ptr<storage::meta::MetaStore> guarded_meta;

  storage::blob::BlobStore& blob_store() { return guarded_blobs ? *guarded_blobs : *blobs; }
  storage::meta::MetaStore& meta_store() { return guarded_meta ? *guarded_meta : *meta; }
};

Result<OpenStores> open_stores(const FsckOptions& options) {
  std::error_code ec;
  const bool needs_data_dir = options.blob_store.empty() || options.meta_store.empty();
  if (needs_data_dir && !fs::is_directory(options.data_dir, ec)) {
    return fail(ErrorCode::kInvalidArgument,
                "data directory " + options.data_dir.string() + " does not exist");
  }
  if (options.blob_store.empty() && options.meta_store.empty() &&
      (!fs::is_regular_file(options.data_dir / "metadata.db", ec) ||
       !fs::is_directory(options.data_dir / "blobs", ec))) {
    return fail(
        ErrorCode::kInvalidArgument,
        options.data_dir.string() + " is not a berth data directory (no metadata.db or blobs/)");
  }
  const std::string blob_url = options.blob_store.empty()
                                   ? storage::factory::default_blob_store_url(options.data_dir)
                                   : options.blob_store;
  const std::string meta_url = options.meta_store.empty()
                                   ? storage::factory::default_meta_store_url(options.data_dir)
                                   : options.meta_store;
  OpenStores stores;
  // Never create a store: checking an empty new one would only hide a typo.
  storage::factory::BlobStoreOpenOptions blob_options;
  blob_options.must_exist = true;
  blob_options.credentials_file = options.blob_store_credentials;
  stores.blobs = BERTH_TRY(storage::factory::open_blob_store(blob_url, blob_options));
  stores.meta = BERTH_TRY(storage::factory::open_meta_store(meta_url, {.must_exist = true}));
  if (options.repair) {
    // Repairing under a running server would race its writes; a read-only
    // check is safe beside one (it reads consistent snapshots).
    auto lock = stores.meta->lock_store(storage::meta::StoreLockMode::kExclusive);
    if (!lock) {
      return fail(ErrorCode::kUnavailable, "--repair refused: " + lock.error().message +
                                               "; stop it first, or check without --repair");
    }
    stores.repair_lock = std::move(*lock);
  } else {
    auto plan = storage::faulty::FaultPlan::read_only("berth fsck is read-only without --repair");
    stores.guarded_blobs =
        std::make_unique<storage::blob::faulty::FaultyBlobStore>(*stores.blobs, plan);
    stores.guarded_meta =
        std::make_unique<storage::meta::faulty::FaultyMetaStore>(*stores.meta, plan);
  }
  return stores;
}

void print_findings(std::FILE* out, const CheckReport& report) {
  std::map<FindingKind, std::size_t> printed;
  for (const Finding& f : report.findings) {
    if (f.severity() == Severity::kInfo && ++printed[f.kind] > kMaxInfoLinesPerKind) continue;
    std::fprintf(out, "%s\n", describe(f).c_str());
  }
  for (const auto& [kind, n] : printed) {
    if (n > kMaxInfoLinesPerKind) {
      std::fprintf(out, "info %s: %zu more not shown (use --json for all)\n",
                   std::string(to_string(kind)).c_str(), n - kMaxInfoLinesPerKind);
    }
  }
}

void print_summary(std::FILE* out, const CheckReport& report, std::string_view label) {
  const CheckStats& s = report.stats;
  std::fprintf(
      out,
      "%.*schecked %llu blobs (%s, %s hashed), %llu repositories, %llu manifests, "
      "%llu tags, %llu uploads\n",
      static_cast<int>(label.size()), label.data(), static_cast<unsigned long long>(s.blobs),
      format_bytes(s.blob_bytes).c_str(), format_bytes(s.bytes_hashed).c_str(),
      static_cast<unsigned long long>(s.repositories), static_cast<unsigned long long>(s.manifests),
      static_cast<unsigned long long>(s.tags), static_cast<unsigned long long>(s.uploads));
  std::string kinds;
  for (const auto& [kind, n] : report.counts_by_kind()) {
    kinds += (kinds.empty() ? "" : ", ") + kind + " " + std::to_string(n);
  }
  std::fprintf(out, "%.*sfound %zu corruption, %zu warning, %zu info%s%s%s\n",
               static_cast<int>(label.size()), label.data(), report.count(Severity::kCorruption),
               report.count(Severity::kWarning), report.count(Severity::kInfo),
               kinds.empty() ? "" : " (", kinds.c_str(), kinds.empty() ? "" : ")");
}

Result<CheckReport> check(OpenStores& stores, const FsckOptions& options,
                          ProgressDisplay& progress) {
  CheckOptions check_options;
  check_options.verify_blob_content = options.verify_blob_content;
  check_options.count_blobs_first = options.verify_blob_content;
  check_options.stale_after = options.stale_after;
  check_options.allow_sparse_indexes = options.allow_sparse_indexes;
  check_options.lenient_references = options.lenient_references;
  check_options.progress = [&progress](std::string_view phase, const CheckStats& stats) {
    progress.update(phase, stats);
  };
  auto report = check_stores(stores.blob_store(), stores.meta_store(), check_options);
  progress.finish();
  return report;
}

void print_error(std::FILE* err, const Error& e) {
  std::fprintf(err, "berth fsck: %s%s%s\n", e.message.c_str(), e.detail.empty() ? "" : ": ",
               e.detail.c_str());
}

// What is being checked, for the first line: the data directory, or the
// store URLs (passwords redacted) where given.
std::string describe_stores(const FsckOptions& options) {
  if (options.blob_store.empty() && options.meta_store.empty()) return options.data_dir.string();
  std::string blobs = options.blob_store.empty()
                          ? storage::factory::default_blob_store_url(options.data_dir)
                          : options.blob_store;
  std::string meta = options.meta_store.empty()
                         ? storage::factory::default_meta_store_url(options.data_dir)
                         : options.meta_store;
  return storage::factory::redact_url(blobs) + " + " + storage::factory::redact_url(meta);
}

}  // namespace

int run_fsck(const FsckOptions& options) { return run_fsck(options, stdout, stderr); }

int run_fsck(const FsckOptions& options, std::FILE* out, std::FILE* err) {
  if (options.data_dir.empty() && (options.blob_store.empty() || options.meta_store.empty())) {
    std::fprintf(err, "berth fsck: --data-dir is required (or both --blob-store and --meta-store)\n");
    return kExitError;
  }
  auto stores = open_stores(options);
  if (!stores) {
    print_error(err, stores.error());
    return kExitError;
  }
  ProgressDisplay progress(err, options.progress);
  const std::string checked = describe_stores(options);
  if (!options.json) {
    std::fprintf(out, "berth fsck: %s (%s)\n", checked.c_str(),
                 options.repair ? "repair" : "read-only");
  }
  auto first = check(*stores, options, progress);
  if (!first) {
    print_error(err, first.error());
    return kExitError;
  }
  boost::json::object doc;
  doc["data_dir"] = options.data_dir.string();
  doc["stores"] = checked;
  doc["mode"] = options.repair ? "repair" : "check";
  doc["check"] = to_json(*first);
  if (!options.json) {
    print_findings(out, *first);
    print_summary(out, *first, "");
  }

  const CheckReport* verdict = &*first;
  Result<CheckReport> second;
  bool repair_failed = false;
  if (options.repair) {
    RepairReport repairs = repair_stores(stores->blob_store(), stores->meta_store(), *first);
    doc["repairs"] = to_json(repairs);
    if (!options.json) {
      if (repairs.actions.empty()) std::fprintf(out, "repair: nothing to do\n");
      for (const RepairAction& a : repairs.actions) {
        std::fprintf(out, "repair %s\n", describe(a).c_str());
      }
    }
    for (const RepairAction& a : repairs.actions) {
      repair_failed = repair_failed || a.outcome == RepairOutcome::kFailed;
    }
    progress.note("checking again after repair");
    second = check(*stores, options, progress);
    if (!second) {
      print_error(err, second.error());
      return kExitError;
    }
    doc["after_repair"] = to_json(*second);
    if (!options.json) {
      for (const Finding& f : second->findings) {
        if (f.severity() != Severity::kInfo)
          std::fprintf(out, "after repair: %s\n", describe(f).c_str());
      }
      print_summary(out, *second, "after repair: ");
    }
    verdict = &*second;
  }

  // A repair that could not be carried out leaves the store as it was
  // found: not clean, whatever else the second pass says.
  const int code = verdict->corrupt() || repair_failed ? kExitCorrupt : kExitClean;
  doc["clean"] = !verdict->corrupt();
  doc["exit_code"] = code;
  if (options.json) {
    std::fprintf(out, "%s\n", boost::json::serialize(doc).c_str());
  } else {
    std::fprintf(
        out, "%s\n",
        code == kExitClean ? "fsck: no corruption found" : "fsck: CORRUPTION FOUND (exit 1)");
  }
  std::fflush(out);
  return code;
}

}  // namespace berth::fsck
