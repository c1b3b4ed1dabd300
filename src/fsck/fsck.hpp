// `berth fsck`: checks (and with --repair, repairs) the stores `berth serve`
// uses — by default the filesystem blob store at <data-dir> and the SQLite
// metadata at <data-dir>/metadata.db, or any --blob-store / --meta-store
// URL — with the store checker (store_check.hpp) and repair (repair.hpp).
//
// Read-only unless `repair`: both stores are wrapped in fault-injecting
// decorators whose plan refuses every mutating call, so a bug cannot write.
// (Opening SQLite still migrates an older schema, as `berth serve` would.)
//
// Output: findings and a summary on `out` (or one JSON document with
// `json`); progress on `err` (a live line on a terminal, plain lines
// otherwise). With `repair`, the repairs made and a second check follow;
// the verdict is that of the second check.
//
// Exit codes: 0 no corruption (unreferenced blobs, stale uploads and
// warnings are fine), 1 corruption found, 2 usage error, or the data
// directory could not be opened or read through.
//
// Thread-safety: run_fsck is reentrant; do not run --repair twice at once.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "fsck/progress.hpp"

namespace berth::fsck {

inline constexpr int kExitClean = 0;
inline constexpr int kExitCorrupt = 1;
inline constexpr int kExitError = 2;

struct FsckOptions {
  std::filesystem::path data_dir;
  // Store URLs (storage/factory/store_url.hpp); empty: the data directory's
  // file:// and sqlite:// stores.
  std::string blob_store;
  std::string meta_store;
  std::filesystem::path blob_store_credentials;
  bool repair = false;
  bool json = false;
  // Hash every blob (off: check only structure and references; fast).
  bool verify_blob_content = true;
  // Uploads older than this are stale (reported; removed by repair).
  std::chrono::seconds stale_after = std::chrono::hours(24);
  ProgressMode progress = ProgressMode::kAuto;
  // As the server was run (CheckOptions): what it may have accepted.
  bool allow_sparse_indexes = false;
  bool lenient_references = false;
};

// Runs the check; writes to stdout/stderr. Returns the exit code.
int run_fsck(const FsckOptions& options);
int run_fsck(const FsckOptions& options, std::FILE* out, std::FILE* err);

// The command line of `berth_fsck_tool` (and a drop-in for a CLI that wants
// to delegate): [fsck] --data-dir DIR [--repair] [--json] [--stale-after
// SECONDS] [--no-verify-content] [--progress auto|tty|plain|none] [--help].
// argv[0] is the program name. Returns the exit code.
int fsck_main(int argc, const char* const* argv);

}  // namespace berth::fsck
