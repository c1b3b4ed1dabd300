// Collector: online garbage collection of blobs and abandoned uploads.
//
// It never scans the metadata to find garbage: the metadata transactions
// that drop a blob's last reference queue the blob for review (see
// MetaStore, "garbage collection"), and uploads queue what they commit. A
// run reviews the queue entries older than the grace period (`delay`):
//
//   claim (one metadata transaction: still referenced anywhere? keep it;
//          else tombstone it, so nothing can link it again)
//   -> delete the bytes -> finish (drop the tombstone)
//
// so a blob is deleted only when no repository of any registry has linked
// or referenced it for `delay`, and never while a push links it. A crash at
// any point leaves a tombstone that the next run finishes; nothing
// referenced is ever touched. `full` adds a mark-and-sweep repair that walks
// the blob store for blobs the queue never saw (garbage of a crash before
// queueing existed, or of a lost lazy write). Uploads whose record is older
// than `upload_expiry` and not being written are cancelled, and staged
// upload data with no record at all is removed after the same expiry.
//
// One process at a time collects: a run holds the metadata store's "gc" job
// lease (renewed while it works) and skips when another process holds it.
// Without `apply` a run only reports what it would delete.
//
// Thread-safety: a Collector is used by one thread at a time; several
// Collectors (in one process or many) over the same stores are safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "storage/blob/blob_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::gc {

struct GcOptions {
  std::chrono::milliseconds delay{std::chrono::hours(24)};
  std::chrono::milliseconds upload_expiry{std::chrono::hours(24 * 7)};
  bool apply = false;  // false: a dry run that deletes nothing
  bool full = false;   // also walk the blob store (a repair; reads every blob's entry)
  std::size_t page_size = 500;
  // The time "now" is; 0 = the clock. Tests move it instead of sleeping.
  std::int64_t now_ms = 0;
  // Called after each blob or upload handled.
  std::function<void(std::string_view phase, std::uint64_t done)> progress;
  // Asked between items; true ends the run early (a server shutting down).
  std::function<bool()> should_stop;
};

struct Reclaimed {
  std::uint64_t blobs = 0;
  std::uint64_t bytes = 0;
};

struct GcReport {
  bool ran = false;           // false: another process holds the lease
  bool applied = false;       // false: a dry run
  std::uint64_t blobs_reviewed = 0;
  std::uint64_t blobs_kept = 0;  // referenced again since their reference dropped
  Reclaimed blobs;               // deleted (or, in a dry run, deletable)
  std::map<std::string, Reclaimed> blobs_by_registry;  // "" where no registry is known
  std::uint64_t tombstones_finished = 0;  // collections a crash had interrupted
  Reclaimed uploads;                      // expired uploads cancelled
  std::uint64_t errors = 0;               // items that failed (retried next run)
  std::string first_error;
};

class Collector {
 public:
  Collector(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta, GcOptions options);

  // One run. Errors only when the stores fail as a whole (a listing or the
  // lease); a single blob or upload that fails is counted in the report and
  // left for the next run.
  Result<GcReport> run();

 private:
  class Run;

  storage::blob::BlobStore& blobs_;
  storage::meta::MetaStore& meta_;
  GcOptions options_;
};

}  // namespace berth::gc
