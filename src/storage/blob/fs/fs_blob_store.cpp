#include "storage/blob/fs/fs_blob_store.hpp"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "storage/blob/fs/fs_blob_writer.hpp"
#include "storage/blob/fs/posix_file.hpp"
#include "storage/blob/hashing.hpp"
#include "storage/blob/layout.hpp"
#include "storage/blob/upload_id.hpp"

namespace berth::storage::blob::fs {

namespace {

class FsBlobReader final : public BlobReader {
 public:
  FsBlobReader(UniqueFd fd, std::uint64_t size, std::uint64_t offset)
      : fd_(std::move(fd)), size_(size), offset_(offset) {}

  std::uint64_t size() const override { return size_; }

  Result<std::size_t> read(std::span<char> out) override {
    if (offset_ >= size_ || out.empty()) return 0;
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - offset_));
    // pread keeps the fd's own position untouched for sendfile users.
    std::size_t n = BERTH_TRY(pread_some(fd_.get(), out.first(want), offset_));
    offset_ += n;
    return n;
  }

  int native_handle() const override { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::uint64_t size_;
  std::uint64_t offset_;
};

std::optional<std::int64_t> parse_ns(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

class FsBlobStore final : public BlobStore {
 public:
  explicit FsBlobStore(std::shared_ptr<const FsContext> context) : context_(std::move(context)) {}

  Result<BlobInfo> stat(const oci::Digest& digest) override {
    BERTH_TRY_STATUS(check_digest(digest));
    std::uint64_t size =
        BERTH_TRY(file_size(layout().blob_path(digest), ErrorCode::kBlobNotFound));
    return BlobInfo{digest, size};
  }

  Result<std::unique_ptr<BlobReader>> open(const oci::Digest& digest,
                                           std::uint64_t offset) override {
    BERTH_TRY_STATUS(check_digest(digest));
    UniqueFd fd = BERTH_TRY(
        open_file(layout().blob_path(digest), O_RDONLY, 0, ErrorCode::kBlobNotFound));
    std::uint64_t size = BERTH_TRY(file_size(fd.get()));
    if (offset > size) {
      return fail(ErrorCode::kRangeInvalid, "offset is past the end of the blob",
                  std::to_string(offset) + " > " + std::to_string(size));
    }
    return std::unique_ptr<BlobReader>(new FsBlobReader(std::move(fd), size, offset));
  }

  Result<std::unique_ptr<BlobWriter>> begin_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    return FsBlobWriter::begin(context_, std::move(id));
  }

  Result<std::unique_ptr<BlobWriter>> resume_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    return FsBlobWriter::resume(context_, std::move(id));
  }

  Result<UploadInfo> stat_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    return load_upload_info(id);
  }

  Status abort_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    return remove_tree(layout().upload_dir(id), ErrorCode::kUploadNotFound);
  }

  Status remove(const oci::Digest& digest) override {
    BERTH_TRY_STATUS(check_digest(digest));
    // Shard directories stay: removing them would race with a concurrent
    // commit that just created the same shard.
    return unlink_file(layout().blob_path(digest), ErrorCode::kBlobNotFound);
  }

  Status walk(const std::function<Status(const BlobInfo&)>& visit) override {
    for (oci::DigestAlgorithm alg : kBlobAlgorithms) {
      std::filesystem::path alg_dir = layout().blob_algorithm_dir(alg);
      std::vector<std::string> shards = BERTH_TRY(list_dir(alg_dir));
      for (const std::string& shard : shards) {
        // Names are listed one shard at a time so a visitor may remove
        // blobs (GC sweep) without invalidating an open directory stream.
        std::vector<std::string> names = BERTH_TRY(list_dir(alg_dir / shard));
        for (const std::string& name : names) {
          auto digest = Layout::blob_digest_from_entry(alg, shard, name);
          if (!digest) continue;  // a stray or temporary file
          auto stat = stat_file(layout().blob_path(*digest), ErrorCode::kBlobNotFound);
          if (!stat) {
            if (stat.error().code == ErrorCode::kBlobNotFound) continue;  // removed meanwhile
            return std::unexpected(std::move(stat).error());
          }
          BERTH_TRY_STATUS(visit(BlobInfo{*digest, stat->size, stat->modified_at_ms}));
        }
      }
    }
    return ok();
  }

  Status walk_uploads(const std::function<Status(const UploadInfo&)>& visit) override {
    std::vector<std::string> names = BERTH_TRY(list_dir(layout().uploads_dir()));
    for (const std::string& name : names) {
      auto id = UploadId::parse(name);
      if (!id) continue;  // not something begin_upload made
      auto info = load_upload_info(*id);
      if (!info) {
        if (info.error().code == ErrorCode::kUploadNotFound) continue;  // finished meanwhile
        return std::unexpected(std::move(info).error());
      }
      BERTH_TRY_STATUS(visit(*info));
    }
    return ok();
  }

 private:
  const Layout& layout() const { return context_->layout; }

  // Reports the size resume_upload would continue from, reading the same
  // files the same way (state if it fits the data, else the data's size).
  Result<UploadInfo> load_upload_info(const UploadId& id) {
    std::int64_t dir_mtime =
        BERTH_TRY(modified_at_ns(layout().upload_dir(id), ErrorCode::kUploadNotFound));
    auto data_size = file_size(layout().upload_data_path(id), ErrorCode::kUploadNotFound);
    if (!data_size && data_size.error().code != ErrorCode::kUploadNotFound) {
      return std::unexpected(std::move(data_size).error());
    }
    std::uint64_t size = data_size.value_or(0);
    auto state = load_upload_state(layout(), id);
    if (state && state->size <= size) size = state->size;

    // A crash between creating the directory and writing startedat leaves
    // no start time; the directory's mtime is the next best thing.
    std::int64_t started_ns = dir_mtime;
    if (auto text = read_small_file(layout().upload_started_at_path(id), 64,
                                    ErrorCode::kUploadNotFound)) {
      started_ns = parse_ns(*text).value_or(dir_mtime);
    }
    UploadInfo info;
    info.id = id.str();
    info.size = size;
    info.started_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(started_ns)));
    return info;
  }

  std::shared_ptr<const FsContext> context_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> open_fs_blob_store(const std::filesystem::path& root,
                                                      FsBlobStoreOptions options) {
  // Absolute, so a later chdir cannot move the store under us.
  std::error_code ec;
  std::filesystem::path absolute_root = std::filesystem::absolute(root, ec);
  if (ec) return from_errno("resolve blob store root", ec.value(), ErrorCode::kInternal);
  auto context =
      std::make_shared<const FsContext>(FsContext{Layout(std::move(absolute_root)), options});
  const Layout& layout = context->layout;
  for (oci::DigestAlgorithm alg : kBlobAlgorithms) {
    BERTH_TRY_STATUS(make_dirs(layout.blob_algorithm_dir(alg), options.fsync));
  }
  BERTH_TRY_STATUS(make_dirs(layout.uploads_dir(), options.fsync));
  return std::unique_ptr<BlobStore>(new FsBlobStore(std::move(context)));
}

}  // namespace berth::storage::blob::fs
