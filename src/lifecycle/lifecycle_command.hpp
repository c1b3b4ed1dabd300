// `berth lifecycle`: evaluates every repository's lifecycle policy now,
// over the stores a server uses (its data directory's, or --blob-store /
// --meta-store URLs), online: servers may keep serving meanwhile. A dry
// run (what the policies would expire and archive) unless `apply`.
//
// Output: a summary, one line per action (or one JSON document with
// `json`) on `out`; errors on `err`. Exit codes: 0 done (or skipped because
// another process is evaluating), 1 some repositories failed (their
// policies are evaluated again next time), 2 usage error or the stores
// could not be opened.
//
// Thread-safety: run_lifecycle is reentrant.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

namespace berth::lifecycle {

struct LifecycleCommandOptions {
  std::filesystem::path data_dir;
  std::string blob_store;  // URL; "" = file://<data-dir>
  std::string meta_store;  // URL; "" = sqlite://<data-dir>/metadata.db
  std::filesystem::path blob_store_credentials;
  bool apply = false;
  bool json = false;
};

int run_lifecycle(const LifecycleCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace berth::lifecycle
