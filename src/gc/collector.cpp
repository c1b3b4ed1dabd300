#include "gc/collector.hpp"

#include <algorithm>
#include <chrono>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "crypto/ids.hpp"
#include "util/time.hpp"

namespace berth::gc {

namespace blob = storage::blob;
namespace meta = storage::meta;

namespace {

constexpr std::string_view kJob = "gc";
// The lease outlives a stalled (or killed) run by this much; a run renews
// it between items as it goes.
constexpr std::int64_t kLeaseTtlMs = 20'000;
constexpr std::int64_t kLeaseRenewMs = 5'000;
// Blobs claimed (and later finished) per metadata commit. Small enough that
// a blob a push wants back is tombstoned only briefly (linking it answers
// kUnavailable until its collection finishes), large enough that the fsync
// of a commit is shared by many blobs.
constexpr std::size_t kBatch = 64;

}  // namespace

// One run's state: the clock, the lease and the report.
class Collector::Run {
 public:
  Run(blob::BlobStore& blobs, meta::MetaStore& meta, const GcOptions& options)
      : blobs_(blobs),
        meta_(meta),
        options_(options),
        holder_(crypto::new_uuid()),
        now_(options.now_ms != 0 ? options.now_ms : now_ms()),
        due_(now_ - options.delay.count()) {
    report_.applied = options.apply;
  }

  Result<GcReport> go() {
    if (!BERTH_TRY(meta_.acquire_job_lease(kJob, holder_, now_ms(), kLeaseTtlMs))) {
      return report_;  // another process is collecting
    }
    report_.ran = true;
    lease_at_ = now_ms();
    Status done = steps();
    (void)meta_.release_job_lease(kJob, holder_);
    BERTH_TRY_STATUS(done);
    return report_;
  }

 private:
  Status steps() {
    if (options_.apply) BERTH_TRY_STATUS(finish_tombstones());
    BERTH_TRY_STATUS(review_queue());
    if (options_.full) BERTH_TRY_STATUS(sweep_blob_store());
    BERTH_TRY_STATUS(expire_uploads());
    return ok();
  }

  // Renews the lease when due; kUnavailable when another process took it
  // (this run stalled past the lease): stop rather than collect twice.
  Status keep_lease() {
    const std::int64_t now = now_ms();
    if (now - lease_at_ < kLeaseRenewMs) return ok();
    if (!BERTH_TRY(meta_.acquire_job_lease(kJob, holder_, now, kLeaseTtlMs))) {
      return fail(ErrorCode::kUnavailable, "lost the collector's lease to another process");
    }
    lease_at_ = now;
    return ok();
  }

  void count_error(const Error& error) {
    if (report_.errors++ == 0) report_.first_error = error.message + " " + error.detail;
  }

  void progress(std::string_view phase, std::uint64_t done) {
    if (options_.progress) options_.progress(phase, done);
  }

  bool stopping() const { return options_.should_stop && options_.should_stop(); }

  // Deletes a claimed (tombstoned) blob's bytes and drops the tombstone.
  // Returns the bytes freed.
  Result<std::uint64_t> collect(const oci::Digest& digest) {
    std::uint64_t size = 0;
    if (auto info = blobs_.stat(digest)) size = info->size;
    Status removed = blobs_.remove(digest);
    if (!removed && removed.error().code != ErrorCode::kBlobNotFound) {
      return std::unexpected(removed.error());  // the tombstone stays: next run retries
    }
    BERTH_TRY_STATUS(meta_.finish_blob_collection(digest));
    return size;
  }

  Status finish_tombstones() {
    std::string after;
    for (;;) {
      auto page = BERTH_TRY(meta_.blob_tombstones(after, options_.page_size));
      if (page.empty()) return ok();
      for (const oci::Digest& digest : page) {
        if (stopping()) return ok();
        auto freed = collect(digest);
        if (freed) {
          ++report_.tombstones_finished;
          report_.blobs.blobs += 1;
          report_.blobs.bytes += *freed;
        } else {
          count_error(freed.error());
        }
      }
      after = page.back().str();
      BERTH_TRY_STATUS(keep_lease());
    }
  }

