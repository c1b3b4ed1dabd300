// Repair: acts on a CheckReport so that a re-push heals what a check found,
// never removing data that is still valid.
//
//   blob_corrupt            the blob is deleted (a push of the same digest
//                           would otherwise be a no-op that keeps the bad copy)
//   manifest_corrupt,
//   manifest_unparsable     the manifest (and so its tags) is deleted, unless
//                           an index lists it
//   manifest_blob_unlinked  the blob, present in the store, is linked again
//   tag_dangling            the tag is deleted
//   link_dangling           the link is deleted
//   upload_stale            record and data are deleted (as cancel_upload does)
//   upload_orphan_data      the data is deleted
//   upload_orphan_record    the record is deleted
// Nothing is done for blobs that could not be read (possibly a transient I/O
// error), for missing blobs or children (only a re-push brings them back),
// for size mismatches, or for unreferenced blobs (the collector's job).
//
// Thread-safety: reentrant. Safe against a live server (each action is one
// store call that the stores make atomic), but the findings may be stale by
// then: run it with berth stopped, or re-check afterwards (fsck does).
#pragma once

#include <string>
#include <vector>

#include "fsck/findings.hpp"
#include "storage/blob/blob_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::fsck {

enum class RepairOutcome {
  kDone,     // the store was changed as described
  kSkipped,  // nothing to do, or deliberately left alone (see detail)
  kFailed,   // the store call failed (see detail)
};

std::string_view to_string(RepairOutcome outcome);  // "done", "skipped", "failed"

struct RepairAction {
  Finding finding;     // what it addresses
  std::string action;  // "deleted corrupt blob", "relinked blob", ...
  RepairOutcome outcome = RepairOutcome::kSkipped;
  std::string detail;  // why skipped, the error, or what else went (tags)
};

// "done: deleted corrupt blob sha256:…" — one line.
std::string describe(const RepairAction& action);

struct RepairReport {
  std::vector<RepairAction> actions;
  std::size_t count(RepairOutcome outcome) const;
};

// Each finding is handled once (a manifest reported twice is deleted once).
// Never fails as a whole: store errors are recorded per action.
RepairReport repair_stores(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta,
                           const CheckReport& report);

}  // namespace berth::fsck
