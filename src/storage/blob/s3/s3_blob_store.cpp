#include "storage/blob/s3/s3_blob_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "storage/blob/hashing.hpp"
#include "storage/blob/s3/s3_blob_writer.hpp"
#include "storage/blob/s3/s3_signing.hpp"
#include "storage/blob/upload_id.hpp"
#include "util/time.hpp"

namespace berth::storage::blob::s3 {

namespace {

// What one ranged GET of a read brings in: large enough that requests cost
// little next to the bytes, small enough for many pulls at once.
constexpr std::uint64_t kReadWindow = 4ull << 20;

class S3BlobReader final : public BlobReader {
 public:
  S3BlobReader(std::shared_ptr<S3Context> context, std::string key, std::uint64_t size,
               std::uint64_t offset)
      : context_(std::move(context)), key_(std::move(key)), size_(size), offset_(offset) {}

  std::uint64_t size() const override { return size_; }

  Result<std::size_t> read(std::span<char> out) override {
    if (out.empty()) return 0;
    if (window_at_ == window_.size()) {
      if (offset_ >= size_) return 0;
      const std::uint64_t length = std::min(kReadWindow, size_ - offset_);
      // Gone mid-read (collected, or the bucket emptied): the stream the
      // client already has cannot be completed.
      window_at_ = 0;
      auto fetched =
          context_->objects.get_range_into(key_, offset_, length, window_, ErrorCode::kCorruption);
      if (!fetched) {
        window_.clear();  // a later read starts this window again
        return std::unexpected(std::move(fetched).error());
      }
      offset_ += length;
    }
    const std::size_t n = std::min(out.size(), window_.size() - window_at_);
    std::memcpy(out.data(), window_.data() + window_at_, n);
    window_at_ += n;
    return n;
  }

 private:
  std::shared_ptr<S3Context> context_;
  std::string key_;
  std::uint64_t size_;
  std::uint64_t offset_;  // of the next window
  std::string window_;
  std::size_t window_at_ = 0;
};

std::chrono::system_clock::time_point from_ns(std::int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
}

class S3BlobStore final : public BlobStore {
 public:
  explicit S3BlobStore(std::shared_ptr<S3Context> context) : context_(std::move(context)) {}

  Result<BlobInfo> stat(const oci::Digest& digest) override {
    BERTH_TRY_STATUS(check_digest(digest));
    ObjectInfo info =
        BERTH_TRY(objects().head(context_->keys.blob(digest), ErrorCode::kBlobNotFound));
    return BlobInfo{digest, info.size, info.last_modified_ms};
  }

  Result<std::unique_ptr<BlobReader>> open(const oci::Digest& digest,
                                           std::uint64_t offset) override {
    BERTH_TRY_STATUS(check_digest(digest));
    std::string key = context_->keys.blob(digest);
    ObjectInfo info = BERTH_TRY(objects().head(key, ErrorCode::kBlobNotFound));
    if (offset > info.size) {
      return fail(ErrorCode::kRangeInvalid, "offset is past the end of the blob",
                  std::to_string(offset) + " > " + std::to_string(info.size));
    }
    return std::unique_ptr<BlobReader>(
        new S3BlobReader(context_, std::move(key), info.size, offset));
  }

  Result<std::unique_ptr<BlobWriter>> begin_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    return S3BlobWriter::begin(context_, std::move(id));
  }

  Result<std::unique_ptr<BlobWriter>> resume_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    return S3BlobWriter::resume(context_, std::move(id));
  }

  Result<UploadInfo> stat_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    S3UploadState state = BERTH_TRY(load_upload_state(*context_, id));
    return UploadInfo{id.str(), state.size, from_ns(state.started_at_ns)};
  }

  Status abort_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    return remove_upload(*context_, id);
  }

  Status remove(const oci::Digest& digest) override {
    BERTH_TRY_STATUS(check_digest(digest));
    const std::string key = context_->keys.blob(digest);
    // S3's DELETE succeeds for a missing key; the contract wants to know.
    BERTH_TRY(objects().head(key, ErrorCode::kBlobNotFound));
    return objects().remove(key);
  }

  Status walk(const std::function<Status(const BlobInfo&)>& visit) override {
    return objects().list(context_->keys.blobs_prefix(), [&](const ListedObject& object) {
      auto digest = context_->keys.blob_digest(object.key);
      if (!digest) return ok();  // not something the store wrote
      return visit(BlobInfo{*digest, object.size, object.last_modified_ms});
    });
  }

  Status walk_uploads(const std::function<Status(const UploadInfo&)>& visit) override {
    return objects().list_prefixes(context_->keys.uploads_prefix(), [&](const std::string& prefix) {
      auto id = context_->keys.upload_id_of_prefix(prefix);
      if (!id) return ok();
      auto state = load_upload_state(*context_, *id);
      if (!state) {
        // Finished meanwhile, or a clean-up that did not finish: the state
        // goes last, so without one there is no upload left to report.
        if (state.error().code == ErrorCode::kUploadNotFound) return ok();
        return Status(std::unexpected(std::move(state).error()));
      }
      return visit(UploadInfo{id->str(), state->size, from_ns(state->started_at_ns)});
    });
  }

  Result<std::optional<std::string>> redirect_url(const oci::Digest& digest,
                                                  std::chrono::seconds ttl) override {
    BERTH_TRY_STATUS(check_digest(digest));
    // The signature must agree with the rest of the world's clocks, not
    // with a test clock.
    std::string url =
        BERTH_TRY(presign_get(objects().config(), context_->keys.blob(digest), ttl, system_now_ms()));
    return std::optional<std::string>(std::move(url));
  }

 private:
  S3Objects& objects() { return context_->objects; }

  std::shared_ptr<S3Context> context_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> open_s3_blob_store(S3Config config, S3StoreOptions options) {
  if (config.bucket.empty()) return fail(ErrorCode::kInvalidArgument, "S3 bucket name is empty");
  if (config.part_size < kMinPartSize) {
    return fail(ErrorCode::kInvalidArgument, "S3 part size is below S3's 5 MiB minimum");
  }
  std::string prefix = config.prefix;
  auto context = std::make_shared<S3Context>(std::move(config), std::move(prefix));
  if (options.check_bucket) BERTH_TRY_STATUS(context->objects.check_bucket(options.create_bucket));
  return std::unique_ptr<BlobStore>(new S3BlobStore(std::move(context)));
}

}  // namespace berth::storage::blob::s3