  void reclaimed(const std::string& registry, std::uint64_t bytes) {
    report_.blobs.blobs += 1;
    report_.blobs.bytes += bytes;
    Reclaimed& r = report_.blobs_by_registry[registry];
    r.blobs += 1;
    r.bytes += bytes;
  }

  // One queued blob: kept, deleted, or (dry run) counted as deletable.
  Status review(const meta::BlobReview& entry) {
    ++report_.blobs_reviewed;
    if (!options_.apply) {
      if (BERTH_TRY(meta_.blob_referenced(entry.digest))) {
        ++report_.blobs_kept;
      } else {
        auto info = blobs_.stat(entry.digest);
        reclaimed(entry.registry, info ? info->size : 0);
      }
      return ok();
    }
    const meta::BlobVerdict verdict = BERTH_TRY(meta_.claim_blob(entry.digest, due_));
    if (verdict == meta::BlobVerdict::kKeep) {
      ++report_.blobs_kept;
      return ok();
    }
    reclaimed(entry.registry, BERTH_TRY(collect(entry.digest)));
    return ok();
  }

  // Applies a batch of queued blobs with two metadata commits instead of
  // two per blob (a durable commit is an fsync: per blob, they were the
  // whole cost of a sweep). 1. claim every blob in one commit (tombstones
  // for those nothing references); 2. delete the claimed blobs' bytes;
  // 3. drop their tombstones in one commit. A crash between the steps
  // leaves tombstones, which the next run finishes (finish_tombstones),
  // exactly as with one blob at a time. Where a batch commit fails as a
  // whole (e.g. PostgreSQL serialization retries ran out), the batch goes
  // one blob at a time, so one contended blob cannot stall the others.
  Status review_batch(std::span<const meta::BlobReview> batch) {
    std::vector<meta::BlobVerdict> verdicts;
    Status claimed = meta_.in_one_commit([&]() -> Status {
      verdicts.clear();  // a retried commit starts over
      for (const meta::BlobReview& entry : batch) {
        verdicts.push_back(BERTH_TRY(meta_.claim_blob(entry.digest, due_)));
      }
      return ok();
    });
    if (!claimed) {
      for (const meta::BlobReview& entry : batch) {
        if (Status done = review(entry); !done) count_error(done.error());
      }
      return ok();
    }
    std::vector<std::pair<const meta::BlobReview*, std::uint64_t>> removed;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      ++report_.blobs_reviewed;
      if (verdicts[i] == meta::BlobVerdict::kKeep) {
        ++report_.blobs_kept;
        continue;
      }
      std::uint64_t size = 0;
      if (auto info = blobs_.stat(batch[i].digest)) size = info->size;
      Status gone = blobs_.remove(batch[i].digest);
      if (!gone && gone.error().code != ErrorCode::kBlobNotFound) {
        count_error(gone.error());  // its tombstone stays: the next run retries
        continue;
      }
      removed.emplace_back(&batch[i], size);
    }
    Status finished = meta_.in_one_commit([&]() -> Status {
      for (const auto& [entry, size] : removed) {
        BERTH_TRY_STATUS(meta_.finish_blob_collection(entry->digest));
      }
      return ok();
    });
    for (const auto& [entry, size] : removed) {
      if (!finished) {
        if (Status one = meta_.finish_blob_collection(entry->digest); !one) {
          count_error(one.error());
          continue;
        }
      }
      reclaimed(entry->registry, size);
    }
    return ok();
  }

  Status review_queue() {
    std::string after;
    for (;;) {
      auto page = BERTH_TRY(meta_.due_blob_reviews(due_, after, options_.page_size));
      if (page.empty()) return ok();
      if (options_.apply) {
        for (std::size_t at = 0; at < page.size(); at += kBatch) {
          if (stopping()) return ok();
          const std::size_t n = std::min(kBatch, page.size() - at);
          BERTH_TRY_STATUS(review_batch(std::span(page).subspan(at, n)));
          progress("blobs", report_.blobs_reviewed);
          BERTH_TRY_STATUS(keep_lease());
        }
      } else {
        for (const meta::BlobReview& entry : page) {
          if (stopping()) return ok();
          if (Status done = review(entry); !done) count_error(done.error());
          progress("blobs", report_.blobs_reviewed);
        }
      }
      after = page.back().digest.str();
      BERTH_TRY_STATUS(keep_lease());
    }
  }

