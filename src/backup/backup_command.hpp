// `berth backup`: an online, consistent copy of a store into a directory
// that is itself a data directory (`berth serve --data-dir <it>` runs on
// it as it is; `berth fsck --data-dir <it>` checks it).
//
// How it stays consistent while servers keep writing:
//  1. the metadata is copied as of one instant (MetaStore::snapshot_to:
//     SQLite's VACUUM INTO, one read transaction), to a temporary file
//     renamed over the previous backup's only at the end;
//  2. the blobs that snapshot references are then copied. Blobs are
//     immutable and content-addressed, and the collector deletes a blob
//     only after it has been unreferenced for its grace period (24 h by
//     default), so every blob the snapshot names is still there while the
//     copy runs. Each copy is verified against its digest as it is written.
// A second backup into the same directory copies only the blobs it does
// not hold yet. The local `credentials` and `token-secret` files of the
// data directory go along (mode 0600), so that keys and issued passwords
// keep working on the copy.
//
// Exit codes: 0 done; 1 some blobs could not be copied (missing or corrupt
// in the source: the copy is kept, and fsck on it names them); 2 usage
// error, a store that cannot be opened, or a metadata store that cannot
// copy itself (PostgreSQL: use pg_dump).
//
// Thread-safety: run_backup is reentrant.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

namespace berth::backup {

struct BackupCommandOptions {
  std::filesystem::path data_dir;
  std::string blob_store;  // URL; "" = file://<data-dir>
  std::string meta_store;  // URL; "" = sqlite://<data-dir>/metadata.db
  std::filesystem::path blob_store_credentials;
  std::filesystem::path to;  // the backup's directory (created if missing)
  bool json = false;
  bool progress = true;  // on a terminal only
};

int run_backup(const BackupCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace berth::backup
