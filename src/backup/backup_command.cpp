#include "backup/backup_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <system_error>
#include <vector>

#include "crypto/ids.hpp"
#include "storage/factory/store_factory.hpp"
#include "storage/factory/store_url.hpp"

namespace berth::backup {

namespace {

namespace factory = storage::factory;

constexpr int kExitDone = 0;
constexpr int kExitPartial = 1;
constexpr int kExitError = 2;

// Files of a data directory that are not stores but that a copy needs to
// behave as the original: the keys, and the secret behind issued passwords.
constexpr std::array<const char*, 2> kLocalSecrets = {"credentials", "token-secret"};

struct Counts {
  std::uint64_t copied = 0;
  std::uint64_t copied_bytes = 0;
  std::uint64_t present = 0;  // already in the backup from an earlier run
  std::uint64_t failed = 0;
  std::string first_error;
};

std::string describe(const Error& e) {
  return e.detail.empty() ? e.message : e.message + ": " + e.detail;
}

// Streams one blob from `from` into `to`; the writer's commit checks the
// digest, so a corrupt source blob never lands in the backup.
Status copy_blob(storage::blob::BlobStore& from, storage::blob::BlobStore& to,
                 const oci::Digest& digest, std::uint64_t& bytes) {
  auto reader = BERTH_TRY(from.open(digest, 0));
  auto writer = BERTH_TRY(to.begin_upload(crypto::new_uuid()));
  std::array<char, 1 << 16> buffer;
  for (;;) {
    const std::size_t n = BERTH_TRY(reader->read(buffer));
    if (n == 0) break;
    if (auto appended = writer->append(std::span<const char>(buffer.data(), n)); !appended) {
      (void)to.abort_upload(writer->upload_id());
      return appended;
    }
  }
  auto info = writer->commit(digest);
  if (!info) {
    (void)to.abort_upload(writer->upload_id());
    return std::unexpected(std::move(info).error());
  }
  bytes = info->size;
  return ok();
}

Status copy_local_secrets(const std::filesystem::path& data_dir, const std::filesystem::path& to) {
  for (const char* name : kLocalSecrets) {
    const auto source = data_dir / name;
    std::error_code ec;
    if (!std::filesystem::exists(source, ec)) continue;
    const auto target = to / name;
    const auto partial = to / (std::string(name) + ".partial");
    std::filesystem::copy_file(source, partial, std::filesystem::copy_options::overwrite_existing,
                               ec);
    if (!ec) std::filesystem::permissions(partial, std::filesystem::perms::owner_read |
                                                       std::filesystem::perms::owner_write, ec);
    if (!ec) std::filesystem::rename(partial, target, ec);
    if (ec) return fail(ErrorCode::kInternal, "cannot copy " + source.string() + ": " + ec.message());
  }
  return ok();
}

boost::json::object report_json(const std::filesystem::path& to, const Counts& c) {
  boost::json::object doc;
  doc["backup"] = to.string();
  doc["metadata"] = (to / "metadata.db").string();
  doc["blobs_copied"] = {{"count", c.copied}, {"bytes", c.copied_bytes}};
  doc["blobs_already_present"] = c.present;
  doc["blobs_failed"] = c.failed;
  if (!c.first_error.empty()) doc["first_error"] = c.first_error;
  return doc;
}

}  // namespace

int run_backup(const BackupCommandOptions& options, std::FILE* out, std::FILE* err) {
  if (options.to.empty()) {
    std::fprintf(err, "berth backup: --to is required\n");
    return kExitError;
  }
  if (options.data_dir.empty() && (options.blob_store.empty() || options.meta_store.empty())) {
    std::fprintf(err,
                 "berth backup: --data-dir is required (or both --blob-store and --meta-store)\n");
    return kExitError;
  }
  std::error_code ec;
  if (!options.data_dir.empty() &&
      std::filesystem::equivalent(options.data_dir, options.to, ec)) {
    std::fprintf(err, "berth backup: --to must not be the data directory itself\n");
    return kExitError;
  }
  const std::string blob_url = options.blob_store.empty()
                                   ? factory::default_blob_store_url(options.data_dir)
                                   : options.blob_store;
  const std::string meta_url = options.meta_store.empty()
                                   ? factory::default_meta_store_url(options.data_dir)
                                   : options.meta_store;
  factory::BlobStoreOpenOptions source_options;
  source_options.must_exist = true;
  source_options.credentials_file = options.blob_store_credentials;
  auto source_blobs = factory::open_blob_store(blob_url, source_options);
  if (!source_blobs) {
    std::fprintf(err, "berth backup: %s\n", describe(source_blobs.error()).c_str());
    return kExitError;
  }
  auto source_meta = factory::open_meta_store(meta_url, {.must_exist = true});
  if (!source_meta) {
    std::fprintf(err, "berth backup: %s\n", describe(source_meta.error()).c_str());
    return kExitError;
  }

  std::filesystem::create_directories(options.to, ec);
  if (ec) {
    std::fprintf(err, "berth backup: cannot create %s: %s\n", options.to.c_str(),
                 ec.message().c_str());
    return kExitError;
  }
  ::chmod(options.to.c_str(), 0700);  // it holds keys; best effort

  // 1. The metadata, as of one instant.
  const auto snapshot = options.to / ("metadata.db.partial-" + crypto::new_uuid());
  if (auto done = (*source_meta)->snapshot_to(snapshot); !done) {
    std::filesystem::remove(snapshot, ec);
    std::fprintf(err, "berth backup: %s: %s\n", factory::redact_url(meta_url).c_str(),
                 describe(done.error()).c_str());
    return kExitError;
  }
  if (!options.json) {
    std::fprintf(out, "berth backup: metadata of %s copied as of now\n",
                 factory::redact_url(meta_url).c_str());
  }

  // 2. The blobs it references, into the backup's own file store.
  auto snapshot_meta = factory::open_meta_store("sqlite://" + snapshot.string(),
                                                {.must_exist = true});
  auto target_blobs = factory::open_blob_store("file://" + options.to.string());
  if (!snapshot_meta || !target_blobs) {
    std::filesystem::remove(snapshot, ec);
    const Error& e = !snapshot_meta ? snapshot_meta.error() : target_blobs.error();
    std::fprintf(err, "berth backup: %s\n", describe(e).c_str());
    return kExitError;
  }
  // Uploads in progress are not part of a backup: their bytes are not
  // copied, so their rows would only point at nothing in the copy.
  std::vector<std::string> uploads;
  auto listed = (*snapshot_meta)->walk_uploads([&](const storage::meta::UploadRecord& upload) {
    uploads.push_back(upload.id);
    return ok();
  });
  for (const std::string& id : uploads) {
    if (!listed) break;
    listed = (*snapshot_meta)->delete_upload(id);
  }
  if (!listed) {
    snapshot_meta->reset();
    std::filesystem::remove(snapshot, ec);
    std::fprintf(err, "berth backup: %s\n", describe(listed.error()).c_str());
    return kExitError;
  }

  Counts counts;
  const bool live = options.progress && ::isatty(::fileno(err));
  auto walked = (*snapshot_meta)->walk_referenced_blobs([&](const oci::Digest& digest) -> Status {
    if (auto held = (*target_blobs)->stat(digest); held) {
      ++counts.present;
      return ok();
    }
    std::uint64_t bytes = 0;
    if (auto copied = copy_blob(**source_blobs, **target_blobs, digest, bytes); copied) {
      ++counts.copied;
      counts.copied_bytes += bytes;
    } else {
      ++counts.failed;
      if (counts.first_error.empty()) {
        counts.first_error = digest.str() + ": " + describe(copied.error());
      }
    }
    if (live && (counts.copied + counts.present + counts.failed) % 100 == 0) {
      std::fprintf(err, "\rbackup: %llu blobs copied, %llu already there",
                   static_cast<unsigned long long>(counts.copied),
                   static_cast<unsigned long long>(counts.present));
      std::fflush(err);
    }
    return ok();
  });
  if (live) std::fprintf(err, "\r\033[K");
  snapshot_meta->reset();
  if (!walked) {
    std::filesystem::remove(snapshot, ec);
    std::fprintf(err, "berth backup: %s\n", describe(walked.error()).c_str());
    return kExitError;
  }

  // 3. Only now does the new metadata replace the previous backup's: a
  // backup cut short leaves the earlier one whole.
  for (const char* suffix : {"-wal", "-shm"}) {
    std::filesystem::remove(options.to / (std::string("metadata.db") + suffix), ec);
  }
  std::filesystem::rename(snapshot, options.to / "metadata.db", ec);
  if (ec) {
    std::fprintf(err, "berth backup: cannot move the metadata into place: %s\n",
                 ec.message().c_str());
    return kExitError;
  }
  if (!options.data_dir.empty()) {
    if (auto copied = copy_local_secrets(options.data_dir, options.to); !copied) {
      std::fprintf(err, "berth backup: %s\n", describe(copied.error()).c_str());
      return kExitError;
    }
  }

  if (options.json) {
    std::fprintf(out, "%s\n", boost::json::serialize(report_json(options.to, counts)).c_str());
  } else {
    std::fprintf(out, "blobs: copied %llu (%llu bytes), %llu already in the backup\n",
                 static_cast<unsigned long long>(counts.copied),
                 static_cast<unsigned long long>(counts.copied_bytes),
                 static_cast<unsigned long long>(counts.present));
    if (counts.failed > 0) {
      std::fprintf(out, "%llu blobs could not be copied; first: %s\n",
                   static_cast<unsigned long long>(counts.failed), counts.first_error.c_str());
    }
    std::fprintf(out, "restore: berth serve --data-dir %s\n", options.to.c_str());
  }
  std::fflush(out);
  return counts.failed > 0 ? kExitPartial : kExitDone;
}

}  // namespace berth::backup