  // The repair: every blob in the store older than the grace period that
  // nothing references is queued (as of its own time) and reviewed.
  Status sweep_blob_store() {
    std::vector<blob::BlobInfo> candidates;
    BERTH_TRY_STATUS(blobs_.walk([&](const blob::BlobInfo& info) -> Status {
      if (info.modified_at_ms > due_) return ok();
      if (!BERTH_TRY(meta_.blob_referenced(info.digest))) candidates.push_back(info);
      return ok();
    }));
    for (const blob::BlobInfo& info : candidates) {
      if (stopping()) return ok();
      if (options_.apply) {
        BERTH_TRY_STATUS(meta_.queue_blob_review(info.digest, info.modified_at_ms, ""));
      }
      if (Status done = review({info.digest, info.modified_at_ms, ""}); !done) {
        count_error(done.error());
      }
      progress("sweep", report_.blobs_reviewed);
      BERTH_TRY_STATUS(keep_lease());
    }
    return ok();
  }

  bool expired(std::int64_t started_at_ms) const {
    return started_at_ms <= now_ - options_.upload_expiry.count();
  }

  // Cancels one upload: its staged bytes, then its record.
  Status cancel_upload(const std::string& id, bool has_record) {
    std::uint64_t size = 0;
    if (auto info = blobs_.stat_upload(id)) size = info->size;
    if (options_.apply) {
      Status aborted = blobs_.abort_upload(id);
      if (!aborted && aborted.error().code != ErrorCode::kUploadNotFound) return aborted;
      if (has_record) {
        Status deleted = meta_.delete_upload(id);
        if (!deleted && deleted.error().code != ErrorCode::kUploadNotFound) return deleted;
      }
    }
    report_.uploads.blobs += 1;
    report_.uploads.bytes += size;
    return ok();
  }

  Status expire_uploads() {
    std::vector<meta::UploadRecord> stale;
    std::unordered_set<std::string> recorded;
    BERTH_TRY_STATUS(meta_.walk_uploads([&](const meta::UploadRecord& upload) -> Status {
      recorded.insert(upload.id);
      const bool being_written = !upload.lease_holder.empty() && upload.lease_expires_at_ms > now_;
      if (expired(upload.started_at_ms) && !being_written) stale.push_back(upload);
      return ok();
    }));
    for (const meta::UploadRecord& upload : stale) {
      if (stopping()) return ok();
      if (Status done = cancel_upload(upload.id, true); !done) count_error(done.error());
      progress("uploads", report_.uploads.blobs);
    }
    // Staged data whose record is gone (its repository was deleted, or a
    // crash lost the lazy record write).
    std::vector<std::string> orphans;
    BERTH_TRY_STATUS(blobs_.walk_uploads([&](const blob::UploadInfo& info) -> Status {
      const std::int64_t started = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       info.started_at.time_since_epoch())
                                       .count();
      if (!recorded.contains(info.id) && expired(started)) orphans.push_back(info.id);
      return ok();
    }));
    for (const std::string& id : orphans) {
      // The record may have appeared since the walk: then it is not an orphan.
      if (meta_.get_upload(id)) continue;
      if (Status done = cancel_upload(id, false); !done) count_error(done.error());
      progress("uploads", report_.uploads.blobs);
    }
    return ok();
  }

  blob::BlobStore& blobs_;
  meta::MetaStore& meta_;
  const GcOptions& options_;
  const std::string holder_;
  const std::int64_t now_;
  const std::int64_t due_;  // reviews queued at or before this are due
  std::int64_t lease_at_ = 0;
  GcReport report_;
};

Collector::Collector(blob::BlobStore& blobs, meta::MetaStore& meta, GcOptions options)
    : blobs_(blobs), meta_(meta), options_(std::move(options)) {}

Result<GcReport> Collector::run() {
  Run run(blobs_, meta_, options_);
  return run.go();
}

}  // namespace berth::gc
