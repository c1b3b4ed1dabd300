// `berth gc`: one collection over the stores a server uses (its data
// directory's, or --blob-store / --meta-store URLs), online: servers may
// keep serving meanwhile. A dry run unless `apply`.
//
// Output: a summary (or one JSON document with `json`) on `out`; progress
// on `err` (a live line on a terminal). Exit codes: 0 done (or skipped
// because another process is collecting), 1 some items failed (they stay
// for the next run), 2 usage error or the stores could not be opened.
//
// Thread-safety: run_gc is reentrant.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

namespace berth::gc {

struct GcCommandOptions {
  std::filesystem::path data_dir;
  std::string blob_store;  // URL; "" = file://<data-dir>
  std::string meta_store;  // URL; "" = sqlite://<data-dir>/metadata.db
  std::filesystem::path blob_store_credentials;
  bool apply = false;
  bool full = false;
  bool json = false;
  bool progress = true;  // on a terminal only
  std::chrono::milliseconds delay{std::chrono::hours(24)};
  std::chrono::milliseconds upload_expiry{std::chrono::hours(24 * 7)};
};

int run_gc(const GcCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace berth::gc
