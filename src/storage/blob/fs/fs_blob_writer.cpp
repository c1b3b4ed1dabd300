#include "storage/blob/fs/fs_blob_writer.hpp"

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "storage/blob/hashing.hpp"

namespace berth::storage::blob::fs {

namespace {

// Large enough to amortise syscalls, small enough to never matter.
constexpr std::size_t kReadChunk = 64 * 1024;

std::string now_ns_text() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return std::to_string(ns.count());
}

// Nothing here is synced, and there is no state file yet: an empty upload
// vouches for nothing, and a crash that loses it only makes the client
// start again (resume re-hashes whatever data exists). The syncs this used
// to do were half of a small push's cost. save_state() makes it durable.
Status create_upload_files(const FsContext& context, const UploadId& id, UniqueFd& data) {
  const Layout& layout = context.layout;
  data = BERTH_TRY(open_file(layout.upload_data_path(id), O_RDWR | O_CREAT | O_EXCL, 0644,
                             ErrorCode::kUploadNotFound));
  UniqueFd started = BERTH_TRY(open_file(layout.upload_started_at_path(id),
                                         O_WRONLY | O_CREAT | O_EXCL, 0644,
                                         ErrorCode::kUploadNotFound));
  return write_all(started.get(), now_ns_text());
}

}  // namespace

Result<UploadState> load_upload_state(const Layout& layout, const UploadId& id) {
  std::string bytes = BERTH_TRY(
      read_small_file(layout.upload_state_path(id), kMaxUploadStateSize, ErrorCode::kUploadNotFound));
  return decode_upload_state(bytes);
}

Result<crypto::Hasher> hash_file_prefix(int fd, crypto::HashAlgorithm alg, std::uint64_t length) {
  crypto::Hasher hasher(alg);
  std::vector<char> buf(kReadChunk);
  std::uint64_t offset = 0;
  while (offset < length) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - offset));
    std::size_t n = BERTH_TRY(pread_some(fd, std::span<char>(buf.data(), want), offset));
    if (n == 0) return fail(ErrorCode::kCorruption, "upload data is shorter than its size");
    hasher.update(buf.data(), n);
    offset += n;
  }
  return hasher;
}

FsBlobWriter::FsBlobWriter(std::shared_ptr<const FsContext> context, UploadId id, UniqueFd data,
                           std::uint64_t size, crypto::Hasher sha256)
    : context_(std::move(context)),
      id_(std::move(id)),
      data_(std::move(data)),
      size_(size),
      sha256_(std::move(sha256)) {}

Result<std::unique_ptr<BlobWriter>> FsBlobWriter::begin(std::shared_ptr<const FsContext> context,
                                                        UploadId id) {
  const Layout& layout = context->layout;
  auto made = make_dir(layout.upload_dir(id), ErrorCode::kInternal);
  if (!made) {
    if (made.error().code == ErrorCode::kAlreadyExists) {
      return fail(ErrorCode::kAlreadyExists, "upload id is already in use", id.str());
    }
    return std::unexpected(std::move(made).error());
  }
  UniqueFd data;
  if (auto created = create_upload_files(*context, id, data); !created) {
    // Leave no half-made upload behind; the original error is what matters.
    (void)remove_tree(layout.upload_dir(id), ErrorCode::kUploadNotFound);
    return std::unexpected(std::move(created).error());
  }
  return std::unique_ptr<BlobWriter>(new FsBlobWriter(std::move(context), std::move(id),
                                                      std::move(data), 0,
                                                      crypto::Hasher(crypto::HashAlgorithm::kSha256)));
}

Result<std::unique_ptr<BlobWriter>> FsBlobWriter::resume(std::shared_ptr<const FsContext> context,
                                                         UploadId id) {
  const Layout& layout = context->layout;
  UniqueFd data =
      BERTH_TRY(open_file(layout.upload_data_path(id), O_RDWR, 0, ErrorCode::kUploadNotFound));
  std::uint64_t data_size = BERTH_TRY(file_size(data.get()));

  auto state = load_upload_state(layout, id);
  std::uint64_t size;
  std::optional<crypto::Hasher> sha256;
  if (state && state->size <= data_size) {
    // Bytes past the saved size were appended after the last save_state()
    // (a crash or a dropped writer); the contract resumes at the save.
    if (data_size > state->size) BERTH_TRY_STATUS(truncate_file(data.get(), state->size));
    size = state->size;
    sha256 = std::move(state->sha256);
  } else {
    // No usable state (never written, torn, or ahead of data that was not
    // fsynced): the data file itself is the truth, so hash all of it.
    size = data_size;
    sha256 = BERTH_TRY(hash_file_prefix(data.get(), crypto::HashAlgorithm::kSha256, size));
  }
  BERTH_TRY_STATUS(seek_to(data.get(), size));
  return std::unique_ptr<BlobWriter>(new FsBlobWriter(std::move(context), std::move(id),
                                                      std::move(data), size, std::move(*sha256)));
}

Status FsBlobWriter::check_live() const {
  if (!data_.valid()) {
    return fail(ErrorCode::kUploadNotFound, "upload was already committed or discarded",
                id_.str());
  }
  return ok();
}

void FsBlobWriter::discard() {
  data_.reset();
  (void)remove_tree(context_->layout.upload_dir(id_), ErrorCode::kUploadNotFound);
}

Status FsBlobWriter::append(std::span<const char> bytes) {
  BERTH_TRY_STATUS(check_live());
  while (!bytes.empty()) {
    // Hash exactly what reached the file, so size_ and the hash stay in step
    // with the data even when a write fails part-way.
    std::size_t n = BERTH_TRY(write_some(data_.get(), bytes));
    sha256_.update(bytes.data(), n);
    size_ += n;
    bytes = bytes.subspan(n);
  }
  return ok();
}

Status FsBlobWriter::save_state() {
  BERTH_TRY_STATUS(check_live());
  bool sync = context_->options.fsync;
  // The data must be durable before a state that vouches for it.
  if (sync) BERTH_TRY_STATUS(sync_file(data_.get(), /*data_only=*/true));
  const Layout& layout = context_->layout;
  BERTH_TRY_STATUS(write_file_atomic(layout.upload_state_path(id_),
                                     layout.upload_state_temp_path(id_),
                                     encode_upload_state(UploadState{size_, sha256_}), sync,
                                     ErrorCode::kUploadNotFound));
  // write_file_atomic synced the upload's own directory; the entry naming
  // that directory was never synced (begin() syncs nothing).
  if (sync && !upload_dir_durable_) {
    BERTH_TRY_STATUS(sync_dir(layout.uploads_dir()));
    upload_dir_durable_ = true;
  }
  return ok();
}

Result<oci::Digest> FsBlobWriter::current_digest(oci::DigestAlgorithm alg) {
  BERTH_TRY_STATUS(check_live());
  if (alg == oci::DigestAlgorithm::kSha256) return digest_of(sha256_);
  crypto::Hasher hasher = BERTH_TRY(hash_file_prefix(data_.get(), to_hash_algorithm(alg), size_));
  return digest_of(hasher);
}

Result<BlobInfo> FsBlobWriter::commit(const oci::Digest& expected) {
  BERTH_TRY_STATUS(check_live());
  if (auto valid = check_digest(expected); !valid) {
    discard();
    return std::unexpected(std::move(valid).error());
  }
  auto actual = current_digest(expected.algorithm());
  if (!actual) {
    data_.reset();
    return std::unexpected(std::move(actual).error());
  }
  if (*actual != expected) {
    discard();
    return fail(ErrorCode::kDigestMismatch, "upload content does not match the digest",
                "expected " + expected.str() + ", got " + actual->str());
  }
  auto info = move_into_place(expected);
  // Spent whatever happened: on an I/O failure the upload stays on disk for
  // the client to resume or for GC to reclaim.
  data_.reset();
  return info;
}

Result<BlobInfo> FsBlobWriter::move_into_place(const oci::Digest& digest) {
  const Layout& layout = context_->layout;
  bool sync = context_->options.fsync;
  if (sync) BERTH_TRY_STATUS(sync_file(data_.get(), /*data_only=*/false));
  std::filesystem::path shard = layout.blob_shard_dir(digest);
  BERTH_TRY_STATUS(make_dirs(shard, sync));
  bool moved = BERTH_TRY(rename_no_replace(layout.upload_data_path(id_), layout.blob_path(digest),
                                           ErrorCode::kUploadNotFound));
  // When the blob already existed the stored copy is kept: it is the same
  // content, and replacing it would only churn the disk. Its modified time
  // is refreshed, though: a collector's grace period runs from the last write.
  if (moved && sync) BERTH_TRY_STATUS(sync_dir(shard));
  if (!moved) (void)touch_file(layout.blob_path(digest));
  // The blob is committed; an upload directory left by a failure here is
  // garbage that stale-upload GC removes, not a reason to fail the commit.
  (void)remove_tree(layout.upload_dir(id_), ErrorCode::kUploadNotFound);
  return BlobInfo{digest, size_};
}

}  // namespace berth::storage::blob::fs
